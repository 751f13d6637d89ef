r"""The Witten potential of a Fokker–Planck operator and the Madelung (hydrodynamic) form of
the Schrödinger equation.

*Witten transform.* With :math:`p = e^{-H/2T}\varphi`, the Fokker–Planck equation
:math:`\partial_t p = \nabla\cdot(p\nabla H + T\nabla p)` becomes
:math:`\partial_t\varphi = -(-T\Delta + U)\varphi` with
:math:`U = |\nabla H|^2/4T - \Delta H/2`.

*Madelung.* Writing :math:`\psi = \sqrt\rho\,e^{iS/\hbar}`, the Schrödinger equation is
equivalent, where :math:`\rho > 0`, to the continuity equation
:math:`\partial_t\rho + \partial_x(\rho\,\partial_x S/m) = 0` and the quantum
Hamilton–Jacobi equation :math:`\partial_t S + (\partial_x S)^2/2m + V + Q = 0` with Bohm's
potential :math:`Q = -\frac{\hbar^2}{2m}\,\partial_x^2\sqrt\rho/\sqrt\rho`.
Book chapters: *The quantum regime I* and *II*.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["witten_potential", "Madelung", "madelung_residual"]


@partial(jax.jit, static_argnames=("H",))
def _witten_kernel(q, T, args, *, H):
    def one(z):
        h = lambda y: H(y, *args)
        g = jax.grad(h)(z)
        lap = jnp.trace(jax.hessian(h)(z))
        return g @ g / (4 * T) - 0.5 * lap

    return jax.vmap(one)(q)


def witten_potential(H: Callable, T, q, *, args: tuple = ()):
    r"""The Schrödinger potential :math:`U = |\nabla H|^2/(4T) - \Delta H/2` of the
    Fokker–Planck operator of :math:`\partial_t p = \nabla\cdot(p\nabla H + T\nabla p)`.

    :math:`-T\Delta + U` has the spectrum of minus the Fokker–Planck generator, and its
    ground state :math:`e^{-H/2T}` has energy exactly 0. Derivatives by automatic
    differentiation.

    Args:
      H: the potential ``H(q, *args) -> []`` for one point ``q: [d]``.
      T: the temperature > 0 (traced).
      q: the points ``[n, d]``, or ``[n]`` for ``d = 1``.
      args: a tuple of (traced) parameters passed on as ``H(q, *args)``.

    Returns:
      :math:`U` at the points, ``[n]``, in the dtype of ``q``.

    Raises:
      ValueError: if ``q`` is not ``[n]`` or ``[n, d]`` and finite, ``T`` is not > 0, or
        ``H`` is not callable or does not return a scalar.

    References:
      :cite:t:`witten1982supersymmetry`; :cite:t:`risken1989fokker`.

    Examples:
      For :math:`H = \gamma q^2/2` the potential is the oscillator's
      :math:`\gamma^2q^2/4T - \gamma/2`, whose zero-point energy :math:`\gamma/2` the
      constant cancels:

      >>> U = schrodinger.witten_potential(lambda q: q @ q / 2, 0.5, jnp.array([0.0, 1.0]))
      >>> print(*(f"{float(u):.2f}" for u in U))
      -0.50 0.00
    """
    fn = "witten_potential"
    checks.check_callable(fn, "H", H, signature="q: [d] -> []")
    checks.check_ndim(fn, "q", q, (1, 2), "[n] or [n, d]")
    checks.check_finite(fn, "q", q)
    checks.check_positive(fn, "T", T)
    checks.check_args(fn, args)
    dtype = working_dtype(q, T)
    q = jnp.asarray(q, dtype)
    q = q[:, None] if q.ndim == 1 else q
    checks.output_shape(fn, "H", H, (q.shape[1],), dtype, (), args=args)
    return _witten_kernel(q, jnp.asarray(T, dtype), args, H=H)


class Madelung(NamedTuple):
    """Residuals of the Madelung equations of a sampled wave function.

    Attributes:
      continuity: :math:`\\partial_t\\rho + \\partial_x j`, ``[n_t - 2, n]`` (the interior
        times), 0 where ``mask`` is False.
      hamilton_jacobi: :math:`\\partial_t S + (\\partial_x S)^2/2m + V + Q`, same shape.
      mask: where the residuals are evaluated: :math:`\\rho` above ``floor`` times its
        maximum at that time (and, when not periodic, not at the two end points).
      rho: the density :math:`|\\psi|^2` at the interior times.
    """
    continuity: jax.Array
    hamilton_jacobi: jax.Array
    mask: jax.Array
    rho: jax.Array


def _dx_spectral(f, dx, order):
    n = f.shape[-1]
    k = 2 * jnp.pi * jnp.fft.fftfreq(n, 1.0).astype(dx.dtype) / dx
    fk = jnp.fft.fft(f)
    out = jnp.fft.ifft((1j * k) ** order * fk)
    return out if jnp.iscomplexobj(f) else out.real


def _dx_fd(f, dx, order):
    up, dn = jnp.roll(f, -1, axis=-1), jnp.roll(f, 1, axis=-1)
    return (up - dn) / (2 * dx) if order == 1 else (up - 2 * f + dn) / (dx * dx)


@partial(jax.jit, static_argnames=("periodic",))
def _madelung_kernel(psi, V, dx, dt, hbar, mass, floor, *, periodic):
    D = _dx_spectral if periodic else _dx_fd
    mid = psi[1:-1]
    rho = jnp.abs(mid) ** 2
    rho_t = (jnp.abs(psi[2:]) ** 2 - jnp.abs(psi[:-2]) ** 2) / (2 * dt)
    psi_t = (psi[2:] - psi[:-2]) / (2 * dt)
    amp = jnp.abs(mid)
    mask = rho > floor * jnp.max(rho, axis=-1, keepdims=True)
    if not periodic:
        mask = mask.at[:, 0].set(False).at[:, -1].set(False)
    safe = jnp.where(mask, rho, 1.0)
    S_t = hbar * jnp.imag(jnp.conj(mid) * psi_t) / safe
    dpsi = D(mid, dx, 1)
    S_x = hbar * jnp.imag(jnp.conj(mid) * dpsi) / safe
    j = hbar * jnp.imag(jnp.conj(mid) * dpsi) / mass       # smooth where ρ is tiny, too
    cont = rho_t + D(j, dx, 1)
    Q = -hbar ** 2 / (2 * mass) * D(amp, dx, 2) / jnp.where(mask, amp, 1.0)
    Vm = V[1:-1] if V.ndim == 2 else V
    hj = S_t + S_x ** 2 / (2 * mass) + Vm + Q
    return Madelung(jnp.where(mask, cont, 0), jnp.where(mask, hj, 0), mask, rho)


def madelung_residual(psi, V, x, *, dt, hbar=1.0, mass=1.0, periodic: bool = True,
                      floor=1e-4) -> Madelung:
    r"""Residuals of the continuity and quantum Hamilton–Jacobi equations of a 1-D wave
    function sampled at equally spaced times.

    With :math:`\rho = |\psi|^2`, :math:`\partial_x S = \hbar\,\mathrm{Im}(\bar\psi\partial_x
    \psi)/\rho`, :math:`\partial_t S = \hbar\,\mathrm{Im}(\bar\psi\partial_t\psi)/\rho` (no
    phase unwrapping is needed), :math:`j = \rho\,\partial_x S/m` and
    :math:`Q = -\frac{\hbar^2}{2m}\partial_x^2|\psi|/|\psi|`, it returns
    :math:`\partial_t\rho + \partial_x j` and :math:`\partial_t S + (\partial_x S)^2/2m + V
    + Q` at the interior times. Time derivatives are centred differences (error
    :math:`O(\Delta t^2)`); space derivatives are spectral on the periodic grid
    (``periodic=True``) or centred second-order differences (``periodic=False``: local, the
    ends excluded). Where :math:`\rho` is tiny the fields are undefined, so only points with
    :math:`\rho >` ``floor``·max ρ are kept. The time-difference error,
    :math:`\tfrac{\Delta t^2}{6}\partial_t^3 S`, is largest in the tails, where the phase
    changes fastest; it can exceed a solver's own error (for a Strang split-step solution it
    does), so compare with the residual of an exact solution sampled at the same times before
    reading the residual as the solver's error.

    Args:
      psi: the wave function at ``n_t >= 3`` times ``[n_t, n]`` (complex), e.g. the ``path``
        of :func:`split_step`.
      V: the potential ``[n]`` or ``[n_t, n]`` (traced).
      x: the uniform grid ``[n]``.
      dt: the time between rows of ``psi`` > 0 (traced).
      hbar: Planck's constant > 0 (traced).
      mass: the mass > 0 (traced).
      periodic: spectral (periodic) or local finite-difference space derivatives (static).
      floor: the relative density below which points are masked, in ``[0, 1)`` (traced).

    Returns:
      :class:`Madelung`.

    Raises:
      ValueError: if ``x`` is not a uniform grid, ``psi`` is not ``[n_t >= 3, len(x)]`` and
        finite, a row of ``psi`` has zero norm, ``V`` is not ``[n]`` or ``[n_t, n]`` and
        finite, ``dt``, ``hbar`` or ``mass`` is not > 0, or ``floor`` is not in ``[0, 1)``.

    References:
      :cite:t:`madelung1927quantentheorie`.

    Examples:
      A stationary state :math:`\psi = \varphi_0(x)e^{-iEt}` of the oscillator satisfies
      both equations, up to the O(Δt²) time differences and float32 round-off (divided by
      Δt):

      >>> x = jnp.linspace(-10.0, 10.0, 256, endpoint=False)
      >>> t = 0.01 * jnp.arange(3)
      >>> psi = jnp.exp(-x ** 2 / 2)[None] * jnp.exp(-0.5j * t)[:, None]
      >>> r = schrodinger.madelung_residual(psi, x**2 / 2, x, dt=0.01)
      >>> print(float(jnp.max(jnp.abs(r.hamilton_jacobi))) < 1e-3)
      True
    """
    fn = "madelung_residual"
    checks.check_uniform_grid(fn, "x", x)
    n = int(np.shape(x)[0])
    checks.check_ndim(fn, "psi", psi, 2, "[n_t, n]")
    if np.shape(psi)[0] < 3 or np.shape(psi)[1] != n:
        raise ValueError(f"{fn}: `psi` must have shape [n_t >= 3, {n}]; got shape "
                         f"{np.shape(psi)}.")
    checks.check_finite(fn, "psi", psi)
    if checks.is_concrete(psi) and np.any(np.sum(np.abs(np.asarray(psi)) ** 2, axis=1) == 0):
        checks.fail(fn, "psi", "must have non-zero norm at every time", "a row of zeros")
    checks.check_ndim(fn, "V", V, (1, 2), "[n] or [n_t, n]")
    if np.shape(V)[-1] != n or (np.ndim(V) == 2 and np.shape(V)[0] != np.shape(psi)[0]):
        raise ValueError(f"{fn}: `V` must have shape [{n}] or [{np.shape(psi)[0]}, {n}]; got "
                         f"shape {np.shape(V)}.")
    checks.check_finite(fn, "V", V)
    for name, v in (("dt", dt), ("hbar", hbar), ("mass", mass)):
        checks.check_positive(fn, name, v)
    checks.check_interval(fn, "floor", floor, 0.0, 1.0, closed="left")
    real = working_dtype(jnp.real(jnp.asarray(psi)), V, x, dt)
    cplx = jnp.result_type(real, jnp.complex64)
    xa = jnp.asarray(x, real)
    return _madelung_kernel(jnp.asarray(psi, cplx), jnp.asarray(V, real), xa[1] - xa[0],
                            *(jnp.asarray(a, real) for a in (dt, hbar, mass, floor)),
                            periodic=bool(periodic))
