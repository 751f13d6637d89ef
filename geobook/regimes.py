r"""The power law :math:`g \propto \kappa^\alpha` between metric and gradient-noise covariance.

Covariant (geometric-mean) form: :math:`g = \lambda\,(h \#_\alpha \kappa)` with a background
metric ``h`` (the coordinate identity when ``background`` is None, which gives the
coordinate power :math:`\lambda\kappa^\alpha`).  α = 1: quantum regime (natural gradient),
α = ½: efficient learning (Adam-like), α = 0: equilibration (SGD).

Every function is batched over leading axes of ``kappa`` (except where it says one matrix),
keeps the dtype of its inputs, and runs a module-level jitted kernel; ``alpha`` is traced, so
a sweep over α compiles once.  How real optimisers sit on this map is measured by
``geobook.optim.optimizer_update_variance``.

Book chapters: *Learning as stochastic dynamics* and *The power law g ∝ κ^α*.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from geobook._src import checks, coordinates, spd
from geobook._src.dtypes import working_dtype

__all__ = ["metric", "update_covariance", "alpha_eff", "covariant_step", "step_covariance_error",
           "sample_updates", "fdt_residual"]


def _prep(fn, kappa, alpha, background, scale=1.0):
    checks.check_spd(fn, "kappa", kappa)
    checks.check_finite(fn, "alpha", alpha)
    checks.check_positive(fn, "scale", scale)
    if background is not None:
        checks.check_spd(fn, "background", background)
        checks.check_same_size(fn, "background", background, "kappa", kappa)
    dtype = working_dtype(kappa, background)
    h = None if background is None else jnp.asarray(background, dtype)
    return jnp.asarray(kappa, dtype), jnp.asarray(alpha, dtype), h, jnp.asarray(scale, dtype)


def _g(kappa, alpha, h):
    """``h #_α κ``; ``h = None`` is the coordinate identity."""
    if h is None:
        h = jnp.broadcast_to(jnp.eye(kappa.shape[-1], dtype=kappa.dtype), kappa.shape)
    return spd.geodesic(h, kappa, alpha)


def _step(G, kappa, alpha, h):
    """``-g⁻¹ G`` per unit learning rate."""
    return -jnp.linalg.solve(_g(kappa, alpha, h), G[..., None])[..., 0]


@jax.jit
def _metric_kernel(kappa, alpha, h, scale):
    return scale * _g(kappa, alpha, h)


@jax.jit
def _update_covariance_kernel(kappa, alpha, h):
    g = _g(kappa, alpha, h)
    ginv_kappa = jnp.linalg.solve(g, kappa)
    return spd.sym(jnp.linalg.solve(g, jnp.swapaxes(ginv_kappa, -1, -2)))


@jax.jit
def _covariant_step_kernel(G, kappa, alpha, h, lr):
    return lr * _step(G, kappa, alpha, h)


@jax.jit
def _step_covariance_kernel(G, kappa, alpha, A, h):
    Ai = jnp.linalg.inv(A)
    step = _step(G, kappa, alpha, h)
    step_new = _step(coordinates.covector(Ai, G), coordinates.form(Ai, kappa), alpha,
                     coordinates.form(Ai, h))
    return coordinates.mismatch(A, step, step_new)


@partial(jax.jit, static_argnames=("n_draws",))
def _sample_updates_kernel(key, kappa, alpha, h, G, lr, *, n_draws):
    L = jnp.linalg.cholesky(kappa)
    xi = jax.random.normal(key, (n_draws, kappa.shape[-1]), kappa.dtype) @ L.T
    return -lr * jnp.linalg.solve(_g(kappa, alpha, h), (G + xi).T).T


@jax.jit
def _fdt_residual_kernel(kappa, alpha, h):
    ginv = jnp.linalg.inv(_g(kappa, alpha, h))
    S = spd.sym(ginv @ kappa @ ginv)
    tr = lambda A: jnp.trace(A, axis1=-2, axis2=-1)[..., None, None]
    return jnp.sqrt(jnp.sum((ginv / tr(ginv) - S / tr(S)) ** 2, axis=(-2, -1)))


def metric(kappa, alpha, *, background=None, scale=1.0):
    r"""The metric :math:`g = \lambda\,(h \#_\alpha \kappa)` of the power law.

    .. math:: h\#_\alpha\kappa = h^{1/2}(h^{-1/2}\kappa h^{-1/2})^\alpha h^{1/2}.

    Args:
      kappa: the gradient-noise covariance κ, SPD ``[..., K, K]``.
      alpha: the exponent α, any finite real (traced).
      background: the background metric ``h``, SPD ``[..., K, K]``; None for the coordinate
        identity, which gives the matrix power :math:`\lambda\kappa^\alpha`.
      scale: the constant λ > 0 (traced).

    Returns:
      SPD ``[..., K, K]`` in the dtype ``kappa`` and ``background`` promote to.

    Raises:
      ValueError: if ``kappa`` or ``background`` is not SPD, their sizes differ, ``alpha``
        is not finite or ``scale`` is not > 0.

    References:
      :cite:t:`vanchurin2025gld`; the geometric mean: :cite:t:`bhatia2007positive`.

    Examples:
      >>> g = regimes.metric(jnp.diag(jnp.array([4.0, 9.0])), 0.5)
      >>> print(np.round(np.diag(np.asarray(g)), 3))      # κ^½
      [2. 3.]
    """
    return _metric_kernel(*_prep("metric", kappa, alpha, background, scale))


def update_covariance(kappa, alpha, *, background=None):
    r"""Update-noise covariance per unit learning rate of the α-preconditioner.

    .. math:: \Sigma_\Delta = g^{-1}\kappa g^{-1},\qquad g = h\#_\alpha\kappa;

    for ``background=None`` this is :math:`\kappa^{1-2\alpha}`.

    Args:
      kappa: SPD ``[..., K, K]``.
      alpha: the exponent α, finite (traced).
      background: the background metric ``h`` (SPD, same size) or None (identity).

    Returns:
      SPD ``[..., K, K]`` in the dtype ``kappa`` and ``background`` promote to.

    Raises:
      ValueError: as :func:`metric`.

    References:
      :cite:t:`vanchurin2025gld`.

    Examples:
      At α = ½ the update noise is isotropic (:math:`\kappa^0 = I`):

      >>> S = regimes.update_covariance(jnp.diag(jnp.array([4.0, 9.0])), 0.5)
      >>> print(np.round(np.asarray(S), 3))
      [[1. 0.]
       [0. 1.]]
    """
    kappa, alpha, h, _ = _prep("update_covariance", kappa, alpha, background)
    return _update_covariance_kernel(kappa, alpha, h)


def alpha_eff(v, eps):
    r"""Effective exponent of Adam with a finite ε at second moment ``v``.

    .. math:: \alpha_{\rm eff} = \tfrac12\,\frac{\sqrt v}{\sqrt v + \varepsilon}

    (½ when :math:`v \gg \varepsilon^2`, 0 when :math:`v \ll \varepsilon^2`).

    Args:
      v: second moments ≥ 0, any shape.
      eps: Adam's ε ≥ 0 (broadcasts with ``v``).

    Returns:
      α_eff in [0, ½], the broadcast shape of ``v`` and ``eps``.

    Raises:
      ValueError: if ``v`` or ``eps`` is negative or not finite.

    References:
      :cite:t:`kingma2015adam` (the update :math:`m/(\sqrt v + \varepsilon)`).

    Examples:
      >>> print(f"{float(regimes.alpha_eff(1e-6, 1e-3)):.3f}")    # v = ε²: halfway
      0.250
    """
    checks.check_positive("alpha_eff", "v", v, allow_zero=True)
    checks.check_positive("alpha_eff", "eps", eps, allow_zero=True)
    dtype = working_dtype(v, eps)
    s = jnp.sqrt(jnp.asarray(v, dtype))
    return 0.5 * s / (s + jnp.asarray(eps, dtype))


def covariant_step(grad, kappa, alpha, *, learning_rate=1.0, background=None):
    r"""One covariant gradient step :math:`\Delta q = -\eta\,g^{-1}G`, :math:`g = h\#_\alpha\kappa`.

    Args:
      grad: the (stochastic) gradient ``G``, a covector ``[..., K]``, finite.
      kappa: SPD ``[..., K, K]``.
      alpha: the exponent α, finite (traced).
      learning_rate: η > 0 (traced).
      background: the background metric ``h`` (SPD, same size) or None (identity).

    Returns:
      The step ``[..., K]`` in the dtype of ``kappa`` and ``background``.

    Raises:
      ValueError: as :func:`metric`, and if ``grad`` is not finite, its length is not ``K``,
        or ``learning_rate`` is not > 0.

    Examples:
      At α = 1 the step is the natural-gradient step :math:`-\eta\kappa^{-1}G`:

      >>> dq = regimes.covariant_step(jnp.array([1.0, 1.0]), jnp.diag(jnp.array([4.0, 2.0])),
      ...                             1.0, learning_rate=0.5)
      >>> print(np.round(np.asarray(dq), 3))
      [-0.125 -0.25 ]
    """
    fn = "covariant_step"
    checks.check_ndim(fn, "grad", grad, (1, 2, 3), "[..., K]")
    checks.check_finite(fn, "grad", grad)
    checks.check_positive(fn, "learning_rate", learning_rate)
    checks.check_same_size(fn, "grad", grad, "kappa", kappa)
    kappa, alpha, h, _ = _prep(fn, kappa, alpha, background)
    G = jnp.asarray(grad, kappa.dtype)
    return _covariant_step_kernel(G, kappa, alpha, h, jnp.asarray(learning_rate, kappa.dtype))


def step_covariance_error(grad, kappa, alpha, A, *, background=None):
    r"""How far one covariant step is from a vector under :math:`q' = Aq`.

    The step :math:`\Delta q = -g^{-1}G` is taken in the original coordinates and in the new
    ones, where :math:`G' = A^{-\top}G`, :math:`\kappa' = A^{-\top}\kappa A^{-1}` and, if
    given, :math:`h' = A^{-\top}hA^{-1}` (``background=None`` is the identity in both, a
    coordinate choice); the result is

    .. math:: \|\Delta q' - A\Delta q\| \,/\, \|A\Delta q\|,

    zero (to round-off) iff the step transforms as a vector.  This tests one step of a
    given metric; ``optim.reparametrisation_error`` runs the same test on an optimiser over
    many steps (both use one private transformation law).

    Args:
      grad: the gradient ``G`` ``[K]``, finite.
      kappa: SPD ``[K, K]``.
      alpha: the exponent α, finite (traced).
      A: an invertible ``[K, K]`` change of coordinates, finite.
      background: the background metric ``h`` (SPD ``[K, K]``) or None.

    Returns:
      The relative mismatch, a scalar in the working dtype.

    Raises:
      ValueError: as :func:`covariant_step`, and if ``A`` is not a finite ``[K, K]``.

    Examples:
      The α = 1 step is a vector; the coordinate power κ^½ is not:

      >>> kappa, A = jnp.array([[2.0, 0.5], [0.5, 1.0]]), jnp.array([[1.0, 2.0], [0.0, 3.0]])
      >>> G = jnp.array([1.0, -1.0])
      >>> [bool(regimes.step_covariance_error(G, kappa, a, A) < 1e-4) for a in (1.0, 0.5)]
      [True, False]
    """
    fn = "step_covariance_error"
    checks.check_ndim(fn, "grad", grad, 1, "[K]")
    checks.check_finite(fn, "grad", grad)
    checks.check_ndim(fn, "kappa", kappa, 2, "[K, K]")
    checks.check_same_size(fn, "grad", grad, "kappa", kappa)
    checks.check_square(fn, "A", A)
    checks.check_ndim(fn, "A", A, 2, "[K, K]")
    checks.check_finite(fn, "A", A)
    checks.check_same_size(fn, "A", A, "kappa", kappa)
    kappa, alpha, h, _ = _prep(fn, kappa, alpha, background)
    dtype = working_dtype(kappa, A)
    h = None if h is None else h.astype(dtype)
    return _step_covariance_kernel(jnp.asarray(grad, dtype), kappa.astype(dtype),
                                   alpha.astype(dtype), jnp.asarray(A, dtype), h)


def sample_updates(key, kappa, alpha, *, n_draws: int, grad=None, learning_rate=1.0,
                   background=None):
    r"""Draws of the stochastic covariant update.

    .. math:: \Delta q = -\eta\, g^{-1}(\nabla H + \xi),\qquad \xi\sim N(0,\kappa),\quad
              g = h\#_\alpha\kappa.

    Their covariance divided by :math:`\eta^2` estimates :func:`update_covariance`.

    Args:
      key: a JAX PRNG key.
      kappa: one SPD matrix ``[K, K]``.
      alpha: the exponent α, finite (traced).
      n_draws: the number of draws, a Python int >= 1 (static).
      grad: the deterministic gradient :math:`\nabla H` ``[K]``; None for zero.
      learning_rate: η > 0 (traced).
      background: the background metric ``h`` (SPD ``[K, K]``) or None.

    Returns:
      ``[n_draws, K]`` in the dtype of ``kappa`` and ``background``.

    Raises:
      ValueError: as :func:`metric`, and if ``kappa`` is not one matrix, ``n_draws`` is not
        an int >= 1, ``grad`` is not ``[K]`` or ``learning_rate`` is not > 0.

    Examples:
      >>> dq = regimes.sample_updates(jax.random.key(0), jnp.diag(jnp.array([4.0, 0.25])),
      ...                             0.5, n_draws=20_000)
      >>> print(np.round(np.asarray(jnp.var(dq, axis=0)), 1))    # κ^0: unit variance
      [1. 1.]
    """
    fn = "sample_updates"
    checks.check_int(fn, "n_draws", n_draws)
    checks.check_ndim(fn, "kappa", kappa, 2, "[K, K]")
    checks.check_positive(fn, "learning_rate", learning_rate)
    kappa, alpha, h, _ = _prep(fn, kappa, alpha, background)
    K = kappa.shape[-1]
    if grad is None:
        grad = jnp.zeros((K,), kappa.dtype)
    checks.check_ndim(fn, "grad", grad, 1, "[K]")
    checks.check_size(fn, "grad", grad, K, what="K, the size of `kappa`")
    G = jnp.asarray(grad, kappa.dtype)
    return _sample_updates_kernel(key, kappa, alpha, h, G,
                                  jnp.asarray(learning_rate, kappa.dtype), n_draws=n_draws)


def fdt_residual(kappa, alpha, *, background=None):
    r"""How far the update noise is from being proportional to the inverse metric.

    .. math:: R(\alpha) = \Big\| \frac{g^{-1}}{\operatorname{tr} g^{-1}}
              - \frac{\Sigma_\Delta}{\operatorname{tr}\Sigma_\Delta} \Big\|_F ,
              \qquad g = h\#_\alpha\kappa,\ \Sigma_\Delta = g^{-1}\kappa g^{-1}.

    Zero means a fluctuation–dissipation relation (noise ∝ inverse metric), which holds for
    every κ exactly at α = 1 and for every α when κ ∝ h.

    Args:
      kappa: SPD ``[..., K, K]``.
      alpha: the exponent α, finite (traced).
      background: the background metric ``h`` (SPD, same size) or None (identity).

    Returns:
      R ≥ 0, shape ``[...]``, in the dtype of ``kappa`` and ``background``.

    Raises:
      ValueError: as :func:`metric`.

    References:
      :cite:t:`vanchurin2025gld`.

    Examples:
      >>> kappa = jnp.diag(jnp.array([4.0, 1.0]))
      >>> print(f"{float(regimes.fdt_residual(kappa, 1.0)):.3f}")
      0.000
      >>> bool(regimes.fdt_residual(kappa, 0.5) > 0.1)
      True
    """
    kappa, alpha, h, _ = _prep("fdt_residual", kappa, alpha, background)
    return _fdt_residual_kernel(kappa, alpha, h)
