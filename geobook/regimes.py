r"""The power law :math:`g \propto \kappa^\alpha` between metric and gradient-noise covariance.

Covariant (geometric-mean) form: :math:`g = \lambda\,(h \#_\alpha \kappa)` with a background
metric ``h`` (the coordinate identity when ``background`` is None, which gives the
coordinate power :math:`\lambda\kappa^\alpha`).  α = 1: quantum regime (natural gradient),
α = ½: efficient learning (Adam-like), α = 0: equilibration (SGD).

Book chapters: *Learning as stochastic dynamics* and *The power law g ∝ κ^α*.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from geobook import cones
from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["metric", "update_covariance", "alpha_eff", "covariant_step", "step_covariance_error",
           "sample_updates",
           "fdt_residual", "optimizer_update_variance", "UpdateStats"]


def _eye_like(kappa):
    n = kappa.shape[-1]
    return jnp.broadcast_to(jnp.eye(n, dtype=kappa.dtype), kappa.shape)


def _prep(fn, kappa, alpha, background, scale=1.0):
    checks.check_spd(fn, "kappa", kappa)
    checks.check_finite(fn, "alpha", alpha)
    checks.check_positive(fn, "scale", scale)
    if background is not None:
        checks.check_spd(fn, "background", background)
        if jnp.shape(background)[-1] != jnp.shape(kappa)[-1]:
            raise ValueError(f"{fn}: `background` and `kappa` must have the same matrix size; "
                             f"got shapes {jnp.shape(background)} and {jnp.shape(kappa)}.")
    dtype = working_dtype(kappa, background)
    kappa = jnp.asarray(kappa, dtype)
    h = _eye_like(kappa) if background is None else jnp.asarray(background, dtype)
    return kappa, jnp.asarray(alpha, dtype), h, jnp.asarray(scale, dtype)


def _metric_kernel(kappa, alpha, h, scale):
    return scale * cones._geodesic_kernel(h, kappa, alpha)


def metric(kappa, alpha, *, background=None, scale=1.0):
    r"""The metric :math:`g = \mathrm{scale}\cdot(h \#_\alpha \kappa)`.

    Args:
      kappa: gradient-noise covariance, SPD ``[..., K, K]``.
      alpha: the exponent α (any real; traced).
      background: the background metric ``h`` (SPD, same size); identity if None, which
        gives the coordinate matrix power ``scale · κ^α``.
      scale: the constant λ > 0.

    Returns:
      SPD ``[..., K, K]`` in the dtype of ``kappa``.
    """
    return _metric_kernel(*_prep("metric", kappa, alpha, background, scale))


def update_covariance(kappa, alpha, *, background=None):
    r"""Update-noise covariance per unit learning rate, :math:`\Sigma_\Delta = g^{-1}\kappa g^{-1}`
    with :math:`g = h \#_\alpha \kappa`.  For ``background=None`` this is
    :math:`\kappa^{1-2\alpha}`."""
    kappa, alpha, h, one = _prep("update_covariance", kappa, alpha, background)
    g = _metric_kernel(kappa, alpha, h, one)
    ginv_kappa = jnp.linalg.solve(g, kappa)
    return cones.sym(jnp.linalg.solve(g, jnp.swapaxes(ginv_kappa, -1, -2)))


def alpha_eff(v, eps):
    r"""Effective exponent of Adam with a finite ε at second moment ``v``:
    :math:`\alpha_{\rm eff} = \tfrac12 \sqrt v/(\sqrt v + \varepsilon)`
    (½ when :math:`v \gg \varepsilon^2`, 0 when :math:`v \ll \varepsilon^2`)."""
    checks.check_positive("alpha_eff", "v", v, allow_zero=True)
    checks.check_positive("alpha_eff", "eps", eps, allow_zero=True)
    dtype = working_dtype(v, eps)
    s = jnp.sqrt(jnp.asarray(v, dtype))
    return 0.5 * s / (s + jnp.asarray(eps, dtype))


def covariant_step(grad, kappa, alpha, *, learning_rate=1.0, background=None):
    r"""One covariant gradient step :math:`\Delta q = -\eta\, g^{-1} G` with
    :math:`g = h\#_\alpha\kappa`.

    Args:
      grad: the (stochastic) gradient ``G``, ``[..., K]`` (a covector).
      kappa: SPD ``[..., K, K]``.  alpha: exponent.  learning_rate: η > 0.
      background: background metric ``h`` or None (identity).
    """
    checks.check_ndim("covariant_step", "grad", grad, (1, 2, 3), "[..., K]")
    checks.check_finite("covariant_step", "grad", grad)
    checks.check_positive("covariant_step", "learning_rate", learning_rate)
    if jnp.shape(grad)[-1] != jnp.shape(kappa)[-1]:
        raise ValueError(f"covariant_step: `grad` must have length K = {jnp.shape(kappa)[-1]} "
                         f"to match `kappa`; got shape {jnp.shape(grad)}.")
    kappa, alpha, h, one = _prep("covariant_step", kappa, alpha, background)
    g = _metric_kernel(kappa, alpha, h, one)
    G = jnp.asarray(grad, kappa.dtype)
    return -jnp.asarray(learning_rate, kappa.dtype) * jnp.linalg.solve(g, G[..., None])[..., 0]


def step_covariance_error(grad, kappa, alpha, A, *, background=None):
    r"""Relative mismatch :math:`\|\Delta q' - A\Delta q\|/\|A\Delta q\|` between the covariant step
    taken in the coordinates :math:`q' = Aq` (where :math:`G' = A^{-\top}G`,
    :math:`\kappa' = A^{-\top}\kappa A^{-1}` and, if given, :math:`h' = A^{-\top}hA^{-1}`) and the
    transformed step of the original coordinates.  Zero (to round-off) iff the step is a vector.
    """
    checks.check_square("step_covariance_error", "A", A)
    checks.check_finite("step_covariance_error", "A", A)
    A = jnp.asarray(A)
    Ai = jnp.linalg.inv(A)
    step = covariant_step(grad, kappa, alpha, background=background)
    new_bg = None if background is None else Ai.T @ background @ Ai
    step_new = covariant_step(Ai.T @ grad, Ai.T @ kappa @ Ai, alpha, background=new_bg)
    return jnp.linalg.norm(step_new - A @ step) / jnp.linalg.norm(A @ step)


def sample_updates(key, kappa, alpha, *, n_draws: int, grad=None, learning_rate=1.0,
                   background=None):
    r"""Draws of the stochastic covariant update :math:`\Delta q = -\eta g^{-1}(\nabla H + \xi)`,
    :math:`\xi\sim N(0,\kappa)`.

    Returns ``[n_draws, K]``.  Their covariance divided by η² estimates
    :func:`update_covariance`.
    """
    checks.check_int("sample_updates", "n_draws", n_draws)
    kappa_, alpha_, h, one = _prep("sample_updates", kappa, alpha, background)
    if kappa_.ndim != 2:
        raise ValueError(f"sample_updates: `kappa` must be one matrix [K, K]; got shape "
                         f"{kappa_.shape}.")
    K = kappa_.shape[-1]
    grad = jnp.zeros((K,), kappa_.dtype) if grad is None else jnp.asarray(grad, kappa_.dtype)
    if grad.shape != (K,):
        raise ValueError(f"sample_updates: `grad` must have shape ({K},); got {grad.shape}.")
    checks.check_positive("sample_updates", "learning_rate", learning_rate)
    L = jnp.linalg.cholesky(kappa_)
    xi = jax.random.normal(key, (n_draws, K), kappa_.dtype) @ L.T
    g = _metric_kernel(kappa_, alpha_, h, one)
    return -jnp.asarray(learning_rate, kappa_.dtype) * jnp.linalg.solve(g, (grad + xi).T).T


def fdt_residual(kappa, alpha, *, background=None):
    r"""How far the update noise is from being proportional to the inverse metric:

    .. math:: R(\alpha) = \Big\| \frac{g^{-1}}{\operatorname{tr} g^{-1}}
              - \frac{\Sigma_\Delta}{\operatorname{tr}\Sigma_\Delta} \Big\|_F ,
              \qquad g = h\#_\alpha\kappa,\ \Sigma_\Delta = g^{-1}\kappa g^{-1}.

    Zero means a fluctuation–dissipation relation (noise ∝ inverse metric), which holds for
    every κ exactly at α = 1 and for every α when κ ∝ h.
    """
    kappa, alpha, h, one = _prep("fdt_residual", kappa, alpha, background)
    g = _metric_kernel(kappa, alpha, h, one)
    ginv = jnp.linalg.inv(g)
    S = cones.sym(ginv @ kappa @ ginv)
    tr = lambda A: jnp.trace(A, axis1=-2, axis2=-1)[..., None, None]
    return jnp.sqrt(jnp.sum((ginv / tr(ginv) - S / tr(S)) ** 2, axis=(-2, -1)))


class UpdateStats(NamedTuple):
    """Per-coordinate statistics of an optimiser driven by pure gradient noise."""
    variance: jax.Array      # Var(Δq_i)/η² over the recorded steps, [K]
    mean: jax.Array          # E[Δq_i]/η, [K]
    n_steps: int


def optimizer_update_variance(key, optimizer, kappa_diag, *, learning_rate, n_steps: int,
                              burn_in: int = 0):
    r"""Run any optax-style optimiser (``init``, ``update``) on pure gradient noise
    :math:`G_i \sim N(0, \kappa_i)` (so :math:`\nabla H = 0`) and measure
    :math:`\operatorname{Var}(\Delta q_i)/\eta^2`.

    This is the experiment behind the regime slope: for an α-preconditioner the
    log-variance is linear in :math:`\log\kappa_i` with slope :math:`1-2\alpha`.

    Args:
      key: PRNG key.  optimizer: an object with ``init(params)`` and
        ``update(grads, state, params) -> (updates, state)``, e.g. ``optax.adam(lr)``.
      kappa_diag: positive noise variances ``[K]``.
      learning_rate: the optimiser's η (> 0), used to normalise.
      n_steps: recorded steps (static).  burn_in: discarded steps first (static).
    """
    checks.check_ndim("optimizer_update_variance", "kappa_diag", kappa_diag, 1, "[K]")
    checks.check_positive("optimizer_update_variance", "kappa_diag", kappa_diag)
    checks.check_positive("optimizer_update_variance", "learning_rate", learning_rate)
    checks.check_int("optimizer_update_variance", "n_steps", n_steps, minimum=2)
    checks.check_int("optimizer_update_variance", "burn_in", burn_in, minimum=0)
    for attr in ("init", "update"):
        if not callable(getattr(optimizer, attr, None)):
            checks.fail("optimizer_update_variance", "optimizer",
                        f"must have a callable `{attr}` (an optax GradientTransformation)",
                        type(optimizer).__name__)
    dtype = working_dtype(kappa_diag)
    sd = jnp.sqrt(jnp.asarray(kappa_diag, dtype))
    params = jnp.zeros_like(sd)

    @jax.jit
    def run(key):
        def step(carry, k):
            state, s1, s2 = carry
            G = sd * jax.random.normal(k, sd.shape, dtype)
            upd, state = optimizer.update(G, state, params)
            return (state, s1, s2), upd

        keys = jax.random.split(key, burn_in + n_steps)
        state = optimizer.init(params)
        if burn_in:
            (state, _, _), _ = jax.lax.scan(step, (state, 0.0, 0.0), keys[:burn_in])

        def acc(carry, k):
            (state, s1, s2), upd = step(carry, k)
            return (state, s1 + upd, s2 + upd * upd), None

        z = jnp.zeros_like(sd)
        (_, s1, s2), _ = jax.lax.scan(acc, (state, z, z), keys[burn_in:])
        m = s1 / n_steps
        return m, s2 / n_steps - m * m

    m, v = run(key)
    lr = jnp.asarray(learning_rate, dtype)
    return UpdateStats(variance=v / lr**2, mean=m / lr, n_steps=n_steps)
