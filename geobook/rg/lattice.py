r"""The 2-D Ising model: checkerboard Metropolis, block spins, Onsager's exact results.

Square lattice, ``L × L`` spins :math:`s = \pm1`, periodic boundaries, coupling J = 1, no
field, :math:`H = -\sum_{\langle ij\rangle}s_is_j` (each bond once), temperature ``T``.
Independent lattices stack on leading axes (``[..., L, L]``); that axis can be sharded over
devices (the kernel has no device logic).
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["Ising", "ising_2d", "block_spin", "T_C", "onsager_energy", "onsager_magnetisation"]

#: Onsager's critical temperature :math:`2/\ln(1+\sqrt2)` (J = 1, k_B = 1).
T_C = 2.0 / float(np.log1p(np.sqrt(2.0)))


class Ising(NamedTuple):
    """Result of :func:`ising_2d`.

    Attributes:
      spins: the final configurations ``[..., L, L]`` in ±1 (dtype of ``s0``).
      energy: the energy per site :math:`-\\frac1{L^2}\\sum_{\\langle ij\\rangle}s_is_j`
        after every sweep, ``[..., n_sweeps]``.
      magnetisation: the signed magnetisation per site :math:`\\frac1{L^2}\\sum_i s_i` after
        every sweep, ``[..., n_sweeps]``.
    """
    spins: jax.Array
    energy: jax.Array
    magnetisation: jax.Array


def _neighbours(s):
    return (jnp.roll(s, 1, -1) + jnp.roll(s, -1, -1) + jnp.roll(s, 1, -2)
            + jnp.roll(s, -1, -2))


def _acceptance(s, beta):
    """Metropolis acceptance min(1, e^{-βΔE}) of flipping each spin, ΔE = 2 s Σ_nb."""
    return jnp.minimum(1.0, jnp.exp(-2 * beta * s * _neighbours(s)))


def _parity(shape):
    i = np.arange(shape[-2])[:, None]
    j = np.arange(shape[-1])[None, :]
    return jnp.asarray((i + j) % 2 == 0)


def _half_sweep(s, u, mask, e4, e8):
    """Metropolis update of the sites where ``mask`` is True, uniforms ``u``.

    On the checkerboard the updated sites are not neighbours, so the simultaneous update is
    the product of single-site Metropolis kernels. ``e4 = e^{-4β}``, ``e8 = e^{-8β}``.
    """
    prod = s * _neighbours(s)                        # ΔE / 2 ∈ {-4, -2, 0, 2, 4}
    acc = jnp.where(prod > 3, e8, jnp.where(prod > 1, e4, 1.0))
    return jnp.where(mask & (u < acc), -s, s)


def _observables(s):
    e = -jnp.mean(s * (jnp.roll(s, 1, -1) + jnp.roll(s, 1, -2)), axis=(-2, -1))
    return e, jnp.mean(s, axis=(-2, -1))


@partial(jax.jit, static_argnames=("n_sweeps",))
def _ising_kernel(key, s0, beta, *, n_sweeps):
    even = _parity(s0.shape)
    odd = ~even
    e4 = jnp.exp(-4 * beta).astype(s0.dtype)
    e8 = jnp.exp(-8 * beta).astype(s0.dtype)

    def sweep(s, k):
        u = jax.random.uniform(k, s.shape, s.dtype)   # one uniform per site per sweep
        s = _half_sweep(s, u, even, e4, e8)
        s = _half_sweep(s, u, odd, e4, e8)
        return s, _observables(s)

    s, (e, m) = jax.lax.scan(sweep, s0, jax.random.split(key, n_sweeps))
    return Ising(s, jnp.moveaxis(e, 0, -1), jnp.moveaxis(m, 0, -1))


def _check_spins(fn, arg, s):
    if checks.is_concrete(s):
        a = np.asarray(s)
        if not np.all(np.abs(a) == 1):
            checks.fail(fn, arg, "must hold spins ±1 only", s)


def ising_2d(key, L: int, T, *, n_sweeps: int, s0=None) -> Ising:
    r"""Checkerboard Metropolis for the 2-D Ising model (J = 1, periodic, zero field).

    One sweep updates the even sublattice (:math:`i + j` even), then the odd one; each site
    flips with probability :math:`\min(1, e^{-\Delta E/T})`, :math:`\Delta E = 2s_i\sum_{j\sim
    i}s_j`. Sites of one sublattice share no bond, so each half-sweep is an exact product of
    single-site Metropolis kernels, each reversible for :math:`e^{-H/T}`. Independent
    lattices on the leading axes of ``s0`` are updated together (and can be sharded).

    Args:
      key: a JAX PRNG key.
      L: the linear size (static, even, >= 2).
      T: temperature > 0 (traced).
      n_sweeps: number of sweeps (static, >= 1).
      s0: initial spins ``[..., L, L]`` in ±1 (their dtype is kept; a float dtype is the
        fastest on CPU); None starts one all-up lattice ``[L, L]`` in the default float
        dtype.

    Returns:
      :class:`Ising` ``(spins, energy, magnetisation)``, the observables after every sweep
      ``[..., n_sweeps]``.

    Raises:
      ValueError: if ``L`` is not an even int >= 2, ``T`` is not finite and > 0,
        ``n_sweeps`` is not an int >= 1, or ``s0`` is not ``[..., L, L]`` or holds values
        other than ±1.

    References:
      :cite:t:`metropolis1953`; :cite:t:`newman1999monte` (checkerboard updates).

    Examples:
      Below :math:`T_c` the all-up start stays ordered, at Onsager's energy and magnetisation:

      >>> run = rg.ising_2d(jax.random.key(0), 32, 1.5, n_sweeps=200)
      >>> print(f"{float(run.energy[100:].mean()):.2f} {float(rg.onsager_energy(1.5)):.2f}")
      -1.95 -1.95
      >>> print(f"{float(run.magnetisation[100:].mean()):.2f}", run.energy.shape)
      0.99 (200,)
    """
    fn = "ising_2d"
    checks.check_int(fn, "L", L, minimum=2)
    if L % 2:
        checks.fail(fn, "L", "must be even (checkerboard updates on a periodic lattice)", L)
    checks.check_finite(fn, "T", T)
    checks.check_positive(fn, "T", T)
    checks.check_int(fn, "n_sweeps", n_sweeps)
    if s0 is None:
        s0 = jnp.ones((L, L), working_dtype())
    else:
        if np.ndim(s0) < 2 or tuple(np.shape(s0)[-2:]) != (L, L):
            raise ValueError(f"{fn}: `s0` must have shape [..., L, L] = [..., {L}, {L}]; got "
                             f"shape {np.shape(s0)}.")
        _check_spins(fn, "s0", s0)
        s0 = jnp.asarray(s0)
    dt = s0.dtype if jnp.issubdtype(s0.dtype, jnp.floating) else working_dtype()
    beta = 1.0 / jnp.asarray(T, dt)
    out = _ising_kernel(key, s0.astype(dt), beta, n_sweeps=n_sweeps)
    if dt != s0.dtype:
        return Ising(out.spins.astype(s0.dtype), out.energy, out.magnetisation)
    return out


@partial(jax.jit, static_argnames=("b",))
def _block_kernel(s, *, b):
    L = s.shape[-1]
    m = L // b
    blocks = s.reshape(*s.shape[:-2], m, b, m, b)
    total = jnp.sum(blocks, axis=(-3, -1))
    corner = blocks[..., :, 0, :, 0]
    return jnp.where(total > 0, 1, jnp.where(total < 0, -1, corner)).astype(s.dtype)


def block_spin(s, b: int):
    r"""Majority-rule block spins: each ``b × b`` block becomes the sign of its sum.

    A tie (possible for even ``b``) takes the block's top-left spin.

    Args:
      s: spins ``[..., L, L]`` in ±1.
      b: the block size (static, an int >= 1 dividing ``L``).

    Returns:
      ``[..., L // b, L // b]`` spins in ±1, dtype of ``s``.

    Raises:
      ValueError: if ``s`` is not ``[..., L, L]`` (square) or holds values other than ±1, or
        ``b`` is not an int >= 1 dividing ``L``.

    References:
      :cite:t:`kadanoff1966`.

    Examples:
      >>> s = jnp.array([[1, 1, -1, 1], [1, -1, 1, -1], [-1, -1, 1, 1], [-1, 1, 1, 1]])
      >>> print(np.asarray(rg.block_spin(s, 2)))          # second block ties: top-left is -1
      [[ 1 -1]
       [-1  1]]
    """
    fn = "block_spin"
    if np.ndim(s) < 2 or np.shape(s)[-1] != np.shape(s)[-2]:
        raise ValueError(f"{fn}: `s` must have shape [..., L, L]; got shape {np.shape(s)}.")
    _check_spins(fn, "s", s)
    checks.check_divides(fn, "b", b, np.shape(s)[-1], "L")
    return _block_kernel(jnp.asarray(s), b=b)


def _ellipk(k):
    """Complete elliptic integral K(k) (modulus k) by the arithmetic–geometric mean."""
    a = jnp.ones_like(k)
    g = jnp.sqrt(1 - k * k)
    for _ in range(12):                               # quadratic convergence
        a, g = 0.5 * (a + g), jnp.sqrt(a * g)
    return jnp.pi / (2 * a)


def onsager_energy(T):
    r"""Onsager's exact energy per site of the infinite square lattice (J = 1).

    .. math:: u = -\coth 2\beta\Big[1 + \tfrac2\pi\big(2\tanh^2 2\beta - 1\big)K(k)\Big],
              \qquad k = \frac{2\sinh 2\beta}{\cosh^2 2\beta},

    with :math:`K` the complete elliptic integral of the first kind (by the
    arithmetic–geometric mean). :math:`u(T_c) = -\sqrt2`.

    Args:
      T: temperatures > 0, any shape (traced).

    Returns:
      :math:`u(T)`, same shape, in the working dtype of ``T``.

    Raises:
      ValueError: if ``T`` is not finite and > 0 (checked when concrete).

    References:
      :cite:t:`onsager1944`; :cite:t:`baxter1982exactly`.

    Examples:
      >>> print(f"{float(rg.onsager_energy(rg.T_C)):.4f}")     # -√2
      -1.4142
    """
    checks.check_finite("onsager_energy", "T", T)
    checks.check_positive("onsager_energy", "T", T)
    T = jnp.asarray(T, working_dtype(T))
    b2 = 2.0 / T
    k = jnp.minimum(2 * jnp.sinh(b2) / jnp.cosh(b2) ** 2, 1.0)
    # (2 tanh² − 1) vanishes at T_c where K(k) diverges logarithmically: the product → 0.
    c = 2 * jnp.tanh(b2) ** 2 - 1
    safe = jnp.where(k < 1.0, k, 0.0)
    term = jnp.where(k < 1.0, c * _ellipk(safe), 0.0)
    return -(1 / jnp.tanh(b2)) * (1 + (2 / jnp.pi) * term)


def onsager_magnetisation(T):
    r"""The spontaneous magnetisation of the infinite square lattice (Onsager–Yang).

    .. math:: m = \big(1 - \sinh^{-4}2\beta\big)^{1/8}\ (T < T_c), \qquad 0\ (T \ge T_c).

    Args:
      T: temperatures > 0, any shape (traced).

    Returns:
      :math:`m(T) \ge 0`, same shape, in the working dtype of ``T``.

    Raises:
      ValueError: if ``T`` is not finite and > 0 (checked when concrete).

    References:
      :cite:t:`yang1952`.

    Examples:
      >>> print(f"{float(rg.onsager_magnetisation(2.0)):.4f}", float(rg.onsager_magnetisation(3.0)))
      0.9113 0.0
    """
    checks.check_finite("onsager_magnetisation", "T", T)
    checks.check_positive("onsager_magnetisation", "T", T)
    T = jnp.asarray(T, working_dtype(T))
    x = 1 - jnp.sinh(2.0 / T) ** -4
    return jnp.where(x > 0, jnp.maximum(x, 0) ** 0.125, 0.0)
