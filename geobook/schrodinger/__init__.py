r"""Schrödinger operators: the lowest eigenstates of the three-point Hamiltonian, split-step
Fourier propagation in real and imaginary time, the Witten potential of a Fokker–Planck
operator, and the residuals of the Madelung equations.

=============  ===========================================================================
``eigen``      :func:`eigenstates_1d`, :class:`Eigenstates`
``propagate``  :func:`split_step`, :func:`ground_state`, :func:`energy`,
               :class:`Wavefunction`, :class:`GroundState`
``hydro``      :func:`witten_potential`, :func:`madelung_residual`, :class:`Madelung`
=============  ===========================================================================

Conventions (DESIGN §6): :math:`H = -\frac{\hbar^2}{2m}\Delta + V`; wave functions are
normalised to :math:`\sum|\psi|^2\,\Delta V = 1` on the grid; real time is
:math:`i\hbar\partial_t\psi = H\psi`, imaginary time :math:`\hbar\partial_\tau\psi = -H\psi`.
Every kernel keeps the input precision (float32 → complex64) and works under ``jit``; batch
axes (potentials, initial states) lead and can be sharded over devices. Nelson's stochastic
mechanics for a given wave function is :func:`geobook.sde.nelson`. Book chapters: *The
quantum regime I* and *II*.
"""
from geobook.schrodinger.eigen import Eigenstates, eigenstates_1d
from geobook.schrodinger.hydro import Madelung, madelung_residual, witten_potential
from geobook.schrodinger.propagate import (GroundState, Wavefunction, energy, ground_state,
                                           split_step)

__all__ = ["Eigenstates", "eigenstates_1d", "Wavefunction", "GroundState", "split_step",
           "ground_state", "energy", "witten_potential", "Madelung", "madelung_residual"]
