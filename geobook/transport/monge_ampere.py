r"""The periodic Monge–Ampère equation of optimal transport on the torus :math:`[0, L)^2`:
a Newton solver, its residual, the grid, and a manufactured test problem."""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import numpy as np
import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["MongeAmpereResult", "grid_2d", "ma_residual", "monge_ampere_2d",
           "PeriodicMAExample", "periodic_ma_example"]


class MongeAmpereResult(NamedTuple):
    r"""Result of :func:`monge_ampere_2d`.

    Attributes:
      u: the periodic part of the potential :math:`\varphi = |x|^2/2 + u` on the grid,
        ``[n, n]``, mean zero.
      c: the compatibility constant (1 + O(h²); see :func:`monge_ampere_2d`).
      x: the grid ``[n, n, 2]`` (:func:`grid_2d`).
      n_iter: Newton steps taken.
      error: the largest absolute residual of the discrete equation at ``(u, c)``.
      converged: ``error <= tol``.

    Examples:
      >>> one = lambda p: jnp.ones(p.shape[:-1], p.dtype)
      >>> r = transport.monge_ampere_2d(one, one, n=8)
      >>> r.u.shape, r.x.shape, int(r.n_iter), bool(r.converged)
      ((8, 8), (8, 8, 2), 0, True)
    """
    u: jax.Array
    c: jax.Array
    x: jax.Array
    n_iter: jax.Array
    error: jax.Array
    converged: jax.Array


def grid_2d(n: int, L=1.0, dtype=None):
    r"""The periodic grid of points :math:`x_{ij} = (i, j)\,L/n` used by the Monge–Ampère solver.

    Args:
      n: points per side (static).
      L: the period > 0.
      dtype: the floating dtype (default: the working dtype, float64 under x64).

    Returns:
      The points ``[n, n, 2]``, ``x[i, j] = (i L/n, j L/n)``.

    Raises:
      ValueError: if ``n`` is not a positive int or ``L`` is not > 0.

    Examples:
      >>> X = transport.grid_2d(4)
      >>> X.shape, X[1, 2].tolist()
      ((4, 4, 2), [0.25, 0.5])
    """
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
    up, um = jnp.roll(u, -1, 0), jnp.roll(u, 1, 0)
    uxy = (jnp.roll(up, -1, 1) - jnp.roll(up, 1, 1) - jnp.roll(um, -1, 1) + jnp.roll(um, 1, 1)) / (4 * h**2)
    return ux, uy, uxx, uyy, uxy


def _ma_operator(u, c, r0, rho1, X, h):
    """The discrete residual ``det(I + D²u) − c ρ0/ρ1(x + ∇u)`` and whether ``I + D²u`` is
    positive definite everywhere (``rho1`` already bound to its ``args``)."""
    ux, uy, uxx, uyy, uxy = _fd(u, h)
    det = (1 + uxx) * (1 + uyy) - uxy**2
    res = det - c * r0 / rho1(X + jnp.stack([ux, uy], -1))
    return res, jnp.all((1 + uxx > 0) & (det > 0))


def ma_residual(u, rho0, rho1, *, L=1.0, c=1.0, args: tuple = ()):
    r"""The residual of the discrete periodic Monge–Ampère equation at a potential ``u``.

    .. math:: F(u) = \det(I + D_h^2u) - c\,\frac{\rho_0(x)}{\rho_1(x + \nabla_h u)}

    on the periodic ``n × n`` grid :math:`x_{ij} = (i, j)L/n`, with centred second-order
    differences :math:`D_h`. Works under ``jit``.

    Args:
      u: the periodic part ``[n, n]`` of the Brenier potential :math:`|x|^2/2 + u`.
      rho0: the source density, ``rho0(points [..., 2], *args) -> [...]`` (static), or its
        values ``[n, n]`` on the grid.
      rho1: the target density, ``rho1(points [..., 2], *args) -> [...]`` (static; it is
        evaluated at the moved points).
      L: the period > 0.
      c: the compatibility constant (traced; :func:`monge_ampere_2d` returns it).
      args: a tuple of (traced) parameters passed on to ``rho0`` and ``rho1``.

    Returns:
      The residual ``[n, n]`` in the working dtype of ``u``.

    Raises:
      ValueError: if ``u`` is not a finite square ``[n, n]`` array, ``L`` is not > 0, a
        density is not callable or gives values of the wrong shape.

    Examples:
      The exact potential of the manufactured problem has an O(h²) discrete residual:

      >>> ex = transport.periodic_ma_example()
      >>> res = [transport.ma_residual(ex.u(transport.grid_2d(n), *ex.args), ex.rho0, ex.rho1,
      ...                              args=ex.args) for n in (32, 64)]
      >>> print(f"{float(jnp.abs(res[0]).max() / jnp.abs(res[1]).max()):.0f}")   # h/2: 4x
      4
    """
    fn = "ma_residual"
    checks.check_args(fn, args)
    checks.check_ndim(fn, "u", u, 2, "[n, n]")
    checks.check_square(fn, "u", u)
    checks.check_finite(fn, "u", u)
    checks.check_positive(fn, "L", L)
    checks.check_callable(fn, "rho1", rho1, signature="points [..., 2] -> values [...]")
    u = jnp.asarray(u, working_dtype(u))
    n = u.shape[0]
    X = _grid(n, L, u.dtype)
    checks.output_shape(fn, "rho1", rho1, X.shape, u.dtype, (n, n), args=args)
    if callable(rho0):
        checks.output_shape(fn, "rho0", rho0, X.shape, u.dtype, (n, n), args=args)
        r0 = rho0(X, *args)
    else:
        checks.check_same_shape(fn, "rho0", rho0, "u", u)
        r0 = rho0
    return _residual_kernel(u, jnp.asarray(c, u.dtype), jnp.asarray(r0, u.dtype), X,
                            jnp.asarray(L / n, u.dtype), args, rho1=rho1)


@partial(jax.jit, static_argnames=("rho1",))
def _residual_kernel(u, c, r0, X, h, args, *, rho1):
    return _ma_operator(u, c, r0, lambda p: rho1(p, *args), X, h)[0]


def _check_density(fn, arg, rho, X, L, args):
    """A callable, positive, L-periodic density; its values on the grid when they are concrete."""
    checks.check_callable(fn, arg, rho, signature="points [..., 2] -> values [...]")
    checks.output_shape(fn, arg, rho, X.shape, X.dtype, X.shape[:-1], args=args)
    if not checks.is_concrete(args, L):
        return None
    v = np.asarray(rho(X, *args))
    checks.check_finite(fn, arg, v)
    checks.check_positive(fn, arg, float(np.min(v)))
    for k in range(2):
        gap = float(np.max(np.abs(np.asarray(rho(X.at[..., k].add(L), *args)) - v)))
        gap /= float(np.max(np.abs(v)))
        if gap > 1e-6:
            checks.fail(fn, arg, f"must be L-periodic (L = {L}) in both coordinates (relative "
                        f"change under a shift by L along axis {k})", gap)
    return v


def monge_ampere_2d(rho0, rho1, *, n: int = 64, L=1.0, tol=1e-10, max_iter: int = 30,
                    lin_tol=1e-12, u0=None, args: tuple = ()) -> MongeAmpereResult:
    r"""Solve the periodic Monge–Ampère equation of optimal transport on the torus
    :math:`[0, L)^2` by damped Newton iterations with FFT-preconditioned BiCGSTAB.

    Finds the periodic ``u`` (mean zero) such that :math:`\nabla\varphi = x + \nabla u` with
    :math:`\varphi = |x|^2/2 + u` pushes :math:`\rho_0` onto :math:`\rho_1`:

    .. math:: \det(I + D_h^2 u) = c\,\frac{\rho_0(x)}{\rho_1(x + \nabla_h u)},

    discretised with centred second-order differences on an ``n × n`` grid (second-order
    accurate). The discrete equations are one more than the free unknowns (constants are in
    the kernel), so a scalar ``c`` is solved for as well: it absorbs the O(h²) discrete mass
    mismatch and tends to 1 under refinement. Each Newton step solves the linearisation
    :math:`\operatorname{cof}(I + D^2u):D^2v - c\,\rho_0\nabla\rho_1^{-1}\cdot\nabla v
    - \rho_0/\rho_1\,\delta c` (a Jacobian–vector product) by BiCGSTAB preconditioned with the
    inverse discrete Laplacian (FFT), and halves the step until the potential stays convex and
    the residual falls. Non-convergence is reported (``converged = False``), not raised.

    The solver is compiled once per ``(rho1, n, max_iter)``: pass the densities' parameters
    through ``args`` (as :func:`periodic_ma_example` does) so that a sweep over them reuses it.
    The densities' values (positivity, periodicity, equal mass) are checked when ``args`` and
    ``L`` are concrete.

    Args:
      rho0: the source density ``rho0(points [..., 2], *args) -> [...]``, L-periodic, > 0.
      rho1: the target density, likewise, of the same mass on the torus (static).
      n: grid points per side (static; even, ``>= 8``).
      L: the period > 0.
      tol: stop when the largest absolute residual is <= ``tol`` (traced).
      max_iter: the most Newton steps (static).
      lin_tol: relative tolerance of the inner linear solves (traced).
      u0: optional starting guess ``[n, n]`` (default 0: the identity map); its dtype is the
        working dtype.
      args: a tuple of (traced) parameters passed on as ``rho0(x, *args)``, ``rho1(x, *args)``.

    Returns:
      :class:`MongeAmpereResult`.

    Raises:
      ValueError: if ``n`` is not an even int ``>= 8``, ``L``, ``tol``, ``lin_tol`` or
        ``max_iter`` is not positive, a density is not callable, positive and L-periodic with
        values ``[n, n]``, the masses differ, or ``u0`` is not a finite ``[n, n]`` array.

    References:
      The equation: :cite:t:`brenier1991polar`, :cite:t:`villani2003topics`; Newton's method
      for it: :cite:t:`loeper2005numerical`; monotone and convex discretisations:
      :cite:t:`benamou2010two`.

    Examples:
      The manufactured problem, on a coarse grid in float32:

      >>> ex = transport.periodic_ma_example()
      >>> r = transport.monge_ampere_2d(ex.rho0, ex.rho1, n=16, tol=1e-4, lin_tol=1e-6,
      ...                               args=ex.args)
      >>> bool(r.converged), int(r.n_iter) <= 10
      (True, True)
      >>> ue = ex.u(r.x, *ex.args)
      >>> print(f"{float(jnp.abs(r.u - (ue - ue.mean())).max()):.3f}")   # O(h²) from exact
      0.000
    """
    fn = "monge_ampere_2d"
    checks.check_args(fn, args)
    checks.check_int(fn, "n", n, minimum=8)
    if n % 2:
        checks.fail(fn, "n", "must be even", n)
    checks.check_positive(fn, "L", L)
    checks.check_positive(fn, "tol", tol)
    checks.check_positive(fn, "lin_tol", lin_tol)
    checks.check_int(fn, "max_iter", max_iter)
    dtype = working_dtype() if u0 is None else working_dtype(u0)
    X = _grid(n, L, dtype)
    v0 = _check_density(fn, "rho0", rho0, X, L, args)
    v1 = _check_density(fn, "rho1", rho1, X, L, args)
    if v0 is not None:
        m0, m1 = float(np.mean(v0)), float(np.mean(v1))
        if abs(m0 - m1) > 1e-3 * max(m0, m1):
            checks.fail(fn, "rho1", "must have the same mass on the torus (grid mean) as `rho0`, "
                        f"{m0:.6g}", m1)
    if u0 is not None:
        checks.check_ndim(fn, "u0", u0, 2, "[n, n]")
        checks.check_size(fn, "u0", u0, n, axis=0, what="n")
        checks.check_size(fn, "u0", u0, n, axis=1, what="n")
        checks.check_finite(fn, "u0", u0)
    u0 = jnp.zeros((n, n), dtype) if u0 is None else jnp.asarray(u0, dtype)
    r0 = jnp.asarray(rho0(X, *args) if v0 is None else v0, dtype)
    return _ma_newton(r0, X, u0, jnp.asarray(L, dtype), jnp.asarray(tol, dtype),
                      jnp.asarray(lin_tol, dtype), args, rho1=rho1, max_iter=max_iter)


@partial(jax.jit, static_argnames=("rho1", "max_iter"))
def _ma_newton(r0, X, u0, L, tol, lin_tol, args, *, rho1, max_iter):
    n = u0.shape[0]
    h = L / n
    dtype = u0.dtype
    rho = lambda p: rho1(p, *args)
    # symbol of the discrete Laplacian (centred 3-point differences), inverted off the mean
    k = jnp.fft.fftfreq(n, d=1.0 / n).astype(dtype)
    s = (2 * jnp.cos(2 * jnp.pi * k / n) - 2) / h**2
    lap = s[:, None] + s[None, :]
    lap_inv = jnp.where(lap == 0, 0.0, 1.0 / jnp.where(lap == 0, 1.0, lap))
    poisson = lambda r: jnp.real(jnp.fft.ifft2(jnp.fft.fft2(r) * lap_inv)).astype(dtype)

    def merit(u, c):
        """max |F| and whether I + D²u is positive definite (one pass of differences)."""
        res, convex = _ma_operator(u, c, r0, rho, X, h)
        return jnp.max(jnp.abs(res)), convex

    def newton(state):
        u, c, res, it = state
        # the Jacobian as a variable-coefficient stencil, coefficients formed once per step:
        # dF = (1+u_yy) v_xx + (1+u_xx) v_yy - 2 u_xy v_xy + c rho0 grad(rho1)/rho1^2 . grad v
        #      - rho0/rho1 dc
        ux, uy, uxx, uyy, uxy = _fd(u, h)
        T = X + jnp.stack([ux, uy], -1)
        r1 = rho(T)
        e = jnp.eye(2, dtype=dtype)
        d1 = [jax.jvp(rho, (T,), (jnp.broadcast_to(e[k], T.shape),))[1] for k in range(2)]
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
    r"""A manufactured periodic Monge–Ampère problem on the unit torus
    (:func:`periodic_ma_example`).

    The callables are module-level jitted functions, called as ``f(x, *args)``; pass ``args``
    on to :func:`monge_ampere_2d` and examples with other parameters reuse its compilation.

    Attributes:
      rho0: the source density ``rho0(x, amplitude, contrast) -> [...]``.
      rho1: the target density ``rho1(x, amplitude, contrast) -> [...]``.
      u: the exact periodic potential ``u(x, amplitude, contrast) -> [...]``.
      args: the parameters ``(amplitude, contrast)``, as given.

    Examples:
      >>> ex = transport.periodic_ma_example(amplitude=0.5)
      >>> ex.args
      (0.5, 0.3)
      >>> print(f"{float(ex.rho1(jnp.zeros(2), *ex.args)):.3f}")
      1.000
    """
    rho0: Callable
    rho1: Callable
    u: Callable
    args: tuple


_TW = 2 * np.pi


@jax.jit
def _example_u(p, amplitude, contrast):
    x, y = _TW * p[..., 0], _TW * p[..., 1]
    return amplitude * (jnp.sin(x) * jnp.cos(y) + 0.5 * jnp.cos(x + y)) / _TW**2


@jax.jit
def _example_rho1(p, amplitude, contrast):
    return 1 + contrast * jnp.cos(_TW * p[..., 0]) * jnp.sin(_TW * p[..., 1])


@jax.jit
def _example_rho0(p, amplitude, contrast):
    # derivatives of u in closed form (the tests check them against autodiff)
    a = amplitude
    x, y = _TW * p[..., 0], _TW * p[..., 1]
    sx, cx, sy, cy = jnp.sin(x), jnp.cos(x), jnp.sin(y), jnp.cos(y)
    sxy, cxy = jnp.sin(x + y), jnp.cos(x + y)
    ux = a * (cx * cy - 0.5 * sxy) / _TW
    uy = a * (-sx * sy - 0.5 * sxy) / _TW
    uxx = uyy = -a * (sx * cy + 0.5 * cxy)
    uxy = a * (-cx * sy - 0.5 * cxy)
    det = (1 + uxx) * (1 + uyy) - uxy**2
    return det * _example_rho1(jnp.stack([p[..., 0] + ux, p[..., 1] + uy], -1), a, contrast)


def periodic_ma_example(amplitude=0.25, contrast=0.3) -> PeriodicMAExample:
    r"""A smooth manufactured solution of the periodic Monge–Ampère equation on :math:`[0,1)^2`.

    .. math:: u(x) = \frac{a}{4\pi^2}\,[\sin 2\pi x_1\cos 2\pi x_2 + \tfrac12\cos 2\pi(x_1+x_2)],
              \qquad \rho_1(y) = 1 + c\cos 2\pi y_1\sin 2\pi y_2,

    and :math:`\rho_0 = \det(I + D^2u)\,\rho_1(x + \nabla u)` (derivatives in closed form,
    exact to round-off), so :math:`x\mapsto x + \nabla u` is the Brenier map from
    :math:`\rho_0` to :math:`\rho_1`. The functions are built once, at import; the parameters
    travel in ``args``, so nothing is compiled per call.

    Args:
      amplitude: :math:`a`, in :math:`(0, 2/3)` (convexity of :math:`|x|^2/2 + u`; traced).
      contrast: :math:`c`, in :math:`[0, 1)` (positivity of :math:`\rho_1`; traced).

    Returns:
      :class:`PeriodicMAExample` with ``args = (amplitude, contrast)``.

    Raises:
      ValueError: if ``amplitude`` or ``contrast`` is out of range (checked when concrete).

    Examples:
      The two densities have equal mass (grid means agree to spectral accuracy):

      >>> ex = transport.periodic_ma_example()
      >>> X = transport.grid_2d(32)
      >>> print(f"{float(ex.rho0(X, *ex.args).mean()):.4f} {float(ex.rho1(X, *ex.args).mean()):.4f}")
      1.0000 1.0000
    """
    fn = "periodic_ma_example"
    checks.check_positive(fn, "amplitude", amplitude)
    if checks.is_concrete(amplitude) and float(amplitude) >= 2.0 / 3.0:
        checks.fail(fn, "amplitude", "must be < 2/3 (else |x|^2/2 + u is not convex)", amplitude)
    checks.check_positive(fn, "contrast", contrast, allow_zero=True)
    if checks.is_concrete(contrast) and float(contrast) >= 1.0:
        checks.fail(fn, "contrast", "must be < 1 (else rho1 is not positive)", contrast)
    return PeriodicMAExample(_example_rho0, _example_rho1, _example_u, (amplitude, contrast))
