r"""Entropic optimal transport between point clouds: log-domain Sinkhorn, one problem or a batch.

The ground cost is :math:`C_{ij} = |x_i - y_j|^2` (no ½); the entropic plan is
:math:`P = \operatorname{diag}(e^{f/\varepsilon})\, K\, \operatorname{diag}(e^{g/\varepsilon})`,
:math:`K = e^{-C/\varepsilon}`, with an absolute :math:`\varepsilon`, so the potentials ``f, g``
include :math:`\varepsilon\ln a` and :math:`\varepsilon\ln b`; ``error`` is the L1 marginal
violation :math:`\|P\mathbb 1 - a\|_1 + \|P^\top\mathbb 1 - b\|_1`.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np
import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp, xlogy

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["SinkhornResult", "sq_euclidean_cost", "sinkhorn", "sinkhorn_batch", "entropic_ot"]


class SinkhornResult(NamedTuple):
    r"""Result of :func:`sinkhorn` (and, with a leading batch axis on every field, of
    :func:`sinkhorn_batch`).

    Attributes:
      f: source potential ``[n]``; the plan is :math:`P_{ij} = e^{(f_i + g_j - C_{ij})/\varepsilon}`
        (``-inf`` where a weight is zero).
      g: target potential ``[m]``.
      plan: the entropic plan :math:`P` ``[n, m]``.
      cost: the primal transport cost :math:`\langle P, C\rangle` of the entropic plan.
      reg_cost: the entropic OT value
        :math:`\langle P, C\rangle + \varepsilon\,\mathrm{KL}(P\,\|\,a\otimes b)`.
      n_iter: iterations taken (one iteration = an f- and a g-update).
      error: the L1 marginal violation of the returned plan.
      converged: ``error <= tol``.

    Examples:
      >>> r = transport.sinkhorn(jnp.zeros((3, 1)), jnp.ones((2, 1)), 0.1)
      >>> r.plan.shape, r.f.shape, r.g.shape
      ((3, 2), (3,), (2,))
      >>> print(f"{float(r.cost):.3f}")        # every point moves by 1
      1.000
    """
    f: jax.Array
    g: jax.Array
    plan: jax.Array
    cost: jax.Array
    reg_cost: jax.Array
    n_iter: jax.Array
    error: jax.Array
    converged: jax.Array


def sq_euclidean_cost(x, y):
    r"""The squared-Euclidean cost matrix :math:`C_{ij} = |x_i - y_j|^2` (no ½).

    Args:
      x: source points ``[n, d]``.
      y: target points ``[m, d]``.

    Returns:
      ``C`` ``[n, m]``, non-negative, in the working dtype of ``x`` and ``y``.

    Raises:
      ValueError: if ``x`` or ``y`` is not two-dimensional.

    Examples:
      >>> x = jnp.array([[0.0, 0.0], [1.0, 0.0]])
      >>> transport.sq_euclidean_cost(x, jnp.array([[0.0, 1.0]]))
      Array([[1.],
             [2.]], dtype=float32)
    """
    checks.check_ndim("sq_euclidean_cost", "x", x, 2, "[n, d]")
    checks.check_ndim("sq_euclidean_cost", "y", y, 2, "[m, d]")
    dtype = working_dtype(x, y)
    return _cost(jnp.asarray(x, dtype), jnp.asarray(y, dtype))


def _cost(x, y):
    # |x|² + |y|² − 2 x·y is one matmul; clip the rounding below zero
    c = jnp.sum(x * x, -1)[:, None] + jnp.sum(y * y, -1)[None, :] - 2.0 * (x @ y.T)
    return jnp.maximum(c, 0.0)


def _log_weights(w):
    """``ln w`` with ``-inf`` for zero weights (and no NaN in the gradient)."""
    return jnp.where(w > 0, jnp.log(jnp.where(w > 0, w, 1.0)), -jnp.inf)


def _weighted_sum(w, v):
    """``Σ w_i v_i`` over the last axis, skipping zero weights (where ``v`` may be ``-inf``)."""
    return jnp.sum(jnp.where(w > 0, w * v, 0.0), -1)


def _weights(fn, arg, w, n, dtype, batch):
    lead = () if batch is None else (batch,)
    if w is None:
        return jnp.full(lead + (n,), 1.0 / n, dtype)
    pts = "n" if arg == "a" else "m"
    checks.check_ndim(fn, arg, w, len(lead) + 1, f"[{pts}]" if batch is None else f"[B, {pts}]")
    checks.check_size(fn, arg, w, n, what="one weight per point")
    if batch is not None:
        checks.check_size(fn, arg, w, batch, axis=0, what="one row per problem")
    checks.check_finite(fn, arg, w)
    checks.check_positive(fn, arg, w, allow_zero=True)
    return jnp.asarray(w, dtype)


def _prepare(fn, x, y, a, b, eps, tol, max_iter, batched=False):
    """Validate the clouds, weights and solver options; return them as arrays."""
    nd, lx, ly = (3, "[B, n, d]", "[B, m, d]") if batched else (2, "[n, d]", "[m, d]")
    checks.check_ndim(fn, "x", x, nd, lx)
    checks.check_ndim(fn, "y", y, nd, ly)
    checks.check_same_size(fn, "x", x, "y", y, axis=-1)           # the same dimension d
    batch = None
    if batched:
        checks.check_same_size(fn, "x", x, "y", y, axis=0)        # the same number of problems
        batch = np.shape(x)[0]
        checks.check_ndim(fn, "eps", eps, (0, 1), "[] or [B]")
        if np.ndim(eps) == 1:
            checks.check_size(fn, "eps", eps, batch, axis=0, what="one value per problem")
    checks.check_finite(fn, "x", x)
    checks.check_finite(fn, "y", y)
    checks.check_positive(fn, "eps", eps)
    checks.check_positive(fn, "tol", tol)
    checks.check_int(fn, "max_iter", max_iter)
    dtype = working_dtype(x, y)
    a = _weights(fn, "a", a, np.shape(x)[-2], dtype, batch)
    b = _weights(fn, "b", b, np.shape(y)[-2], dtype, batch)
    if checks.is_concrete(a, b):
        sa = np.atleast_1d(np.sum(np.asarray(a, np.float64), -1))
        sb = np.atleast_1d(np.sum(np.asarray(b, np.float64), -1))
        k = int(np.argmax((sa <= 0) | (np.abs(sa - sb) > 1e-6 * np.maximum(sa, sb))))
        where = f" (problem {k})" if batched else ""
        if sa[k] <= 0:
            checks.fail(fn, "a", f"must have a positive total mass{where}", float(f"{sa[k]:.6g}"))
        if abs(sa[k] - sb[k]) > 1e-6 * max(sa[k], sb[k]):
            checks.fail(fn, "b", f"must have the same total mass as `a`{where}, sum(a) = "
                        f"{sa[k]:.6g}", float(f"{sb[k]:.6g}"))
    return (jnp.asarray(x, dtype), jnp.asarray(y, dtype), a, b, jnp.asarray(eps, dtype),
            jnp.asarray(tol, dtype))


@partial(jax.jit, static_argnames=("max_iter",))
def _sinkhorn_batched(C, a, b, eps, tol, max_iter):
    r"""Log-domain Sinkhorn on a batch of cost matrices ``C [B, n, m]``.

    Each half-step is *one* pass over the matrix: with the current potentials, the row sums of
    the current plan are :math:`r_i = \sum_j e^{(f_i + g_j - C_{ij})/\varepsilon}`, and the
    update is :math:`f_i \leftarrow f_i + \varepsilon(\ln a_i - \ln r_i)` — the exact log-domain
    update, since every entry is at most 1 once the other marginal has been fitted. When some
    row sum is too small to trust (the first iterations at small ε), the whole half-step is
    redone with the max-shifted log-sum-exp. That test is taken over the *whole batch*, so the
    ``cond`` stays a branch (not a ``select``) and a batch pays one pass per half-step like a
    single problem. The row violation found on the way is the L1 marginal error of the plan
    before the update (its column marginal is exact after a g-step), so the stopping test costs
    nothing extra. A problem that has converged is frozen while the others go on.
    """
    dtype = C.dtype
    e3 = eps[:, None, None]
    Ce = C / e3
    la, lb = _log_weights(a), _log_weights(b)
    tiny = jnp.asarray(1e-150 if dtype == jnp.float64 else 1e-20, dtype)

    def half(f, g, lw, axis):
        # axis=2: new f given g (sums over columns); axis=1: new g given f (sums over rows)
        s = (f[:, :, None] + g[:, None, :]) / e3 - Ce
        r = jnp.sum(jnp.exp(s), axis=axis)
        ok = jnp.all(((r > tiny) & jnp.isfinite(r)) | ~jnp.isfinite(lw))   # zero weights: skip
        lr = jax.lax.cond(ok, lambda: jnp.log(r), lambda: logsumexp(s, axis=axis))
        err = jnp.sum(jnp.abs(jnp.exp(lr) - jnp.exp(lw)), axis=-1)
        old = f if axis == 2 else g
        return jnp.where(jnp.isfinite(lw), old + eps[:, None] * (lw - lr), -jnp.inf), err

    def active(err, it):
        return (err > tol) & (it < max_iter)

    def body(state):
        f, g, err, it = state
        act = active(err, it)
        f_new, err_new = half(f, g, la, 2)
        g_new, _ = half(f_new, g, lb, 1)
        keep = lambda new, old: jnp.where(act[:, None], new, old)
        return keep(f_new, f), keep(g_new, g), jnp.where(act, err_new, err), it + act

    def cond(state):
        return jnp.any(active(state[2], state[3]))

    B = C.shape[0]
    f0 = jnp.zeros_like(a)
    g0 = eps[:, None] * lb   # start from the plan a⊗b scaled by K
    state = (f0, g0, jnp.full((B,), jnp.inf, dtype), jnp.zeros((B,), jnp.int32))
    f, g, _, it = jax.lax.while_loop(cond, body, state)
    P = jnp.exp((f[:, :, None] + g[:, None, :] - C) / e3)
    err = jnp.sum(jnp.abs(P.sum(2) - a), -1) + jnp.sum(jnp.abs(P.sum(1) - b), -1)
    cost = jnp.sum(P * C, (1, 2))
    neg_entropy = jnp.sum(xlogy(a, a), -1) + jnp.sum(xlogy(b, b), -1)
    reg = _weighted_sum(a, f) + _weighted_sum(b, g) - eps * neg_entropy
    return SinkhornResult(f, g, P, cost, reg, it, err, err <= tol)


def _sinkhorn_one(C, a, b, eps, tol, max_iter):
    """One problem: the batched kernel with a batch of one."""
    r = _sinkhorn_batched(C[None], a[None], b[None], jnp.reshape(eps, (1,)), tol, max_iter)
    return jax.tree_util.tree_map(lambda t: t[0], r)


def sinkhorn(x, y, eps, *, a=None, b=None, tol=1e-6, max_iter: int = 10_000) -> SinkhornResult:
    r"""Entropic optimal transport between point clouds by log-domain Sinkhorn iterations.

    Solves

    .. math:: \min_{P\in\Pi(a,b)} \langle P, C\rangle + \varepsilon\,\mathrm{KL}(P\,\|\,a\otimes b),
              \qquad C_{ij} = |x_i - y_j|^2,

    by alternately fitting the row and the column marginal in the log domain. Stable at
    small ``eps`` (no kernel matrix :math:`e^{-C/\varepsilon}` is formed). Non-convergence
    within ``max_iter`` is reported (``converged = False``), not raised.

    Works under ``jit`` and ``vmap``. For many problems of the same size prefer
    :func:`sinkhorn_batch`: under ``vmap`` both the one-pass update and its log-sum-exp
    safeguard are evaluated every iteration (a batched ``cond`` becomes a ``select``), which
    costs about twice as much per problem. For derivatives use :func:`entropic_ot` (the loop
    here is a ``while_loop``, which reverse-mode differentiation cannot traverse).

    Args:
      x: source points ``[n, d]``.
      y: target points ``[m, d]``.
      eps: absolute regularisation ε > 0, in units of the cost (traced).
      a: non-negative source weights ``[n]`` (uniform by default).
      b: non-negative target weights ``[m]`` of the same total mass as ``a`` (uniform by
        default).
      tol: stop when the L1 marginal violation is at most ``tol`` (traced). The loop tests the
        violation found during the last update; ``error`` is recomputed from the returned
        plan. In float32 the marginal sums carry round-off of order 1e-6: ask for
        ``tol >= 1e-5``.
      max_iter: the most iterations (static; one iteration = an f- and a g-update).

    Returns:
      :class:`SinkhornResult` in the working dtype of ``x`` and ``y``.

    Raises:
      ValueError: if ``x``, ``y`` are not finite ``[n, d]``, ``[m, d]`` clouds in the same
        dimension, ``a`` or ``b`` is not a finite, non-negative weight per point, the total
        masses differ, or ``eps``, ``tol`` or ``max_iter`` is not positive.

    References:
      :cite:t:`cuturi2013sinkhorn`; the log-domain iteration: :cite:t:`peyre2019computational`.

    Examples:
      Two points on a line, each sent to itself (the cross cost 1 is 20 ε):

      >>> x = jnp.array([[0.0], [1.0]])
      >>> r = transport.sinkhorn(x, x, 0.05, tol=1e-5)
      >>> bool(r.converged), np.round(np.asarray(r.plan), 3).tolist()
      (True, [[0.5, 0.0], [0.0, 0.5]])
    """
    x, y, a, b, eps, tol = _prepare("sinkhorn", x, y, a, b, eps, tol, max_iter)
    return _sinkhorn_one(_cost(x, y), a, b, eps, tol, max_iter)


def sinkhorn_batch(x, y, eps, *, a=None, b=None, tol=1e-6, max_iter: int = 10_000) -> SinkhornResult:
    r""":func:`sinkhorn` for a batch of ``B`` problems of the same size, solved together.

    The loop's one-pass update and its log-sum-exp safeguard are chosen for the whole batch
    at once, so a batch costs about what its problems cost one by one, in one compiled loop; a
    converged problem is frozen while the others go on. The batch axis can be sharded over
    devices (the batch-wide tests become reductions).

    Args:
      x: source points ``[B, n, d]``.
      y: target points ``[B, m, d]``.
      eps: ε > 0, one for all problems ``[]`` or one per problem ``[B]`` (traced).
      a: source weights ``[B, n]`` (uniform by default).
      b: target weights ``[B, m]``, of the same total mass as ``a`` per problem (uniform by
        default).
      tol: as :func:`sinkhorn`, per problem.
      max_iter: as :func:`sinkhorn`, per problem (static).

    Returns:
      :class:`SinkhornResult` with a leading batch axis on every field; ``n_iter`` counts each
      problem's own iterations.

    Raises:
      ValueError: as :func:`sinkhorn`, and if ``x`` and ``y`` hold different numbers of
        problems or ``eps`` is not one value per problem.

    References:
      :cite:t:`cuturi2013sinkhorn`, :cite:t:`peyre2019computational`.

    Examples:
      Three problems with different ε; each stops at its own iteration count:

      >>> kx, ky = jax.random.split(jax.random.key(0))
      >>> x, y = jax.random.normal(kx, (3, 8, 2)), jax.random.uniform(ky, (3, 8, 2))
      >>> r = transport.sinkhorn_batch(x, y, jnp.array([0.1, 0.5, 2.0]), tol=1e-5)
      >>> r.plan.shape, bool(r.converged.all())
      ((3, 8, 8), True)
      >>> bool(r.n_iter[0] > r.n_iter[1] > r.n_iter[2])     # smaller ε, more iterations
      True
    """
    x, y, a, b, eps, tol = _prepare("sinkhorn_batch", x, y, a, b, eps, tol, max_iter,
                                    batched=True)
    eps = jnp.broadcast_to(eps, (x.shape[0],))
    return _sinkhorn_batched(jax.vmap(_cost)(x, y), a, b, eps, tol, max_iter)


def entropic_ot(x, y, eps, *, a=None, b=None, tol=1e-9, max_iter: int = 10_000):
    r"""The entropic OT value :math:`\mathrm{OT}_\varepsilon(x, y)`, differentiable in the points
    and the weights.

    The value is :func:`sinkhorn`'s ``reg_cost``. Its derivatives follow from the envelope
    theorem (Danskin), the Sinkhorn loop itself is not differentiated:

    .. math:: \partial_{x_i}\mathrm{OT}_\varepsilon = \sum_j P_{ij}\,2(x_i - y_j), \qquad
              \partial_{a_i}\mathrm{OT}_\varepsilon = f_i - \varepsilon\ln a_i

    (the latter up to an additive constant, which perturbations that keep the mass do not
    see; for a zero weight it is the c-transform :math:`-\varepsilon\ln\sum_j
    e^{(g_j - C_{ij})/\varepsilon}`). The gradient is exact at the fixed point, so converge
    tightly (``tol``) when you need accurate derivatives.

    Args:
      x: source points ``[n, d]``.
      y: target points ``[m, d]``.
      eps: absolute regularisation ε > 0 (traced; not differentiated).
      a: source weights ``[n]`` (uniform by default).
      b: target weights ``[m]`` (uniform by default).
      tol: Sinkhorn's stopping tolerance (traced).
      max_iter: the most Sinkhorn iterations (static).

    Returns:
      The scalar :math:`\mathrm{OT}_\varepsilon`, in the working dtype of ``x`` and ``y``.

    Raises:
      ValueError: as :func:`sinkhorn`.

    References:
      :cite:t:`peyre2019computational`.

    Examples:
      The gradient in ``x`` is the envelope formula with the Sinkhorn plan:

      >>> x = jnp.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
      >>> y = jnp.array([[0.5, 0.5], [1.0, 1.0]])
      >>> gx = jax.grad(lambda x: transport.entropic_ot(x, y, 0.5, tol=1e-5))(x)
      >>> P = transport.sinkhorn(x, y, 0.5, tol=1e-5).plan
      >>> bool(jnp.allclose(gx, 2 * (x * P.sum(1)[:, None] - P @ y), atol=1e-5))
      True
    """
    x, y, a, b, eps, tol = _prepare("entropic_ot", x, y, a, b, eps, tol, max_iter)
    sg = jax.lax.stop_gradient
    xs, ys, as_, bs, eps = sg(x), sg(y), sg(a), sg(b), sg(eps)
    Cs = _cost(xs, ys)
    r = _sinkhorn_one(Cs, as_, bs, eps, tol, max_iter)
    P = sg(r.plan)
    # first-order (envelope) terms: value and gradient are those of the fixed point
    dC = _cost(x, y) - sg(_cost(x, y))
    fa = jnp.where(as_ > 0, r.f - eps * _log_weights(as_),
                   -eps * logsumexp((r.g[None, :] - Cs) / eps, axis=1))
    gb = jnp.where(bs > 0, r.g - eps * _log_weights(bs),
                   -eps * logsumexp((r.f[:, None] - Cs) / eps, axis=0))
    return sg(r.reg_cost) + jnp.sum(P * dC) + jnp.sum(sg(fa) * (a - as_)) \
        + jnp.sum(sg(gb) * (b - bs))
