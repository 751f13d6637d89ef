r"""The SPD cone as a symmetric cone: the Jordan algebra :math:`\mathrm{Sym}_n(\mathbb R)`, the
characteristic function, the canonical barrier, and the Lorentz cone for comparison.

In the Euclidean Jordan algebra :math:`\mathrm{Sym}_n(\mathbb R)` (product
:math:`X\circ Y = (XY+YX)/2`, inner product :math:`\operatorname{tr}(XY)`), the SPD cone is the
interior of the cone of squares; its quadratic representation :math:`P(X)Y = XYX` maps the
cone onto itself for invertible ``X``.  The characteristic function
:math:`\varphi(X) = \int_{\mathcal P_n} e^{-\operatorname{tr}(XY)}dY
= \Gamma_n(\tfrac{n+1}{2})\det X^{-(n+1)/2}` and the barrier :math:`-\ln\det` have Hessians
proportional to the affine-invariant metric.  Every function is batched over leading axes
and works under ``jit``, ``vmap`` and ``grad``.
"""
from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype
from geobook._src.spd import sym
from geobook.cones._common import prep, prep_pair
from geobook.cones._common import multigammaln_kernel

__all__ = ["sym_basis", "jordan_product", "quad_rep", "char_function", "hessian_logdet",
           "lorentz_char_function", "monge_ampere_ratio"]


def _basis(n, dtype):
    N = n * (n + 1) // 2
    B = np.zeros((N, n, n))
    iu, ju = np.triu_indices(n)
    for a, (i, j) in enumerate(zip(iu, ju)):
        if i == j:
            B[a, i, i] = 1.0
        else:
            B[a, i, j] = B[a, j, i] = 1.0 / math.sqrt(2.0)
    return jnp.asarray(B, dtype)


def sym_basis(n: int, *, dtype=None):
    r"""The orthonormal basis of :math:`\mathrm{Sym}_n` for the Frobenius inner product.

    :math:`E_{ii}` and :math:`(E_{ij}+E_{ji})/\sqrt2` for :math:`i<j`, in the row-major order
    of the upper triangle :math:`(0,0), (0,1), \dots, (0,n-1), (1,1), \dots`.

    Args:
      n: the matrix size, a Python int >= 1.
      dtype: a floating dtype (default: JAX's default float).

    Returns:
      ``[n(n+1)/2, n, n]``: ``B[a]`` is the a-th basis matrix, ``tr(B[a] B[b]) = δ_ab``.

    Raises:
      ValueError: if ``n`` is not an int >= 1.

    Examples:
      >>> B = cones.sym_basis(2)
      >>> print(B.shape, np.round(np.asarray(jnp.einsum("aij,bji->ab", B, B)), 3).tolist())
      (3, 2, 2) [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    checks.check_int("sym_basis", "n", n)
    return _basis(n, jnp.dtype(dtype or working_dtype()))


@jax.jit
def _jordan(X, Y):
    return 0.5 * (X @ Y + Y @ X)


@jax.jit
def _quad(X, Y):
    return sym(X @ Y @ X)


def jordan_product(X, Y):
    r"""The Jordan product :math:`X\circ Y = (XY + YX)/2` of symmetric matrices.

    Commutative, not associative; :math:`X\circ X = X^2`; power-associative.

    Args:
      X: symmetric ``[..., n, n]``.
      Y: symmetric ``[..., n, n]`` (same ``n``; batch axes broadcast).

    Returns:
      Symmetric ``[..., n, n]`` in the dtype ``X`` and ``Y`` promote to.

    Raises:
      ValueError: if ``X`` or ``Y`` is not square, finite and symmetric, or their sizes differ.

    References:
      :cite:t:`faraut1994analysis`, Ch. II.

    Examples:
      >>> X = jnp.array([[0.0, 1.0], [1.0, 0.0]]); Y = jnp.diag(jnp.array([1.0, -1.0]))
      >>> print(np.asarray(cones.jordan_product(X, Y)))       # anticommuting: X∘Y = 0
      [[0. 0.]
       [0. 0.]]
    """
    X, Y = prep_pair("jordan_product", X, Y, spd_=False)
    return _jordan(X, Y)


def quad_rep(X, Y):
    r"""The quadratic representation :math:`P(X)Y = XYX = 2X\circ(X\circ Y) - X^2\circ Y`.

    For invertible ``X``, :math:`P(X)` is a linear automorphism of the SPD cone, and
    :math:`P(X^{1/2})I = X`: the cone is homogeneous.

    Args:
      X: symmetric ``[..., n, n]``.
      Y: symmetric ``[..., n, n]`` (same ``n``; batch axes broadcast).

    Returns:
      Symmetric ``[..., n, n]`` in the dtype ``X`` and ``Y`` promote to.

    Raises:
      ValueError: if ``X`` or ``Y`` is not square, finite and symmetric, or their sizes differ.

    References:
      :cite:t:`faraut1994analysis`, Ch. II–III.

    Examples:
      >>> X = jnp.array([[2.0, 1.0], [1.0, 2.0]])
      >>> print(np.asarray(cones.quad_rep(X, jnp.eye(2))))     # P(X) I = X²
      [[5. 4.]
       [4. 5.]]
    """
    X, Y = prep_pair("quad_rep", X, Y, spd_=False)
    return _quad(X, Y)


@partial(jax.jit, static_argnames=("log",))
def _char(X, *, log):
    n = X.shape[-1]
    _, ld = jnp.linalg.slogdet(X)
    out = multigammaln_kernel(jnp.asarray(0.5 * (n + 1), X.dtype), n) - 0.5 * (n + 1) * ld
    return out if log else jnp.exp(out)


def char_function(X, *, log: bool = False):
    r"""The characteristic function of the SPD cone (self-dual for the trace pairing).

    .. math:: \varphi(X) = \int_{Y\succ0} e^{-\operatorname{tr}(XY)}\,dY
              = \Gamma_n\big(\tfrac{n+1}{2}\big)\det X^{-(n+1)/2},

    with :math:`dY` the Lebesgue measure on the :math:`n(n+1)/2` entries :math:`Y_{ij},
    i\le j`.  :math:`u = \ln\varphi` solves the Monge–Ampère equation
    :math:`\det D^2u = C_n e^{2u}` (orthonormal coordinates).

    Args:
      X: SPD ``[..., n, n]``.
      log: return :math:`\ln\varphi` instead of :math:`\varphi` (static).

    Returns:
      ``[...]`` in the dtype of ``X``.

    Raises:
      ValueError: if ``X`` is not SPD.

    References:
      :cite:t:`faraut1994analysis`, Ch. I and VII.

    Examples:
      >>> X = jnp.array([[2.0, 0.3], [0.3, 1.0]])              # n = 2: (π/2) det X^{-3/2}
      >>> print(f"{float(cones.char_function(X)):.6f}")
      0.595072
    """
    return _char(prep("char_function", "X", X), log=bool(log))


@jax.jit
def _hessian_logdet(X):
    n = X.shape[-1]
    B = _basis(n, X.dtype)
    Xi = jnp.linalg.inv(X)
    C = Xi[..., None, :, :] @ B                                       # X⁻¹ B_a
    return jnp.einsum("...aij,...bji->...ab", C, C)


def hessian_logdet(X):
    r"""Hessian of the barrier :math:`-\ln\det X` in the orthonormal basis of :math:`\mathrm{Sym}_n`.

    .. math:: H_{ab}(X) = \operatorname{tr}(X^{-1}B_aX^{-1}B_b),

    with :math:`B_a` = :func:`sym_basis`; the affine-invariant metric at :math:`X`, and
    :math:`\det H = \det X^{-(n+1)}`.

    Args:
      X: SPD ``[..., n, n]``.

    Returns:
      SPD ``[..., n(n+1)/2, n(n+1)/2]`` in the dtype of ``X``.

    Raises:
      ValueError: if ``X`` is not SPD.

    References:
      :cite:t:`faraut1994analysis`, Ch. III; :cite:t:`nesterov1994interior`.

    Examples:
      >>> H = cones.hessian_logdet(2.0 * jnp.eye(2))
      >>> print(np.round(np.asarray(H), 3))                   # X = 2I: H = I / 4
      [[0.25 0.   0.  ]
       [0.   0.25 0.  ]
       [0.   0.   0.25]]
    """
    return _hessian_logdet(prep("hessian_logdet", "X", X))


@partial(jax.jit, static_argnames=("log",))
def _lorentz(x, *, log):
    d = x.shape[-1]
    q = x[..., 0] ** 2 - jnp.sum(x[..., 1:] ** 2, axis=-1)
    lc = (0.5 * (d - 1) * math.log(math.pi) + math.lgamma(d) - math.lgamma(0.5 * (d + 1)))
    out = lc - 0.5 * d * jnp.log(q)
    return out if log else jnp.exp(out)


def lorentz_char_function(x, *, log: bool = False):
    r"""Characteristic function of the Lorentz cone :math:`\Lambda_d = \{(t, y)\in\mathbb R
    \times\mathbb R^{d-1} : t > |y|\}` (self-dual for the Euclidean pairing).

    .. math:: \varphi_\Lambda(x) = \int_{\Lambda_d} e^{-\langle x, \xi\rangle}d\xi
              = \frac{\pi^{(d-1)/2}\,\Gamma(d)}{\Gamma(\frac{d+1}{2})}
              \,(t^2 - |y|^2)^{-d/2},

    and :math:`u = \ln\varphi_\Lambda` solves :math:`\det D^2u = C e^{2u}` with
    :math:`C = d^d\,\Gamma(\frac{d+1}{2})^2 / (\pi^{d-1}\Gamma(d)^2)`.

    Args:
      x: points ``[..., d]`` (``d >= 2``) inside the cone: ``x[..., 0] > |x[..., 1:]|``.
      log: return :math:`\ln\varphi_\Lambda` (static).

    Returns:
      ``[...]`` in the working dtype of ``x``.

    Raises:
      ValueError: if ``x`` has fewer than 2 entries on its last axis or a point is not inside
        the open cone.

    References:
      :cite:t:`faraut1994analysis`, Ch. I.

    Examples:
      >>> print(f"{float(cones.lorentz_char_function(jnp.array([1.0, 0.0]))):.4f}")  # ∫ e^{-t} 2t dt
      2.0000
    """
    fn = "lorentz_char_function"
    if np.ndim(x) < 1 or np.shape(x)[-1] < 2:
        raise ValueError(f"{fn}: `x` must have shape [..., d] with d >= 2; got shape "
                         f"{np.shape(x)}.")
    checks.check_finite(fn, "x", x)
    if checks.is_concrete(x):
        a = np.asarray(x, np.float64)
        if not np.all(a[..., 0] > np.linalg.norm(a[..., 1:], axis=-1)):
            checks.fail(fn, "x", "must lie inside the open Lorentz cone x[0] > |x[1:]|", x)
    x = jnp.asarray(x, working_dtype(x))
    return _lorentz(x, log=bool(log))


def monge_ampere_ratio(u, points, *, args=()):
    r"""The Monge–Ampère ratio :math:`\det D^2u(x)\,/\,e^{2u(x)}` of a potential, by autodiff.

    For the logarithm :math:`u = \ln\varphi` of the characteristic function of a homogeneous
    cone the ratio is a constant (the cone's Monge–Ampère equation
    :math:`\det D^2 u = C\,e^{2u}`); this evaluates it at given points with JAX's exact
    second derivatives, independently of any closed-form Hessian.

    Args:
      u: the potential, ``u(x, *args) -> scalar`` for one point ``x: [N]`` (static).
      points: the points ``[n_points, N]``.
      args: a tuple of (traced) parameters passed on to ``u``.

    Returns:
      The ratio at each point, ``[n_points]``.

    Raises:
      ValueError: if ``u`` is not callable or not scalar-valued, or ``points`` is not a
        finite ``[n_points, N]`` array.

    References:
      The Monge–Ampère equation of a homogeneous cone: :cite:t:`faraut1994analysis`.

    Examples:
      For :math:`u = -\ln x` on the half-line, :math:`u'' = 1/x^2 = e^{2u}`, so the ratio
      is 1 everywhere:

      >>> r = cones.monge_ampere_ratio(lambda x: -jnp.log(x[0]), jnp.array([[0.5], [2.0]]))
      >>> print(np.round(np.asarray(r), 6))
      [1. 1.]
    """
    fn = "monge_ampere_ratio"
    checks.check_callable(fn, "u", u, signature="x: [N] -> scalar")
    checks.check_args(fn, args)
    checks.check_ndim(fn, "points", points, 2, "[n_points, N]")
    checks.check_finite(fn, "points", points)
    pts = jnp.asarray(points, working_dtype(points))
    checks.output_shape(fn, "u", u, pts.shape[1:], pts.dtype, (), args=args, layout="a scalar")
    return _ma_ratio(pts, args, u=u)


@partial(jax.jit, static_argnames=("u",))
def _ma_ratio(pts, args, *, u):
    f = lambda x: u(x, *args)
    return jnp.linalg.det(jax.vmap(jax.hessian(f))(pts)) / jnp.exp(2 * jax.vmap(f)(pts))

