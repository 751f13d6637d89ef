r"""Optimal transport: entropic OT (Sinkhorn), Gaussian and 1-D closed forms, Legendre maps,
and a periodic Monge–Ampère solver.

Conventions (DESIGN §6):

* the ground cost is :math:`C_{ij} = |x_i - y_j|^2` (no ½), so the Brenier map is
  :math:`\nabla\varphi` with :math:`\varphi = |x|^2/2 + u`;
* the entropic plan is :math:`P = \operatorname{diag}(e^{f/\varepsilon})\, K\,
  \operatorname{diag}(e^{g/\varepsilon})`, :math:`K = e^{-C/\varepsilon}`, with an absolute
  :math:`\varepsilon`; the potentials ``f, g`` therefore include :math:`\varepsilon\ln a` and
  :math:`\varepsilon\ln b`;
* ``error`` is the L1 marginal violation :math:`\|P\mathbb 1 - a\|_1 + \|P^\top\mathbb 1 - b\|_1`.

Every function keeps the input dtype and works under ``jit`` and ``vmap``; a batch of OT
problems (a leading axis of ``vmap``) can be sharded over devices. Book chapter: *Optimal
transport and the Monge–Ampère equation in generative modelling*.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import numpy as np
import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from geobook import cones
from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["SinkhornResult", "sq_euclidean_cost", "sinkhorn", "sinkhorn_batch", "entropic_ot",
           "gaussian_map", "gaussian_w2", "quantile_map_1d", "LegendreMap",
           "legendre_pushforward", "MongeAmpereResult", "ma_residual", "monge_ampere_2d",
           "PeriodicMAExample", "periodic_ma_example", "grid_2d"]


# --- discrete, entropic OT ----------------------------------------------------------------
class SinkhornResult(NamedTuple):
    r"""Result of :func:`sinkhorn`.

    ``f [n]``, ``g [m]``: potentials with ``plan = exp((f_i + g_j - C_ij)/ε)``; ``plan [n, m]``;
    ``cost`` = ⟨P, C⟩ (the primal transport cost of the entropic plan); ``reg_cost`` = the
    entropic OT value ⟨P, C⟩ + ε KL(P ‖ a⊗b); ``n_iter``; ``error`` (L1 marginal violation of
    the returned plan); ``converged`` (``error <= tol``).
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
    r"""Cost matrix :math:`C_{ij} = |x_i - y_j|^2` for ``x [n, d]`` and ``y [m, d]``."""
    checks.check_ndim("sq_euclidean_cost", "x", x, 2, "[n, d]")
    checks.check_ndim("sq_euclidean_cost", "y", y, 2, "[m, d]")
    return _cost(jnp.asarray(x), jnp.asarray(y))


def _cost(x, y):
    # |x|² + |y|² − 2 x·y is one matmul; clip the rounding below zero
    c = jnp.sum(x * x, -1)[:, None] + jnp.sum(y * y, -1)[None, :] - 2.0 * (x @ y.T)
    return jnp.maximum(c, 0.0)


def _weights(fn, arg, w, n, dtype, batch=None):
    lead = () if batch is None else (batch,)
    layout = f"[{n}]" if batch is None else f"[{batch}, {n}]"
    if w is None:
        return jnp.full(lead + (n,), 1.0 / n, dtype)
    checks.check_ndim(fn, arg, w, len(lead) + 1, layout)
    if np.shape(w) != lead + (n,):
        raise ValueError(f"{fn}: `{arg}` must have one weight per point, shape {layout}; got "
                         f"shape {np.shape(w)}.")
    checks.check_finite(fn, arg, w)
    if checks.is_concrete(w) and np.any(np.asarray(w) < 0):
        checks.fail(fn, arg, "must be non-negative", w)
    return jnp.asarray(w, dtype)


def _prep_clouds(fn, x, y, a, b, batched=False):
    nd, lx, ly = (3, "[B, n, d]", "[B, m, d]") if batched else (2, "[n, d]", "[m, d]")
    checks.check_ndim(fn, "x", x, nd, lx)
    checks.check_ndim(fn, "y", y, nd, ly)
    if np.shape(x)[-1] != np.shape(y)[-1]:
        raise ValueError(f"{fn}: `x` and `y` must be point clouds in the same dimension; got "
                         f"shapes {np.shape(x)} and {np.shape(y)}.")
    if batched and np.shape(x)[0] != np.shape(y)[0]:
        raise ValueError(f"{fn}: `x` and `y` must hold the same number of problems B; got "
                         f"shapes {np.shape(x)} and {np.shape(y)}.")
    checks.check_finite(fn, "x", x)
    checks.check_finite(fn, "y", y)
    dtype = working_dtype(x, y)
    n, m = np.shape(x)[-2], np.shape(y)[-2]
    batch = np.shape(x)[0] if batched else None
    a = _weights(fn, "a", a, n, dtype, batch)
    b = _weights(fn, "b", b, m, dtype, batch)
    if checks.is_concrete(a, b):
        sa = np.atleast_1d(np.sum(np.asarray(a, np.float64), -1))
        sb = np.atleast_1d(np.sum(np.asarray(b, np.float64), -1))
        bad = (sa <= 0) | (np.abs(sa - sb) > 1e-6 * np.maximum(sa, sb))
        if np.any(bad):
            k = int(np.argmax(bad))
            where = f" (problem {k})" if batched else ""
            raise ValueError(f"{fn}: `a` and `b` must have the same positive total mass{where}; "
                             f"got sum(a) = {sa[k]!r} and sum(b) = {sb[k]!r}.")
    return jnp.asarray(x, dtype), jnp.asarray(y, dtype), a, b


def _safe_log(w):
    return jnp.where(w > 0, jnp.log(jnp.where(w > 0, w, 1.0)), -jnp.inf)


def _sinkhorn_kernel(C, a, b, eps, tol, max_iter):
    """One problem: the batched kernel with a batch of one."""
    r = _sinkhorn_batched(C[None], a[None], b[None], jnp.reshape(eps, (1,)), tol, max_iter)
    return jax.tree_util.tree_map(lambda t: t[0], r)


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
    la, lb = _safe_log(a), _safe_log(b)
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
    ent = lambda w, lw: jnp.sum(jnp.where(w > 0, w * lw, 0.0), -1)
    reg = jnp.sum(jnp.where(a > 0, a * f, 0.0), -1) + jnp.sum(jnp.where(b > 0, b * g, 0.0), -1) \
        - eps * (ent(a, la) + ent(b, lb))
    return SinkhornResult(f, g, P, cost, reg, it, err, err <= tol)


def sinkhorn(x, y, eps, *, a=None, b=None, tol=1e-6, max_iter: int = 10_000) -> SinkhornResult:
    r"""Entropic optimal transport between point clouds by log-domain Sinkhorn iterations.

    Solves :math:`\min_{P\in\Pi(a,b)} \langle P, C\rangle + \varepsilon\,\mathrm{KL}(P\,\|\,a\otimes b)`
    with :math:`C_{ij} = |x_i - y_j|^2`. Stable at small ``eps`` (no kernel matrix
    :math:`e^{-C/\varepsilon}` is formed). Non-convergence within ``max_iter`` is reported
    (``converged = False``), not raised.

    Args:
      x: ``[n, d]`` source points; y: ``[m, d]`` target points.
      eps: absolute regularisation ε > 0 (in units of the cost).
      a, b: non-negative weights ``[n]``, ``[m]`` of equal total mass (uniform by default).
      tol: stop when the L1 marginal violation is at most ``tol``. The loop tests the violation
        found during the last update; ``error`` is recomputed from the returned plan. In
        float32 the marginal sums carry round-off of order 1e-6, so ask for ``tol >= 1e-5``.
      max_iter: the most iterations (one iteration = an f- and a g-update; static).

    Returns:
      :class:`SinkhornResult`.

    For derivatives with respect to the points or weights use :func:`entropic_ot` (the loop
    here is a ``while_loop``, which reverse-mode differentiation cannot traverse).

    Works under ``jit`` and ``vmap``. For many problems of the same size prefer
    :func:`sinkhorn_batch`: under ``vmap`` both the one-pass update and its log-sum-exp
    safeguard are evaluated every iteration (a batched ``cond`` becomes a ``select``), which
    costs about twice as much per problem.
    """
    fn = "sinkhorn"
    x, y, a, b = _prep_clouds(fn, x, y, a, b)
    checks.check_positive(fn, "eps", eps)
    checks.check_positive(fn, "tol", tol)
    checks.check_int(fn, "max_iter", max_iter)
    return _sinkhorn_kernel(_cost(x, y), a, b, jnp.asarray(eps, x.dtype),
                            jnp.asarray(tol, x.dtype), max_iter)


def sinkhorn_batch(x, y, eps, *, a=None, b=None, tol=1e-6, max_iter: int = 10_000) -> SinkhornResult:
    r""":func:`sinkhorn` for a batch of ``B`` problems of the same size, solved together.

    Args:
      x: ``[B, n, d]``; y: ``[B, m, d]``.
      eps: ε > 0, one for all problems or one per problem ``[B]``.
      a, b: weights ``[B, n]``, ``[B, m]`` (uniform by default), equal mass per problem.
      tol, max_iter: as :func:`sinkhorn`, per problem.

    Returns:
      :class:`SinkhornResult` with a leading batch axis on every field; ``n_iter`` counts each
      problem's own iterations (a converged problem is frozen while the others go on).

    The loop's one-pass update and its log-sum-exp safeguard are chosen for the whole batch
    at once, so a batch costs about what its problems cost one by one, in one compiled loop;
    the batch axis can be sharded over devices (the batch-wide tests become reductions).
    """
    fn = "sinkhorn_batch"
    x, y, a, b = _prep_clouds(fn, x, y, a, b, batched=True)
    checks.check_ndim(fn, "eps", eps, (0, 1), "[] or [B]")
    if np.ndim(eps) == 1 and np.shape(eps)[0] != np.shape(x)[0]:
        checks.fail(fn, "eps", f"must have one value per problem (B = {np.shape(x)[0]})", eps)
    checks.check_positive(fn, "eps", eps)
    checks.check_positive(fn, "tol", tol)
    checks.check_int(fn, "max_iter", max_iter)
    eps = jnp.broadcast_to(jnp.asarray(eps, x.dtype), (np.shape(x)[0],))
    C = jax.vmap(_cost)(x, y)
    return _sinkhorn_batched(C, a, b, eps, jnp.asarray(tol, x.dtype), max_iter)


def entropic_ot(x, y, eps, *, a=None, b=None, tol=1e-9, max_iter: int = 10_000):
    r"""The entropic OT value :math:`\mathrm{OT}_\varepsilon(x, y)` as a differentiable function of
    the points (and weights).

    The value is :func:`sinkhorn`'s ``reg_cost``. Its gradient follows from the envelope theorem
    (Danskin): :math:`\partial_{x_i}\mathrm{OT}_\varepsilon = \sum_j P_{ij}\,2(x_i - y_j)`, and
    :math:`\partial_{a_i} = f_i - \varepsilon\ln a_i` (defined up to an additive constant, which
    perturbations that keep the mass do not see); the Sinkhorn loop itself is not
    differentiated. The gradient is exact at
    the fixed point, so converge tightly (``tol``) when you need accurate derivatives.
    """
    fn = "entropic_ot"
    x, y, a, b = _prep_clouds(fn, x, y, a, b)
    checks.check_positive(fn, "eps", eps)
    checks.check_positive(fn, "tol", tol)
    checks.check_int(fn, "max_iter", max_iter)
    sg = jax.lax.stop_gradient
    eps = jnp.asarray(eps, x.dtype)
    xs, ys, as_, bs = sg(x), sg(y), sg(a), sg(b)
    r = _sinkhorn_kernel(_cost(xs, ys), as_, bs, sg(eps), jnp.asarray(tol, x.dtype), max_iter)
    P = sg(r.plan)
    # first-order (envelope) terms: value and gradient are those of the fixed point
    dC = _cost(x, y) - sg(_cost(x, y))
    fa = sg(r.f - eps * _safe_log(as_))
    gb = sg(r.g - eps * _safe_log(bs))
    return sg(r.reg_cost) + jnp.sum(P * dC) + jnp.sum(fa * (a - as_)) + jnp.sum(gb * (b - bs))


# --- closed forms -------------------------------------------------------------------------
def _prep_gaussians(fn, m0, S0, m1, S1):
    for name, S in (("S0", S0), ("S1", S1)):
        checks.check_spd(fn, name, S)
    for name, m in (("m0", m0), ("m1", m1)):
        checks.check_finite(fn, name, m)
        if np.ndim(m) < 1:
            raise ValueError(f"{fn}: `{name}` must be a mean vector [..., d]; got shape "
                             f"{np.shape(m)}.")
    d = np.shape(S0)[-1]
    for name, v in (("m0", m0), ("m1", m1), ("S1", S1)):
        if np.shape(v)[-1] != d:
            raise ValueError(f"{fn}: `{name}` must be in dimension d = {d} (that of `S0`); got "
                             f"shape {np.shape(v)}.")
    dtype = working_dtype(m0, S0, m1, S1)
    return tuple(jnp.asarray(v, dtype) for v in (m0, S0, m1, S1))


def gaussian_map(m0, S0, m1, S1):
    r"""The SPD matrix ``A`` of the Brenier map :math:`x \mapsto m_1 + A(x - m_0)` from
    :math:`N(m_0, \Sigma_0)` to :math:`N(m_1, \Sigma_1)`:

    .. math:: A = \Sigma_0^{-1/2}(\Sigma_0^{1/2}\Sigma_1\Sigma_0^{1/2})^{1/2}\Sigma_0^{-1/2}
              = \Sigma_0^{-1} \# \Sigma_1,

    the unique SPD solution of :math:`A\Sigma_0A = \Sigma_1`. Batched over leading axes.
    (The means are validated for shape; ``A`` does not depend on them.)
    """
    m0, S0, m1, S1 = _prep_gaussians("gaussian_map", m0, S0, m1, S1)
    R = cones.eig_apply(S0, jnp.sqrt)
    Ri = cones.eig_apply(S0, jax.lax.rsqrt)
    return cones.sym(Ri @ cones.eig_apply(cones.sym(R @ S1 @ R), jnp.sqrt) @ Ri)


def gaussian_w2(m0, S0, m1, S1):
    r"""Squared 2-Wasserstein distance between Gaussians (batched over leading axes):

    .. math:: W_2^2 = |m_0 - m_1|^2 + \operatorname{tr}\Sigma_0 + \operatorname{tr}\Sigma_1
              - 2\operatorname{tr}(\Sigma_0^{1/2}\Sigma_1\Sigma_0^{1/2})^{1/2}.
    """
    m0, S0, m1, S1 = _prep_gaussians("gaussian_w2", m0, S0, m1, S1)
    R = cones.eig_apply(S0, jnp.sqrt)
    lam = jnp.linalg.eigvalsh(cones.sym(R @ S1 @ R))
    cross = jnp.sum(jnp.sqrt(jnp.maximum(lam, 0.0)), -1)
    tr = jnp.trace(S0, axis1=-2, axis2=-1) + jnp.trace(S1, axis1=-2, axis2=-1)
    return jnp.maximum(jnp.sum((m0 - m1) ** 2, -1) + tr - 2.0 * cross, 0.0)


def quantile_map_1d(t, x, y):
    r"""The monotone (optimal) map :math:`F_y^{-1}\circ F_x` between two 1-D samples, at ``t``.

    :math:`F_x` and :math:`F_y^{-1}` are the piecewise-linear interpolants of the empirical CDF
    and quantile function with plotting positions :math:`(i + \tfrac12)/n`, so the map sends
    the ``i``-th smallest ``x`` to the ``i``-th smallest ``y`` when the samples are equally
    large, is non-decreasing, and is constant beyond the extreme samples.

    Args:
      t: points ``[...]`` at which to evaluate the map; x: samples ``[n]`` (n ≥ 2);
      y: samples ``[m]`` (m ≥ 2).
    """
    fn = "quantile_map_1d"
    checks.check_ndim(fn, "x", x, 1, "[n]")
    checks.check_ndim(fn, "y", y, 1, "[m]")
    for name, v in (("x", x), ("y", y)):
        if np.shape(v)[0] < 2:
            raise ValueError(f"{fn}: `{name}` needs at least 2 samples; got shape {np.shape(v)}.")
        checks.check_finite(fn, name, v)
    checks.check_finite(fn, "t", t)
    dtype = working_dtype(t, x, y)
    t, xs, ys = jnp.asarray(t, dtype), jnp.sort(jnp.asarray(x, dtype)), jnp.sort(jnp.asarray(y, dtype))
    n, m = xs.shape[0], ys.shape[0]
    u = jnp.interp(t, xs, (jnp.arange(n, dtype=dtype) + 0.5) / n)
    return jnp.interp(u, (jnp.arange(m, dtype=dtype) + 0.5) / m, ys)


class LegendreMap(NamedTuple):
    r"""``mu = ∇ψ(θ)`` ``[..., k]``, ``log_det = ln det ∇²ψ(θ)`` ``[...]``, and ``log_density``
    of the pushforward at ``mu`` (``None`` when no source density was given)."""
    mu: jax.Array
    log_det: jax.Array
    log_density: jax.Array | None


def legendre_pushforward(psi: Callable, theta, log_density0=None) -> LegendreMap:
    r"""The Legendre map :math:`\theta\mapsto\mu = \nabla\psi(\theta)` of a convex log-partition
    ``psi`` as a transport map.

    Because :math:`\nabla\psi` is the gradient of a convex function it is, by Brenier's theorem,
    the optimal (quadratic-cost) map from any absolutely continuous law :math:`\mu_0` on the
    natural parameters to :math:`\nu = (\nabla\psi)_\#\mu_0`, and the change of variables
    (the Monge–Ampère equation) gives
    :math:`\ln\nu(\nabla\psi(\theta)) = \ln\mu_0(\theta) - \ln\det\nabla^2\psi(\theta)`.

    Args:
      psi: convex function of one parameter vector ``[k]`` (a scalar), e.g. a log-partition.
      theta: parameters ``[..., k]`` (leading axes are a batch).
      log_density0: optional function of ``[k]`` giving :math:`\ln\mu_0(\theta)`.
    """
    fn = "legendre_pushforward"
    if not callable(psi):
        checks.fail(fn, "psi", "must be a callable psi(theta[k]) -> scalar", psi)
    if log_density0 is not None and not callable(log_density0):
        checks.fail(fn, "log_density0", "must be a callable or None", log_density0)
    checks.check_ndim(fn, "theta", theta, tuple(range(1, 8)), "[..., k]")
    checks.check_finite(fn, "theta", theta)
    return _legendre_kernel(psi, jnp.asarray(theta, working_dtype(theta)), log_density0)


@partial(jax.jit, static_argnames=("psi", "log_density0"))
def _legendre_kernel(psi, theta, log_density0):
    batch = theta.shape[:-1]
    th = theta.reshape(-1, theta.shape[-1])
    mu = jax.vmap(jax.grad(psi))(th)
    sign, log_det = jnp.linalg.slogdet(jax.vmap(jax.hessian(psi))(th))
    log_det = jnp.where(sign > 0, log_det, jnp.nan)   # psi not strictly convex there
    logd = None
    if log_density0 is not None:
        logd = (jax.vmap(log_density0)(th) - log_det).reshape(batch)
    return LegendreMap(mu.reshape(theta.shape), log_det.reshape(batch), logd)


# --- periodic Monge–Ampère -----------------------------------------------------------------
class MongeAmpereResult(NamedTuple):
    r"""Result of :func:`monge_ampere_2d`: the periodic part ``u [n, n]`` of the potential
    (mean zero), the compatibility constant ``c`` (1 + O(h²); see the solver), the grid ``x``
    ``[n, n, 2]``, ``n_iter`` Newton steps, ``error`` = max |residual|, and ``converged``."""
    u: jax.Array
    c: jax.Array
    x: jax.Array
    n_iter: jax.Array
    error: jax.Array
    converged: jax.Array


def grid_2d(n: int, L=1.0, dtype=None):
    """The periodic grid ``[n, n, 2]`` of points ``(i, j) L / n`` used by the Monge–Ampère solver."""
    checks.check_int("grid_2d", "n", n)
    checks.check_positive("grid_2d", "L", L)
    return _grid(n, L, dtype or working_dtype())


def _grid(n, L, dtype):
    s = jnp.arange(n, dtype=dtype) * (L / n)
    X, Y = jnp.meshgrid(s, s, indexing="ij")
    return jnp.stack([X, Y], -1)


def _fd(u, h):
    """Centred second-order differences on a periodic grid: (u_x, u_y, u_xx, u_yy, u_xy)."""
    r = lambda k, ax: jnp.roll(u, -k, axis=ax)
    ux = (r(1, 0) - r(-1, 0)) / (2 * h)
    uy = (r(1, 1) - r(-1, 1)) / (2 * h)
    uxx = (r(1, 0) - 2 * u + r(-1, 0)) / h**2
    uyy = (r(1, 1) - 2 * u + r(-1, 1)) / h**2
    up = jnp.roll(u, -1, 0)
    um = jnp.roll(u, 1, 0)
    uxy = (jnp.roll(up, -1, 1) - jnp.roll(up, 1, 1) - jnp.roll(um, -1, 1) + jnp.roll(um, 1, 1)) / (4 * h**2)
    return ux, uy, uxx, uyy, uxy


def _ma_operator(u, c, rho0, rho1, X, h):
    ux, uy, uxx, uyy, uxy = _fd(u, h)
    det = (1 + uxx) * (1 + uyy) - uxy**2
    T = X + jnp.stack([ux, uy], -1)
    return det - c * rho0 / rho1(T)


def ma_residual(u, rho0, rho1, *, L=1.0, c=1.0):
    r"""Residual :math:`\det(I + D_h^2u) - c\,\rho_0(x)/\rho_1(x + \nabla_h u)` on the periodic
    ``n × n`` grid :math:`x_{ij} = (i, j)L/n`, with centred second-order differences.

    ``u`` ``[n, n]`` is the periodic part of the Brenier potential :math:`|x|^2/2 + u`;
    ``rho0`` is a callable of points ``[..., 2]`` (or its values ``[n, n]`` on the grid);
    ``rho1`` a callable of points ``[..., 2]`` (it is evaluated at the moved points).
    """
    fn = "ma_residual"
    checks.check_ndim(fn, "u", u, 2, "[n, n]")
    checks.check_square(fn, "u", u)
    checks.check_finite(fn, "u", u)
    checks.check_positive(fn, "L", L)
    if not callable(rho1):
        checks.fail(fn, "rho1", "must be a callable of points [..., 2]", rho1)
    u = jnp.asarray(u, working_dtype(u))
    n = u.shape[0]
    X = _grid(n, L, u.dtype)
    r0 = rho0(X) if callable(rho0) else jnp.asarray(rho0, u.dtype)
    if np.shape(r0) != (n, n):
        raise ValueError(f"{fn}: `rho0` must give values [n, n] = {(n, n)} on the grid; got "
                         f"shape {np.shape(r0)}.")
    return _ma_operator(u, jnp.asarray(c, u.dtype), r0, rho1, X, L / n)


def _check_density(fn, arg, rho, X, L):
    if not callable(rho):
        checks.fail(fn, arg, "must be a callable of points [..., 2] (an L-periodic density)", rho)
    v = np.asarray(rho(X))
    if v.shape != X.shape[:-1]:
        raise ValueError(f"{fn}: `{arg}` must map points [..., 2] to values [...]; got shape "
                         f"{v.shape} for points of shape {X.shape}.")
    if not np.all(np.isfinite(v)) or np.min(v) <= 0:
        checks.fail(fn, arg, "must be finite and > 0 on the grid", f"minimum {np.nanmin(v):.3e}")
    scale = float(np.max(np.abs(v)))
    for k in range(2):
        shift = np.zeros(2, dtype=v.dtype)
        shift[k] = L
        w = np.asarray(rho(X + shift))
        gap = float(np.max(np.abs(w - v))) / scale
        if gap > 1e-6:
            checks.fail(fn, arg, f"must be L-periodic (L = {L}) in both coordinates",
                        f"relative change {gap:.2e} under a shift by L along axis {k}")
    return v


def monge_ampere_2d(rho0, rho1, *, n: int = 64, L=1.0, tol=1e-10, max_iter: int = 30,
                    lin_tol=1e-12, u0=None) -> MongeAmpereResult:
    r"""Solve the periodic Monge–Ampère equation of optimal transport on the torus
    :math:`[0, L)^2` by damped Newton iterations with FFT-preconditioned BiCGSTAB.

    Finds the periodic ``u`` (mean zero) such that :math:`\nabla\varphi = x + \nabla u` with
    :math:`\varphi = |x|^2/2 + u` pushes :math:`\rho_0` onto :math:`\rho_1`:

    .. math:: \det(I + D_h^2 u) = c\,\frac{\rho_0(x)}{\rho_1(x + \nabla_h u)},

    discretised with centred second-order differences on an ``n × n`` grid (second-order
    accurate). The discrete equations are one more than the free unknowns (constants are in
    the kernel), so a scalar ``c`` is solved for as well: it absorbs the O(h²) discrete mass
    mismatch and tends to 1 under refinement. Each Newton step solves the linearisation
    :math:`\operatorname{cof}(I + D^2u):D^2v - c\,\rho_0\nabla\rho_1^{-1}\cdot\nabla v - \rho_0/\rho_1\,\delta c`
    (a Jacobian–vector product) by BiCGSTAB preconditioned with the inverse discrete Laplacian
    (FFT), and halves the step until the potential stays convex and the residual falls.

    Args:
      rho0, rho1: L-periodic, positive densities, callables of points ``[..., 2]`` of equal
        mass on the torus.
      n: grid points per side (even, ≥ 8; static). L: the period.
      tol: stop when max |residual| ≤ tol. max_iter: the most Newton steps (static).
      lin_tol: relative tolerance of the inner linear solves.
      u0: optional starting guess ``[n, n]`` (default 0: the identity map).

    Returns:
      :class:`MongeAmpereResult`. Non-convergence is reported (``converged = False``).
    """
    fn = "monge_ampere_2d"
    checks.check_int(fn, "n", n, minimum=8)
    if n % 2:
        checks.fail(fn, "n", "must be even", n)
    checks.check_positive(fn, "L", L)
    checks.check_positive(fn, "tol", tol)
    checks.check_positive(fn, "lin_tol", lin_tol)
    checks.check_int(fn, "max_iter", max_iter)
    dtype = working_dtype() if u0 is None else working_dtype(u0)
    X = _grid(n, L, dtype)
    r0 = _check_density(fn, "rho0", rho0, X, L)
    r1 = _check_density(fn, "rho1", rho1, X, L)
    m0, m1 = float(np.mean(r0)), float(np.mean(r1))
    if abs(m0 - m1) > 1e-3 * max(m0, m1):
        raise ValueError(f"{fn}: `rho0` and `rho1` must have equal mass on the torus; got "
                         f"means {m0:.6g} and {m1:.6g} on the grid.")
    if u0 is not None:
        checks.check_finite(fn, "u0", u0)
        if np.shape(u0) != (n, n):
            raise ValueError(f"{fn}: `u0` must have shape {(n, n)}; got {np.shape(u0)}.")
    u0 = jnp.zeros((n, n), dtype) if u0 is None else jnp.asarray(u0, dtype)
    return _ma_newton(jnp.asarray(r0, dtype), rho1, X, u0, jnp.asarray(L, dtype),
                      jnp.asarray(tol, dtype), jnp.asarray(lin_tol, dtype), max_iter)


@partial(jax.jit, static_argnames=("rho1", "max_iter"))
def _ma_newton(r0, rho1, X, u0, L, tol, lin_tol, max_iter):
    n = u0.shape[0]
    h = L / n
    dtype = u0.dtype
    # symbol of the discrete Laplacian (centred 3-point differences), inverted off the mean
    k = jnp.fft.fftfreq(n, d=1.0 / n).astype(dtype)
    s = (2 * jnp.cos(2 * jnp.pi * k / n) - 2) / h**2
    lap = s[:, None] + s[None, :]
    lap_inv = jnp.where(lap == 0, 0.0, 1.0 / jnp.where(lap == 0, 1.0, lap))
    poisson = lambda r: jnp.real(jnp.fft.ifft2(jnp.fft.fft2(r) * lap_inv)).astype(dtype)

    def merit(u, c):
        """max |F| and whether I + D²u is positive definite (one pass of differences)."""
        ux, uy, uxx, uyy, uxy = _fd(u, h)
        det = (1 + uxx) * (1 + uyy) - uxy**2
        res = det - c * r0 / rho1(X + jnp.stack([ux, uy], -1))
        return jnp.max(jnp.abs(res)), jnp.all((1 + uxx > 0) & (det > 0))

    def newton(state):
        u, c, res, it = state
        # the Jacobian as a variable-coefficient stencil, coefficients formed once per step:
        # dF = (1+u_yy) v_xx + (1+u_xx) v_yy - 2 u_xy v_xy + c rho0 grad(rho1)/rho1^2 . grad v
        #      - rho0/rho1 dc
        ux, uy, uxx, uyy, uxy = _fd(u, h)
        T = X + jnp.stack([ux, uy], -1)
        r1 = rho1(T)
        e = jnp.eye(2, dtype=dtype)
        d1 = [jax.jvp(rho1, (T,), (jnp.broadcast_to(e[k], T.shape),))[1] for k in range(2)]
        w = c * r0 / r1**2
        bx, by = w * d1[0], w * d1[1]
        jc = -r0 / r1
        Fu = (1 + uxx) * (1 + uyy) - uxy**2 - c * r0 / r1

        def A(z):
            v, dc = z
            vx, vy, vxx, vyy, vxy = _fd(v, h)
            Jv = (1 + uyy) * vxx + (1 + uxx) * vyy - 2 * uxy * vxy + bx * vx + by * vy + jc * dc
            return Jv, jnp.mean(v)

        def M(z):   # approximate inverse: the constant mode fixes dc, the rest a Laplacian solve
            r, _ = z
            dc = jnp.mean(r) / jnp.mean(jc)
            return poisson(r - jc * dc), dc

        (v, dc), _ = jax.scipy.sparse.linalg.bicgstab(
            A, (-Fu, jnp.zeros((), dtype)), x0=(jnp.zeros_like(u), jnp.zeros((), dtype)),
            M=M, tol=lin_tol, atol=0.0, maxiter=200)

        def bad(t):
            r, ok = merit(u + t * v, c + t * dc)
            return ~(ok & (r < (1 - 0.25 * t) * res)) & (t > 1.0 / 256)

        t = jax.lax.while_loop(bad, lambda t: t / 2, jnp.asarray(1.0, dtype))
        un, cn = u + t * v, c + t * dc
        un = un - jnp.mean(un)
        return un, cn, merit(un, cn)[0], it + 1

    def cond(state):
        _, _, res, it = state
        return (res > tol) & (it < max_iter)

    c0 = jnp.asarray(1.0, dtype)
    u0 = u0 - jnp.mean(u0)
    state = (u0, c0, merit(u0, c0)[0], jnp.asarray(0, jnp.int32))
    u, c, res, it = jax.lax.while_loop(cond, newton, state)
    return MongeAmpereResult(u, c, X, it, res, res <= tol)


class PeriodicMAExample(NamedTuple):
    """A manufactured periodic Monge–Ampère problem on the unit torus: densities ``rho0``,
    ``rho1`` and the exact periodic potential ``u`` (callables of points ``[..., 2]``)."""
    rho0: Callable
    rho1: Callable
    u: Callable


def periodic_ma_example(amplitude=0.25, contrast=0.3) -> PeriodicMAExample:
    r"""A smooth manufactured solution of the periodic Monge–Ampère equation on :math:`[0,1)^2`.

    :math:`u(x) = \frac{a}{4\pi^2}\,[\sin 2\pi x_1\cos 2\pi x_2 + \tfrac12\cos 2\pi(x_1+x_2)]`,
    :math:`\rho_1(y) = 1 + c\cos 2\pi y_1\sin 2\pi y_2`, and
    :math:`\rho_0 = \det(I + D^2u)\,\rho_1(x + \nabla u)` (derivatives in closed form, exact
    to round-off), so :math:`x\mapsto x + \nabla u` is the Brenier map from :math:`\rho_0` to
    :math:`\rho_1`. Needs ``amplitude < 2/3`` (convexity of :math:`|x|^2/2 + u`) and
    ``0 <= contrast < 1``.
    """
    fn = "periodic_ma_example"
    checks.check_positive(fn, "amplitude", amplitude)
    if float(amplitude) >= 2.0 / 3.0:
        checks.fail(fn, "amplitude", "must be < 2/3 (else |x|^2/2 + u is not convex)", amplitude)
    checks.check_positive(fn, "contrast", contrast, allow_zero=True)
    if float(contrast) >= 1.0:
        checks.fail(fn, "contrast", "must be < 1 (else rho1 is not positive)", contrast)
    tw = 2 * np.pi
    a, c = float(amplitude), float(contrast)

    @jax.jit
    def u(p):
        x, y = p[..., 0], p[..., 1]
        return a * (jnp.sin(tw * x) * jnp.cos(tw * y) + 0.5 * jnp.cos(tw * (x + y))) / tw**2

    @jax.jit
    def rho1(p):
        return 1 + c * jnp.cos(tw * p[..., 0]) * jnp.sin(tw * p[..., 1])

    @jax.jit
    def rho0(p):   # derivatives of u in closed form (the tests check them against autodiff)
        x, y = tw * p[..., 0], tw * p[..., 1]
        sx, cx, sy, cy = jnp.sin(x), jnp.cos(x), jnp.sin(y), jnp.cos(y)
        sxy, cxy = jnp.sin(x + y), jnp.cos(x + y)
        ux = a * (cx * cy - 0.5 * sxy) / tw
        uy = a * (-sx * sy - 0.5 * sxy) / tw
        uxx = -a * (sx * cy + 0.5 * cxy)
        uyy = -a * (sx * cy + 0.5 * cxy)
        uxy = a * (-cx * sy - 0.5 * cxy)
        det = (1 + uxx) * (1 + uyy) - uxy**2
        return det * rho1(jnp.stack([p[..., 0] + ux, p[..., 1] + uy], -1))

    return PeriodicMAExample(rho0, rho1, u)
