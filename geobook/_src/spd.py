"""Shared kernels of the SPD cone (no validation: callers validate with ``_src.checks``).

Every topic that needs a symmetric eigendecomposition, a matrix power or the geodesic
``X #_t Y`` calls these; the public, validated functions are in ``geobook.cones``
(``matrix_functions`` and ``geometry``).
"""
import jax
import jax.numpy as jnp


def sym(X):
    r"""Symmetric part :math:`(X + X^\top)/2` of a batch of square matrices.

    Public as ``geobook.cones.sym`` (no validation: any ``[..., n, n]`` array).

    Args:
      X: square matrices ``[..., n, n]``.

    Returns:
      Symmetric ``[..., n, n]`` of the dtype of ``X``.

    Examples:
      >>> print(np.asarray(cones.sym(jnp.array([[1.0, 2.0], [0.0, 1.0]]))))
      [[1. 1.]
       [1. 1.]]
    """
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
