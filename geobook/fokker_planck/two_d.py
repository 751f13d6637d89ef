r"""The 2-D Fokker–Planck equation with a general drift and a diagonal diffusion: the
generator, the stationary density and its probability current.

:math:`\partial_t p = -\nabla\cdot J`, :math:`J = b\,p - \nabla\cdot(D p)`, on a rectangle
with zero-flux walls. The drift :math:`b` need not be a gradient and :math:`D(q)` may depend
on the state, so the stationary state carries a probability current in general.
Book chapter: *The equilibration regime (α = 0)*.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype
from geobook.fokker_planck.one_d import bernoulli_fn

__all__ = ["generator_2d", "solve_2d", "Stationary2D"]


def _prep_2d(fn, drift, diffusion, x, y, args):
    """Validate the inputs and evaluate the fields; returns ``(fields, dx, dy)``."""
    for name, f in (("drift", drift), ("diffusion", diffusion)):
        checks.check_callable(fn, name, f, signature="q: [2] -> [2]")
    checks.check_uniform_grid(fn, "x", x)
    checks.check_uniform_grid(fn, "y", y)
    checks.check_args(fn, args)
    dtype = working_dtype(x, y)
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    for name, f in (("drift", drift), ("diffusion", diffusion)):
        checks.output_shape(fn, name, f, (2,), dtype, (2,), args=args)
    fields = _fields_2d(x, y, args, drift=drift, diffusion=diffusion)
    if checks.is_concrete(*fields):
        bx, by, Dx, Dy, Dc = (np.asarray(a).ravel() for a in fields)
        checks.check_finite(fn, "drift", np.concatenate([bx, by]))
        D = np.concatenate([Dx, Dy, Dc])
        checks.check_finite(fn, "diffusion", D)
        checks.check_positive(fn, "diffusion", D.min())
    return fields, x[1] - x[0], y[1] - y[0]


@partial(jax.jit, static_argnames=("drift", "diffusion"))
def _fields_2d(x, y, args, *, drift, diffusion):
    """Drift and diffusion where the scheme needs them (one compiled evaluation)."""
    def field(f, X, Y):
        grid = jnp.stack(jnp.meshgrid(X, Y, indexing="ij"), -1)
        return jax.vmap(jax.vmap(lambda q: f(q, *args)))(grid)
    xf, yf = 0.5 * (x[1:] + x[:-1]), 0.5 * (y[1:] + y[:-1])
    bx, Dx = field(drift, xf, y)[..., 0], field(diffusion, xf, y)[..., 0]
    by, Dy = field(drift, x, yf)[..., 1], field(diffusion, x, yf)[..., 1]
    return bx, by, Dx, Dy, field(diffusion, x, y)


def _rates(fields, dx, dy):
    """Jump rates (all >= 0) of the finite-volume chain: ``rx_up[i, j]`` from cell ``(i, j)``
    to ``(i+1, j)`` and ``rx_dn[i, j]`` back (``[nx-1, ny]``); likewise in y (``[nx, ny-1]``)."""
    bx, by, Dx, Dy, Dc = fields
    return (*_sg_rates(bx, Dx, Dc[..., 0], dx, axis=0), *_sg_rates(by, Dy, Dc[..., 1], dy, axis=1))


def _sg_rates(b_face, D_face, D_centre, h, axis):
    r"""Scharfetter–Gummel flux :math:`J = a w - w'` for :math:`w = D p`, :math:`a = b/D` at the
    face: :math:`J_{i+1/2} = [B(-ah)\,w_i - B(ah)\,w_{i+1}]/h` (exact for constant ``a``)."""
    z = b_face / D_face * h
    lo = jax.lax.slice_in_dim(D_centre, 0, D_centre.shape[axis] - 1, axis=axis)
    hi = jax.lax.slice_in_dim(D_centre, 1, D_centre.shape[axis], axis=axis)
    return bernoulli_fn(-z) * lo / h**2, bernoulli_fn(z) * hi / h**2


def _apply_2d(p, rx_up, rx_dn, ry_up, ry_dn):
    """``L p`` and the face fluxes (per unit time, per cell width) for the rate arrays."""
    fx = rx_up * p[:-1] - rx_dn * p[1:]             # net rate across x-faces   [nx-1, ny]
    fy = ry_up * p[:, :-1] - ry_dn * p[:, 1:]       # net rate across y-faces   [nx, ny-1]
    zx, zy = jnp.zeros_like(p[:1]), jnp.zeros_like(p[:, :1])
    Fx = jnp.concatenate([zx, fx, zx], 0)
    Fy = jnp.concatenate([zy, fy, zy], 1)
    return -(Fx[1:] - Fx[:-1]) - (Fy[:, 1:] - Fy[:, :-1]), Fx, Fy


@jax.jit
def _generator_2d_kernel(fields, dx, dy):
    rx_up, rx_dn, ry_up, ry_dn = _rates(fields, dx, dy)
    nx, ny = rx_up.shape[0] + 1, ry_up.shape[1] + 1
    E = jnp.eye(nx * ny, dtype=rx_up.dtype).reshape(nx * ny, nx, ny)
    cols = jax.vmap(lambda e: _apply_2d(e, rx_up, rx_dn, ry_up, ry_dn)[0].ravel())(E)
    return cols.T


def generator_2d(drift: Callable, diffusion: Callable, x, y, *, args: tuple = ()):
    r"""The dense ``[nx·ny, nx·ny]`` generator ``L`` of :func:`solve_2d`'s scheme.

    Cells are numbered row-major (cell ``(i, j)`` is index ``i·ny + j``); :math:`dp/dt = Lp`,
    the columns of ``L`` sum to zero and its off-diagonal entries are :math:`\ge 0` (a Markov
    chain on the cells). Meant for small grids and for checking: :func:`solve_2d` never forms
    it.

    Args:
      drift: ``b(q, *args) -> [2]`` for a point ``q: [2]`` (static; JAX-traceable).
      diffusion: ``(D_1, D_2)(q, *args) -> [2]``, the diagonal of the diffusion tensor, ``> 0``
        (static).
      x: the cell centres along the first axis, ``[nx]``: uniform, increasing, at least 3.
      y: the cell centres along the second axis, ``[ny]``: likewise.
      args: a tuple of (traced) parameters passed on as ``drift(q, *args)`` and
        ``diffusion(q, *args)``.

    Returns:
      ``L``, ``[nx·ny, nx·ny]``, in the dtype of ``x`` and ``y``.

    Raises:
      ValueError: as :func:`solve_2d`.

    Examples:
      >>> x = jnp.linspace(-2.0, 2.0, 5)
      >>> L = fokker_planck.generator_2d(lambda q: -q, lambda q: 0.5 * jnp.ones(2), x, x)
      >>> L.shape, bool(jnp.allclose(L.sum(axis=0), 0.0, atol=1e-5))
      ((25, 25), True)
    """
    fields, dx, dy = _prep_2d("generator_2d", drift, diffusion, x, y, args)
    return _generator_2d_kernel(fields, dx, dy)


class Stationary2D(NamedTuple):
    r"""Stationary state of the 2-D Fokker–Planck equation on a grid.

    Attributes:
      p: density on the cells ``[nx, ny]``, ``sum(p)·dx·dy = 1``.
      jx: probability current through the x-faces ``[nx+1, ny]`` (zero at the walls).
      jy: probability current through the y-faces ``[nx, ny+1]`` (zero at the walls).
      current: the current at the cell centres ``[nx, ny, 2]`` (mean of the two faces).
      residual: ``max |L p| / max(|diag L|·p)``, the relative residual of the discrete
        stationary equation (round-off level when the solve succeeded).
    """
    p: jax.Array
    jx: jax.Array
    jy: jax.Array
    current: jax.Array
    residual: jax.Array


def solve_2d(drift: Callable, diffusion: Callable, x, y, *, args: tuple = ()) -> Stationary2D:
    r"""Stationary density and probability current of the 2-D Fokker–Planck equation

    .. math:: \partial_t p = -\nabla\cdot J,\qquad J = b\,p - \nabla\cdot(D\,p),

    on a rectangle with zero-flux walls: the equation of the Itô SDE
    :math:`dq = b\,dt + \sqrt{2D}\,dW` with a diagonal diffusion tensor
    :math:`D = \mathrm{diag}(D_1(q), D_2(q))`. The drift need not be a gradient and :math:`D`
    may depend on the state: then the stationary state is in general *not* of Boltzmann form
    and carries a divergence-free, non-zero current :math:`J`.

    Discretisation: finite volumes on the cell centres ``x × y`` with, in each direction, the
    Scharfetter–Gummel flux of :math:`w = D_k p` with velocity :math:`b_k/D_k` taken at the
    face. The result is a continuous-time Markov chain on the cells (non-negative rates), so
    the discrete stationary density is positive and unique. Second order in the spacing.

    Solver: the generator is block tridiagonal (blocks = columns of constant ``x``, with
    *diagonal* couplings between neighbouring columns). A twisted block elimination runs from
    both walls towards the middle column, whose ``ny × ny`` Schur complement is singular; its
    null vector (SVD) is back-substituted outwards. All pivots are Schur complements of
    proper principal submatrices of a singular irreducible M-matrix, so they are nonsingular
    and the back-substitution factors are non-negative. Cost ``O(nx·ny³)``, memory
    ``O(nx·ny²)``; no matrix of size ``(nx·ny)²`` is formed.

    Args:
      drift: ``b(q, *args) -> [2]`` for a point ``q: [2]`` (static; JAX-traceable).
      diffusion: ``(D_1, D_2)(q, *args) -> [2]``, the diagonal of the diffusion tensor, ``> 0``
        (static). It is ``½`` of the noise covariance per unit time: ``D = T·I`` for
        :math:`dq = -\nabla H\,dt + \sqrt{2T}\,dW`.
      x: the cell centres along the first axis, ``[nx]``: uniform, increasing, at least 3.
      y: the cell centres along the second axis, ``[ny]``: likewise.
      args: a tuple of (traced) parameters passed on as ``drift(q, *args)`` and
        ``diffusion(q, *args)``; a sweep over their values compiles once.

    Returns:
      :class:`Stationary2D`, in the dtype of ``x`` and ``y``.

    Raises:
      ValueError: if a callable is not callable, cannot be called as ``f(q, *args)`` or does
        not return ``[2]``; if ``x`` or ``y`` is not a uniform increasing grid of at least 3
        points; if ``args`` is not a tuple; if the drift or diffusion is not finite, or the
        diffusion not positive, at the cell centres and faces (checked when concrete).

    References:
      :cite:t:`scharfetter1969`; :cite:t:`risken1989fokker`.

    Examples:
      The rotational drift :math:`b = -q + w\,Rq` with :math:`D = T\,I` keeps the law
      :math:`N(0, T\,I)` and carries the current :math:`J = w\,Rq\,p`:

      >>> drift = lambda q, w: -q + w * jnp.array([-q[1], q[0]])
      >>> diffusion = lambda q, w: 0.5 * jnp.ones(2, q.dtype)
      >>> x = jnp.linspace(-4.0, 4.0, 41)
      >>> st = fokker_planck.solve_2d(drift, diffusion, x, x, args=(0.7,))
      >>> X = x[:, None]
      >>> print(f"{float((st.p * X**2).sum() * (x[1] - x[0]) ** 2):.2f}")   # E q1² = T
      0.50
      >>> print(f"{float(st.current[25, 20, 1]):.2f}")    # J_2 at q = (1, 0): 0.7·e⁻¹/π
      0.08
    """
    fields, dx, dy = _prep_2d("solve_2d", drift, diffusion, x, y, args)
    return _solve_2d_kernel(fields, dx, dy)


def _column_blocks(rx_up, rx_dn, ry_up, ry_dn):
    """Diagonal blocks ``A_i`` ``[nx, ny, ny]`` and the column couplings of the generator."""
    ny = ry_up.shape[1] + 1
    z_x, z_y = jnp.zeros_like(rx_up[:1]), jnp.zeros_like(ry_up[:, :1])
    out = (jnp.concatenate([rx_up, z_x], 0) + jnp.concatenate([z_x, rx_dn], 0)
           + jnp.concatenate([ry_up, z_y], 1) + jnp.concatenate([z_y, ry_dn], 1))
    eye = jnp.eye(ny, dtype=rx_up.dtype)
    # A_i[j, j-1] = ry_up[i, j-1] (inflow from below); A_i[j, j+1] = ry_dn[i, j] (from above).
    idx = jnp.arange(ny - 1)
    A = (-out[:, :, None] * eye).at[:, idx + 1, idx].set(ry_up).at[:, idx, idx + 1].set(ry_dn)
    lower = jnp.concatenate([z_x, rx_up], 0)   # row i receives rx_up[i-1] * p_{i-1}
    upper = jnp.concatenate([rx_dn, z_x], 0)   # row i receives rx_dn[i] * p_{i+1}
    return A, lower, upper


def _sweep(A, prev, nxt):
    """Block elimination along a sequence of columns: returns ``X_k`` with
    ``p_k = X_k p_{k+1}`` (in sequence order) for every column of the sequence."""
    def step(X_prev, blk):
        A_k, prev_k, next_k = blk
        S = A_k + prev_k[:, None] * X_prev
        X = -jnp.linalg.solve(S, jnp.diag(next_k))
        return X, X
    X0 = jnp.zeros_like(A[0])
    return jax.lax.scan(step, X0, (A, prev, nxt))[1]


@jax.jit
def _solve_2d_kernel(fields, dx, dy):
    rx_up, rx_dn, ry_up, ry_dn = _rates(fields, dx, dy)
    A, lower, upper = _column_blocks(rx_up, rx_dn, ry_up, ry_dn)
    nx = A.shape[0]
    m = nx // 2
    XL = _sweep(A[:m], lower[:m], upper[:m])                           # p_i = XL_i p_{i+1}, i < m
    YR = _sweep(A[m + 1:][::-1], upper[m + 1:][::-1], lower[m + 1:][::-1])  # p_i = YR p_{i-1}
    S = A[m] + lower[m][:, None] * XL[-1] + upper[m][:, None] * YR[-1]
    v = jnp.linalg.svd(S)[2][-1]
    pm = v * jnp.sign(jnp.sum(v))
    back = lambda p, X: (X @ p, X @ p)
    left = jax.lax.scan(back, pm, XL[::-1])[1][::-1]                   # columns m-1 … 0
    right = jax.lax.scan(back, pm, YR[::-1])[1]                        # columns m+1 … nx-1
    p = jnp.concatenate([left, pm[None], right], 0)
    p = jnp.maximum(p, 0.0)
    p = p / (p.sum() * dx * dy)
    Lp, Fx, Fy = _apply_2d(p, rx_up, rx_dn, ry_up, ry_dn)
    outflow = -jnp.diagonal(A, axis1=1, axis2=2) * p
    residual = jnp.max(jnp.abs(Lp)) / jnp.max(outflow)
    jx, jy = Fx * dx, Fy * dy                   # net rate per cell -> current density
    current = jnp.stack([0.5 * (jx[1:] + jx[:-1]), 0.5 * (jy[:, 1:] + jy[:, :-1])], -1)
    return Stationary2D(p, jx, jy, current, residual)
