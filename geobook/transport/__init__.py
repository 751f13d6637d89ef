r"""Optimal transport: entropic OT (Sinkhorn), Gaussian and 1-D closed forms, Legendre maps,
the JKO scheme in one dimension (quantile coordinates), and a periodic Monge–Ampère solver.

=================  ==========================================================================
``sinkhorn``       :func:`sinkhorn`, :func:`sinkhorn_batch`, :func:`entropic_ot`,
                   :class:`SinkhornResult`, :func:`sq_euclidean_cost`
``gaussian``       :func:`gaussian_map`, :func:`gaussian_w2`, :func:`quantile_map_1d`
``rounding``       :func:`round_plan`
``legendre``       :func:`legendre_pushforward`, :class:`LegendreMap`
``jko``            :func:`jko_step_1d`, :func:`jko_flow_1d`, :func:`jko_free_energy_1d`,
                   :func:`quantile_w2_1d`, :func:`density_quantiles_1d`,
                   :func:`quantiles_from_density_1d`, :class:`JKOStep`, :class:`JKOFlow`,
                   :class:`Quantiles`
``monge_ampere``   :func:`monge_ampere_2d`, :func:`ma_residual`, :func:`grid_2d`,
                   :func:`periodic_ma_example`, :class:`MongeAmpereResult`,
                   :class:`PeriodicMAExample`
=================  ==========================================================================

Conventions (DESIGN §6):

* the ground cost is :math:`C_{ij} = |x_i - y_j|^2` (no ½), so the Brenier map is
  :math:`\nabla\varphi` with :math:`\varphi = |x|^2/2 + u`;
* the entropic plan is :math:`P = \operatorname{diag}(e^{f/\varepsilon})\, K\,
  \operatorname{diag}(e^{g/\varepsilon})`, :math:`K = e^{-C/\varepsilon}`, with an absolute
  :math:`\varepsilon`; the potentials ``f, g`` therefore include :math:`\varepsilon\ln a` and
  :math:`\varepsilon\ln b`;
* ``error`` is the L1 marginal violation :math:`\|P\mathbb 1 - a\|_1 + \|P^\top\mathbb 1 - b\|_1`.

Every function keeps the input dtype and works under ``jit``; a batch of OT problems (a
leading axis of ``vmap`` or :func:`sinkhorn_batch`) can be sharded over devices. Book chapter:
*Optimal transport and the Monge–Ampère equation in generative modelling*.
"""
from geobook.transport.gaussian import gaussian_map, gaussian_w2, quantile_map_1d
from geobook.transport.jko import (JKOFlow, JKOStep, Quantiles, density_quantiles_1d,
                                   jko_flow_1d, jko_free_energy_1d, jko_step_1d,
                                   quantile_w2_1d, quantiles_from_density_1d)
from geobook.transport.legendre import LegendreMap, legendre_pushforward
from geobook.transport.monge_ampere import (MongeAmpereResult, PeriodicMAExample, grid_2d,
                                            ma_residual, monge_ampere_2d, periodic_ma_example)
from geobook.transport.rounding import round_plan
from geobook.transport.sinkhorn import (SinkhornResult, entropic_ot, sinkhorn, sinkhorn_batch,
                                        sq_euclidean_cost)

__all__ = ["SinkhornResult", "sq_euclidean_cost", "sinkhorn", "sinkhorn_batch", "entropic_ot",
           "gaussian_map", "gaussian_w2", "quantile_map_1d", "LegendreMap",
           "legendre_pushforward", "MongeAmpereResult", "ma_residual", "monge_ampere_2d",
           "PeriodicMAExample", "periodic_ma_example", "grid_2d", "round_plan", "JKOStep",
           "JKOFlow", "Quantiles", "jko_step_1d", "jko_flow_1d", "jko_free_energy_1d",
           "quantile_w2_1d", "density_quantiles_1d", "quantiles_from_density_1d"]
