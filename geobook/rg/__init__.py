r"""Renormalisation: exact decimation, Gaussian RG on the SPD cone, 2-D Ising block spins.

=================  ==========================================================================
``one_d``          the Ising chain: :func:`decimate_ising_1d` (:math:`K' = \tfrac12\ln\cosh
                   2K`), :func:`decimation_flow_1d`, :func:`ising_free_energy_1d`,
                   :func:`transfer_matrix_1d`, :func:`ising_1d_samples` (exact samples)
``gaussian``       :func:`gaussian_decimate` (the Schur complement, in the order of ``keep``),
                   :func:`gaussian_log_partition`
``lattice``        the 2-D Ising model: :func:`ising_2d` (checkerboard Metropolis, batched),
                   :func:`block_spin` (majority rule), :func:`onsager_energy`,
                   :func:`onsager_magnetisation`, :data:`T_C`
=================  ==========================================================================

Conventions (DESIGN §6): reduced couplings :math:`K = J/T > 0`; spins ±1; the 2-D lattice has
J = 1, periodic boundaries and even ``L``. Book chapter: *Renormalisation, hierarchy and a
synthesis of both papers*.
"""
from geobook.rg.gaussian import gaussian_decimate, gaussian_log_partition
from geobook.rg.lattice import (T_C, Ising, block_spin, ising_2d, onsager_energy,
                                onsager_magnetisation)
from geobook.rg.one_d import (DecimationFlow, decimate_ising_1d, decimation_flow_1d,
                              ising_1d_samples, ising_free_energy_1d, transfer_matrix_1d)

__all__ = ["decimate_ising_1d", "DecimationFlow", "decimation_flow_1d", "ising_free_energy_1d",
           "transfer_matrix_1d", "ising_1d_samples", "gaussian_decimate",
           "gaussian_log_partition", "Ising", "ising_2d", "block_spin", "T_C",
           "onsager_energy", "onsager_magnetisation"]
