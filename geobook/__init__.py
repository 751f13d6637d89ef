"""geobook: JAX kernels for *Geometric Learning Dynamics*, an executable textbook.

Import the topic modules you need, e.g. ``from geobook import sde, fokker_planck``.
Importing geobook changes no global JAX setting (x64 is the caller's decision).
"""
from geobook import cones, evolution, fokker_planck, optim, regimes, sde, stats, transport, verify

__version__ = "0.1.0"
__all__ = ["cones", "evolution", "fokker_planck", "optim", "regimes", "sde", "stats", "transport", "verify",
           "__version__"]
