r"""Boltzmann machines: energies, exact enumeration, Gibbs sampling, CD/PCD learning, AIS.

=================  ==========================================================================
``rbm``            :class:`RBM` ({0, 1} units, T = 1), :class:`FullyVisible` (±1 spins),
                   :func:`energy`, :func:`free_energy`
``exact``          chunked enumeration (up to :data:`MAX_UNITS` units, float64 without
                   overflow): :func:`log_partition`, :func:`marginals`,
                   :func:`exact_moments`, :func:`fisher`, :func:`enumerate_states`
``learning``       exact learning quantities: :func:`log_likelihood`, :func:`exact_grad`,
                   :func:`natural_grad`, :func:`cd_expected_grad` (the exact mean of CD-k)
``sampling``       :func:`gibbs_chain`, :func:`cd_step`, :func:`pcd_step`, :func:`fit`
                   (scikit-learn ``BernoulliRBM``'s minibatch scheme), :class:`CDStep`,
                   :class:`PCDStep`, :class:`FitResult`
``gaussian``       :class:`GaussianRBM` (real visible units): :func:`gaussian_free_energy`,
                   :func:`gaussian_gibbs_step`
``ais``            :func:`ais_log_partition` (annealed importance sampling from the
                   base-rate model), :class:`AISResult`
=================  ==========================================================================

Conventions (DESIGN §6): ``RBM(W, b, c)`` with ``W: [n_visible, n_hidden]`` and energy
:math:`E(v, h) = -v^\top Wh - b^\top v - c^\top h`; ``free_energy(rbm, v)``
:math:`= -b^\top v - \sum_j\operatorname{softplus}(c_j + (v^\top W)_j)`;
``log_partition(rbm)`` :math:`= \ln\sum_{v,h}e^{-E(v,h)}`. Data are ``[n_samples, n]`` arrays
of {0, 1} (RBM) or ±1 (FullyVisible). The working dtype follows the inputs; enable x64 for
exact quantities. Chain axes (``v0`` of :func:`gibbs_chain`, minibatches, persistent chains)
can be sharded over devices. Book chapter: *Boltzmann machines, free energy and the
Monge–Ampère operator of the log-partition*.
"""
from geobook.boltzmann.ais import AISResult, ais_log_partition
from geobook.boltzmann.gaussian import (GaussianRBM, gaussian_free_energy,
                                        gaussian_gibbs_step)
from geobook.boltzmann.exact import (MAX_UNITS, enumerate_states, exact_moments, fisher,
                                     log_partition, marginals)
from geobook.boltzmann.learning import (cd_expected_grad, exact_grad, log_likelihood,
                                        natural_grad)
from geobook.boltzmann.rbm import RBM, FullyVisible, energy, free_energy
from geobook.boltzmann.sampling import (CDStep, FitResult, PCDStep, cd_step, fit, gibbs_chain,
                                        pcd_step)

__all__ = ["RBM", "FullyVisible", "energy", "free_energy", "MAX_UNITS", "enumerate_states",
           "log_partition", "marginals", "exact_moments", "fisher", "log_likelihood",
           "exact_grad", "natural_grad", "cd_expected_grad", "gibbs_chain", "CDStep",
           "cd_step", "PCDStep", "pcd_step", "FitResult", "fit", "AISResult",
           "ais_log_partition", "GaussianRBM", "gaussian_free_energy",
           "gaussian_gibbs_step"]
