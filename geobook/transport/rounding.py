r"""Rounding an approximate transport plan onto its marginals (a feasibility certificate).

An entropic plan returned after finitely many Sinkhorn iterations violates its marginals
slightly, so its cost is not the cost of an admissible plan. :func:`round_plan` moves it onto
the transport polytope :math:`\Pi(a, b)` by the rounding of :cite:t:`altschuler2017near`; the
rounded plan's cost is then an upper bound on the optimal transport cost, and
:math:`\|P' - P\|_1 \le 2\,(\|P\mathbb 1 - a\|_1 + \|P^\top\mathbb 1 - b\|_1)`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["round_plan"]


def round_plan(plan, a, b):
    r"""Round a non-negative plan onto the marginals ``a`` and ``b``.

    .. math::
       X = \operatorname{diag}\big(\min(a / P\mathbb 1, 1)\big)\,P,\quad
       Y = X\operatorname{diag}\big(\min(b / X^\top\mathbb 1, 1)\big),\quad
       P' = Y + \frac{e_r e_c^\top}{\|e_r\|_1},

    with :math:`e_r = a - Y\mathbb 1`, :math:`e_c = b - Y^\top\mathbb 1` (both non-negative).
    :math:`P'` is non-negative with row sums ``a`` and column sums ``b`` (to round-off), so
    :math:`\langle P', C\rangle \ge \mathrm{OT}(a, b)` for any cost :math:`C`.

    Args:
      plan: a non-negative matrix ``[n, m]``.
      a: non-negative row marginal ``[n]``.
      b: non-negative column marginal ``[m]``, of the same total mass as ``a``.

    Returns:
      The rounded plan ``[n, m]`` in the working dtype of the inputs.

    Raises:
      ValueError: if ``plan`` is not a finite, non-negative ``[n, m]`` matrix, or ``a``/``b``
        is not a finite, non-negative vector with one entry per row/column.

    References:
      :cite:t:`altschuler2017near` (Algorithm 2).

    Examples:
      >>> P = jnp.array([[0.30, 0.10], [0.05, 0.50]])          # rows 0.4, 0.55
      >>> a = b = jnp.array([0.5, 0.5])
      >>> R = transport.round_plan(P, a, b)
      >>> print(np.round(np.asarray(R.sum(1)), 6), np.round(np.asarray(R.sum(0)), 6))
      [0.5 0.5] [0.5 0.5]
      >>> bool(jnp.all(R >= 0))
      True
    """
    fn = "round_plan"
    checks.check_ndim(fn, "plan", plan, 2, "[n, m]")
    checks.check_finite(fn, "plan", plan)
    checks.check_positive(fn, "plan", plan, allow_zero=True)
    for arg, w, axis in (("a", a, 0), ("b", b, 1)):
        checks.check_ndim(fn, arg, w, 1, "[n]" if arg == "a" else "[m]")
        checks.check_size(fn, arg, w, jnp.shape(plan)[axis], what="one weight per row/column")
        checks.check_finite(fn, arg, w)
        checks.check_positive(fn, arg, w, allow_zero=True)
    dtype = working_dtype(plan, a, b)
    return _round_kernel(jnp.asarray(plan, dtype), jnp.asarray(a, dtype),
                         jnp.asarray(b, dtype))


@jax.jit
def _round_kernel(plan, a, b):
    r = plan.sum(1)
    x = jnp.where(r > a, a / jnp.where(r > 0, r, 1.0), 1.0)
    p = plan * x[:, None]
    c = p.sum(0)
    y = jnp.where(c > b, b / jnp.where(c > 0, c, 1.0), 1.0)
    p = p * y[None, :]
    er, ec = jnp.maximum(a - p.sum(1), 0.0), jnp.maximum(b - p.sum(0), 0.0)
    s = er.sum()
    return p + jnp.where(s > 0, jnp.outer(er, ec) / jnp.where(s > 0, s, 1.0), 0.0)
