r"""Gaussian renormalisation: integrating out variables is the Schur complement on the SPD cone.

A Gaussian model :math:`p(x)\propto e^{-x^\top Jx/2}` with precision (coupling matrix)
:math:`J\succ0` keeps, after the variables outside ``keep`` are integrated out, the precision
:math:`J' = J_{kk} - J_{kh}J_{hh}^{-1}J_{hk}`, and
:math:`\ln Z(J) = \ln Z(J_{hh}) + \ln Z(J')` with
:math:`\ln Z(J) = \tfrac n2\ln 2\pi - \tfrac12\ln\det J`.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["gaussian_decimate", "gaussian_log_partition"]


def _keep_indices(fn, keep, n):
    if isinstance(keep, jax.core.Tracer):
        checks.fail(fn, "keep", "must be a static sequence of ints (it fixes the output shape)",
                    keep)
    a = np.asarray(keep)
    if a.ndim != 1 or a.size == 0:
        checks.fail(fn, "keep", "must be a non-empty 1-D sequence of indices", keep)
    if a.dtype.kind not in "iu":
        checks.fail(fn, "keep", "must hold integer indices", keep)
    idx = tuple(int(i) for i in a)
    if min(idx) < 0 or max(idx) >= n:
        checks.fail(fn, "keep", f"must hold indices in [0, {n - 1}] (`J` is {n}×{n})", keep)
    if len(set(idx)) != len(idx):
        checks.fail(fn, "keep", "must not repeat an index", keep)
    hide = tuple(i for i in range(n) if i not in set(idx))
    return idx, hide


@partial(jax.jit, static_argnames=("keep", "hide"))
def _schur_kernel(J, *, keep, hide):
    k = jnp.asarray(keep)
    Jkk = J[..., k[:, None], k[None, :]]
    if not hide:
        return Jkk
    h = jnp.asarray(hide)
    Jhh = J[..., h[:, None], h[None, :]]
    Jhk = J[..., h[:, None], k[None, :]]
    L = jnp.linalg.cholesky(0.5 * (Jhh + jnp.swapaxes(Jhh, -1, -2)))
    Y = jax.scipy.linalg.solve_triangular(L, Jhk, lower=True)
    S = Jkk - jnp.swapaxes(Y, -1, -2) @ Y
    return 0.5 * (S + jnp.swapaxes(S, -1, -2))


def gaussian_decimate(J, keep):
    r"""Integrate out the Gaussian variables not in ``keep``: the Schur complement.

    .. math:: J' = J_{kk} - J_{kh}\,J_{hh}^{-1}\,J_{hk},

    rows and columns in the order of ``keep``. :math:`J'` is SPD, :math:`J'^{-1}` is the
    ``keep`` block of :math:`J^{-1}` (the covariance of the kept variables does not change),
    and the map is monotone: :math:`J_1\preceq J_2 \Rightarrow J_1'\preceq J_2'`.

    Args:
      J: precision (coupling) matrices, SPD ``[..., n, n]`` (traced).
      keep: the indices of the kept variables, a non-empty sequence of distinct ints in
        ``[0, n)`` (static).

    Returns:
      ``[..., len(keep), len(keep)]`` SPD, in the dtype of ``J``.

    Raises:
      ValueError: if ``J`` is not square, finite and SPD (checked when concrete), or
        ``keep`` is empty, not 1-D, holds a non-integer, an index out of range or a
        repeated index.

    References:
      :cite:t:`bhatia2007positive` (Schur complements and monotonicity);
      :cite:t:`kadanoff1966` (coarse-graining).

    Examples:
      >>> J = jnp.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])
      >>> Jp = rg.gaussian_decimate(J, [0, 2])          # integrate out the middle variable
      >>> print(np.round(np.asarray(Jp), 3))
      [[ 1.5 -0.5]
       [-0.5  1.5]]
      >>> print(np.round(np.asarray(jnp.linalg.inv(Jp)), 3))   # = J⁻¹ restricted to {0, 2}
      [[0.75 0.25]
       [0.25 0.75]]
    """
    fn = "gaussian_decimate"
    checks.check_spd(fn, "J", J)
    keep, hide = _keep_indices(fn, keep, np.shape(J)[-1])
    dt = working_dtype(J)
    return _schur_kernel(jnp.asarray(J, dt), keep=keep, hide=hide)


def gaussian_log_partition(J):
    r"""Log-partition of the Gaussian weight :math:`e^{-x^\top Jx/2}` on :math:`\mathbb R^n`.

    .. math:: \ln Z(J) = \tfrac n2\ln 2\pi - \tfrac12\ln\det J ,

    the canonical barrier of the SPD cone up to a constant.

    Args:
      J: SPD ``[..., n, n]`` (traced).

    Returns:
      ``[...]`` in the dtype of ``J``.

    Raises:
      ValueError: if ``J`` is not square, finite and SPD (checked when concrete).

    References:
      :cite:t:`faraut1994analysis`.

    Examples:
      >>> print(f"{float(rg.gaussian_log_partition(jnp.eye(2))):.4f}")   # ln 2π
      1.8379
    """
    checks.check_spd("gaussian_log_partition", "J", J)
    J = jnp.asarray(J, working_dtype(J))
    return _logz_kernel(J)


@jax.jit
def _logz_kernel(J):
    n = J.shape[-1]
    L = jnp.linalg.cholesky(0.5 * (J + jnp.swapaxes(J, -1, -2)))
    logdet = 2 * jnp.sum(jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    return 0.5 * n * jnp.log(2 * jnp.pi).astype(J.dtype) - 0.5 * logdet
