r"""The cone of symmetric positive-definite (SPD) matrices: matrix functions, affine-invariant
geometry, Wishart laws, and the symmetric-cone (Jordan-algebra) structure.

* ``matrix_functions``: :func:`~geobook.cones.matrix_functions.sqrtm`,
  :func:`~geobook.cones.matrix_functions.invsqrtm`, :func:`~geobook.cones.matrix_functions.powm`,
  :func:`~geobook.cones.matrix_functions.logm`, :func:`~geobook.cones.matrix_functions.expm`,
  :func:`~geobook._src.spd.sym`, :func:`~geobook.cones.matrix_functions.random_spd`;
* ``geometry``: :func:`~geobook.cones.geometry.geodesic`,
  :func:`~geobook.cones.geometry.geomean`, :func:`~geobook.cones.geometry.affine_distance`,
  :func:`~geobook.cones.geometry.karcher_mean`, :class:`~geobook.cones.geometry.KarcherResult`;
* ``wishart``: :func:`~geobook.cones.wishart.wishart_sample` (Bartlett),
  :func:`~geobook.cones.wishart.wishart_logpdf`, :func:`~geobook.cones.wishart.multigammaln`;
* ``jordan``: :func:`~geobook.cones.jordan.sym_basis`,
  :func:`~geobook.cones.jordan.jordan_product`, :func:`~geobook.cones.jordan.quad_rep`,
  :func:`~geobook.cones.jordan.char_function`, :func:`~geobook.cones.jordan.hessian_logdet`,
  :func:`~geobook.cones.jordan.lorentz_char_function`,
  :func:`~geobook.cones.jordan.monge_ampere_ratio`.

Conventions (DESIGN §6): matrices are batches ``[..., n, n]`` (leading axes are problems and
broadcast); :math:`X\#_tY = X^{1/2}(X^{-1/2}YX^{-1/2})^tX^{1/2}`;
:math:`d(X, Y) = \|\log(X^{-1/2}YX^{-1/2})\|_F`; the orthonormal basis of
:math:`\mathrm{Sym}_n` is :math:`E_{ii}, (E_{ij}+E_{ji})/\sqrt2`; the trace pairing
:math:`\operatorname{tr}(XY)` makes the cone self-dual.  The working dtype follows the inputs
(enable x64 for the 1e-10 identities).  Book chapters: *The power law g ∝ κ^α and the map of
regimes*, *The Wishart cone as a symmetric cone*.
"""
from geobook.cones.geometry import (KarcherResult, affine_distance, geodesic, geomean,
                                    karcher_mean)
from geobook.cones.jordan import (char_function, hessian_logdet, jordan_product,
                                  lorentz_char_function, monge_ampere_ratio, quad_rep,
                                  sym_basis)
from geobook.cones.matrix_functions import (expm, invsqrtm, logm, powm, random_spd, sqrtm,
                                            sym)
from geobook.cones.wishart import multigammaln, wishart_logpdf, wishart_sample

__all__ = ["sym", "sqrtm", "invsqrtm", "powm", "logm", "expm", "random_spd", "geodesic",
           "geomean", "affine_distance", "KarcherResult", "karcher_mean", "multigammaln",
           "wishart_sample", "wishart_logpdf", "sym_basis", "jordan_product", "quad_rep",
           "monge_ampere_ratio",
           "char_function", "hessian_logdet", "lorentz_char_function"]
