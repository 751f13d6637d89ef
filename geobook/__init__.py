r"""geobook: JAX kernels for *Geometric Learning Dynamics*, an executable textbook.

Import the topic modules you need, e.g. ``from geobook import sde, fokker_planck``.
Importing geobook changes no global JAX setting (x64 is the caller's decision).

**Topics.**
One public module (or subpackage) per topic a reader knows from the book; a subpackage
re-exports its files' public names, so ``from geobook import transport;
transport.sinkhorn`` works whichever file ``sinkhorn`` lives in.

========================  ====================================================================
``sde``                   Euler–Maruyama and Riemannian Langevin dynamics, batched over walkers
``fokker_planck``         Scharfetter–Gummel Fokker–Planck solvers (``one_d``, ``two_d``)
``evolution``             the Wright–Fisher chain, its stationary law, Wright's density
``regimes``               the metric :math:`h \#_\alpha \kappa` and the update covariance
``cones``                 the SPD cone: matrix functions (``matrix_functions``), geodesics,
                          distances, Karcher means (``geometry``), Wishart laws
                          (``wishart``), Jordan algebra and characteristic functions
                          (``jordan``)
``modular``               Tomita–Takesaki theory of :math:`M_d(\mathbb C)`: modular operator,
                          conjugation, modular flow, natural cone, KMS
``optim``                 covariant gradient descent and its optax limits (``transforms``),
                          test problems (``problems``), experiments (``experiments``)
``transport``             entropic OT (``sinkhorn``), closed forms (``gaussian``), the Legendre
                          map (``legendre``), the periodic Monge–Ampère solver
                          (``monge_ampere``), the 1-D JKO scheme in quantile
                          coordinates (``jko``)
``boltzmann``             RBMs and fully visible machines: exact enumeration, Gibbs, CD/PCD,
                          AIS, ``fit`` (``rbm``, ``exact``, ``sampling``, ``ais``)
``schrodinger``           lowest eigenstates, split-step propagation (real and imaginary
                          time), the Witten potential, Madelung residuals
``rg``                    renormalisation: exact 1-D Ising decimation and transfer matrix
                          (``one_d``), Gaussian decimation as a Schur complement
                          (``gaussian``), 2-D Ising Metropolis and block spins (``lattice``)
``stats``                 histogram KL, TV, KS, slope fits, rank correlation
``verify``, ``plotting``  verified numbers and the book's figure style
========================  ====================================================================

Private kernels shared by several topics live in ``geobook._src`` (``checks`` is the only
validator, ``spd`` the shared eigen-kernels, ``dtypes`` the dtype rule); no topic imports
another topic's private name.

**Results.**
Every function that returns more than one array returns a :class:`~typing.NamedTuple` whose
fields are documented in an ``Attributes:`` block. Three shapes of result recur:

* **Time evolutions** return ``(final state, path, t, ...)``: the final state first (named
  after the book's symbol: ``q``, ``x``, ``p``), then ``path`` — the saved states, stacked on
  a new leading axis, **always starting with the initial state** — and ``t``, the times (or
  generations, or step counts) of the rows of ``path``. Extra diagnostics come after ``t``.
* **Iterative solvers** return their answer first, then ``n_iter`` (iterations taken),
  ``error`` (the quantity the stopping test compares with ``tol``) and ``converged``
  (``error <= tol``). They do not raise when they fail to converge: check ``converged``.
* **Everything else** is an array, or a NamedTuple named after what it holds.

**Parameters: static, traced, and** ``args``
Array arguments and real parameters (temperatures, step sizes, couplings) are *traced*:
calling a kernel again with new values reuses the compiled program. Integers that fix a
shape or a loop length (``n_steps``, ``n``) and option strings are *static*. User callables
(drifts, potentials, densities) are static too — they are part of the program — so their
parameters go through ``args``, a tuple passed on as ``f(q, *args)`` (scipy's convention):

>>> import jax, jax.numpy as jnp
>>> from geobook import sde
>>> grad_H = lambda q, a: a * q                  # one function object for the whole sweep
>>> q0 = jnp.zeros((4, 1))
>>> finals = [sde.langevin(jax.random.key(0), grad_H, q0, T=0.5, dt=0.01, n_steps=10,
...                        args=(a,)).q for a in (0.5, 1.0, 2.0)]  # compiled once
>>> len(finals)
3

With ``args=()`` (the default) callables are called as ``f(q)``. Kernels are module-level
functions jitted once with ``static_argnames``; no closure is built and jitted per call.

**Validation.**
Every public function checks its input with ``geobook._src.checks`` and raises a
``ValueError`` whose message starts with the name of the function the user called and names
the argument and what was received, e.g. ``langevin: `dt` must be finite and > 0; got -0.1.``
Values (positivity, finiteness, SPD-ness) are checked when they are concrete; under ``jit``
and ``vmap`` only shapes are checked.

**Dtypes and devices.**
The working dtype follows the inputs (float32 stays float32; enable x64 for float64).
Ensemble axes — walkers, chains, replicates, problems — can be sharded over devices with
``jax.sharding``; the kernels contain no device logic.
"""
from geobook import boltzmann, cones, evolution, fokker_planck, modular, optim, regimes, rg, schrodinger, sde, stats, transport, verify

__version__ = "0.1.0"
__all__ = ["boltzmann", "cones", "evolution", "fokker_planck", "modular", "optim", "regimes", "rg", "schrodinger", "sde", "stats", "transport", "verify",
           "__version__"]
