r"""Fokker–Planck equations on a grid: Scharfetter–Gummel finite volumes.

The 1-D equation :math:`\partial_t p = \partial_x\big(p\,\partial_x H + T\,\partial_x p\big)`
on uniform cells with zero-flux walls is discretised with the exponentially fitted
(Scharfetter–Gummel) flux between neighbouring cells :math:`i, i+1`,

.. math:: J_{i+1/2} = \frac{T}{\Delta x}\Big[B(u)\,p_i - B(-u)\,p_{i+1}\Big],
          \qquad u = \frac{H_{i+1}-H_i}{T},\qquad B(z) = \frac{z}{e^z-1},

which vanishes exactly on :math:`p_i \propto e^{-H_i/T}`: the discrete stationary state is
the Boltzmann law at the nodes for *any* grid, the generator conserves mass and positivity,
and it satisfies detailed balance, so it is similar to a symmetric matrix (its spectrum is
real and :math:`\le 0`).

In two dimensions (:func:`solve_2d`, :func:`generator_2d`) the equation is the general
Itô form :math:`\partial_t p = -\nabla\cdot J`, :math:`J = b\,p - \nabla\cdot(D p)` with a
drift field :math:`b` that need not be a gradient and a diagonal diffusion tensor
:math:`D(q)`; the stationary state then carries a probability current in general, and the
solver returns it.

Book chapters: *Learning as stochastic dynamics on a parameter manifold* (1-D),
*The equilibration regime* (2-D, currents).
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["bernoulli_fn", "generator_1d", "stationary_1d", "spectrum_1d", "evolve_1d",
           "free_energy", "dissipation", "boltzmann_1d", "generator_2d", "solve_2d",
           "Spectrum", "Evolution", "Stationary2D"]


def bernoulli_fn(z):
    r"""The Bernoulli function :math:`B(z) = z/(e^z - 1)`, with :math:`B(0) = 1` (stable)."""
    small = jnp.abs(z) < 1e-6
    zs = jnp.where(small, 1.0, z)
    return jnp.where(small, 1.0 - 0.5 * z + z * z / 12.0, zs / jnp.expm1(zs))


def _prep(fn, H, x, T):
    checks.check_ndim(fn, "H", H, 1, "[n]")
    _uniform_axis(fn, "x", x)
    checks.check_same_shape(fn, "H", H, "x", x)
    checks.check_finite(fn, "H", H)
    checks.check_positive(fn, "T", T)
    dtype = working_dtype(H, x, T)
    H, x, T = (jnp.asarray(a, dtype) for a in (H, x, T))
    return H, x, T, x[1] - x[0]


def _sg_coeffs(H, T, dx):
    """Right-going (B(u)) and left-going (B(-u)) rates across each interior face."""
    u = (H[1:] - H[:-1]) / T
    c = T / dx**2
    return c * bernoulli_fn(u), c * bernoulli_fn(-u), u


def generator_1d(H, x, T):
    r"""The ``[n, n]`` generator ``L`` of :math:`dp/dt = L p` (columns sum to zero).

    Args:
      H: potential at the uniform cell centres ``x`` ``[n]``.
      x: cell centres ``[n]`` (uniform spacing).
      T: temperature (diffusion coefficient) > 0.
    """
    H, x, T, dx = _prep("generator_1d", H, x, T)
    right, left, _ = _sg_coeffs(H, T, dx)
    zero = jnp.zeros_like(H[:1])
    out = jnp.concatenate([right, zero]) + jnp.concatenate([zero, left])   # leaving cell i
    return (jnp.diag(-out) + jnp.diag(right, -1) + jnp.diag(left, 1))


def _symmetric_generator(H, T, dx):
    r""":math:`S = \Pi^{-1/2} L \Pi^{1/2}` (symmetric), built without exponentials of H."""
    right, left, u = _sg_coeffs(H, T, dx)
    c = T / dx**2
    half = 0.5 * u
    small = jnp.abs(half) < 1e-6
    hs = jnp.where(small, 1.0, half)
    off = c * jnp.where(small, 1.0 - half * half / 6.0, hs / jnp.sinh(hs))
    zero = jnp.zeros_like(H[:1])
    out = jnp.concatenate([right, zero]) + jnp.concatenate([zero, left])
    return jnp.diag(-out) + jnp.diag(off, -1) + jnp.diag(off, 1)


def boltzmann_1d(H, x, T):
    r"""Normalised :math:`e^{-H/T}` on the cells (``sum(p)·dx = 1``): the closed form."""
    H, x, T, dx = _prep("boltzmann_1d", H, x, T)
    w = jnp.exp(-(H - H.min()) / T)
    return w / (w.sum() * dx)


def stationary_1d(H, x, T):
    r"""Stationary density of :func:`generator_1d`, computed as its null vector.

    Solves :math:`L p = 0` with one equation replaced by :math:`\sum_i p_i\,\Delta x = 1`
    (a direct linear solve; it does not assume the Boltzmann form, so comparing the result
    with :func:`boltzmann_1d` is a genuine check of the scheme).
    """
    H, x, T, dx = _prep("stationary_1d", H, x, T)
    # Work on the symmetrised operator (well scaled), then map back with Π^{1/2}.
    S = _symmetric_generator(H, T, dx)
    sqrt_pi = jnp.exp(-(H - H.min()) / (2 * T))
    # L p = 0  <=>  S y = 0 with p = Π^{1/2} y;  replace the last row by the normalisation.
    A = S.at[-1].set(sqrt_pi * dx)
    rhs = jnp.zeros_like(H).at[-1].set(1.0)
    y = jnp.linalg.solve(A, rhs)
    return sqrt_pi * y


class Spectrum(NamedTuple):
    """Eigen-decomposition of the Fokker–Planck generator.

    Attributes:
      eigenvalues: ``[k]`` in decreasing order (the first is 0 up to round-off).
      modes: right eigenvectors of ``L`` ``[n, k]`` (column ``j`` pairs with eigenvalue ``j``),
        normalised so that ``modes[:, 0]`` is the stationary density (``sum·dx = 1``).
    """
    eigenvalues: jax.Array
    modes: jax.Array


def spectrum_1d(H, x, T, n_modes: int | None = None) -> Spectrum:
    r"""Eigenvalues (decreasing, :math:`0 = \lambda_0 > \lambda_1 \ge \dots`) and right
    eigenvectors of the generator, from the symmetric form :math:`\Pi^{-1/2}L\Pi^{1/2}`.

    ``-λ`` are the relaxation rates; by the Witten transform they are the energies of the
    imaginary-time Schrödinger operator with potential :math:`|H'|^2/4T - H''/2`.
    """
    H, x, T, dx = _prep("spectrum_1d", H, x, T)
    n = H.shape[0]
    if n_modes is None:
        n_modes = n
    checks.check_int("spectrum_1d", "n_modes", n_modes)
    if n_modes > n:
        checks.fail("spectrum_1d", "n_modes", f"must be <= the number of cells {n}", n_modes)
    lam, V = jnp.linalg.eigh(_symmetric_generator(H, T, dx))
    lam, V = lam[::-1][:n_modes], V[:, ::-1][:, :n_modes]
    sqrt_pi = jnp.exp(-(H - H.min()) / (2 * T))
    modes = sqrt_pi[:, None] * V
    p0 = modes[:, 0]
    scale = 1.0 / (p0.sum() * dx)
    return Spectrum(lam, modes * scale)


class Evolution(NamedTuple):
    """Densities ``p`` ``[n_times, n]`` at ``times`` ``[n_times]`` and their mass."""
    times: jax.Array
    p: jax.Array
    mass: jax.Array


def evolve_1d(p0, H, x, T, times) -> Evolution:
    r"""Exact-in-time solution :math:`p(t) = e^{tL}p_0` of the semi-discrete equation.

    Uses the eigendecomposition of the symmetric form, so any set of ``times`` costs one
    ``eigh``; there is no time-step error, only the spatial (second-order) error.

    Args:
      p0: initial density on the cells ``[n]`` (non-negative; normalised to mass 1 here).
      H, x, T: as in :func:`generator_1d`.
      times: ``[n_times]`` non-negative times.
    """
    H, x, T, dx = _prep("evolve_1d", H, x, T)
    checks.check_ndim("evolve_1d", "p0", p0, 1, "[n]")
    checks.check_same_shape("evolve_1d", "p0", p0, "x", x)
    checks.check_positive("evolve_1d", "p0", p0, allow_zero=True)
    checks.check_ndim("evolve_1d", "times", times, 1, "[n_times]")
    checks.check_positive("evolve_1d", "times", times, allow_zero=True)
    if checks.is_concrete(p0) and float(np.sum(p0)) <= 0:
        checks.fail("evolve_1d", "p0", "must have positive mass", p0)
    return _evolve_kernel(jnp.asarray(p0, H.dtype), H, T, dx, jnp.asarray(times, H.dtype))


@jax.jit
def _evolve_kernel(p0, H, T, dx, times):
    p0 = p0 / (p0.sum() * dx)
    lam, V = jnp.linalg.eigh(_symmetric_generator(H, T, dx))
    lam = jnp.minimum(lam, 0.0)
    half = -(H - H.min()) / (2 * T)
    # p(t) = Π^{1/2} V e^{Λt} Vᵀ Π^{-1/2} p0, with Π^{-1/2} p0 formed in log space.
    y0 = V.T @ jnp.where(p0 > 0, p0 * jnp.exp(-half), 0.0)
    p = jnp.exp(half)[None, :] * ((jnp.exp(times[:, None] * lam[None, :]) * y0[None, :]) @ V.T)
    p = jnp.maximum(p, 0.0)
    return Evolution(times, p, p.sum(axis=1) * dx)


def free_energy(p, H, x, T):
    r"""Free energy :math:`F[p] = \int p H\,dx + T\int p\ln p\,dx` of a density on the cells;
    it decreases monotonically under the Fokker–Planck flow and is minimal at
    :math:`e^{-H/T}/Z`, where it equals :math:`-T\ln Z`."""
    H, x, T, dx = _prep("free_energy", H, x, T)
    checks.check_same_shape("free_energy", "p", p, "x", x)
    checks.check_positive("free_energy", "p", p, allow_zero=True)
    p = jnp.asarray(p, H.dtype)
    plogp = jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0)
    return jnp.sum(p * H) * dx + T * jnp.sum(plogp) * dx


def dissipation(p, H, x, T):
    r"""Free-energy dissipation :math:`\int p\,|\partial_x(H + T\ln p)|^2\,dx` of a positive density
    on the cells (centred differences inside, one-sided at the two walls; trapezoid-free
    midpoint quadrature). Along the Fokker–Planck flow :math:`dF/dt = -` this quantity
    (the JKO / Wasserstein gradient-flow identity); :func:`free_energy` gives F.
    """
    H, x, T, dx = _prep("dissipation", H, x, T)
    checks.check_same_shape("dissipation", "p", p, "x", x)
    checks.check_positive("dissipation", "p", p)
    p = jnp.asarray(p, H.dtype)
    mu = H + T * jnp.log(p)
    return jnp.sum(p * jnp.gradient(mu, dx) ** 2) * dx


# ----------------------------------------------------------------------------------------------
# Two dimensions: general drift, diagonal diffusion, stationary state and current.
# ----------------------------------------------------------------------------------------------

def _uniform_axis(fn, arg, x):
    checks.check_ndim(fn, arg, x, 1, "[n]")
    n = np.shape(x)[0]
    if n < 3:
        raise ValueError(f"{fn}: `{arg}` must hold at least 3 cells; got {n}.")
    checks.check_finite(fn, arg, x)
    if checks.is_concrete(x):
        d = np.diff(np.asarray(x, np.float64))
        if np.any(d <= 0) or np.ptp(d) > 1e-4 * abs(d.mean()):
            raise ValueError(f"{fn}: `{arg}` must be uniform, increasing cell centres; got "
                             f"spacings between {d.min():.3g} and {d.max():.3g}.")


def _prep_2d(fn, drift, diffusion, x, y):
    """Validate the inputs and evaluate the fields; returns ``(fields, dx, dy)``."""
    for name, f in (("drift", drift), ("diffusion", diffusion)):
        if not callable(f):
            checks.fail(fn, name, "must be callable (q: [2] -> [2])", type(f).__name__)
    _uniform_axis(fn, "x", x)
    _uniform_axis(fn, "y", y)
    dtype = working_dtype(x, y)
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    for name, f in (("drift", drift), ("diffusion", diffusion)):
        shape = jax.eval_shape(f, jax.ShapeDtypeStruct((2,), dtype)).shape
        if shape != (2,):
            raise ValueError(f"{fn}: `{name}` must map a point q: [2] to [2]; got output "
                             f"shape {shape}.")
    fields = _fields_2d(drift, diffusion, x, y)
    if checks.is_concrete(*fields):
        bx, by, Dx, Dy, Dc = fields
        for name, v in (("drift", (bx, by)), ("diffusion", (Dc, Dx, Dy))):
            bad = sum(int(np.sum(~np.isfinite(np.asarray(a)))) for a in v)
            if bad:
                raise ValueError(f"{fn}: `{name}` must be finite on the grid (cell centres and "
                                 f"faces); got {bad} non-finite values.")
        lo = min(float(jnp.min(a)) for a in (Dc, Dx, Dy))
        if lo <= 0:
            raise ValueError(f"{fn}: `diffusion` must be positive on the grid (cell centres and "
                             f"faces); got a minimum of {lo:.3g}.")
    return fields, x[1] - x[0], y[1] - y[0]


@partial(jax.jit, static_argnums=(0, 1))
def _fields_2d(drift, diffusion, x, y):
    """Drift and diffusion where the scheme needs them (one compiled evaluation)."""
    field = lambda f, X, Y: jax.vmap(jax.vmap(f))(jnp.stack(jnp.meshgrid(X, Y, indexing="ij"), -1))
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


def generator_2d(drift, diffusion, x, y):
    r"""The dense ``[nx·ny, nx·ny]`` generator ``L`` of :func:`solve_2d`'s scheme (row-major
    cells, index ``i·ny + j``; columns sum to zero). Meant for small grids and for checking;
    :func:`solve_2d` never forms it.

    Args: as :func:`solve_2d`.
    """
    fields, dx, dy = _prep_2d("generator_2d", drift, diffusion, x, y)
    rx_up, rx_dn, ry_up, ry_dn = _rates(fields, dx, dy)
    nx, ny = rx_up.shape[0] + 1, ry_up.shape[1] + 1
    E = jnp.eye(nx * ny, dtype=rx_up.dtype).reshape(nx * ny, nx, ny)
    cols = jax.vmap(lambda e: _apply_2d(e, rx_up, rx_dn, ry_up, ry_dn)[0].ravel())(E)
    return cols.T


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


def solve_2d(drift, diffusion, x, y) -> Stationary2D:
    r"""Stationary density and probability current of
    :math:`\partial_t p = -\nabla\cdot J,\; J = b\,p - \nabla\cdot(D\,p)` on a rectangle with
    zero-flux walls.

    This is the Fokker–Planck equation of the Itô SDE :math:`dq = b\,dt + \sqrt{2D}\,dW` with a
    diagonal diffusion tensor :math:`D = \mathrm{diag}(D_1(q), D_2(q))`. The drift need not be a
    gradient and :math:`D` may depend on the state: then the stationary state is in general
    *not* of Boltzmann form and carries a divergence-free, non-zero current :math:`J`.

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
      drift: ``b(q) -> [2]`` for a point ``q: [2]`` (JAX-traceable).
      diffusion: ``(D_1(q), D_2(q)) -> [2]``, the diagonal of the diffusion tensor (``> 0``).
        It is ``½`` of the noise covariance per unit time: ``D = T·I`` for
        :math:`dq = -\nabla H\,dt + \sqrt{2T}\,dW`.
      x, y: uniform cell centres ``[nx]``, ``[ny]`` (at least 3 each).

    Returns:
      :class:`Stationary2D`, in the dtype of ``x`` and ``y``.
    """
    fields, dx, dy = _prep_2d("solve_2d", drift, diffusion, x, y)
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
