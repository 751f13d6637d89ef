r"""The cone of symmetric positive-definite (SPD) matrices.

Matrix functions of SPD matrices through the eigendecomposition, and the
affine-invariant geometry of the cone: geodesics, weighted geometric means and
the distance :math:`d(X, Y) = \|\log(X^{-1/2} Y X^{-1/2})\|_F`.

All functions accept a batch ``[..., n, n]``, keep the input dtype, and work
under ``jit``, ``vmap`` and ``grad`` (for matrices with distinct eigenvalues).
Book chapter: *The power law g ∝ κ^α and the map of regimes*.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["sym", "eig_apply", "sqrtm", "invsqrtm", "powm", "logm", "expm",
           "geodesic", "geomean", "affine_distance", "random_spd"]


def sym(X):
    """Symmetric part ``(X + Xᵀ)/2`` of a batch of square matrices."""
    return 0.5 * (X + jnp.swapaxes(X, -1, -2))


def _prep(fn, arg, X, *, spd=True):
    checks.check_square(fn, arg, X)
    if spd:
        checks.check_spd(fn, arg, X)
    else:
        checks.check_finite(fn, arg, X)
    dtype = working_dtype(X)
    return jnp.asarray(X, dtype)


def eig_apply(X, f):
    """``V f(Λ) Vᵀ`` for a symmetric ``X = V Λ Vᵀ`` (no validation; a kernel)."""
    lam, V = jnp.linalg.eigh(sym(X))
    return (V * f(lam)[..., None, :]) @ jnp.swapaxes(V, -1, -2)


def sqrtm(X):
    r"""Principal square root :math:`X^{1/2}` of SPD ``X`` ``[..., n, n]``."""
    return eig_apply(_prep("sqrtm", "X", X), jnp.sqrt)


def invsqrtm(X):
    r""":math:`X^{-1/2}` of SPD ``X`` ``[..., n, n]``."""
    return eig_apply(_prep("invsqrtm", "X", X), jax.lax.rsqrt)


def powm(X, p):
    r""":math:`X^{p}` of SPD ``X`` ``[..., n, n]`` for a real power ``p`` (traced)."""
    X = _prep("powm", "X", X)
    checks.check_finite("powm", "p", p)
    p = jnp.asarray(p, X.dtype)
    return eig_apply(X, lambda lam: jnp.exp(p * jnp.log(lam)))


def logm(X):
    r"""Principal logarithm of SPD ``X``: a symmetric matrix."""
    return eig_apply(_prep("logm", "X", X), jnp.log)


def expm(S):
    r"""Exponential of a *symmetric* matrix ``S``: an SPD matrix."""
    S = _prep("expm", "S", S, spd=False)
    if checks.is_concrete(S):
        a = jnp.abs(S - jnp.swapaxes(S, -1, -2)).max()
        if float(a) > 1e-6 * max(float(jnp.abs(S).max()), 1e-300):
            checks.fail("expm", "S", "must be symmetric", f"relative asymmetry {float(a):.2e}")
    return eig_apply(S, jnp.exp)


def _geodesic_kernel(X, Y, t):
    Xh = eig_apply(X, jnp.sqrt)
    Xih = eig_apply(X, jax.lax.rsqrt)
    M = Xih @ Y @ Xih
    return sym(Xh @ eig_apply(M, lambda lam: jnp.exp(t * jnp.log(lam))) @ Xh)


def geodesic(X, Y, t):
    r"""Point at parameter ``t`` on the affine-invariant geodesic from ``X`` to ``Y``.

    .. math:: X \#_t Y = X^{1/2} (X^{-1/2} Y X^{-1/2})^{t} X^{1/2}.

    ``t = 0`` gives ``X``, ``t = 1`` gives ``Y``; ``t`` may be any real (extrapolation).
    Congruence-equivariant: ``(AᵀXA) #_t (AᵀYA) = Aᵀ (X #_t Y) A`` for invertible ``A``.
    """
    X = _prep("geodesic", "X", X)
    Y = _prep("geodesic", "Y", Y)
    if X.shape[-1] != Y.shape[-1]:
        raise ValueError(f"geodesic: `X` and `Y` must have the same matrix size; got shapes "
                         f"{X.shape} and {Y.shape}.")
    checks.check_finite("geodesic", "t", t)
    dtype = working_dtype(X, Y)
    X, Y = X.astype(dtype), Y.astype(dtype)
    return _geodesic_kernel(X, Y, jnp.asarray(t, dtype))


def geomean(X, Y, t=0.5):
    r"""Weighted geometric mean :math:`X \#_t Y` (= :func:`geodesic`); ``t = ½`` by default."""
    return geodesic(X, Y, t)


def affine_distance(X, Y):
    r"""Affine-invariant distance :math:`\|\log(X^{-1/2} Y X^{-1/2})\|_F` (batched).

    Computed from the generalised eigenvalues of ``(Y, X)``: ``sqrt(Σ log² λ_i)``.
    """
    X = _prep("affine_distance", "X", X)
    Y = _prep("affine_distance", "Y", Y)
    if X.shape[-1] != Y.shape[-1]:
        raise ValueError(f"affine_distance: `X` and `Y` must have the same matrix size; got "
                         f"shapes {X.shape} and {Y.shape}.")
    dtype = working_dtype(X, Y)
    X, Y = X.astype(dtype), Y.astype(dtype)
    Xih = eig_apply(X, jax.lax.rsqrt)
    lam = jnp.linalg.eigvalsh(sym(Xih @ Y @ Xih))
    return jnp.sqrt(jnp.sum(jnp.log(lam) ** 2, axis=-1))


def random_spd(key, n: int, *, shape=(), log_spread=1.0, dtype=None):
    r"""Random SPD matrices ``Q diag(e^{s z}) Qᵀ`` with Haar-random ``Q`` and ``z ~ N(0, 1)``.

    Args:
      key: a JAX PRNG key.
      n: matrix size (static).
      shape: leading batch shape.
      log_spread: standard deviation ``s`` of the log-eigenvalues (> 0).
      dtype: floating dtype (default: JAX's default float).
    """
    checks.check_int("random_spd", "n", n)
    checks.check_positive("random_spd", "log_spread", log_spread)
    dtype = dtype or working_dtype()
    kq, kl = jax.random.split(key)
    G = jax.random.normal(kq, (*shape, n, n), dtype)
    Q, R = jnp.linalg.qr(G)
    Q = Q * jnp.sign(jnp.diagonal(R, axis1=-2, axis2=-1))[..., None, :]
    lam = jnp.exp(log_spread * jax.random.normal(kl, (*shape, n), dtype))
    return sym((Q * lam[..., None, :]) @ jnp.swapaxes(Q, -1, -2))
