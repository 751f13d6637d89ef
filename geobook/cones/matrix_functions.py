r"""Matrix functions of SPD matrices through the eigendecomposition, and random SPD matrices.

All functions accept a batch ``[..., n, n]``, keep the input dtype, and work under ``jit``,
``vmap`` and ``grad`` (for matrices with distinct eigenvalues).  The eigen-kernels are the
shared private ones of ``geobook._src.spd``.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from geobook._src import checks, spd
from geobook._src.dtypes import working_dtype
from geobook._src.spd import sym
from geobook.cones._common import prep as _prep

__all__ = ["sym", "sqrtm", "invsqrtm", "powm", "logm", "expm", "random_spd"]


@jax.jit
def _sqrtm(X):
    return spd.eig_apply(X, jnp.sqrt)


@jax.jit
def _invsqrtm(X):
    return spd.eig_apply(X, jax.lax.rsqrt)


@jax.jit
def _logm(X):
    return spd.eig_apply(X, jnp.log)


@jax.jit
def _expm(S):
    return spd.eig_apply(S, jnp.exp)


_powm = jax.jit(spd.powm)


def sqrtm(X):
    r"""Principal square root :math:`X^{1/2}` of an SPD matrix.

    Args:
      X: SPD ``[..., n, n]``.

    Returns:
      The SPD root ``[..., n, n]`` in the dtype of ``X``.

    Raises:
      ValueError: if ``X`` is not square, finite, symmetric and positive definite.

    Examples:
      >>> R = cones.sqrtm(jnp.array([[4.0, 0.0], [0.0, 9.0]]))
      >>> print(np.round(np.asarray(R), 3))
      [[2. 0.]
       [0. 3.]]
    """
    return _sqrtm(_prep("sqrtm", "X", X))


def invsqrtm(X):
    r"""Inverse square root :math:`X^{-1/2}` of an SPD matrix.

    Args:
      X: SPD ``[..., n, n]``.

    Returns:
      SPD ``[..., n, n]`` in the dtype of ``X``; :math:`X^{-1/2} X X^{-1/2} = I`.

    Raises:
      ValueError: if ``X`` is not square, finite, symmetric and positive definite.

    Examples:
      >>> X = jnp.array([[2.0, 1.0], [1.0, 2.0]])
      >>> W = cones.invsqrtm(X)
      >>> print(np.round(np.asarray(W @ X @ W), 3))
      [[ 1. -0.]
       [-0.  1.]]
    """
    return _invsqrtm(_prep("invsqrtm", "X", X))


def powm(X, p):
    r"""Real matrix power :math:`X^{p} = V\Lambda^p V^\top` of an SPD matrix.

    Args:
      X: SPD ``[..., n, n]``.
      p: a finite real power (traced: a sweep over ``p`` compiles once).

    Returns:
      SPD ``[..., n, n]`` in the dtype of ``X``.

    Raises:
      ValueError: if ``X`` is not SPD or ``p`` is not finite.

    Examples:
      >>> X = jnp.array([[2.0, 1.0], [1.0, 2.0]])
      >>> print(np.round(np.asarray(cones.powm(X, 2.0) - X @ X), 3))
      [[0. 0.]
       [0. 0.]]
    """
    X = _prep("powm", "X", X)
    checks.check_finite("powm", "p", p)
    return _powm(X, jnp.asarray(p, X.dtype))


def logm(X):
    r"""Principal logarithm of an SPD matrix: a symmetric matrix.

    Args:
      X: SPD ``[..., n, n]``.

    Returns:
      Symmetric ``[..., n, n]`` in the dtype of ``X``; ``expm(logm(X)) = X``.

    Raises:
      ValueError: if ``X`` is not square, finite, symmetric and positive definite.

    Examples:
      >>> L = cones.logm(jnp.diag(jnp.array([1.0, jnp.e])))
      >>> print(np.round(np.asarray(L), 3))
      [[0. 0.]
       [0. 1.]]
    """
    return _logm(_prep("logm", "X", X))


def expm(S):
    r"""Exponential of a symmetric matrix: an SPD matrix.

    Args:
      S: symmetric ``[..., n, n]`` (relative asymmetry at most :math:`10^{-6}`).

    Returns:
      SPD ``[..., n, n]`` in the dtype of ``S``.

    Raises:
      ValueError: if ``S`` is not square, finite and symmetric.

    Examples:
      >>> E = cones.expm(jnp.array([[0.0, 0.0], [0.0, 1.0]]))
      >>> print(f"{float(E[1, 1]):.4f}")
      2.7183
    """
    S = _prep("expm", "S", S, spd_=False)
    checks.check_symmetric("expm", "S", S, rtol=1e-6)
    return _expm(S)


@partial(jax.jit, static_argnames=("n", "shape", "dtype"))
def _random_spd(key, log_spread, *, n, shape, dtype):
    kq, kl = jax.random.split(key)
    G = jax.random.normal(kq, (*shape, n, n), dtype)
    Q, R = jnp.linalg.qr(G)
    Q = Q * jnp.sign(jnp.diagonal(R, axis1=-2, axis2=-1))[..., None, :]
    lam = jnp.exp(log_spread * jax.random.normal(kl, (*shape, n), dtype))
    return sym((Q * lam[..., None, :]) @ jnp.swapaxes(Q, -1, -2))


def random_spd(key, n: int, *, shape=(), log_spread=1.0, dtype=None):
    r"""Random SPD matrices :math:`Q\,\mathrm{diag}(e^{s z})\,Q^\top`.

    :math:`Q` is Haar-random (the Q factor of a Gaussian matrix with the signs fixed) and
    :math:`z \sim N(0, I_n)`, so the log-eigenvalues have standard deviation :math:`s`.

    Args:
      key: a JAX PRNG key.
      n: the matrix size, a Python int >= 1 (static).
      shape: the leading batch shape (static).
      log_spread: the standard deviation ``s`` > 0 of the log-eigenvalues (traced).
      dtype: a floating dtype (static; default: JAX's default float).

    Returns:
      SPD ``[*shape, n, n]`` of dtype ``dtype``.

    Raises:
      ValueError: if ``n`` is not an int >= 1 or ``log_spread`` is not > 0.

    Examples:
      >>> X = cones.random_spd(jax.random.key(0), 3, shape=(2,))
      >>> X.shape, bool(jnp.all(jnp.linalg.eigvalsh(X) > 0))
      ((2, 3, 3), True)
    """
    checks.check_int("random_spd", "n", n)
    checks.check_positive("random_spd", "log_spread", log_spread)
    dtype = jnp.dtype(dtype or working_dtype())
    return _random_spd(key, jnp.asarray(log_spread, dtype), n=n, shape=tuple(shape), dtype=dtype)
