r"""Strang-split Fourier propagation of the Schrödinger equation on periodic 1-D and 2-D
grids, in real and imaginary time, and the imaginary-time ground state.

One step of length :math:`\Delta t` is
:math:`e^{-iV\Delta t/2\hbar}\,\mathcal F^{-1} e^{-i\hbar k^2\Delta t/2m}\mathcal F\,
e^{-iV\Delta t/2\hbar}`: second order in :math:`\Delta t`, unitary (the norm is conserved
to round-off) and exact for the free particle. In imaginary time the factors are
:math:`e^{-V\Delta\tau/2\hbar}` and :math:`e^{-\hbar k^2\Delta\tau/2m}` and the state is
renormalised after every step. Book chapters: *The quantum regime I* and *II*.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["Wavefunction", "GroundState", "split_step", "ground_state", "energy"]


class Wavefunction(NamedTuple):
    """A propagated wave function.

    Attributes:
      psi: the final state, complex, shaped like ``psi0``.
      path: the saved states ``[n_saved, *psi0.shape]``: ``psi0`` first, then the state
        every ``save_every`` steps (``n_saved = n_steps // save_every + 1``); only ``psi0``
        when ``save_every`` is None.
      t: the times of the rows of ``path``, ``[n_saved]``.
    """
    psi: jax.Array
    path: jax.Array
    t: jax.Array


class GroundState(NamedTuple):
    """Result of :func:`ground_state` (an iterative solver).

    Attributes:
      psi: the ground state, complex ``[*grid]``, ``Σ|ψ|² ΔV = 1``, with real positive
        values up to the O(Δτ²) splitting error.
      E: its energy :math:`\\langle\\psi|H|\\psi\\rangle` with the spectral (exact-in-space)
        kinetic energy.
      n_iter: imaginary-time steps taken.
      error: the change of ``E`` over the last ``check_every`` steps.
      converged: ``error <= tol``.
    """
    psi: jax.Array
    E: jax.Array
    n_iter: jax.Array
    error: jax.Array
    converged: jax.Array


def _grid(fn, x):
    """``x`` is one uniform grid (1-D) or a tuple of two (2-D); returns the grids as a tuple."""
    grids = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    if len(grids) not in (1, 2):
        checks.fail(fn, "x", "must be one grid [n] (1-D) or a tuple of two grids (2-D)",
                    f"a sequence of {len(grids)} grids")
    for g in grids:
        checks.check_uniform_grid(fn, "x", g, min_points=4)
    return grids


def _prep(fn, psi0, V, x, hbar, mass):
    grids = _grid(fn, x)
    shape = tuple(int(np.shape(g)[0]) for g in grids)
    nd = len(shape)
    if np.ndim(psi0) < nd or tuple(np.shape(psi0)[-nd:]) != shape:
        raise ValueError(f"{fn}: `psi0` must have shape [..., {', '.join(map(str, shape))}] "
                         f"(batch axes first, then the grid); got shape {np.shape(psi0)}.")
    checks.check_finite(fn, "psi0", psi0)
    if checks.is_concrete(psi0):
        nrm = np.sum(np.abs(np.asarray(psi0)) ** 2, axis=tuple(range(-nd, 0)))
        if np.any(nrm == 0):
            checks.fail(fn, "psi0", "must have a non-zero norm (every state of the batch)",
                        f"{int(np.sum(nrm == 0))} state(s) of zero norm")
    if np.ndim(V) < nd or tuple(np.shape(V)[-nd:]) != shape:
        raise ValueError(f"{fn}: `V` must have shape [..., {', '.join(map(str, shape))}]; got "
                         f"shape {np.shape(V)}.")
    checks.check_finite(fn, "V", V)
    checks.check_positive(fn, "hbar", hbar)
    checks.check_positive(fn, "mass", mass)
    real = working_dtype(jnp.real(jnp.asarray(psi0)) if np.iscomplexobj(psi0) else psi0, V,
                         *grids, hbar, mass)
    cplx = jnp.result_type(real, jnp.complex64)
    dxs = [jnp.asarray(g, real)[1] - jnp.asarray(g, real)[0] for g in grids]
    k2 = 0.0
    for i, (n, dx) in enumerate(zip(shape, dxs)):
        k = 2 * jnp.pi * jnp.fft.fftfreq(n, 1.0).astype(real) / dx
        k2 = k2 + (k ** 2).reshape((n,) + (1,) * (nd - 1 - i))
    vol = jnp.prod(jnp.stack(dxs))
    return (jnp.asarray(psi0, cplx), jnp.asarray(V, real), k2, vol, jnp.asarray(hbar, real),
            jnp.asarray(mass, real), nd)


def _fft(psi, nd):
    return jnp.fft.fft(psi) if nd == 1 else jnp.fft.fft2(psi)


def _ifft(psi, nd):
    return jnp.fft.ifft(psi) if nd == 1 else jnp.fft.ifft2(psi)


def _norm2(psi, vol, nd):
    return jnp.sum(jnp.abs(psi) ** 2, axis=tuple(range(-nd, 0)), keepdims=True) * vol


@partial(jax.jit, static_argnames=("nd", "n_steps", "save_every", "imaginary"))
def _split_kernel(psi0, V, k2, vol, hbar, mass, dt, *, nd, n_steps, save_every, imaginary):
    real = V.dtype
    if imaginary:
        half = jnp.exp(-(V - jnp.min(V)) * dt / (2 * hbar)).astype(psi0.dtype)
        kin = jnp.exp(-hbar * k2 * dt / (2 * mass)).astype(psi0.dtype)
        psi0 = psi0 / jnp.sqrt(_norm2(psi0, vol, nd))

        def step(psi, _):
            psi = half * _ifft(kin * _fft(half * psi, nd), nd)
            return psi / jnp.sqrt(_norm2(psi, vol, nd)), None

        def block(psi, m):
            return jax.lax.scan(step, psi, None, length=m)[0]
    else:
        # Unit-modulus factors built from cos/sin of the (real) phase: |factor| = 1 to
        # round-off, with no systematic bias in the norm.
        def phase(a):
            return jax.lax.complex(jnp.cos(a), -jnp.sin(a)).astype(psi0.dtype)

        half = phase(0.5 * V * dt / hbar)
        kin = phase(0.5 * hbar * k2 * dt / mass)
        full = phase(V * dt / hbar)

        # Adjacent half-steps of the potential are fused: P K P · P K P = P K P² K P.
        def step(psi, _):
            return full * _ifft(kin * _fft(psi, nd), nd), None

        def block(psi, m):
            psi = jax.lax.scan(step, half * psi, None, length=m)[0]
            return psi * jnp.conj(half)

    if save_every is None:
        psi = block(psi0, n_steps)
        return Wavefunction(psi, psi0[None], jnp.zeros((1,), real))

    def outer(psi, _):
        psi = block(psi, save_every)
        return psi, psi

    psi, path = jax.lax.scan(outer, psi0, None, length=n_steps // save_every)
    path = jnp.concatenate([psi0[None], path], axis=0)
    t = dt * save_every * jnp.arange(path.shape[0], dtype=real)
    return Wavefunction(psi, path, t)


def split_step(psi0, V, x, *, dt, n_steps: int, hbar=1.0, mass=1.0, imaginary: bool = False,
               save_every: Optional[int] = None) -> Wavefunction:
    r"""Strang-split Fourier propagation of :math:`i\hbar\partial_t\psi = H\psi`,
    :math:`H = -\frac{\hbar^2}{2m}\Delta + V`, on a periodic uniform grid (1-D or 2-D).

    With ``imaginary=True`` it integrates :math:`\hbar\partial_\tau\psi = -H\psi` instead and
    renormalises to :math:`\sum|\psi|^2\Delta V = 1` after every step (the path relaxes to the
    ground state). The splitting error is :math:`O(\Delta t^2)` globally; the kinetic factor
    is exact in space (spectral), so a smooth periodic state sees no grid error beyond the
    aliasing of its spectrum. Real-time steps are unitary: the norm is conserved to
    round-off. Batch axes of ``psi0`` (initial states) and ``V`` (potentials) lead and
    broadcast; they can be sharded over devices.

    Args:
      psi0: the initial state ``[..., n]`` (1-D) or ``[..., nx, ny]`` (2-D), real or complex,
        of non-zero norm.
      V: the potential on the grid, ``[..., n]`` or ``[..., nx, ny]``, broadcasting against
        ``psi0`` (traced).
      x: the periodic grid: one uniform grid ``[n]`` (1-D) or a tuple ``(x, y)`` of two
        (2-D, ``psi[..., i, j]`` at ``(x[i], y[j])``); period ``n·Δx``.
      dt: the time step > 0 (traced).
      n_steps: number of steps (static int >= 1).
      hbar: Planck's constant > 0 (traced).
      mass: the mass > 0 (traced).
      imaginary: propagate in imaginary time (static).
      save_every: save the state every this many steps (static; must divide ``n_steps``).

    Returns:
      :class:`Wavefunction`, complex (complex64 for float32 inputs, complex128 for float64).

    Raises:
      ValueError: if ``x`` is not one or two uniform grids, ``psi0`` or ``V`` does not end
        with the grid's shape or is not finite, a state of ``psi0`` has zero norm, ``dt``,
        ``hbar`` or ``mass`` is not > 0, ``n_steps`` is not an int >= 1, or ``save_every``
        does not divide ``n_steps``.

    References:
      :cite:t:`feit1982solution`; Strang splitting: :cite:t:`strang1968construction`.

    Examples:
      A coherent state of :math:`V = x^2/2` displaced to :math:`x_0 = 2` returns to
      :math:`-x_0` after half a period, its norm unchanged:

      >>> x = jnp.linspace(-20.0, 20.0, 512, endpoint=False)
      >>> psi0 = jnp.exp(-(x - 2.0) ** 2 / 2) / jnp.pi ** 0.25
      >>> wf = schrodinger.split_step(psi0, x**2 / 2, x, dt=0.01, n_steps=314)
      >>> dx = x[1] - x[0]
      >>> print(f"{float(jnp.sum(x * jnp.abs(wf.psi) ** 2) * dx):.2f}")
      -2.00
      >>> print(f"{float(jnp.sum(jnp.abs(wf.psi) ** 2) * dx):.4f}")   # float32 here
      1.0000
    """
    fn = "split_step"
    checks.check_positive(fn, "dt", dt)
    checks.check_int(fn, "n_steps", n_steps)
    if save_every is not None:
        checks.check_divides(fn, "save_every", save_every, n_steps, "n_steps")
    if imaginary not in (True, False):
        checks.fail(fn, "imaginary", "must be True or False", imaginary)
    psi0, V, k2, vol, hbar, mass, nd = _prep(fn, psi0, V, x, hbar, mass)
    return _split_kernel(psi0, V, k2, vol, hbar, mass, jnp.asarray(dt, V.dtype), nd=nd,
                         n_steps=n_steps, save_every=save_every, imaginary=bool(imaginary))


def _energy(psi, V, k2, vol, hbar, mass, nd):
    axes = tuple(range(-nd, 0))
    n = np.prod(psi.shape[-nd:])
    pk = jnp.abs(_fft(psi, nd)) ** 2
    kin = hbar ** 2 / (2 * mass) * jnp.sum(k2 * pk, axis=axes) * vol / n
    pot = jnp.sum(V * jnp.abs(psi) ** 2, axis=axes) * vol
    return (kin + pot) / jnp.sum(jnp.abs(psi) ** 2, axis=axes) / vol


def energy(psi, V, x, *, hbar=1.0, mass=1.0):
    r"""The energy :math:`\langle\psi|H|\psi\rangle/\langle\psi|\psi\rangle` on a periodic
    grid, with the kinetic term evaluated spectrally.

    Args:
      psi: the state ``[..., n]`` or ``[..., nx, ny]``, of non-zero norm.
      V: the potential, broadcasting against ``psi`` (traced).
      x: the periodic grid, as in :func:`split_step`.
      hbar: Planck's constant > 0 (traced).
      mass: the mass > 0 (traced).

    Returns:
      The energies, shaped like the batch axes of ``psi``.

    Raises:
      ValueError: as :func:`split_step` for ``psi`` (named ``psi0`` there), ``V``, ``x``,
        ``hbar`` and ``mass``.

    Examples:
      >>> x = jnp.linspace(-20.0, 20.0, 512, endpoint=False)
      >>> psi = jnp.exp(-x ** 2 / 2)                      # the oscillator's ground state
      >>> print(f"{float(schrodinger.energy(psi, x**2 / 2, x)):.4f}")
      0.5000
    """
    psi, V, k2, vol, hbar, mass, nd = _prep("energy", psi, V, x, hbar, mass)
    return _energy(psi, V, k2, vol, hbar, mass, nd)


@partial(jax.jit, static_argnames=("nd", "check_every", "max_blocks"))
def _ground_kernel(psi0, V, k2, vol, hbar, mass, dt, tol, *, nd, check_every, max_blocks):
    def run(psi):
        return _split_kernel(psi, V, k2, vol, hbar, mass, dt, nd=nd, n_steps=check_every,
                             save_every=None, imaginary=True).psi

    def cond(s):
        _, _, err, k = s
        return (k < max_blocks) & (err > tol)

    def body(s):
        psi, E, _, k = s
        psi = run(psi)
        E_new = _energy(psi, V, k2, vol, hbar, mass, nd)
        return psi, E_new, jnp.abs(E_new - E), k + 1

    psi = run(psi0)
    E = _energy(psi, V, k2, vol, hbar, mass, nd)
    inf = jnp.asarray(jnp.inf, V.dtype)
    psi, E, err, k = jax.lax.while_loop(cond, body, (psi, E, inf, 1))
    return GroundState(psi, E, k * check_every, err, err <= tol)


def ground_state(V, x, *, dt=1e-2, tol=None, max_steps: int = 100_000, check_every: int = 100,
                 psi0=None, hbar=1.0, mass=1.0) -> GroundState:
    r"""The ground state of :math:`H = -\frac{\hbar^2}{2m}\Delta + V` on a periodic grid by
    imaginary-time split-step propagation (:func:`split_step` with ``imaginary=True``).

    Runs blocks of ``check_every`` steps until the energy changes by at most ``tol`` over a
    block (or ``max_steps`` is reached). The fixed point carries the :math:`O(\Delta\tau^2)`
    splitting error; its energy is evaluated with the exact (spectral) Hamiltonian.

    Args:
      V: the potential ``[n]`` or ``[nx, ny]``, finite (traced).
      x: the periodic grid, as in :func:`split_step`.
      dt: the imaginary-time step > 0 (traced).
      tol: the stopping tolerance on the energy change per block (traced); None for
        ``1e-12`` in float64 and ``1e-6`` in float32.
      max_steps: the most steps taken (static int; rounded up to a multiple of
        ``check_every``).
      check_every: steps between energy checks (static int >= 1).
      psi0: the start (default: the constant state, which overlaps every nodeless ground
        state).
      hbar: Planck's constant > 0 (traced).
      mass: the mass > 0 (traced).

    Returns:
      :class:`GroundState`.

    Raises:
      ValueError: as :func:`split_step`, and if ``tol`` is not > 0 or ``max_steps`` or
        ``check_every`` is not an int >= 1.

    Examples:
      >>> x = jnp.linspace(-20.0, 20.0, 512, endpoint=False)
      >>> gs = schrodinger.ground_state(x**2 / 2, x, dt=0.005)
      >>> print(f"{float(gs.E):.4f}", bool(gs.converged))
      0.5000 True
    """
    fn = "ground_state"
    checks.check_positive(fn, "dt", dt)
    checks.check_int(fn, "max_steps", max_steps)
    checks.check_int(fn, "check_every", check_every)
    if psi0 is None:
        psi0 = jnp.ones(np.shape(V), working_dtype(V))
    psi0, V, k2, vol, hbar, mass, nd = _prep(fn, psi0, V, x, hbar, mass)
    if tol is None:
        tol = 1e-12 if V.dtype == jnp.float64 else 1e-6
    checks.check_positive(fn, "tol", tol)
    max_blocks = -(-max_steps // check_every)
    return _ground_kernel(psi0, V, k2, vol, hbar, mass, jnp.asarray(dt, V.dtype),
                          jnp.asarray(tol, V.dtype), nd=nd, check_every=check_every,
                          max_blocks=max_blocks)
