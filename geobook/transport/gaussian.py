r"""Closed forms of quadratic-cost optimal transport: Gaussians (the Bures–Wasserstein map and
distance) and one dimension (the quantile map)."""
from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp

from geobook._src import checks, spd
from geobook._src.dtypes import working_dtype

__all__ = ["gaussian_map", "gaussian_w2", "quantile_map_1d"]


def _prep_gaussians(fn, m0, S0, m1, S1):
    checks.check_spd(fn, "S0", S0)
    checks.check_spd(fn, "S1", S1)
    d = np.shape(S0)[-1]
    for name, m in (("m0", m0), ("m1", m1)):
        checks.check_ndim(fn, name, m, tuple(range(1, 33)), "[..., d]")
        checks.check_finite(fn, name, m)
    for name, v in (("m0", m0), ("m1", m1), ("S1", S1)):
        checks.check_size(fn, name, v, d, what="the dimension d of `S0`")
    dtype = working_dtype(m0, S0, m1, S1)
    return tuple(jnp.asarray(v, dtype) for v in (m0, S0, m1, S1))


def gaussian_map(m0, S0, m1, S1):
    r"""The SPD matrix ``A`` of the Brenier map :math:`x \mapsto m_1 + A(x - m_0)` from
    :math:`N(m_0, \Sigma_0)` to :math:`N(m_1, \Sigma_1)`.

    .. math:: A = \Sigma_0^{-1/2}(\Sigma_0^{1/2}\Sigma_1\Sigma_0^{1/2})^{1/2}\Sigma_0^{-1/2}
              = \Sigma_0^{-1} \# \Sigma_1,

    the unique SPD solution of :math:`A\Sigma_0A = \Sigma_1`. Batched over leading axes; works
    under ``jit`` and ``vmap``.

    Args:
      m0: source mean ``[..., d]`` (validated for shape only: ``A`` does not depend on it).
      S0: source covariance ``[..., d, d]``, SPD.
      m1: target mean ``[..., d]`` (validated for shape only).
      S1: target covariance ``[..., d, d]``, SPD.

    Returns:
      ``A`` ``[..., d, d]``, SPD, in the working dtype of the inputs.

    Raises:
      ValueError: if a covariance is not SPD, a mean is not a finite ``[..., d]`` vector, or
        the dimensions differ.

    References:
      :cite:t:`villani2003topics`; the matrix geometric mean :math:`\#`:
      :cite:t:`bhatia2007positive`.

    Examples:
      In one dimension the map scales by the ratio of standard deviations:

      >>> A = transport.gaussian_map(jnp.zeros(1), jnp.array([[4.0]]), jnp.zeros(1),
      ...                            jnp.array([[9.0]]))
      >>> print(f"{float(A[0, 0]):.3f}")
      1.500
    """
    m0, S0, m1, S1 = _prep_gaussians("gaussian_map", m0, S0, m1, S1)
    return _gaussian_map_kernel(S0, S1)


@jax.jit
def _gaussian_map_kernel(S0, S1):
    R = spd.eig_apply(S0, jnp.sqrt)
    Ri = spd.eig_apply(S0, jax.lax.rsqrt)
    return spd.sym(Ri @ spd.eig_apply(spd.sym(R @ S1 @ R), jnp.sqrt) @ Ri)


def gaussian_w2(m0, S0, m1, S1):
    r"""Squared 2-Wasserstein distance between the Gaussians :math:`N(m_0, \Sigma_0)` and
    :math:`N(m_1, \Sigma_1)`.

    .. math:: W_2^2 = |m_0 - m_1|^2 + \operatorname{tr}\Sigma_0 + \operatorname{tr}\Sigma_1
              - 2\operatorname{tr}(\Sigma_0^{1/2}\Sigma_1\Sigma_0^{1/2})^{1/2}.

    Batched over leading axes; works under ``jit`` and ``vmap``.

    Args:
      m0: source mean ``[..., d]``.
      S0: source covariance ``[..., d, d]``, SPD.
      m1: target mean ``[..., d]``.
      S1: target covariance ``[..., d, d]``, SPD.

    Returns:
      :math:`W_2^2` ``[...]`` (clipped at 0 against round-off), in the working dtype.

    Raises:
      ValueError: as :func:`gaussian_map`.

    References:
      :cite:t:`villani2003topics`.

    Examples:
      In one dimension :math:`W_2^2 = (m_0 - m_1)^2 + (\sigma_0 - \sigma_1)^2`:

      >>> w2 = transport.gaussian_w2(jnp.array([1.0]), jnp.array([[4.0]]), jnp.array([0.0]),
      ...                            jnp.array([[9.0]]))
      >>> print(f"{float(w2):.3f}")
      2.000
    """
    m0, S0, m1, S1 = _prep_gaussians("gaussian_w2", m0, S0, m1, S1)
    return _gaussian_w2_kernel(m0, S0, m1, S1)


@jax.jit
def _gaussian_w2_kernel(m0, S0, m1, S1):
    R = spd.eig_apply(S0, jnp.sqrt)
    lam = jnp.linalg.eigvalsh(spd.sym(R @ S1 @ R))
    cross = jnp.sum(jnp.sqrt(jnp.maximum(lam, 0.0)), -1)
    tr = jnp.trace(S0, axis1=-2, axis2=-1) + jnp.trace(S1, axis1=-2, axis2=-1)
    return jnp.maximum(jnp.sum((m0 - m1) ** 2, -1) + tr - 2.0 * cross, 0.0)


def quantile_map_1d(t, x, y):
    r"""The monotone (optimal) map :math:`F_y^{-1}\circ F_x` between two 1-D samples, at ``t``.

    :math:`F_x` and :math:`F_y^{-1}` are the piecewise-linear interpolants of the empirical CDF
    and quantile function with plotting positions :math:`(i + \tfrac12)/n`, so the map sends
    the ``i``-th smallest ``x`` to the ``i``-th smallest ``y`` when the samples are equally
    large, is non-decreasing, and is constant beyond the extreme samples. Works under ``jit``
    and ``vmap``.

    Args:
      t: points ``[...]`` at which to evaluate the map.
      x: source samples ``[n]``, ``n >= 2``, any order.
      y: target samples ``[m]``, ``m >= 2``, any order.

    Returns:
      The map's values ``[...]`` (the shape of ``t``), in the working dtype.

    Raises:
      ValueError: if ``x`` or ``y`` is not a finite 1-D sample of at least 2 points, or ``t``
        is not finite.

    References:
      :cite:t:`villani2003topics` (optimal transport on the line).

    Examples:
      The median of ``x`` goes to the median of ``y``:

      >>> x = jnp.array([3.0, 0.0, 2.0, 1.0])
      >>> y = jnp.array([10.0, 20.0, 30.0, 40.0])
      >>> print(f"{float(transport.quantile_map_1d(1.5, x, y)):.3f}")
      25.000
    """
    fn = "quantile_map_1d"
    for name, v, layout in (("x", x, "[n]"), ("y", y, "[m]")):
        checks.check_ndim(fn, name, v, 1, layout)
        if np.shape(v)[0] < 2:
            checks.fail(fn, name, "must hold at least 2 samples", v)
        checks.check_finite(fn, name, v)
    checks.check_finite(fn, "t", t)
    dtype = working_dtype(t, x, y)
    return _quantile_kernel(*(jnp.asarray(v, dtype) for v in (t, x, y)))


@jax.jit
def _quantile_kernel(t, x, y):
    xs, ys = jnp.sort(x), jnp.sort(y)
    n, m = xs.shape[0], ys.shape[0]
    u = jnp.interp(t, xs, (jnp.arange(n, dtype=t.dtype) + 0.5) / n)
    return jnp.interp(u, (jnp.arange(m, dtype=t.dtype) + 0.5) / m, ys)
