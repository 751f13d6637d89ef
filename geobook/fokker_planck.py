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

Book chapter: *Learning as stochastic dynamics on a parameter manifold*.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["bernoulli_fn", "generator_1d", "stationary_1d", "spectrum_1d", "evolve_1d",
           "free_energy", "dissipation", "boltzmann_1d", "Spectrum", "Evolution"]


def bernoulli_fn(z):
    r"""The Bernoulli function :math:`B(z) = z/(e^z - 1)`, with :math:`B(0) = 1` (stable)."""
    small = jnp.abs(z) < 1e-6
    zs = jnp.where(small, 1.0, z)
    return jnp.where(small, 1.0 - 0.5 * z + z * z / 12.0, zs / jnp.expm1(zs))


def _prep(fn, H, x, T):
    checks.check_ndim(fn, "H", H, 1, "[n]")
    checks.check_ndim(fn, "x", x, 1, "[n]")
    checks.check_same_shape(fn, "H", H, "x", x)
    n = np.shape(x)[0]
    if n < 3:
        raise ValueError(f"{fn}: `x` must hold at least 3 cells; got {n}.")
    checks.check_finite(fn, "H", H)
    checks.check_finite(fn, "x", x)
    checks.check_positive(fn, "T", T)
    if checks.is_concrete(x):
        dx = np.diff(np.asarray(x, np.float64))
        if np.any(dx <= 0) or np.ptp(dx) > 1e-4 * abs(dx.mean()):
            raise ValueError(f"{fn}: `x` must be uniform, increasing cell centres; got spacings "
                             f"between {dx.min():.3g} and {dx.max():.3g}.")
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
