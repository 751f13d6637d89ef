"""Shared kernels of the SPD cone (no validation: callers validate with ``_src.checks``).

Every topic that needs a symmetric eigendecomposition, a matrix power or the geodesic
``X #_t Y`` calls these; the public, validated functions are in ``geobook.cones``.
"""
import jax
import jax.numpy as jnp


def sym(X):
    """Symmetric part ``(X + Xᵀ)/2`` of a batch of square matrices."""
    return 0.5 * (X + jnp.swapaxes(X, -1, -2))


def eig_apply(X, f):
    """``V f(Λ) Vᵀ`` for a symmetric ``X = V Λ Vᵀ``."""
    lam, V = jnp.linalg.eigh(sym(X))
    return (V * f(lam)[..., None, :]) @ jnp.swapaxes(V, -1, -2)


def powm(X, p):
    """``X^p`` of an SPD ``X`` for a real (traced) power ``p``."""
    return eig_apply(X, lambda lam: jnp.exp(p * jnp.log(lam)))


def geodesic(X, Y, t):
    """``X #_t Y = X^{½}(X^{−½} Y X^{−½})^t X^{½}``."""
    Xh = eig_apply(X, jnp.sqrt)
    Xih = eig_apply(X, jax.lax.rsqrt)
    M = Xih @ Y @ Xih
    return sym(Xh @ powm(M, t) @ Xh)
