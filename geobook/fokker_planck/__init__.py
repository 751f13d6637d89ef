r"""Fokker–Planck equations on a grid: Scharfetter–Gummel finite volumes.

The 1-D equation :math:`\partial_t p = \partial_x\big(p\,\partial_x H + T\,\partial_x p\big)`
on uniform cells with zero-flux walls (:mod:`~geobook.fokker_planck.one_d`) is discretised with
the exponentially fitted (Scharfetter–Gummel) flux between neighbouring cells :math:`i, i+1`,

.. math:: J_{i+1/2} = \frac{T}{\Delta x}\Big[B(u)\,p_i - B(-u)\,p_{i+1}\Big],
          \qquad u = \frac{H_{i+1}-H_i}{T},\qquad B(z) = \frac{z}{e^z-1},

which vanishes exactly on :math:`p_i \propto e^{-H_i/T}`: the discrete stationary state is
the Boltzmann law at the nodes for *any* grid, the generator conserves mass and positivity,
and it satisfies detailed balance, so it is similar to a symmetric matrix (its spectrum is
real and :math:`\le 0`).

In two dimensions (:mod:`~geobook.fokker_planck.two_d`: :func:`solve_2d`,
:func:`generator_2d`) the equation is the general Itô form
:math:`\partial_t p = -\nabla\cdot J`, :math:`J = b\,p - \nabla\cdot(D p)` with a drift field
:math:`b` that need not be a gradient and a diagonal diffusion tensor :math:`D(q)`; the
stationary state then carries a probability current in general, and the solver returns it.
The drift and diffusion callables take their parameters through ``args``
(``drift(q, *args)``).

Book chapters: *Learning as stochastic dynamics on a parameter manifold* (1-D),
*The equilibration regime* (2-D, currents), *Optimal transport* (free energy, dissipation).

References:
  :cite:t:`scharfetter1969`; :cite:t:`risken1989fokker`.
"""
from geobook.fokker_planck.one_d import (Evolution, Spectrum, bernoulli_fn, boltzmann_1d,
                                         dissipation, evolve_1d, free_energy, generator_1d,
                                         spectrum_1d, stationary_1d)
from geobook.fokker_planck.two_d import Stationary2D, generator_2d, solve_2d

__all__ = ["bernoulli_fn", "generator_1d", "stationary_1d", "spectrum_1d", "evolve_1d",
           "free_energy", "dissipation", "boltzmann_1d", "generator_2d", "solve_2d",
           "Spectrum", "Evolution", "Stationary2D"]
