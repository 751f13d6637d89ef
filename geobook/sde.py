r"""Stochastic differential equations of learning: batched Euler–Maruyama and Langevin.

Every walker evolves independently; the walker axis can be sharded across devices with
``jax.sharding`` (the kernels contain no device logic).  Book chapter: *Learning as
stochastic dynamics on a parameter manifold*.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["Trajectory", "euler_maruyama", "langevin", "CORRECTIONS"]

CORRECTIONS = ("ito", "riemann", "kinetic")


class Trajectory(NamedTuple):
    """Result of an SDE integration.

    Attributes:
      q: final positions ``[n_walkers, d]``.
      path: saved positions ``[n_saved, n_walkers, d]`` (the initial state first, then every
        ``save_every`` steps; ``n_saved = n_steps // save_every + 1``).  Empty first axis when
        ``save_every`` is None.
      t: the times of ``path`` ``[n_saved]``.
    """
    q: jax.Array
    path: jax.Array
    t: jax.Array


def _check_common(fn, q0, dt, n_steps, save_every):
    checks.check_ndim(fn, "q0", q0, 2, "[n_walkers, d]")
    checks.check_finite(fn, "q0", q0)
    checks.check_positive(fn, "dt", dt)
    checks.check_int(fn, "n_steps", n_steps)
    if save_every is not None:
        checks.check_int(fn, "save_every", save_every)
        if n_steps % save_every:
            raise ValueError(f"{fn}: `save_every` must divide `n_steps` = {n_steps}; "
                             f"got {save_every}.")
    dtype = working_dtype(q0)
    return jnp.asarray(q0, dtype), jnp.asarray(dt, dtype), dtype


def _integrate(key, step, q0, dt, n_steps, save_every):
    """Scan ``step(q, key) -> q`` for ``n_steps`` steps, saving every ``save_every``."""
    keys = jax.random.split(key, n_steps)
    dtype = q0.dtype

    def body(q, k):
        return step(q, k), None

    if save_every is None:
        q, _ = jax.lax.scan(body, q0, keys)
        return Trajectory(q, jnp.zeros((0, *q0.shape), dtype), jnp.zeros((0,), dtype))

    keys = keys.reshape(n_steps // save_every, save_every, *keys.shape[1:])

    def outer(q, ks):
        q, _ = jax.lax.scan(body, q, ks)
        return q, q

    q, path = jax.lax.scan(outer, q0, keys)
    path = jnp.concatenate([q0[None], path], axis=0)
    t = dt * save_every * jnp.arange(path.shape[0], dtype=dtype)
    return Trajectory(q, path, t)


def euler_maruyama(key, drift: Callable, diffusion: Callable, q0, *, dt, n_steps: int,
                   save_every: Optional[int] = None) -> Trajectory:
    r"""Euler–Maruyama for :math:`dq = a(q)\,dt + B(q)\,dW`, batched over walkers.

    .. math:: q_{k+1} = q_k + a(q_k)\,\Delta t + B(q_k)\,\sqrt{\Delta t}\,z_k,
              \qquad z_k \sim N(0, I_d).

    Strong order ½, weak order 1.

    Args:
      key: PRNG key.
      drift: ``a(q) -> [d]`` for one walker ``q: [d]``.
      diffusion: ``B(q) -> [d, d]`` for one walker (the noise matrix, not ``BBᵀ``), or
        ``-> [d]`` for diagonal noise ``B = diag(b)`` (cheaper: no matrix product).
      q0: initial positions ``[n_walkers, d]``.
      dt: time step > 0 (traced).  n_steps: number of steps (static).
      save_every: save the positions every this many steps (static; must divide n_steps).

    Returns:
      :class:`Trajectory`, in the dtype of ``q0``.
    """
    q0, dt, dtype = _check_common("euler_maruyama", q0, dt, n_steps, save_every)
    for name, f in (("drift", drift), ("diffusion", diffusion)):
        if not callable(f):
            checks.fail("euler_maruyama", name, "must be callable", type(f).__name__)
    d = q0.shape[1]
    a_shape = jax.eval_shape(drift, jax.ShapeDtypeStruct((d,), dtype)).shape
    b_shape = jax.eval_shape(diffusion, jax.ShapeDtypeStruct((d,), dtype)).shape
    if a_shape != (d,):
        raise ValueError(f"euler_maruyama: `drift` must map a walker [d] = [{d}] to [{d}]; "
                         f"got output shape {a_shape}.")
    if b_shape not in ((d, d), (d,)):
        raise ValueError(f"euler_maruyama: `diffusion` must map a walker [d] = [{d}] to "
                         f"[{d}, {d}] (or [{d}] for diagonal noise); got output shape {b_shape}.")
    return _em_jit(key, drift, diffusion, q0, dt, n_steps, save_every)


def _em_integrate(key, drift, diffusion, q0, dt, n_steps, save_every):
    va, vb = jax.vmap(drift), jax.vmap(diffusion)
    sq = jnp.sqrt(dt)

    def step(q, k):
        z = jax.random.normal(k, q.shape, q.dtype)
        B = vb(q)
        noise = B * z if B.ndim == 2 else jnp.einsum("nij,nj->ni", B, z)
        return q + va(q) * dt + noise * sq

    return _integrate(key, step, q0, dt, n_steps, save_every)


_em_jit = jax.jit(_em_integrate, static_argnums=(1, 2, 5, 6))


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


def _metric_drift(grad_H, metric, T, correction):
    """Drift ``-g⁻¹∇H + correction`` and noise factor ``√(2T) chol(g⁻¹)`` for one walker."""

    def ginv(q):
        return _inv(metric(q))

    def drift_and_noise(q):
        G = ginv(q)
        a = -G @ grad_H(q)
        if correction != "ito":
            dG = jax.jacfwd(ginv)(q)                   # dG[i, j, k] = ∂_k G_ij
            div = jnp.einsum("ijj->i", dG)             # ∂_j G_ij
            a = a + T * div
            if correction == "riemann":
                a = a + T * (G @ jax.grad(lambda x: 0.5 * _logdet(metric(x)))(q))
        B = _chol(G) * jnp.sqrt(2 * T)
        return a, B

    return drift_and_noise


def langevin(key, grad_H: Callable, q0, *, T, dt, n_steps: int, metric: Optional[Callable] = None,
             correction: str = "riemann", save_every: Optional[int] = None) -> Trajectory:
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
      key: PRNG key.
      grad_H: ``∇H(q) -> [d]`` for one walker ``q: [d]``.
      q0: initial positions ``[n_walkers, d]``.
      T: temperature > 0 (traced).  dt: step > 0 (traced).  n_steps: static.
      metric: ``g(q) -> [d, d]`` SPD for one walker, or None for the identity.
      correction: one of ``"ito"``, ``"riemann"``, ``"kinetic"``.
      save_every: as in :func:`euler_maruyama`.

    Returns:
      :class:`Trajectory` in the dtype of ``q0``.
    """
    q0, dt, dtype = _check_common("langevin", q0, dt, n_steps, save_every)
    checks.check_positive("langevin", "T", T)
    checks.check_choice("langevin", "correction", correction, CORRECTIONS)
    if not callable(grad_H):
        checks.fail("langevin", "grad_H", "must be callable", type(grad_H).__name__)
    if metric is not None and not callable(metric):
        checks.fail("langevin", "metric", "must be callable or None", type(metric).__name__)
    d = q0.shape[1]
    gshape = jax.eval_shape(grad_H, jax.ShapeDtypeStruct((d,), dtype)).shape
    if gshape != (d,):
        raise ValueError(f"langevin: `grad_H` must map a walker [d] = [{d}] to [{d}]; got "
                         f"output shape {gshape}.")
    if metric is not None:
        mshape = jax.eval_shape(metric, jax.ShapeDtypeStruct((d,), dtype)).shape
        if mshape != (d, d):
            raise ValueError(f"langevin: `metric` must map a walker [d] = [{d}] to [{d}, {d}]; "
                             f"got output shape {mshape}.")
    T = jnp.asarray(T, dtype)
    return _langevin_jit(key, grad_H, metric, correction, q0, T, dt, n_steps, save_every)


def _langevin_integrate(key, grad_H, metric, correction, q0, T, dt, n_steps, save_every):
    dtype = q0.dtype
    if metric is None:
        vg = jax.vmap(grad_H)
        noise = jnp.sqrt(2 * T * dt)

        def step(q, k):
            return q - vg(q) * dt + noise * jax.random.normal(k, q.shape, dtype)
    else:
        dn = jax.vmap(_metric_drift(grad_H, metric, T, correction))
        sq = jnp.sqrt(dt)

        def step(q, k):
            a, B = dn(q)
            z = jax.random.normal(k, q.shape, dtype)
            return q + a * dt + jnp.einsum("nij,nj->ni", B, z) * sq

    return _integrate(key, step, q0, dt, n_steps, save_every)


_langevin_jit = jax.jit(_langevin_integrate, static_argnums=(1, 2, 3, 7, 8))
