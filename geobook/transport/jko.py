r"""The JKO scheme in one dimension, in quantile coordinates: one step, a flow, its free
energy, and the Wasserstein distance between quantile functions.

A law on the line is represented by its quantile function :math:`Q` on the uniform grid
:math:`s_j = j/n`, :math:`j = 0, \dots, n`: the nodes :math:`x_j = Q(s_j)` are strictly
increasing and :math:`Q` is linear in between, i.e. the density is piecewise constant,
:math:`p = 1/(n\,(x_j - x_{j-1}))` on :math:`[x_{j-1}, x_j]` (mass :math:`1/n` per cell) and
zero outside :math:`[x_0, x_n]`. In these coordinates every ingredient of the JKO step
:cite:p:`jordan1998variational`

.. math:: p_{k+1} = \arg\min_p\ \frac{W_2^2(p, p_k)}{2\tau} + F[p],\qquad
          F[p] = \int H\,p + T\int p\ln p,

is explicit: :math:`W_2^2(p, q) = \int_0^1 (Q_p - Q_q)^2\,ds` (exact for piecewise-linear
quantile functions: :math:`\tfrac1{3n}\sum_j (d_{j-1}^2 + d_{j-1}d_j + d_j^2)`,
:math:`d = x - y`), the entropy is :math:`\int p\ln p = -\int_0^1 \ln Q'(s)\,ds
= -\tfrac1n\sum_j\ln\big(n(x_j - x_{j-1})\big)` (exact), and the potential energy
:math:`\int_0^1 H(Q(s))\,ds` is integrated by 3-point Gauss–Legendre quadrature on each cell
(exact for polynomial :math:`H` of degree <= 5). The step is then a finite-dimensional
minimisation over the cone of increasing vectors, strictly convex when
:math:`\tau\,\sup(-H'') < 1` (the quadratic term dominates the potential's concavity; the
entropy is convex), solved by Newton's method with a tridiagonal Hessian.

Exact properties of the discretisation (used by the tests and the book), as for the
continuous scheme: the mean :math:`\bar x = \int_0^1 Q\,ds` takes the implicit Euler step
:math:`(\bar x_{k+1} - \bar x_k)/\tau = -\int_0^1 H'(Q_{k+1})\,ds`, and the virial identity
:math:`\int_0^1 (Q_{k+1} - Q_k)\,Q_{k+1}\,ds/\tau = -\int_0^1 H'(Q_{k+1})\,Q_{k+1}\,ds + T`
holds (the integrals of :math:`H'` by the same quadrature); for :math:`H = aq^2/2` the affine
images :math:`m + \sigma\zeta` of the scheme's fixed point :math:`\zeta` at :math:`a = T = 1`
are mapped to affine images, with :math:`(m, \sigma)` following the closed-form Gaussian JKO
step. Book chapter: *Optimal transport and the Monge–Ampère equation in generative
modelling*.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np
import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["JKOStep", "JKOFlow", "Quantiles", "jko_step_1d", "jko_flow_1d",
           "jko_free_energy_1d", "quantile_w2_1d", "density_quantiles_1d",
           "quantiles_from_density_1d"]

# 3-point Gauss–Legendre rule on [0, 1]: exact for polynomials of degree <= 5
_GX = np.array([0.5 - np.sqrt(15) / 10, 0.5, 0.5 + np.sqrt(15) / 10])
_GW = np.array([5.0, 8.0, 5.0]) / 18


class JKOStep(NamedTuple):
    r"""Result of :func:`jko_step_1d`.

    Attributes:
      x: the quantile nodes of :math:`p_{k+1}`, ``[n + 1]``, strictly increasing.
      n_iter: Newton steps taken.
      error: the largest residual of the discrete Euler–Lagrange equation at ``x``,
        :math:`n\,\max_j|\partial_{x_j}G|` (:math:`G` the JKO objective; in units of a
        velocity, :math:`(x - y)/\tau + \partial_x(H + T\ln p)` at interior nodes).
      converged: ``error <= tol``.

    Examples:
      >>> x0 = jnp.linspace(-1.0, 1.0, 11)
      >>> r = transport.jko_step_1d(x0, lambda q: 0.5 * q**2, tau=0.1, T=0.5)
      >>> r.x.shape, bool(r.converged)
      ((11,), True)
    """
    x: jax.Array
    n_iter: jax.Array
    error: jax.Array
    converged: jax.Array


class JKOFlow(NamedTuple):
    r"""Result of :func:`jko_flow_1d`.

    Attributes:
      x: the quantile nodes after the last step, ``[n + 1]``.
      path: the nodes after every step, ``[n_steps + 1, n + 1]``, the initial nodes first.
      t: the times :math:`k\tau` of the rows of ``path``, ``[n_steps + 1]``.
      n_iter: Newton steps taken in each JKO step, ``[n_steps]``.
      error: the Euler–Lagrange residual after each step (see :class:`JKOStep`),
        ``[n_steps]``.
      converged: ``error <= tol`` for each step, ``[n_steps]``.

    Examples:
      >>> x0 = jnp.linspace(-1.0, 1.0, 11)
      >>> r = transport.jko_flow_1d(x0, lambda q: 0.5 * q**2, tau=0.1, T=0.5, n_steps=4)
      >>> r.path.shape, r.t.shape, bool(r.converged.all())
      ((5, 11), (5,), True)
    """
    x: jax.Array
    path: jax.Array
    t: jax.Array
    n_iter: jax.Array
    error: jax.Array
    converged: jax.Array


# ------------------------------------------------------------------------------------------
# kernels
# ------------------------------------------------------------------------------------------
def _nodes(x, dtype):
    """The quadrature points ``[n, 3]`` of every cell and the rule as arrays."""
    gx, gw = jnp.asarray(_GX, dtype), jnp.asarray(_GW, dtype)
    return x[:-1, None] * (1 - gx) + x[1:, None] * gx, gx, gw


def _energy(x, T, args, H):
    """F in quantile form: potential (Gauss quadrature) + T × entropy (exact)."""
    n = x.shape[0] - 1
    u, _, gw = _nodes(x, x.dtype)
    pot = jnp.sum(H(u, *args) * gw) / n
    ent = -jnp.sum(jnp.log(n * jnp.diff(x))) / n
    return pot + T * ent


def _w2(x, y):
    """∫(Q_x − Q_y)² ds for piecewise-linear quantiles on the same uniform grid (exact)."""
    n = x.shape[0] - 1
    d = x - y
    a, b = d[:-1], d[1:]
    return jnp.sum(a * a + a * b + b * b) / (3 * n)


def _grad_hess(x, y, tau, T, args, H):
    """Gradient and tridiagonal Hessian (diagonal, off-diagonal) of the JKO objective."""
    n = x.shape[0] - 1
    dtype = x.dtype
    u, gx, gw = _nodes(x, dtype)
    f = lambda v: H(v, *args)
    one = jnp.ones_like(u)
    h1 = jax.jvp(f, (u,), (one,))[1]                                   # H'(u), elementwise
    h2 = jax.jvp(lambda v: jax.jvp(f, (v,), (one,))[1], (u,), (one,))[1]   # H''(u)
    gaps = jnp.diff(x)
    d = x - y
    a, b = d[:-1], d[1:]
    c = 1.0 / (6 * n * tau)
    zero = jnp.zeros((1,), dtype)
    left = c * (2 * a + b) + jnp.sum(gw * (1 - gx) * h1, 1) / n + T / (n * gaps)
    right = c * (a + 2 * b) + jnp.sum(gw * gx * h1, 1) / n - T / (n * gaps)
    g = jnp.concatenate([left, zero]) + jnp.concatenate([zero, right])
    e = T / (n * gaps**2)
    hl = 2 * c + jnp.sum(gw * (1 - gx) ** 2 * h2, 1) / n + e
    hr = 2 * c + jnp.sum(gw * gx**2 * h2, 1) / n + e
    diag = jnp.concatenate([hl, zero]) + jnp.concatenate([zero, hr])
    off = c + jnp.sum(gw * gx * (1 - gx) * h2, 1) / n - e
    return g, diag, off


def _newton(y, tau, T, tol, args, H, max_iter):
    """Minimise W²(x, y)/(2τ) + F(x) over increasing x, starting at x = y."""
    n = y.shape[0] - 1
    dtype = y.dtype
    eps = jnp.finfo(dtype).eps
    G = lambda x: _w2(x, y) / (2 * tau) + _energy(x, T, args, H)

    def residual(g):
        return n * jnp.max(jnp.abs(g))

    def body(state):
        x, Gx, g, _, it = state
        _, diag, off = _grad_hess(x, y, tau, T, args, H)
        zero = jnp.zeros((1,), dtype)
        step = -jax.lax.linalg.tridiagonal_solve(jnp.concatenate([zero, off]), diag,
                                                 jnp.concatenate([off, zero]),
                                                 g[:, None])[:, 0]
        slope = jnp.dot(g, step)
        # not a descent direction (an indefinite Hessian): fall back to a scaled gradient
        bad = ~(slope < 0) | ~jnp.all(jnp.isfinite(step))
        step = jnp.where(bad, -g / jnp.maximum(jnp.abs(diag), eps), step)
        slope = jnp.dot(g, step)
        # the largest step that keeps the nodes increasing, then Armijo backtracking
        dg, gaps = jnp.diff(step), jnp.diff(x)
        a_max = jnp.min(jnp.where(dg < 0, -gaps / jnp.where(dg < 0, dg, -1.0), jnp.inf))
        a0 = jnp.minimum(1.0, 0.9 * a_max).astype(dtype)
        slack = 10 * eps * (jnp.abs(Gx) + 1)
        err = residual(g)

        def shrink(a):
            # Armijo on G; near the minimiser G stalls at round-off, where a step that
            # halves the residual is accepted instead
            xa = x + a * step
            armijo = G(xa) <= Gx + 1e-4 * a * slope + slack
            newton = residual(_grad_hess(xa, y, tau, T, args, H)[0]) <= 0.5 * err
            return ~(armijo | newton) & (a > 1e-12)

        alpha = jax.lax.while_loop(shrink, lambda a: a / 2, a0)
        xn = x + alpha * step
        gn = _grad_hess(xn, y, tau, T, args, H)[0]
        return xn, G(xn), gn, residual(gn), it + 1

    def cond(state):
        return (state[3] > tol) & (state[4] < max_iter)

    g0 = _grad_hess(y, y, tau, T, args, H)[0]
    state = (y, G(y), g0, residual(g0), jnp.asarray(0, jnp.int32))
    x, _, _, err, it = jax.lax.while_loop(cond, body, state)
    return x, it, err


@partial(jax.jit, static_argnames=("H", "max_iter"))
def _step_kernel(y, tau, T, tol, args, *, H, max_iter):
    x, it, err = _newton(y, tau, T, tol, args, H, max_iter)
    return JKOStep(x, it, err, err <= tol)


@partial(jax.jit, static_argnames=("H", "n_steps", "max_iter"))
def _flow_kernel(x0, tau, T, tol, args, *, H, n_steps, max_iter):
    def one(y, _):
        x, it, err = _newton(y, tau, T, tol, args, H, max_iter)
        return x, (x, it, err)

    x, (xs, its, errs) = jax.lax.scan(one, x0, None, length=n_steps)
    path = jnp.concatenate([x0[None], xs])
    t = tau * jnp.arange(n_steps + 1, dtype=x0.dtype)
    return JKOFlow(x, path, t, its, errs, errs <= tol)


_energy_kernel = jax.jit(_energy, static_argnames=("H",))


@jax.jit
def _w2_kernel(x, y, sx, sy):
    s = jnp.sort(jnp.concatenate([sx, sy]))          # both quantiles are linear in between
    d = jnp.interp(s, sx, x) - jnp.interp(s, sy, y)
    a, b = d[:-1], d[1:]
    return jnp.sum(jnp.diff(s) * (a * a + a * b + b * b)) / 3


@partial(jax.jit, static_argnames=("n",))
def _quantiles_kernel(p, x, *, n):
    dx = x[1] - x[0]
    edges = jnp.concatenate([x - dx / 2, x[-1:] + dx / 2])
    m = p / jnp.sum(p)
    C = jnp.concatenate([jnp.zeros((1,), p.dtype), jnp.cumsum(m)])
    C = C.at[-1].set(1.0)
    s = jnp.arange(n + 1, dtype=p.dtype) / n
    # the cell holding quantile s: the first with C[k+1] >= s (> 0 for s = 0, so m_k > 0)
    k = jnp.where(s > 0, jnp.searchsorted(C[1:], s, side="left"),
                  jnp.searchsorted(C[1:], 0.0, side="right"))
    k = jnp.clip(k, 0, p.shape[0] - 1)
    frac = jnp.clip((s - C[k]) / jnp.where(m[k] > 0, m[k], 1.0), 0.0, 1.0)
    return edges[k] + frac * dx


# ------------------------------------------------------------------------------------------
# public functions
# ------------------------------------------------------------------------------------------
def _check_nodes(fn, arg, x):
    checks.check_increasing(fn, arg, x, min_points=3)


def _tol(fn, tol, dtype):
    if tol is None:
        return 1e-8 if jnp.dtype(dtype) == jnp.float64 else 1e-3
    checks.check_positive(fn, "tol", tol)
    return tol


def _check_H(fn, H, x, dtype, args):
    checks.check_args(fn, args)
    checks.check_callable(fn, "H", H, signature="H(q, *args), elementwise")
    n = np.shape(x)[0] - 1
    checks.output_shape(fn, "H", H, (n, 3), dtype, (n, 3), args=args,
                        layout="the same shape (H acts elementwise)")


def _check_jko(fn, name, x, H, tau, T, tol, max_iter, args):
    """The checks shared by the JKO entry points; returns the working dtype and tolerance."""
    _check_nodes(fn, name, x)
    checks.check_positive(fn, "tau", tau)
    checks.check_positive(fn, "T", T)
    checks.check_int(fn, "max_iter", max_iter)
    dtype = working_dtype(x)
    tol = _tol(fn, tol, dtype)
    _check_H(fn, H, x, dtype, args)
    return dtype, tol


def jko_step_1d(x, H, *, tau, T, args: tuple = (), tol=None, max_iter: int = 50) -> JKOStep:
    r"""One JKO step in one dimension, in quantile coordinates.

    Given the law :math:`p_k` by its quantile nodes ``x`` (:math:`x_j = Q_k(j/n)`, see
    :mod:`geobook.transport.jko`), returns the nodes of

    .. math:: p_{k+1} = \arg\min_p\ \frac{1}{2\tau}\int_0^1 (Q_p - Q_k)^2\,ds
              + \int_0^1 H(Q_p(s))\,ds - T\int_0^1 \ln Q_p'(s)\,ds,

    the minimising movement of the free energy :math:`F = \int Hp + T\int p\ln p` in the
    Wasserstein metric. Newton's method with a tridiagonal Hessian, a step that keeps the
    nodes increasing, and Armijo backtracking; it starts from ``x``. The objective is strictly
    convex when :math:`\tau\,\sup(-H'') < 1`; otherwise a local minimiser is returned.
    Non-convergence is reported (``converged = False``), not raised.

    Args:
      x: the quantile nodes of :math:`p_k`, ``[n + 1]`` with ``n >= 2``, strictly increasing
        (traced).
      H: the potential ``H(q, *args)``, applied elementwise (static; JAX-traceable, twice
        differentiable).
      tau: the time step :math:`\tau > 0` (traced).
      T: the temperature :math:`T > 0` (traced).
      args: a tuple of (traced) parameters passed on as ``H(q, *args)``.
      tol: stop when the Euler–Lagrange residual (:class:`JKOStep`) is <= ``tol`` (traced;
        default 1e-8 in float64, 1e-3 in float32). Round-off puts a floor of about
        :math:`T\,\epsilon\max|x|/\min_j(x_j - x_{j-1})^2` under it (:math:`\epsilon`
        the machine epsilon): about 1e-10 for 800 cells of a density of order 1 in float64,
        1e-4 for 40 cells in float32.
      max_iter: the most Newton steps (static).

    Returns:
      :class:`JKOStep`.

    Raises:
      ValueError: if ``x`` is not a finite, strictly increasing ``[n + 1]`` array with
        ``n >= 2``, ``H`` is not callable or does not keep the shape of its input, ``tau``,
        ``T`` or ``tol`` is not > 0, ``max_iter`` is not a positive int, or ``args`` is not a
        tuple.

    References:
      :cite:t:`jordan1998variational`.

    Examples:
      For :math:`H = q^2/2` a Gaussian stays Gaussian and the mean takes an implicit Euler
      step, :math:`m_{k+1} = m_k/(1 + \tau)`:

      >>> x0 = 1.0 + jnp.linspace(-3.0, 3.0, 61)
      >>> r = transport.jko_step_1d(x0, lambda q: 0.5 * q**2, tau=0.5, T=1.0)
      >>> mean = lambda x: float(jnp.mean((x[1:] + x[:-1]) / 2))   # ∫ Q ds
      >>> print(f"{mean(x0):.4f} {mean(r.x):.4f}")
      1.0000 0.6667
    """
    fn = "jko_step_1d"
    dtype, tol = _check_jko(fn, "x", x, H, tau, T, tol, max_iter, args)
    return _step_kernel(jnp.asarray(x, dtype), jnp.asarray(tau, dtype), jnp.asarray(T, dtype),
                        jnp.asarray(tol, dtype), args, H=H, max_iter=max_iter)


def jko_flow_1d(x0, H, *, tau, T, n_steps: int, args: tuple = (), tol=None,
                max_iter: int = 50) -> JKOFlow:
    r"""``n_steps`` JKO steps of size ``tau`` from the quantile nodes ``x0``
    (:func:`jko_step_1d` repeated, one compiled loop).

    The JKO scheme is the implicit Euler method of the Fokker–Planck equation
    :math:`\partial_tp = \partial_q(p\,\partial_qH) + T\partial_q^2p` in the Wasserstein
    geometry: its law at :math:`t = k\tau` differs from the Fokker–Planck solution by
    :math:`O(\tau)`, and its fixed points are the minimisers of the discrete free energy.

    Args:
      x0: the initial quantile nodes ``[n + 1]``, ``n >= 2``, strictly increasing (traced).
      H: the potential ``H(q, *args)``, applied elementwise (static).
      tau: the time step :math:`\tau > 0` (traced).
      T: the temperature :math:`T > 0` (traced).
      n_steps: the number of steps (static).
      args: a tuple of (traced) parameters passed on as ``H(q, *args)``.
      tol: Newton tolerance of every step (traced; default and meaning as in
        :func:`jko_step_1d`).
      max_iter: the most Newton steps per JKO step (static).

    Returns:
      :class:`JKOFlow` whose ``path`` starts with ``x0``.

    Raises:
      ValueError: as :func:`jko_step_1d`, and if ``n_steps`` is not a positive int.

    References:
      :cite:t:`jordan1998variational`.

    Examples:
      The free energy never increases along the scheme:

      >>> x0 = jnp.linspace(0.5, 1.5, 41)
      >>> H = lambda q: (q**2 - 1) ** 2
      >>> r = transport.jko_flow_1d(x0, H, tau=0.05, T=0.3, n_steps=20)
      >>> F = jnp.stack([transport.jko_free_energy_1d(x, H, T=0.3) for x in r.path])
      >>> bool(jnp.all(jnp.diff(F) <= 0)), bool(r.converged.all())
      (True, True)
    """
    fn = "jko_flow_1d"
    checks.check_int(fn, "n_steps", n_steps)
    dtype, tol = _check_jko(fn, "x0", x0, H, tau, T, tol, max_iter, args)
    return _flow_kernel(jnp.asarray(x0, dtype), jnp.asarray(tau, dtype),
                        jnp.asarray(T, dtype), jnp.asarray(tol, dtype), args, H=H,
                        n_steps=n_steps, max_iter=max_iter)


def jko_free_energy_1d(x, H, *, T, args: tuple = ()):
    r"""The free energy :math:`F = \int H\,p + T\int p\ln p` of the law with quantile nodes
    ``x``, in quantile form:

    .. math:: F = \int_0^1 H(Q(s))\,ds - T\int_0^1 \ln Q'(s)\,ds

    (the entropy exact for the piecewise-constant density of the nodes, the potential by
    3-point Gauss quadrature on each cell). This is the :math:`F` that :func:`jko_step_1d`
    minimises together with :math:`W_2^2/(2\tau)`.

    Args:
      x: quantile nodes ``[n + 1]``, ``n >= 2``, strictly increasing (traced).
      H: the potential ``H(q, *args)``, applied elementwise (static).
      T: the temperature :math:`T > 0` (traced).
      args: a tuple of (traced) parameters passed on as ``H(q, *args)``.

    Returns:
      :math:`F`, a scalar in the working dtype of ``x``.

    Raises:
      ValueError: if ``x`` is not a finite, strictly increasing ``[n + 1]`` array with
        ``n >= 2``, ``H`` is not callable or does not keep the shape of its input, ``T`` is
        not > 0, or ``args`` is not a tuple.

    Examples:
      The uniform law on ``[0, 2]`` with :math:`H = 0` has :math:`\int p\ln p = -\ln 2`:

      >>> F = transport.jko_free_energy_1d(jnp.linspace(0.0, 2.0, 9), lambda q: 0 * q, T=1.0)
      >>> print(f"{float(F):.4f}")
      -0.6931
    """
    fn = "jko_free_energy_1d"
    _check_nodes(fn, "x", x)
    checks.check_positive(fn, "T", T)
    dtype = working_dtype(x)
    _check_H(fn, H, x, dtype, args)
    return _energy_kernel(jnp.asarray(x, dtype), jnp.asarray(T, dtype), args, H=H)


def _check_levels(fn, arg, s, nodes_arg, nodes):
    checks.check_ndim(fn, arg, s, 1, "[n + 1]")
    checks.check_same_shape(fn, arg, s, nodes_arg, nodes)
    checks.check_increasing(fn, arg, s, min_points=2)
    if checks.is_concrete(s):
        a = np.asarray(s, np.float64)
        if abs(a[0]) > 1e-12 or abs(a[-1] - 1) > 1e-12:
            checks.fail(fn, arg, "must run from 0 to 1 (levels of a quantile function)",
                        f"an array from {a[0]:.6g} to {a[-1]:.6g}")


def quantile_w2_1d(x, y, *, s_x=None, s_y=None):
    r"""The squared Wasserstein distance :math:`W_2^2 = \int_0^1 (Q_x - Q_y)^2\,ds` between
    two laws on the line given by quantile nodes.

    ``x`` holds :math:`Q_x` at the levels ``s_x`` (default: the uniform grid ``j/n``,
    ``j = 0..n``), ``y`` holds :math:`Q_y` at ``s_y`` (default ``k/m``). Both quantile
    functions are taken linear between their nodes (piecewise-constant densities), and the
    integral is exact for them: the two sets of levels are merged.

    Args:
      x: quantile nodes ``[n + 1]``, ``n >= 1``, non-decreasing (traced).
      y: quantile nodes ``[m + 1]``, ``m >= 1``, non-decreasing (traced).
      s_x: the levels of ``x``, ``[n + 1]``, strictly increasing from 0 to 1, or None for
        the uniform grid (traced).
      s_y: the levels of ``y``, likewise.

    Returns:
      :math:`W_2^2`, a scalar in the working dtype.

    Raises:
      ValueError: if ``x`` or ``y`` is not a finite, non-decreasing 1-D array of at least 2
        nodes, or a level array does not match its nodes or does not increase from 0 to 1.

    References:
      :cite:t:`villani2003topics` (optimal transport on the line).

    Examples:
      A translation by 0.5 costs :math:`0.5^2`, whatever the grids:

      >>> x = jnp.linspace(0.0, 1.0, 5)
      >>> print(f"{float(transport.quantile_w2_1d(x, jnp.linspace(0.5, 1.5, 8))):.4f}")
      0.2500
    """
    fn = "quantile_w2_1d"
    for name, v in (("x", x), ("y", y)):
        checks.check_ndim(fn, name, v, 1, "[n + 1]")
        if np.shape(v)[0] < 2:
            checks.fail(fn, name, "must hold at least 2 nodes", v)
        checks.check_finite(fn, name, v)
        if checks.is_concrete(v) and np.any(np.diff(np.asarray(v, np.float64)) < 0):
            checks.fail(fn, name, "must be non-decreasing (quantile nodes)", v)
    for arg, lv, name, v in (("s_x", s_x, "x", x), ("s_y", s_y, "y", y)):
        if lv is not None:
            _check_levels(fn, arg, lv, name, v)
    dtype = working_dtype(x, y, s_x, s_y)
    uniform = lambda v: jnp.arange(np.shape(v)[0], dtype=dtype) / (np.shape(v)[0] - 1)
    sx = uniform(x) if s_x is None else jnp.asarray(s_x, dtype)
    sy = uniform(y) if s_y is None else jnp.asarray(s_y, dtype)
    return _w2_kernel(jnp.asarray(x, dtype), jnp.asarray(y, dtype), sx, sy)


class Quantiles(NamedTuple):
    r"""The quantile function of a piecewise-constant density (:func:`density_quantiles_1d`).

    Attributes:
      q: the nodes :math:`Q(s_i)`: the cell edges, ``[n_cells + 1]``.
      s: the levels :math:`s_i`: the distribution function at the edges, ``[n_cells + 1]``,
        from 0 to 1.

    Examples:
      >>> r = transport.density_quantiles_1d(jnp.array([1.0, 3.0]), jnp.array([0.25, 0.75]))
      >>> r.q.tolist(), r.s.tolist()
      ([0.0, 0.5, 1.0], [0.0, 0.25, 1.0])
    """
    q: jax.Array
    s: jax.Array


@jax.jit
def _density_quantiles_kernel(p, x):
    dx = x[1] - x[0]
    edges = jnp.concatenate([x - dx / 2, x[-1:] + dx / 2])
    C = jnp.concatenate([jnp.zeros((1,), p.dtype), jnp.cumsum(p) / jnp.sum(p)])
    return Quantiles(edges, C.at[-1].set(1.0))


def density_quantiles_1d(p, x):
    r"""The exact quantile function of a positive, piecewise-constant density on uniform
    cells (the layout of :mod:`geobook.fokker_planck`), as nodes and levels.

    The distribution function is linear on each cell, so the quantile function is linear
    between the levels :math:`s_i = F(e_i)` at the cell edges :math:`e_i`, where it takes the
    values :math:`e_i`. Pass ``q`` and ``s`` to :func:`quantile_w2_1d` (as ``x, s_x``) for the
    exact :math:`W_2` between such a density and another law; unlike nodes at uniform levels
    (:func:`quantiles_from_density_1d`), this keeps the tails of the density exact.

    Args:
      p: the density on the cells ``[n_cells]``, ``> 0`` (normalised here; traced).
      x: the cell centres ``[n_cells]``, uniform and increasing.

    Returns:
      :class:`Quantiles`.

    Raises:
      ValueError: if ``x`` is not a uniform increasing grid of at least 2 points, or ``p``
        does not have its shape or is not finite and > 0.

    Examples:
      The exact quantile function of a density, and its nodes at 4 uniform levels, which
      spread each quarter of the mass evenly (hence a small :math:`W_2^2` between them):

      >>> x = (jnp.arange(4) + 0.5) / 4
      >>> p = jnp.array([1.0, 2.0, 2.0, 1.0])
      >>> d = transport.density_quantiles_1d(p, x)
      >>> print(*(f"{float(v):.3f}" for v in d.s))
      0.000 0.167 0.500 0.833 1.000
      >>> w2 = transport.quantile_w2_1d(d.q, transport.quantiles_from_density_1d(p, x, 4),
      ...                               s_x=d.s)
      >>> print(f"{float(w2):.1e}")
      2.9e-04
    """
    fn = "density_quantiles_1d"
    checks.check_uniform_grid(fn, "x", x, min_points=2)
    checks.check_same_shape(fn, "p", p, "x", x)
    checks.check_positive(fn, "p", p)
    dtype = working_dtype(p, x)
    return _density_quantiles_kernel(jnp.asarray(p, dtype), jnp.asarray(x, dtype))


def quantiles_from_density_1d(p, x, n: int):
    r"""The quantile nodes :math:`Q(j/n)`, ``j = 0..n``, of a piecewise-constant density on
    uniform cells (the layout of :mod:`geobook.fokker_planck`).

    The density is constant on each cell :math:`[x_i - \Delta x/2, x_i + \Delta x/2]`, so its
    distribution function is piecewise linear and the quantiles are exact. ``Q(0)`` and
    ``Q(1)`` are the ends of the density's support. Use it to start :func:`jko_flow_1d` from a
    density, or to compare a density with a quantile law by :func:`quantile_w2_1d`.

    Args:
      p: the density on the cells ``[n_cells]``, ``>= 0`` with positive mass (normalised
        here; traced).
      x: the cell centres ``[n_cells]``, uniform and increasing.
      n: the number of quantile cells (static); ``n + 1`` nodes are returned.

    Returns:
      The nodes ``[n + 1]``, non-decreasing (strictly increasing where the density is
      positive), in the working dtype.

    Raises:
      ValueError: if ``x`` is not a uniform increasing grid of at least 2 points, ``p`` does
        not have its shape, has a negative or non-finite entry or no mass, or ``n`` is not an
        int >= 1.

    Examples:
      The uniform density on ``[0, 1]``:

      >>> x = (jnp.arange(10) + 0.5) / 10
      >>> q = transport.quantiles_from_density_1d(jnp.ones(10), x, 4)
      >>> print(*(f"{float(v):.2f}" for v in q))
      0.00 0.25 0.50 0.75 1.00
    """
    fn = "quantiles_from_density_1d"
    checks.check_uniform_grid(fn, "x", x, min_points=2)
    checks.check_same_shape(fn, "p", p, "x", x)
    checks.check_finite(fn, "p", p)
    checks.check_positive(fn, "p", p, allow_zero=True)
    if checks.is_concrete(p) and not float(np.sum(np.asarray(p))) > 0:
        checks.fail(fn, "p", "must have positive mass", p)
    checks.check_int(fn, "n", n)
    dtype = working_dtype(p, x)
    return _quantiles_kernel(jnp.asarray(p, dtype), jnp.asarray(x, dtype), n=n)
