r"""The lowest eigenstates of the three-point Schrödinger operator on a uniform 1-D grid.

.. math:: (\mathsf H\psi)_i = -\frac{\hbar^2}{2m}\,
          \frac{\psi_{i+1} - 2\psi_i + \psi_{i-1}}{\Delta x^2} + V_i\,\psi_i ,

with :math:`\psi = 0` one step beyond each end (Dirichlet) or wrapped around (periodic). The
matrix is tridiagonal (cyclic tridiagonal when periodic); only its ``n`` lowest eigenpairs
are computed, by shift-invert subspace iteration with Rayleigh–Ritz followed by a few steps
of Rayleigh-quotient (shifted inverse) iteration. Every solve is a batched tridiagonal solve
(:func:`jax.lax.linalg.tridiagonal_solve`; Sherman–Morrison for the periodic corners), so
the cost is :math:`O(N)` per vector and per iteration — no dense :math:`N\times N` matrix is
ever formed. Book chapter: *The quantum regime I*.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["Eigenstates", "eigenstates_1d"]


class Eigenstates(NamedTuple):
    """The lowest eigenpairs of a discretised Hamiltonian.

    Attributes:
      E: the eigenvalues ``[n]``, ascending.
      psi: the eigenfunctions, real ``[n, len(x)]``; row ``k`` pairs with ``E[k]``, is
        normalised to ``Σ ψ² Δx = 1`` and signed so that its last lobe of at least a tenth
        of its maximum modulus (scanning from the right) is positive — the sign convention
        of the Hermite functions.
    """
    E: jax.Array
    psi: jax.Array


def _matvec(d, e, X, periodic):
    """``H @ X`` for the symmetric (cyclic) tridiagonal ``H`` (diagonal ``d``, off-diagonal
    the scalar ``e``); ``X: [N, p]``."""
    up = jnp.roll(X, -1, axis=0)
    dn = jnp.roll(X, 1, axis=0)
    if not periodic:
        up = up.at[-1].set(0)
        dn = dn.at[0].set(0)
    return d[:, None] * X + e * (up + dn)


def _solve(d, e, shifts, B, periodic):
    """Solve ``(H - s_j) x_j = b_j`` for every column ``j`` of ``B: [N, p]`` by tridiagonal
    solves (Sherman–Morrison for the periodic corners). ``shifts`` is ``[p]`` (one system per
    column, batched) or ``[1]`` (one system, ``p`` right-hand sides: cheaper)."""
    N, p = B.shape
    m = shifts.shape[0]
    D = d[None, :] - shifts[:, None]                       # [m, N]
    lo = jnp.full((m, N), e, d.dtype).at[:, 0].set(0)
    hi = jnp.full((m, N), e, d.dtype).at[:, -1].set(0)
    rhs = B.T[:, :, None] if m > 1 else B[None]            # [m, N, p/m]
    if not periodic:
        x = jax.lax.linalg.tridiagonal_solve(lo, D, hi, rhs)
        return x[:, :, 0].T if m > 1 else x[0]
    # A = T' + u vᵀ with u = (γ, 0, …, 0, e), v = (1, 0, …, 0, e/γ), γ = -D_0.
    gamma = -D[:, 0]
    Dp = D.at[:, 0].add(-gamma).at[:, -1].add(-e * e / gamma)
    u = jnp.zeros((m, N), d.dtype).at[:, 0].set(gamma).at[:, -1].set(e)
    both = jax.lax.linalg.tridiagonal_solve(lo, Dp, hi, jnp.concatenate(
        [rhs, u[:, :, None]], axis=2))
    y, z = both[:, :, :-1], both[:, :, -1:]
    g = (e / gamma)[:, None, None]
    vy = y[:, :1] + g * y[:, -1:]
    vz = z[:, :1] + g * z[:, -1:]
    x = y - (vy / (1 + vz)) * z                            # [m, N, p/m]
    return x[:, :, 0].T if m > 1 else x[0]


def _cholqr(X):
    X = X / jnp.linalg.norm(X, axis=0, keepdims=True)
    L = jnp.linalg.cholesky(X.T @ X)
    return jax.scipy.linalg.solve_triangular(L, X.T, lower=True).T


def _orth(X):
    """An orthonormal basis of the columns of ``X`` by Cholesky-QR applied twice (CholQR2:
    orthonormal to round-off when the columns are not nearly dependent, which the callers
    ensure; several times cheaper than Householder QR for tall blocks)."""
    return _cholqr(_cholqr(X))


def _ritz(d, e, Q, periodic):
    """Rayleigh–Ritz on the orthonormal basis ``Q``: Ritz values (ascending) and vectors."""
    Hq = _matvec(d, e, Q, periodic)
    A = Q.T @ Hq
    th, W = jnp.linalg.eigh(0.5 * (A + A.T))
    return th, Q @ W


@partial(jax.jit, static_argnames=("n", "p", "periodic", "n_rqi", "max_iter"))
def _eig_kernel(V, c, *, n, p, periodic, n_rqi, max_iter):
    """``c = ħ²/(2m Δx²)``; ``p`` is the subspace size (> n)."""
    dtype = V.dtype
    N = V.shape[0]
    d = V + 2 * c
    e = -c
    eps = jnp.finfo(dtype).eps
    scale = jnp.max(jnp.abs(d)) + 2 * c                   # ≥ ‖H‖₂
    # H ≥ min V (the three-point -Laplacian is positive semi-definite); step below it.
    sigma = jnp.min(V) - (c * (2 * np.pi / N) ** 2 + 8 * eps * scale)
    # Deterministic, generic start: a fixed pseudo-random block (no key in the API).
    X0 = jax.random.normal(jax.random.key(17), (N, p), dtype)
    Q = _orth(X0)
    th0, _ = _ritz(d, e, Q, periodic)
    tol = jnp.maximum(1e-6, 10 * jnp.sqrt(eps))   # the Rayleigh-quotient steps finish the job

    def cond(s):
        _, th, th_old, k = s
        change = jnp.max(jnp.abs(th[:n] - th_old[:n]) / (jnp.abs(th[:n] - sigma) + 1e-30))
        return (k < max_iter) & ((k < 2) | (change > tol))

    def body(s):
        Q, th, _, k = s
        Q = _orth(_solve(d, e, jnp.full((1,), sigma, dtype), Q, periodic))
        th_new, Q = _ritz(d, e, Q, periodic)
        return Q, th_new, th, k + 1

    Q, th, _, _ = jax.lax.while_loop(cond, body, (Q, th0, th0 + 1, 0))

    # Rayleigh-quotient refinement of the n wanted Ritz pairs: one shifted solve per vector,
    # then Rayleigh–Ritz. The shift sits a few ulps of ‖H‖ below the Ritz value so that no
    # pivot is exactly 0; a degenerate pair stays independent (both columns are amplified
    # alike), so the Gram matrix stays well conditioned.
    Q, th = Q[:, :n], th[:n]

    def rqi(_, s):
        Q, th = s
        shifts = th - 64 * eps * scale
        Q = _orth(_solve(d, e, shifts, Q, periodic))
        th, Q = _ritz(d, e, Q, periodic)
        return Q, th

    Q, th = jax.lax.fori_loop(0, n_rqi, rqi, (Q, th))
    E, psi = th, Q.T                           # [n], [n, N]
    # Sign convention: the right-most lobe with |ψ| ≥ max|ψ|/10 is positive.
    amax = jnp.max(jnp.abs(psi), axis=1, keepdims=True)
    idx = N - 1 - jnp.argmax((jnp.abs(psi) >= 0.1 * amax)[:, ::-1], axis=1)
    sgn = jnp.sign(jnp.take_along_axis(psi, idx[:, None], axis=1))
    return E, psi * sgn


def eigenstates_1d(V, x, n: int, *, hbar=1.0, mass=1.0, periodic: bool = False) -> Eigenstates:
    r"""The ``n`` lowest eigenpairs of the three-point Hamiltonian :math:`-\frac{\hbar^2}{2m}
    \partial_x^2 + V` on the uniform grid ``x``.

    Every grid point is an unknown; :math:`\psi = 0` one step beyond each end (Dirichlet,
    the default) or the grid wraps around (``periodic=True``, period ``len(x)·Δx``). The
    eigenvalues are those of the (cyclic) tridiagonal matrix itself — no continuum
    extrapolation — to a few ulps of its norm. Cost :math:`O(N\,n)` per iteration: shift-invert
    subspace iteration on ``n + 4`` vectors (or ``2n`` when larger) from a shift below
    :math:`\min V`, then three Rayleigh-quotient steps; degenerate levels (a periodic free
    ring) are returned as an orthonormal pair.

    Args:
      V: the potential at the grid points, ``[N]``, finite (traced).
      x: the grid, ``[N]``, uniform and increasing.
      n: how many eigenpairs (static int, ``1 <= n <= N - 4``; for larger ``n`` use a dense
        eigensolver).
      hbar: Planck's constant > 0 (traced).
      mass: the mass > 0 (traced).
      periodic: wrap the grid around (static).

    Returns:
      :class:`Eigenstates` in the dtype of ``V`` and ``x``.

    Raises:
      ValueError: if ``x`` is not a uniform increasing grid of at least 5 points, ``V`` is
        not finite or not shaped like ``x``, ``n`` is not an int in ``[1, N - 4]``, or
        ``hbar`` or ``mass`` is not > 0.

    References:
      Subspace and Rayleigh-quotient iteration: :cite:t:`parlett1998symmetric`.

    Examples:
      The harmonic oscillator :math:`V = x^2/2` has the levels :math:`k + ½`:

      >>> x = jnp.linspace(-10.0, 10.0, 1000)
      >>> st = schrodinger.eigenstates_1d(x**2 / 2, x, 3)
      >>> print(*(f"{float(E):.3f}" for E in st.E))
      0.500 1.500 2.500
      >>> print(f"{float(jnp.sum(st.psi[1] ** 2) * (x[1] - x[0])):.3f}")   # normalised
      1.000
    """
    fn = "eigenstates_1d"
    checks.check_uniform_grid(fn, "x", x, min_points=5)
    checks.check_ndim(fn, "V", V, 1, "[N]")
    checks.check_same_shape(fn, "V", V, "x", x)
    checks.check_finite(fn, "V", V)
    N = int(np.shape(x)[0])
    checks.check_int(fn, "n", n)
    if n > N - 4:
        checks.fail(fn, "n", f"must be <= len(x) - 4 = {N - 4}", n)
    checks.check_positive(fn, "hbar", hbar)
    checks.check_positive(fn, "mass", mass)
    if periodic not in (True, False):
        checks.fail(fn, "periodic", "must be True or False", periodic)
    dtype = working_dtype(V, x, hbar, mass)
    V, x = jnp.asarray(V, dtype), jnp.asarray(x, dtype)
    dx = x[1] - x[0]
    c = jnp.asarray(hbar, dtype) ** 2 / (2 * jnp.asarray(mass, dtype) * dx * dx)
    p = min(max(n + 4, 2 * n), N)
    E, psi = _eig_kernel(V, c, n=n, p=p, periodic=bool(periodic), n_rqi=3, max_iter=500)
    return Eigenstates(E, psi / jnp.sqrt(dx))
