"""The one CGD builder behind every optimiser of :mod:`geobook.optim` (private module).

``build(fn, ...)`` is :func:`geobook.optim.cgd` validated in the name ``fn`` of the function
the user called, so that ``adam(...)`` reports errors as ``adam:``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from geobook._src import checks, spd
from geobook._src.dtypes import working_dtype
from geobook.optim.base import CGDState, GradientTransformation


def check_lr(fn, lr):
    if not callable(lr):
        checks.check_positive(fn, "learning_rate", lr, allow_zero=True)


def check_decay(fn, name, b):
    checks.check_interval(fn, name, b, 0, 1, closed="left")


def unsupported(fn, **options):
    """Options of optax's optimiser that geobook.optim does not implement (must be falsy)."""
    for name, value in options.items():
        default = False if isinstance(value, bool) else None
        if value is not default:
            checks.fail(fn, name, f"must be {default} (not supported by geobook.optim)", value)


def _power(x, alpha: float):
    """x**alpha with the exact special cases optax uses (sqrt at ½)."""
    if alpha == 0.0:
        return jnp.ones_like(x)
    if alpha == 0.5:
        return jnp.sqrt(x)
    if alpha == 1.0:
        return x
    return x ** alpha


def build(fn, learning_rate, *, alpha=0.5, structure="diagonal", moment="raw", b1=0.9, b2=0.999,
         eps=1e-8, eps_root=0.0, bias_correction=True, initial_scale=0.0, background=None):
    """:func:`cgd`, validated in the name ``fn`` of the function the user called."""
    check_lr(fn, learning_rate)
    checks.check_choice(fn, "structure", structure, ("diagonal", "full"))
    checks.check_choice(fn, "moment", moment, ("raw", "centred"))
    checks.check_finite(fn, "alpha", alpha)
    check_decay(fn, "b1", b1)
    check_decay(fn, "b2", b2)
    checks.check_positive(fn, "eps", eps, allow_zero=(structure == "diagonal"))
    checks.check_positive(fn, "eps_root", eps_root, allow_zero=True)
    checks.check_positive(fn, "initial_scale", initial_scale, allow_zero=True)
    alpha = float(alpha)
    W_h = None
    if background is not None:
        if structure != "full":
            checks.fail(fn, "structure", "must be 'full' when a `background` is given", structure)
        checks.check_ndim(fn, "background", background, 2, "[K, K]")
        checks.check_spd(fn, "background", background)
        W_h = spd.eig_apply(jnp.asarray(background, working_dtype(background)), jax.lax.rsqrt)

    def init(params):
        mu = jax.tree.map(jnp.zeros_like, params)
        if structure == "diagonal":
            nu = jax.tree.map(lambda p: jnp.full_like(p, initial_scale), params)
        else:
            flat, _ = ravel_pytree(params)
            K = flat.shape[0]
            if background is not None:
                checks.check_size(fn, "background", background, K,
                                  what=f"K = {K}, the number of parameters")
            nu = initial_scale * jnp.eye(K, dtype=flat.dtype)
        return CGDState(count=jnp.zeros([], jnp.int32), mu=mu, nu=nu)

    def update(updates, state, params=None):
        del params
        mu = jax.tree.map(lambda g, m: (1 - b1) * g + b1 * m, updates, state.mu)
        count = state.count + jnp.asarray(1, jnp.int32)
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        if structure == "full":
            return _full_step(updates, mu, state.nu, count, lr)
        if moment == "raw":
            nu = jax.tree.map(lambda g, v: (1 - b2) * g**2 + b2 * v, updates, state.nu)
        else:
            nu = jax.tree.map(lambda g, m, v: (1 - b2) * (g - m) ** 2 + b2 * v + eps_root,
                              updates, mu, state.nu)
        return _diagonal_step(mu, nu, count, lr), CGDState(count, mu, nu)

    def _diagonal_step(mu, nu, count, lr):
        if bias_correction:
            mu_hat = jax.tree.map(lambda m: m / (1 - b1**count).astype(m.dtype), mu)
            nu_hat = jax.tree.map(lambda v: v / (1 - b2**count).astype(v.dtype), nu)
        else:
            mu_hat, nu_hat = mu, nu
        root = eps_root if moment == "raw" else 0.0
        if alpha == 0.5 and isinstance(eps, (int, float)) and eps == 0.0:   # RMSProp's form
            return jax.tree.map(lambda m, v: -lr * (jax.lax.rsqrt(v + root) * m), mu_hat, nu_hat)
        return jax.tree.map(lambda m, v: -lr * (m / (_power(v + root, alpha) + eps)),
                            mu_hat, nu_hat)

    def _full_step(updates, mu, nu, count, lr):
        g_flat, unravel = ravel_pytree(updates)
        m_flat, _ = ravel_pytree(mu)
        d = g_flat if moment == "raw" else g_flat - m_flat
        nu = (1 - b2) * jnp.outer(d, d) + b2 * nu
        if moment == "centred":
            nu = nu + eps_root * jnp.eye(nu.shape[0], dtype=nu.dtype)
        if bias_correction:
            m_hat = m_flat / (1 - b1**count).astype(m_flat.dtype)
            nu_hat = nu / (1 - b2**count).astype(nu.dtype)
        else:
            m_hat, nu_hat = m_flat, nu
        # g = h^{1/2} (h^{-1/2} (M + εh) h^{-1/2})^α h^{1/2}, so with the constant
        # W = h^{-1/2}:  g^{-1} m = W (W M W + ε I)^{-α} W m  — one eigh per step.
        eye = jnp.eye(nu.shape[0], dtype=nu.dtype)
        if W_h is None:
            Mw, mw = spd.sym(nu_hat) + eps * eye, m_hat
        else:
            W = W_h.astype(nu.dtype)
            Mw, mw = spd.sym(W @ nu_hat @ W) + eps * eye, W @ m_hat
        lam, V = jnp.linalg.eigh(Mw)
        x = V @ ((V.T @ mw) * _power(lam, alpha) ** -1 if alpha != 0.0 else V.T @ mw)
        step = -lr * (x if W_h is None else W @ x)
        return unravel(step), CGDState(count, mu, nu)

    return GradientTransformation(init, update)
