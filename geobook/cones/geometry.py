r"""The affine-invariant geometry of the SPD cone: geodesics, geometric and Karcher means,
distances.

The Riemannian metric :math:`\langle H, K\rangle_X = \operatorname{tr}(X^{-1}HX^{-1}K)` (the
Hessian of :math:`-\ln\det`) is invariant under every congruence :math:`X\mapsto A^\top XA`;
its geodesics are :math:`X\#_tY`, its distance is
:math:`d(X, Y) = \|\log(X^{-1/2} Y X^{-1/2})\|_F`, and the Karcher (Fréchet) mean minimises
:math:`\sum_i w_i d(M, X_i)^2`.  Every function is batched over leading axes and works under
``jit`` and ``vmap``; :func:`geodesic` and :func:`affine_distance` also under ``grad``.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from geobook._src import _lapack, checks, spd
from geobook._src.spd import sym
from geobook.cones._common import prep, prep_pair

__all__ = ["geodesic", "geomean", "affine_distance", "KarcherResult", "karcher_mean"]

_geodesic = jax.jit(spd.geodesic)


def _whitened(X, Y):
    # generalised eigenvalues of (Y, X) through the Cholesky factor X = L Lᵀ (cheaper than eigh)
    L = jnp.linalg.cholesky(sym(X))
    Z = jax.scipy.linalg.solve_triangular(L, Y, lower=True)
    return sym(jax.scipy.linalg.solve_triangular(L, jnp.swapaxes(Z, -1, -2), lower=True))


def _distance_eigh(X, Y):
    return jnp.sqrt(jnp.sum(jnp.log(jnp.linalg.eigvalsh(_whitened(X, Y))) ** 2, axis=-1))


@jax.custom_jvp
def _distance_values_only(X, Y):
    # on CPU the eigenvalues come from LAPACK syevd in mode 'N' (values only, as NumPy's
    # eigvalsh): jnp.linalg.eigvalsh asks syevd for the eigenvectors too.  Derivatives are
    # those of the eigh path (below).
    W = _whitened(X, Y)
    lam = jax.lax.platform_dependent(W, cpu=_lapack.eigvalsh, default=jnp.linalg.eigvalsh)
    return jnp.sqrt(jnp.sum(jnp.log(lam) ** 2, axis=-1))


_distance_values_only.defjvp(lambda primals, tangents: jax.jvp(_distance_eigh, primals,
                                                                tangents))
_affine_distance = jax.jit(_distance_values_only)


def _geodesic_checked(fn, X, Y, t):
    X, Y = prep_pair(fn, X, Y)
    checks.check_finite(fn, "t", t)
    return _geodesic(X, Y, jnp.asarray(t, X.dtype))


def geodesic(X, Y, t):
    r"""Point at parameter ``t`` on the affine-invariant geodesic from ``X`` to ``Y``.

    .. math:: X \#_t Y = X^{1/2} (X^{-1/2} Y X^{-1/2})^{t} X^{1/2}.

    ``t = 0`` gives ``X``, ``t = 1`` gives ``Y``; ``t`` may be any real (extrapolation).
    Congruence-equivariant: :math:`(A^\top XA) \#_t (A^\top YA) = A^\top (X \#_t Y) A` for
    invertible ``A``.

    Args:
      X: SPD ``[..., n, n]``, the start.
      Y: SPD ``[..., n, n]``, the end (same ``n``; batch axes broadcast).
      t: a finite real parameter (traced).

    Returns:
      SPD ``[..., n, n]`` in the dtype ``X`` and ``Y`` promote to.

    Raises:
      ValueError: if ``X`` or ``Y`` is not SPD, their sizes differ, or ``t`` is not finite.

    References:
      :cite:t:`bhatia2007positive`, Ch. 4 and 6.

    Examples:
      For commuting matrices the geodesic interpolates the eigenvalues geometrically:

      >>> X, Y = jnp.diag(jnp.array([1.0, 4.0])), jnp.diag(jnp.array([4.0, 1.0]))
      >>> print(np.round(np.diag(np.asarray(cones.geodesic(X, Y, 0.5))), 3))
      [2. 2.]
    """
    return _geodesic_checked("geodesic", X, Y, t)


def geomean(X, Y, t=0.5):
    r"""Weighted geometric mean :math:`X \#_t Y` (the point :func:`geodesic` at ``t``).

    The midpoint :math:`M = X\#_{1/2}Y` is the unique SPD solution of the Riccati equation
    :math:`MX^{-1}M = Y`.

    Args:
      X: SPD ``[..., n, n]``.
      Y: SPD ``[..., n, n]`` (same ``n``).
      t: the weight of ``Y``, a finite real (traced); ½ by default.

    Returns:
      SPD ``[..., n, n]`` in the dtype ``X`` and ``Y`` promote to.

    Raises:
      ValueError: if ``X`` or ``Y`` is not SPD, their sizes differ, or ``t`` is not finite.

    References:
      :cite:t:`bhatia2007positive`, Ch. 4.

    Examples:
      >>> X = jnp.array([[2.0, 1.0], [1.0, 2.0]]); Y = jnp.array([[3.0, 0.0], [0.0, 1.0]])
      >>> M = cones.geomean(X, Y)
      >>> print(np.round(np.asarray(M @ jnp.linalg.inv(X) @ M - Y), 3))   # Riccati
      [[0. 0.]
       [0. 0.]]
    """
    return _geodesic_checked("geomean", X, Y, t)


def affine_distance(X, Y):
    r"""Affine-invariant distance between SPD matrices.

    .. math:: d(X, Y) = \|\log(X^{-1/2} Y X^{-1/2})\|_F = \Big(\sum_i \log^2\lambda_i\Big)^{1/2},

    with :math:`\lambda_i` the generalised eigenvalues of ``(Y, X)``.  Symmetric, and
    invariant under every congruence :math:`X \mapsto A^\top XA`.

    Args:
      X: SPD ``[..., n, n]``.
      Y: SPD ``[..., n, n]`` (same ``n``).

    Returns:
      The distances ``[...]`` in the dtype ``X`` and ``Y`` promote to.

    Raises:
      ValueError: if ``X`` or ``Y`` is not SPD or their sizes differ.

    References:
      :cite:t:`pennec2006riemannian`; :cite:t:`bhatia2007positive`, Ch. 6.

    Examples:
      >>> d = cones.affine_distance(jnp.eye(2), jnp.diag(jnp.array([jnp.e, 1.0])))
      >>> print(f"{float(d):.3f}")
      1.000
    """
    X, Y = prep_pair("affine_distance", X, Y)
    return _affine_distance(X, Y)




class KarcherResult(NamedTuple):
    r"""Result of :func:`karcher_mean`.

    Attributes:
      mean: the weighted Karcher mean ``[..., n, n]`` (SPD).
      n_iter: iterations taken ``[...]`` (int32).
      error: the Frobenius norm ``[...]`` of the Riemannian gradient
        :math:`\sum_i w_i\log(M^{-1/2}X_iM^{-1/2})` at ``mean`` (the stopping quantity).
      converged: ``error <= tol`` ``[...]`` (bool).
    """
    mean: jax.Array
    n_iter: jax.Array
    error: jax.Array
    converged: jax.Array


def _karcher_grad(M, Xs, w):
    """``(M^{1/2}, Σ_i w_i log(M^{-1/2} X_i M^{-1/2}))``, batched over leading axes."""
    lam, V = jnp.linalg.eigh(sym(M))
    Vt = jnp.swapaxes(V, -1, -2)
    Mh = (V * jnp.sqrt(lam)[..., None, :]) @ Vt
    Mih = (V * jax.lax.rsqrt(lam)[..., None, :]) @ Vt
    logs = spd.eig_apply(Mih[..., None, :, :] @ Xs @ Mih[..., None, :, :], jnp.log)
    return Mh, jnp.einsum("...a,...abc->...bc", w, logs)


@partial(jax.jit, static_argnames=("max_iter",))
def _karcher(Xs, w, tol, *, max_iter):
    # the whole batch iterates together; a converged problem is frozen (as under vmap)
    w = w / jnp.sum(w, axis=-1, keepdims=True)
    M0 = jnp.einsum("...a,...abc->...bc", w, Xs)    # start at the weighted arithmetic mean
    Mh0, G0 = _karcher_grad(M0, Xs, w)
    err0 = jnp.linalg.norm(G0, axis=(-2, -1))
    nu0 = jnp.ones_like(err0)
    k0 = jnp.zeros(err0.shape, jnp.int32)

    def active(err, k):
        return (err > tol) & (k < max_iter)

    def cond(s):
        return jnp.any(active(s[3], s[5]))

    def body(s):
        M, Mh, G, err, nu, k = s
        on = active(err, k)
        M1 = sym(Mh @ spd.eig_apply(nu[..., None, None] * G, jnp.exp) @ Mh)
        Mh1, G1 = _karcher_grad(M1, Xs, w)
        err1 = jnp.linalg.norm(G1, axis=(-2, -1))
        nu1 = jnp.where(err1 < err, nu, 0.5 * nu)     # halve the step when the gradient grows
        pick = lambda a, b: jnp.where(on.reshape(on.shape + (1,) * (a.ndim - on.ndim)), a, b)
        return (pick(M1, M), pick(Mh1, Mh), pick(G1, G), pick(err1, err), pick(nu1, nu),
                k + on.astype(jnp.int32))

    M, _, _, err, _, k = jax.lax.while_loop(cond, body, (M0, Mh0, G0, err0, nu0, k0))
    return KarcherResult(M, k, err, err <= tol)


def karcher_mean(Xs, *, weights=None, tol=1e-10, max_iter: int = 100) -> KarcherResult:
    r"""Weighted Karcher (Riemannian, Fréchet) mean of SPD matrices.

    The unique minimiser of :math:`\sum_i w_i\, d(M, X_i)^2` for the affine-invariant distance,
    i.e. the zero of the Riemannian gradient
    :math:`G(M) = \sum_i w_i\log(M^{-1/2}X_iM^{-1/2})`, found by the fixed-point iteration
    :math:`M \leftarrow M^{1/2}\exp(\nu G(M))M^{1/2}` from the weighted arithmetic mean, with
    :math:`\nu = 1` halved whenever :math:`\|G\|_F` grows.  Weights are normalised to sum to 1.
    For commuting inputs the mean is :math:`\exp(\sum_i w_i\log X_i)`; for two matrices it is
    the geodesic point :math:`X_1\#_{w_2}X_2`.  Congruence-equivariant.

    Args:
      Xs: SPD ``[..., N, n, n]``: ``N`` matrices per problem, leading axes are problems.
      weights: non-negative weights ``[N]`` or ``[..., N]`` (not all zero); None for uniform.
      tol: stop when the Frobenius norm of :math:`G` is at most ``tol`` (traced).
      max_iter: the iteration cap (static).

    Returns:
      :class:`KarcherResult` ``(mean, n_iter, error, converged)``; it does not raise when the
      iteration fails to converge (check ``converged``).  In float32 use ``tol`` of about
      ``1e-5``.

    Raises:
      ValueError: if ``Xs`` is not a batch of SPD matrices ``[..., N, n, n]``, ``weights`` has
        the wrong shape, a negative or non-finite entry or sums to 0, ``tol`` is not > 0 or
        ``max_iter`` is not an int >= 1.

    References:
      :cite:t:`pennec2006riemannian`; :cite:t:`bhatia2007positive`, Ch. 6.

    Examples:
      >>> Xs = jnp.stack([jnp.diag(jnp.array([1.0, 4.0])), jnp.diag(jnp.array([4.0, 1.0]))])
      >>> res = cones.karcher_mean(Xs, tol=1e-5)
      >>> print(np.round(np.diag(np.asarray(res.mean)), 4), bool(res.converged))
      [2. 2.] True
    """
    fn = "karcher_mean"
    checks.check_ndim(fn, "Xs", Xs, range(3, 64), "[..., N, n, n] (N matrices per problem)")
    Xs = prep(fn, "Xs", Xs)
    N = Xs.shape[-3]
    if weights is None:
        w = jnp.ones((N,), Xs.dtype)
    else:
        checks.check_positive(fn, "weights", weights, allow_zero=True)
        shape = jnp.shape(weights)
        if len(shape) < 1 or shape[-1] != N or len(shape) > Xs.ndim - 2 or shape[:-1] != \
                Xs.shape[-2 - len(shape):-3]:
            raise ValueError(f"{fn}: `weights` must have shape [N] or [..., N] matching `Xs` "
                             f"{tuple(Xs.shape)}; got shape {tuple(shape)}.")
        if checks.is_concrete(weights) and not bool(jnp.all(jnp.sum(jnp.asarray(weights),
                                                                      axis=-1) > 0)):
            checks.fail(fn, "weights", "must not sum to 0", weights)
        w = jnp.asarray(weights, Xs.dtype)
    checks.check_positive(fn, "tol", tol)
    checks.check_int(fn, "max_iter", max_iter)
    return _karcher(Xs, w, jnp.asarray(tol, Xs.dtype), max_iter=max_iter)
