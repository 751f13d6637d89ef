r"""Stochastic differential equations of learning: batched Euler–Maruyama and Langevin.

Every walker evolves independently; the walker axis can be sharded across devices with
``jax.sharding`` (the kernels contain no device logic).  Book chapter: *Learning as
stochastic dynamics on a parameter manifold*.

Random numbers: step ``k`` draws its standard normals from Threefry-2×32 (the hash behind
``jax.random``), keyed by the ``k``-th of ``jax.random.split(key, n_steps + 1)`` and indexed
by walker and coordinate, so a walker's noise does not depend on how many walkers run
beside it or on how they are sharded.  The law is exactly that of ``jax.random.normal``; the
numbers are not the same ones (the hash is written out so that XLA fuses it into the step,
see ``geobook._src.random``).
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp

from geobook._src import checks, random
from geobook._src.dtypes import working_dtype

__all__ = ["Trajectory", "euler_maruyama", "langevin", "CORRECTIONS", "nelson"]

CORRECTIONS = ("ito", "riemann", "kinetic")


class Trajectory(NamedTuple):
    """Result of an SDE integration.

    Attributes:
      q: final positions ``[n_walkers, d]``.
      path: saved positions ``[n_saved, n_walkers, d]``: the initial state first, then the
        state every ``save_every`` steps (``n_saved = n_steps // save_every + 1``); only the
        initial state (``n_saved = 1``) when ``save_every`` is None.
      t: the times of the rows of ``path``, ``[n_saved]``.
    """
    q: jax.Array
    path: jax.Array
    t: jax.Array


def _check_common(fn, q0, dt, n_steps, save_every, args):
    checks.check_ndim(fn, "q0", q0, 2, "[n_walkers, d]")
    checks.check_finite(fn, "q0", q0)
    checks.check_positive(fn, "dt", dt)
    checks.check_int(fn, "n_steps", n_steps)
    if save_every is not None:
        checks.check_divides(fn, "save_every", save_every, n_steps, "n_steps")
    checks.check_args(fn, args)
    dtype = working_dtype(q0)
    return jnp.asarray(q0, dtype), jnp.asarray(dt, dtype), dtype


def _walkers(f, in_axes=1):
    """Vectorise a one-walker function over the walker axis of the transposed state
    ``[d, n_walkers]``; every output gets the walker axis last."""
    return jax.vmap(f, in_axes=in_axes, out_axes=-1)


def _integrate(key, step, q0, t0, dt, n_steps, save_every):
    """Scan ``step(q, t, z) -> q`` for ``n_steps`` steps, saving every ``save_every``.

    The kernels work on the transposed state ``q: [d, n_walkers]`` — walkers on the minor
    axis, so each step is elementwise along the walkers (and a walker-sharded state stays
    sharded); ``t = t0 + k dt`` is the time at the start of step ``k`` and ``z`` its standard
    normals.  The normals of step ``k + 1`` are drawn during step ``k`` and carried, which
    keeps the random-number hash in a fusion of its own (fused with a drift that stacks
    components, XLA's CPU loop no longer vectorises).  Returned in the layout
    ``[n_walkers, d]``.
    """
    keys = jax.random.split(key, n_steps + 1)
    dtype = q0.dtype
    qt = q0.T
    steps = jnp.arange(n_steps, dtype=dtype)

    def body(c, kt):
        q, z = c
        k, i = kt
        return (step(q, t0 + i * dt, z), random.normal(k, q.shape, dtype)), None

    c0 = (qt, random.normal(keys[0], qt.shape, dtype))
    if save_every is None:
        (q, _), _ = jax.lax.scan(body, c0, (keys[1:], steps))
        return Trajectory(q.T, q0[None], t0[None])

    n_out = n_steps // save_every
    xs = (keys[1:].reshape(n_out, save_every, *keys.shape[1:]),
          steps.reshape(n_out, save_every))

    def outer(c, ks):
        c, _ = jax.lax.scan(body, c, ks)
        return c, c[0]

    (q, _), path = jax.lax.scan(outer, c0, xs)
    path = jnp.concatenate([q0[None], jnp.swapaxes(path, 1, 2)], axis=0)
    t = t0 + dt * save_every * jnp.arange(n_out + 1, dtype=dtype)
    return Trajectory(q.T, path, t)


def euler_maruyama(key, drift: Callable, diffusion: Callable, q0, *, dt, n_steps: int,
                   save_every: Optional[int] = None, args: tuple = ()) -> Trajectory:
    r"""Euler–Maruyama for :math:`dq = a(q)\,dt + B(q)\,dW`, batched over walkers.

    .. math:: q_{k+1} = q_k + a(q_k)\,\Delta t + B(q_k)\,\sqrt{\Delta t}\,z_k,
              \qquad z_k \sim N(0, I_d).

    Strong order ½, weak order 1.

    Args:
      key: a JAX PRNG key.
      drift: ``a(q, *args) -> [d]`` for one walker ``q: [d]``.
      diffusion: ``B(q, *args) -> [d, d]`` for one walker (the noise matrix, not ``BBᵀ``),
        or ``-> [d]`` for diagonal noise ``B = diag(b)`` (cheaper: no matrix product).
      q0: initial positions ``[n_walkers, d]``.
      dt: time step > 0 (traced).
      n_steps: number of steps (static).
      save_every: save the positions every this many steps (static; must divide
        ``n_steps``); None saves only the initial state.
      args: a tuple of (traced) parameters passed on as ``drift(q, *args)`` and
        ``diffusion(q, *args)``; a sweep over their values compiles once.

    Returns:
      :class:`Trajectory` in the dtype of ``q0``.

    Raises:
      ValueError: if ``q0`` is not ``[n_walkers, d]`` and finite, ``dt`` is not > 0,
        ``n_steps`` or ``save_every`` is not a positive int (or ``save_every`` does not
        divide ``n_steps``), a callable is not callable or returns the wrong shape.

    Examples:
      An Ornstein–Uhlenbeck process :math:`dq = -\theta q\,dt + \sigma\,dW` relaxes to the
      variance :math:`\sigma^2/(2\theta)`:

      >>> ou = sde.euler_maruyama(jax.random.key(0), lambda q, th: -th * q,
      ...                         lambda q, th: jnp.ones(1), jnp.zeros((20_000, 1)),
      ...                         dt=0.01, n_steps=1_000, args=(1.0,))
      >>> print(f"{float(ou.q.var()):.1f}")    # 1/(2θ) = 0.5, up to O(dt) and sampling
      0.5
      >>> ou.path.shape                         # only the initial state is saved
      (1, 20000, 1)
    """
    fn = "euler_maruyama"
    q0, dt, dtype = _check_common(fn, q0, dt, n_steps, save_every, args)
    checks.check_callable(fn, "drift", drift, signature="q: [d] -> [d]")
    checks.check_callable(fn, "diffusion", diffusion, signature="q: [d] -> [d, d] or [d]")
    d = q0.shape[1]
    checks.output_shape(fn, "drift", drift, (d,), dtype, (d,), args=args)
    checks.output_shape(fn, "diffusion", diffusion, (d,), dtype, [(d, d), (d,)], args=args)
    return _em_kernel(key, q0, dt, args, drift=drift, diffusion=diffusion, n_steps=n_steps,
                      save_every=save_every)


@partial(jax.jit, static_argnames=("drift", "diffusion", "n_steps", "save_every"))
def _em_kernel(key, q0, dt, args, *, drift, diffusion, n_steps, save_every):
    va = _walkers(lambda q: drift(q, *args))
    b = lambda q: diffusion(q, *args)
    sq = jnp.sqrt(dt)
    if jax.eval_shape(b, q0[0]).ndim == 1:              # diagonal noise: elementwise
        vb = _walkers(b)

        def step(q, t, z):                              # q, z: [d, n_walkers]
            return q + va(q) * dt + vb(q) * z * sq
    else:                                               # matrix noise: see _matrix_noise
        vb = jax.vmap(b)

        def step(q, t, z):
            return q + va(q) * dt + _matrix_noise(vb(q.T), z) * sq

    return _integrate(key, step, q0, jnp.zeros((), q0.dtype), dt, n_steps, save_every)


def _inv(G):
    """Inverse of a small SPD matrix: closed forms for d <= 2 (much faster batched on CPU)."""
    d = G.shape[-1]
    if d == 1:
        return 1.0 / G
    if d == 2:
        a, b, c = G[0, 0], 0.5 * (G[0, 1] + G[1, 0]), G[1, 1]
        det = a * c - b * b
        return jnp.stack([jnp.stack([c, -b]), jnp.stack([-b, a])]) / det
    return jnp.linalg.inv(G)


def _chol(G):
    d = G.shape[-1]
    if d == 1:
        return jnp.sqrt(G)
    if d == 2:
        a, b, c = G[0, 0], 0.5 * (G[0, 1] + G[1, 0]), G[1, 1]
        l11 = jnp.sqrt(a)
        l21 = b / l11
        l22 = jnp.sqrt(c - l21 * l21)
        z = jnp.zeros_like(a)
        return jnp.stack([jnp.stack([l11, z]), jnp.stack([l21, l22])])
    return jnp.linalg.cholesky(0.5 * (G + G.T))


def _logdet(G):
    d = G.shape[-1]
    if d == 1:
        return jnp.log(G[0, 0])
    if d == 2:
        return jnp.log(G[0, 0] * G[1, 1] - G[0, 1] * G[1, 0])
    return jnp.linalg.slogdet(G)[1]


def _matvec(A, v):
    """``A @ v`` for one walker written elementwise: under the walker ``vmap`` it stays a
    fused elementwise loop instead of becoming a batched ``dot_general`` of tiny matrices."""
    return jnp.sum(A * v[..., None, :], axis=-1)


def _matrix_noise(B, z):
    """``B z`` per walker for ``B: [n, d, d]`` (walker-major) and ``z: [d, n]``, as ``[d, n]``.

    Per-walker matrix algebra (the metric, its inverse and Cholesky factor, their autodiff
    derivatives) is evaluated walker-major: on a 2-core CPU the transposed layout measured
    1.3–2× slower for these small-matrix chains, the opposite of the elementwise paths."""
    return jnp.einsum("nij,jn->in", B, z)


def _metric_drift(grad_H, metric, T, correction):
    """Drift ``-g⁻¹∇H + correction`` and noise factor ``√(2T) chol(g⁻¹)`` for one walker
    (``grad_H`` and ``metric`` already bound to their ``args``)."""

    def ginv(q):
        return _inv(metric(q))

    def drift_and_noise(q):
        G = ginv(q)
        a = -_matvec(G, grad_H(q))
        if correction != "ito":
            dG = jax.jacfwd(ginv)(q)                   # dG[i, j, k] = ∂_k G_ij
            div = jnp.einsum("ijj->i", dG)             # ∂_j G_ij
            a = a + T * div
            if correction == "riemann":
                a = a + T * _matvec(G, jax.grad(lambda x: 0.5 * _logdet(metric(x)))(q))
        B = _chol(G) * jnp.sqrt(2 * T)
        return a, B

    return drift_and_noise


def langevin(key, grad_H: Callable, q0, *, T, dt, n_steps: int, metric: Optional[Callable] = None,
             correction: str = "riemann", save_every: Optional[int] = None,
             args: tuple = ()) -> Trajectory:
    r"""Overdamped (Riemannian) Langevin dynamics by Euler–Maruyama.

    .. math:: dq = \big(-g^{-1}\nabla H + c(q)\big)\,dt + \sqrt{2T}\,g^{-1/2}\,dW,

    with the drift correction ``c`` chosen by ``correction``:

    * ``"ito"``: :math:`c = 0`; stationary density (1-D) :math:`\propto g\,e^{-H/T}`.
    * ``"riemann"``: :math:`c^\mu = T|g|^{-1/2}\partial_\nu(|g|^{1/2}g^{\mu\nu})`
      (Laplace–Beltrami); stationary :math:`\propto \sqrt{|g|}\,e^{-H/T}`.
    * ``"kinetic"``: :math:`c^\mu = T\,\partial_\nu g^{\mu\nu}` (Hänggi–Klimontovich);
      stationary :math:`\propto e^{-H/T}`.

    With ``metric=None`` (g = I) the three coincide and a fast path is used.

    Args:
      key: a JAX PRNG key.
      grad_H: ``∇H(q, *args) -> [d]`` for one walker ``q: [d]``.
      q0: initial positions ``[n_walkers, d]``.
      T: temperature > 0 (traced).
      dt: time step > 0 (traced).
      n_steps: number of steps (static).
      metric: ``g(q, *args) -> [d, d]``, SPD, for one walker; None for the identity.
      correction: one of ``"ito"``, ``"riemann"``, ``"kinetic"``.
      save_every: as in :func:`euler_maruyama`.
      args: a tuple of (traced) parameters passed on as ``grad_H(q, *args)`` and
        ``metric(q, *args)``; a sweep over their values compiles once.

    Returns:
      :class:`Trajectory` in the dtype of ``q0``.

    Raises:
      ValueError: as :func:`euler_maruyama`, and if ``T`` is not > 0, ``correction`` is not
        one of the three, or ``metric`` does not return ``[d, d]``.

    References:
      The three calculi and their stationary laws: :cite:t:`risken1989fokker`; the
      Riemannian (Laplace–Beltrami) correction: :cite:t:`girolami2011riemann`.

    Examples:
      Walkers in the harmonic well :math:`H = q^2/2` reach the Boltzmann variance ``T``:

      >>> run = sde.langevin(jax.random.key(1), lambda q: q, jnp.zeros((20_000, 1)),
      ...                    T=0.5, dt=0.01, n_steps=500)
      >>> print(f"{float(run.q.var()):.1f}")   # T/(1 - dt/2) for this step, ± 0.005
      0.5

      The same temperature with a position-dependent metric :math:`g = 1 + q^2`; the
      Riemannian correction keeps the law :math:`\propto \sqrt{g}\,e^{-H/T}`:

      >>> run = sde.langevin(jax.random.key(2), lambda q: q, jnp.zeros((1_000, 1)), T=0.5,
      ...                    dt=0.01, n_steps=100, metric=lambda q: 1 + q[:, None] ** 2)
      >>> run.q.shape, run.q.dtype
      ((1000, 1), dtype('float32'))
    """
    fn = "langevin"
    q0, dt, dtype = _check_common(fn, q0, dt, n_steps, save_every, args)
    checks.check_positive(fn, "T", T)
    checks.check_choice(fn, "correction", correction, CORRECTIONS)
    checks.check_callable(fn, "grad_H", grad_H, signature="q: [d] -> [d]")
    checks.check_callable(fn, "metric", metric, optional=True, signature="q: [d] -> [d, d]")
    d = q0.shape[1]
    checks.output_shape(fn, "grad_H", grad_H, (d,), dtype, (d,), args=args)
    if metric is not None:
        checks.output_shape(fn, "metric", metric, (d,), dtype, (d, d), args=args)
    T = jnp.asarray(T, dtype)
    return _langevin_kernel(key, q0, T, dt, args, grad_H=grad_H, metric=metric,
                            correction=correction, n_steps=n_steps, save_every=save_every)


@partial(jax.jit, static_argnames=("grad_H", "metric", "correction", "n_steps", "save_every"))
def _langevin_kernel(key, q0, T, dt, args, *, grad_H, metric, correction, n_steps, save_every):
    dtype = q0.dtype
    gH = lambda q: grad_H(q, *args)
    if metric is None:
        vg = _walkers(gH)
        noise = jnp.sqrt(2 * T * dt)

        def step(q, t, z):                              # q, z: [d, n_walkers]
            return q - vg(q) * dt + noise * z
    else:
        dn = jax.vmap(_metric_drift(gH, lambda q: metric(q, *args), T, correction))
        sq = jnp.sqrt(dt)

        def step(q, t, z):                              # q, z: [d, n_walkers]
            a, B = dn(q.T)                              # [n, d], [n, d, d]: see _matrix_noise
            return q + a.T * dt + _matrix_noise(B, z) * sq

    return _integrate(key, step, q0, jnp.zeros((), dtype), dt, n_steps, save_every)


def nelson(key, psi: Callable, q0, *, dt, n_steps: int, hbar=1.0, mass=1.0, t0=0.0,
           save_every: Optional[int] = None, args: tuple = ()) -> Trajectory:
    r"""Nelson's stochastic mechanics: the forward diffusion of a given wave function.

    .. math:: dq = \frac{\hbar}{m}\Big(\mathrm{Re} + \mathrm{Im}\Big)
              \frac{\nabla\psi}{\psi}(q, t)\,dt + \sqrt{\hbar/m}\;dW ,

    i.e. the current velocity :math:`v = \nabla S/m` plus the osmotic velocity
    :math:`u = \frac{\hbar}{2m}\nabla\ln|\psi|^2`. If the walkers start distributed as
    :math:`|\psi(\cdot, t_0)|^2` and ψ solves the Schrödinger equation, they stay distributed
    as :math:`|\psi(\cdot, t)|^2` (Euler–Maruyama: weak order 1 in ``dt``). The noise tensor
    :math:`(\hbar/m) I` is the inverse metric times a constant — the α = 1 structure.

    Args:
      key: a JAX PRNG key.
      psi: the wave function ``psi(q, t, *args) -> []`` (complex) for one walker
        ``q: [d]`` at time ``t``; derivatives by automatic differentiation.
      q0: initial positions ``[n_walkers, d]``.
      dt: time step > 0 (traced).
      n_steps: number of steps (static).
      hbar: Planck's constant > 0 (traced).
      mass: the mass > 0 (traced).
      t0: the initial time (traced).
      save_every: as in :func:`euler_maruyama`.
      args: a tuple of (traced) parameters passed on as ``psi(q, t, *args)``.

    Returns:
      :class:`Trajectory` in the dtype of ``q0`` (``t`` starts at ``t0``).

    Raises:
      ValueError: as :func:`euler_maruyama`, and if ``hbar`` or ``mass`` is not > 0, ``t0``
        is not finite, or ``psi`` is not callable or does not return a scalar.

    References:
      :cite:t:`nelson1966derivation`.

    Examples:
      The coherent state :math:`\psi \propto e^{-(x - 2\cos t)^2/2 - 2i x\sin t}` of
      :math:`V = x^2/2`: the ensemble mean follows :math:`2\cos t` and the variance stays ½.

      >>> psi = lambda q, t: jnp.exp(-(q[0] - 2 * jnp.cos(t)) ** 2 / 2
      ...                            - 2j * q[0] * jnp.sin(t))
      >>> q0 = 2 + jax.random.normal(jax.random.key(0), (20_000, 1)) / 2 ** 0.5
      >>> run = sde.nelson(jax.random.key(1), psi, q0, dt=0.01, n_steps=157)
      >>> print(f"{float(run.q.mean()):.1f} {float(run.q.var()):.1f}")   # t = π/2
      0.0 0.5
    """
    fn = "nelson"
    q0, dt, dtype = _check_common(fn, q0, dt, n_steps, save_every, args)
    checks.check_positive(fn, "hbar", hbar)
    checks.check_positive(fn, "mass", mass)
    checks.check_finite(fn, "t0", t0)
    checks.check_callable(fn, "psi", psi, signature="q: [d], t -> [] complex")
    d = q0.shape[1]
    try:
        out = jax.eval_shape(lambda q, t, a: psi(q, t, *a), jax.ShapeDtypeStruct((d,), dtype),
                             jax.ShapeDtypeStruct((), dtype), args)
    except TypeError as e:
        raise ValueError(f"{fn}: `psi` could not be called as psi(q, t, *args) with q of shape "
                         f"({d},): {e}") from None
    if tuple(out.shape) != ():
        raise ValueError(f"{fn}: `psi` must map (q: [{d}], t) to a scalar; got output shape "
                         f"{list(out.shape)}.")
    hm = jnp.asarray(hbar, dtype) / jnp.asarray(mass, dtype)
    return _nelson_kernel(key, q0, dt, hm, jnp.asarray(t0, dtype), args, psi=psi,
                          n_steps=n_steps, save_every=save_every)


@partial(jax.jit, static_argnames=("psi", "n_steps", "save_every"))
def _nelson_kernel(key, q0, dt, hm, t0, args, *, psi, n_steps, save_every):
    dtype = q0.dtype

    def drift(q, t):
        re = jax.grad(lambda y: jnp.real(psi(y, t, *args)))
        im = jax.grad(lambda y: jnp.imag(psi(y, t, *args)))
        z = psi(q, t, *args)
        g = (re(q) + 1j * im(q)) / z                    # ∇ψ/ψ
        return (hm * (jnp.real(g) + jnp.imag(g))).astype(dtype)

    vd = _walkers(drift, in_axes=(1, None))
    noise = jnp.sqrt(hm * dt)

    def step(q, t, z):                                  # q, z: [d, n_walkers]
        return q + vd(q, t) * dt + noise * z

    return _integrate(key, step, q0, t0, dt, n_steps, save_every)
