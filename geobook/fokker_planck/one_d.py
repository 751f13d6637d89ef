r"""The 1-D Fokker–Planck equation :math:`\partial_t p = \partial_x(p\,\partial_x H +
T\,\partial_x p)` on uniform cells with zero-flux walls (Scharfetter–Gummel, see
:mod:`geobook.fokker_planck`): generator, stationary law, spectrum, exact-in-time evolution,
free energy and its dissipation. Book chapters 1 (*Learning as stochastic dynamics*), 9.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import xlogy

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["bernoulli_fn", "generator_1d", "stationary_1d", "spectrum_1d", "evolve_1d",
           "free_energy", "dissipation", "boltzmann_1d", "Spectrum", "Evolution"]


def bernoulli_fn(z):
    r"""The Bernoulli function :math:`B(z) = z/(e^z - 1)`, evaluated stably at and near 0.

    .. math:: B(z) = \frac{z}{e^z - 1},\qquad B(0) = 1,\qquad B(-z) = B(z) + z

    (the Taylor polynomial :math:`1 - z/2 + z^2/12` for :math:`|z| < 10^{-6}`).

    Args:
      z: an array of any shape (traced).

    Returns:
      :math:`B(z)`, with the shape and dtype of ``z``.

    Examples:
      >>> b = fokker_planck.bernoulli_fn(jnp.array([0.0, 1.0, -50.0]))
      >>> print(*(f"{float(v):.4f}" for v in b))       # 1, 1/(e - 1), 50/(1 - e^-50)
      1.0000 0.5820 50.0000
    """
    small = jnp.abs(z) < 1e-6
    zs = jnp.where(small, 1.0, z)
    return jnp.where(small, 1.0 - 0.5 * z + z * z / 12.0, zs / jnp.expm1(zs))


def _prep(fn, H, x, T):
    """Validate ``(H, x, T)``; returns ``H, T`` in the working dtype and the spacing ``dx``."""
    checks.check_ndim(fn, "H", H, 1, "[n]")
    checks.check_uniform_grid(fn, "x", x)
    checks.check_same_shape(fn, "H", H, "x", x)
    checks.check_finite(fn, "H", H)
    checks.check_ndim(fn, "T", T, 0, "[] (a scalar)")
    checks.check_positive(fn, "T", T)
    dtype = working_dtype(H, x, T)
    H, x, T = (jnp.asarray(a, dtype) for a in (H, x, T))
    return H, T, x[1] - x[0]


def _prep_density(fn, p, H, x, T, *, allow_zero=True):
    """Validate a density ``p`` on the cells as well; returns ``p, H, T, dx``."""
    H, T, dx = _prep(fn, H, x, T)
    checks.check_same_shape(fn, "p", p, "x", x)
    checks.check_positive(fn, "p", p, allow_zero=allow_zero)
    return jnp.asarray(p, H.dtype), H, T, dx


def _sg_coeffs(H, T, dx):
    """Rates across each interior face (right: B(u), left: B(-u)), out of each cell, u = ΔH/T."""
    u = (H[1:] - H[:-1]) / T
    c = T / dx**2
    right, left = c * bernoulli_fn(u), c * bernoulli_fn(-u)
    zero = jnp.zeros_like(H[:1])
    out = jnp.concatenate([right, zero]) + jnp.concatenate([zero, left])
    return right, left, out, u


@jax.jit
def _generator_kernel(H, T, dx):
    right, left, out, _ = _sg_coeffs(H, T, dx)
    return jnp.diag(-out) + jnp.diag(right, -1) + jnp.diag(left, 1)


def generator_1d(H, x, T):
    r"""The ``[n, n]`` Scharfetter–Gummel generator ``L`` of :math:`dp/dt = L p`.

    The flux between neighbouring cells is

    .. math:: J_{i+1/2} = \frac{T}{\Delta x}\Big[B(u)\,p_i - B(-u)\,p_{i+1}\Big],
              \qquad u = \frac{H_{i+1}-H_i}{T},

    with :math:`B` the :func:`bernoulli_fn`; the walls carry no flux. The columns of ``L``
    sum to zero (mass is conserved), its off-diagonal entries are :math:`\ge 0` (positivity
    is preserved) and :math:`L\,e^{-H/T} = 0` exactly.

    Args:
      H: the potential at the cell centres, ``[n]`` (finite).
      x: the cell centres, ``[n]``: uniform, increasing, at least 3.
      T: the temperature (diffusion coefficient), a scalar > 0 (traced).

    Returns:
      ``L``, ``[n, n]``, in the dtype of the inputs.

    Raises:
      ValueError: if ``H`` is not ``[n]`` and finite, ``x`` is not a uniform increasing grid
        of the same shape, or ``T`` is not a scalar > 0.

    References:
      :cite:t:`scharfetter1969`.

    Examples:
      >>> x = jnp.linspace(-3.0, 3.0, 60)
      >>> L = fokker_planck.generator_1d(x**2 / 2, x, 1.0)
      >>> L.shape, bool(jnp.allclose(L.sum(axis=0), 0.0, atol=1e-4))
      ((60, 60), True)
    """
    H, T, dx = _prep("generator_1d", H, x, T)
    return _generator_kernel(H, T, dx)


def _symmetric_generator(H, T, dx):
    r""":math:`S = \Pi^{-1/2} L \Pi^{1/2}` (symmetric), built without exponentials of H."""
    _, _, out, u = _sg_coeffs(H, T, dx)
    half = 0.5 * u
    small = jnp.abs(half) < 1e-6
    hs = jnp.where(small, 1.0, half)
    off = T / dx**2 * jnp.where(small, 1.0 - half * half / 6.0, hs / jnp.sinh(hs))
    return jnp.diag(-out) + jnp.diag(off, -1) + jnp.diag(off, 1)


@jax.jit
def _boltzmann_kernel(H, T, dx):
    w = jnp.exp(-(H - H.min()) / T)
    return w / (w.sum() * dx)


def boltzmann_1d(H, x, T):
    r"""The Boltzmann law :math:`e^{-H/T}/Z` on the cells (``sum(p)·dx = 1``): the closed
    form of the stationary density of :func:`generator_1d`.

    Args:
      H: the potential at the cell centres, ``[n]``.
      x: the cell centres, ``[n]`` (uniform).
      T: the temperature, a scalar > 0 (traced).

    Returns:
      The density ``[n]``.

    Raises:
      ValueError: as :func:`generator_1d`.

    Examples:
      >>> x = jnp.linspace(-6.0, 6.0, 241)
      >>> p = fokker_planck.boltzmann_1d(x**2 / 2, x, 0.5)
      >>> print(f"{float((p * x**2).sum() * (x[1] - x[0])):.3f}")   # the variance is T
      0.500
    """
    H, T, dx = _prep("boltzmann_1d", H, x, T)
    return _boltzmann_kernel(H, T, dx)


@jax.jit
def _stationary_kernel(H, T, dx):
    # S y = 0 on the (well-scaled) symmetrised operator, p = Π^{1/2} y; the last row of S is
    # replaced by the normalisation.
    sqrt_pi = jnp.exp(-(H - H.min()) / (2 * T))
    A = _symmetric_generator(H, T, dx).at[-1].set(sqrt_pi * dx)
    rhs = jnp.zeros_like(H).at[-1].set(1.0)
    return sqrt_pi * jnp.linalg.solve(A, rhs)


def stationary_1d(H, x, T):
    r"""The stationary density of :func:`generator_1d`, computed as its null vector.

    Solves :math:`S y = 0` for the symmetrised generator
    :math:`S = \Pi^{-1/2} L\,\Pi^{1/2}`, :math:`\Pi = e^{-H/T}`, with one equation replaced by
    the normalisation, and returns :math:`p = \Pi^{1/2} y` (a direct linear solve). The
    symmetrisation uses the Boltzmann weights, so the result is Boltzmann by construction:
    comparing it with :func:`boltzmann_1d` checks the linear algebra, not the scheme. To check
    that the scheme has the Boltzmann law as its stationary state, test
    :math:`L\,e^{-H/T} = 0` with :func:`generator_1d` directly.

    Args:
      H: the potential at the cell centres, ``[n]``.
      x: the cell centres, ``[n]`` (uniform).
      T: the temperature, a scalar > 0 (traced).

    Returns:
      The density ``[n]`` (``sum(p)·dx = 1``).

    Raises:
      ValueError: as :func:`generator_1d`.

    Examples:
      >>> x = jnp.linspace(-2.0, 2.0, 81)
      >>> p, pb = (f((x**2 - 1) ** 2, x, 0.5) for f in (fokker_planck.stationary_1d,
      ...                                                fokker_planck.boltzmann_1d))
      >>> bool(jnp.abs(p - pb).max() < 1e-4 * pb.max())
      True
    """
    H, T, dx = _prep("stationary_1d", H, x, T)
    return _stationary_kernel(H, T, dx)


class Spectrum(NamedTuple):
    """Eigen-decomposition of the 1-D Fokker–Planck generator.

    Attributes:
      eigenvalues: ``[k]`` in decreasing order (the first is 0 up to round-off).
      modes: right eigenvectors of ``L`` ``[n, k]`` (column ``j`` pairs with eigenvalue ``j``),
        normalised so that ``modes[:, 0]`` is the stationary density (``sum·dx = 1``).
    """
    eigenvalues: jax.Array
    modes: jax.Array


@partial(jax.jit, static_argnames="n_modes")
def _spectrum_kernel(H, T, dx, *, n_modes):
    lam, V = jnp.linalg.eigh(_symmetric_generator(H, T, dx))
    lam, V = lam[::-1][:n_modes], V[:, ::-1][:, :n_modes]
    modes = jnp.exp(-(H - H.min()) / (2 * T))[:, None] * V
    return Spectrum(lam, modes / (modes[:, 0].sum() * dx))


def spectrum_1d(H, x, T, n_modes: int | None = None) -> Spectrum:
    r"""Eigenvalues and right eigenvectors of :func:`generator_1d`, slowest first.

    :math:`0 = \lambda_0 > \lambda_1 \ge \dots` (:math:`-\lambda_k`: the relaxation rates),
    from the symmetric form :math:`\Pi^{-1/2}L\,\Pi^{1/2}` (detailed balance); by the Witten
    transform they are the energies of the imaginary-time Schrödinger operator with potential
    :math:`|H'|^2/4T - H''/2`.

    Args:
      H: the potential at the cell centres, ``[n]``.
      x: the cell centres, ``[n]`` (uniform).
      T: the temperature, a scalar > 0 (traced).
      n_modes: how many modes to return (static int in ``[1, n]``); None for all ``n``.

    Returns:
      :class:`Spectrum`.

    Raises:
      ValueError: as :func:`generator_1d`, and if ``n_modes`` is not an int in ``[1, n]``.

    References:
      :cite:t:`risken1989fokker`.

    Examples:
      Ornstein–Uhlenbeck (:math:`H = q^2/2`): :math:`0, -1, -2, \dots` up to the grid error:

      >>> x = jnp.linspace(-8.0, 8.0, 400)
      >>> sp = fokker_planck.spectrum_1d(x**2 / 2, x, 0.5, n_modes=3)
      >>> print(*(f"{float(v):.2f}" for v in sp.eigenvalues[1:]))
      -1.00 -2.00
    """
    fn = "spectrum_1d"
    H, T, dx = _prep(fn, H, x, T)
    n = H.shape[0]
    n_modes = n if n_modes is None else n_modes
    checks.check_int(fn, "n_modes", n_modes)
    if n_modes > n:
        checks.fail(fn, "n_modes", f"must be <= the number of cells {n}", n_modes)
    return _spectrum_kernel(H, T, dx, n_modes=n_modes)


class Evolution(NamedTuple):
    """Solution of the semi-discrete 1-D Fokker–Planck equation at a set of times.

    Attributes:
      p: the density at the last time, ``times[-1]``, ``[n]``.
      path: the densities ``[n_times + 1, n]``: the initial density ``p0`` (normalised to
        mass 1) first, then the density at each entry of ``times``.
      t: the times of the rows of ``path``, ``[n_times + 1]``: ``0``, then ``times``.
      mass: ``sum(path[k])·dx`` for every row ``k``, ``[n_times + 1]`` (1 up to round-off:
        the flow conserves mass).
    """
    p: jax.Array
    path: jax.Array
    t: jax.Array
    mass: jax.Array


def evolve_1d(p0, H, x, T, times) -> Evolution:
    r"""Exact-in-time solution :math:`p(t) = e^{tL}p_0` of the semi-discrete equation.

    Uses the eigendecomposition of the symmetric form of ``L``, so any set of times costs one
    ``eigh``: there is no time-step error, only the spatial (second-order) error.

    Args:
      p0: the initial density on the cells, ``[n]``, ``>= 0`` with positive mass (normalised
        to mass 1 here).
      H: the potential at the cell centres, ``[n]``.
      x: the cell centres, ``[n]`` (uniform).
      T: the temperature, a scalar > 0 (traced).
      times: the times after the start at which to report the density, ``[n_times]``:
        strictly increasing and ``> 0`` (traced). The start :math:`t = 0` is always
        ``path[0]``; do not include it.

    Returns:
      :class:`Evolution` whose ``path`` holds ``p0`` and then ``p(times)``.

    Raises:
      ValueError: as :func:`generator_1d`, and if ``p0`` is not ``[n]``, ``>= 0`` with positive
        mass, or ``times`` is not a strictly increasing ``[n_times]`` array of positive times.

    Examples:
      Mass starting in the right well of :math:`H = (q^2-1)^2` relaxes to the Boltzmann law:

      >>> x = (jnp.arange(120) + 0.5) / 20 - 3.0
      >>> p0 = jnp.where(jnp.abs(x - 1.0) < 0.1, 1.0, 0.0)
      >>> run = fokker_planck.evolve_1d(p0, (x**2 - 1) ** 2, x, 0.5, jnp.array([1.0, 10.0, 50.0]))
      >>> run.path.shape, run.t.tolist()                  # p0 first, at t = 0
      ((4, 120), [0.0, 1.0, 10.0, 50.0])
      >>> right = (run.path * (x > 0)).sum(axis=1) * 0.05  # mass in the right well
      >>> print(*(f"{float(m):.2f}" for m in right))
      1.00 0.92 0.55 0.50
    """
    fn = "evolve_1d"
    H, T, dx = _prep(fn, H, x, T)
    checks.check_same_shape(fn, "p0", p0, "x", x)
    checks.check_positive(fn, "p0", p0, allow_zero=True)
    if checks.is_concrete(p0) and not float(jnp.sum(jnp.asarray(p0))) > 0:
        checks.fail(fn, "p0", "must have positive mass", p0)
    checks.check_increasing(fn, "times", times, min_points=1)
    checks.check_interval(fn, "times", times, 0, None, closed="neither")
    return _evolve_kernel(jnp.asarray(p0, H.dtype), H, T, dx, jnp.asarray(times, H.dtype))


@jax.jit
def _evolve_kernel(p0, H, T, dx, times):
    p0 = p0 / (p0.sum() * dx)
    lam, V = jnp.linalg.eigh(_symmetric_generator(H, T, dx))
    lam = jnp.minimum(lam, 0.0)
    half = -(H - H.min()) / (2 * T)
    # p(t) = Π^{1/2} V e^{Λt} Vᵀ Π^{-1/2} p0; the guard keeps 0·e^{large} out of Π^{-1/2} p0.
    y0 = V.T @ jnp.where(p0 > 0, p0 * jnp.exp(-half), 0.0)
    p = jnp.exp(half)[None, :] * ((jnp.exp(times[:, None] * lam[None, :]) * y0[None, :]) @ V.T)
    path = jnp.concatenate([p0[None], jnp.maximum(p, 0.0)])
    return Evolution(path[-1], path, jnp.concatenate([jnp.zeros_like(times[:1]), times]),
                     path.sum(axis=1) * dx)


@jax.jit
def _free_energy_kernel(p, H, T, dx):
    return jnp.sum(p * H) * dx + T * jnp.sum(xlogy(p, p)) * dx


def free_energy(p, H, x, T):
    r"""The free energy of a density on the cells,

    .. math:: F[p] = \int p\,H\,dx + T\int p\ln p\,dx \qquad (0\ln 0 = 0).

    It decreases monotonically along the Fokker–Planck flow and is minimal at
    :math:`e^{-H/T}/Z`, where it equals :math:`-T\ln Z`.

    Args:
      p: a density on the cells, ``[n]``, ``>= 0`` (traced).
      H: the potential at the cell centres, ``[n]``.
      x: the cell centres, ``[n]`` (uniform).
      T: the temperature, a scalar > 0 (traced).

    Returns:
      :math:`F[p]`, a scalar.

    Raises:
      ValueError: as :func:`generator_1d`, and if ``p`` does not have the shape of ``x`` or
        has a negative entry.

    References:
      :cite:t:`jordan1998variational`.

    Examples:
      At the Boltzmann law :math:`F = -T\ln Z`; for :math:`H = x` on ``[0, 1]``,
      :math:`Z = T(1 - e^{-1/T})`:

      >>> x = (jnp.arange(50) + 0.5) / 50
      >>> pb = fokker_planck.boltzmann_1d(x, x, 0.5)
      >>> print(f"{float(fokker_planck.free_energy(pb, x, x, 0.5)):.3f}")   # -T ln Z
      0.419
    """
    p, H, T, dx = _prep_density("free_energy", p, H, x, T)
    return _free_energy_kernel(p, H, T, dx)


@jax.jit
def _dissipation_kernel(p, H, T, dx):
    mu = H + T * jnp.log(p)
    return jnp.sum(p * jnp.gradient(mu, dx) ** 2) * dx


def dissipation(p, H, x, T):
    r"""The free-energy dissipation :math:`\int p\,|\partial_x(H + T\ln p)|^2\,dx` of a
    positive density on the cells.

    Along the Fokker–Planck flow :math:`dF/dt` is minus this (the JKO / Wasserstein
    gradient-flow identity; :func:`free_energy` gives F). Centred differences inside,
    one-sided at the walls, midpoint quadrature.

    Args:
      p: a density on the cells, ``[n]``, ``> 0`` (traced).
      H: the potential at the cell centres, ``[n]``.
      x: the cell centres, ``[n]`` (uniform).
      T: the temperature, a scalar > 0 (traced).

    Returns:
      The dissipation, a scalar :math:`\ge 0`.

    Raises:
      ValueError: as :func:`generator_1d`, and if ``p`` does not have the shape of ``x`` or is
        not ``> 0``.

    References:
      :cite:t:`jordan1998variational`.

    Examples:
      It vanishes at the Boltzmann law; for ``p = 1`` and ``H = x`` it is :math:`\int H'^2 = 1`:

      >>> x = (jnp.arange(100) + 0.5) / 100
      >>> pb = fokker_planck.boltzmann_1d(x, x, 0.5)
      >>> print(f"{float(fokker_planck.dissipation(pb, x, x, 0.5)):.4f}")
      0.0000
      >>> print(f"{float(fokker_planck.dissipation(jnp.ones(100), x, x, 0.5)):.4f}")
      1.0000
    """
    p, H, T, dx = _prep_density("dissipation", p, H, x, T, allow_zero=False)
    return _dissipation_kernel(p, H, T, dx)
