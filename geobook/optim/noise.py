r"""Optimisers under pure gradient noise and under a change of coordinates.

:func:`optimizer_update_variance` drives any optax-style optimiser with pure gradient noise
:math:`G_i \sim N(0, \kappa_i)` and measures the variance of its updates — the experiment
behind the regime slope :math:`1 - 2\alpha`; :func:`optimizer_update_covariance` does the same
for correlated noise :math:`G \sim N(0, \kappa)` and returns the full update covariance; :func:`reparametrisation_error` measures how far
an optimiser is from covariant under :math:`q' = Aq`. Both are module-level kernels with the
optimiser (or its factory) static and the arrays traced.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from geobook._src import checks, coordinates
from geobook._src.dtypes import working_dtype

__all__ = ["reparametrisation_error", "UpdateStats", "optimizer_update_variance",
           "UpdateCovariance", "optimizer_update_covariance"]


@partial(jax.jit, static_argnames=("make_optimizer", "n_steps"))
def _reparametrisation_kernel(key, A, H, *, make_optimizer, n_steps):
    K = A.shape[0]
    Ai = jnp.linalg.inv(A)
    o1 = make_optimizer(None)
    o2 = make_optimizer(coordinates.form(Ai, jnp.eye(K, dtype=A.dtype)))   # I in q' = Aq
    q = jnp.ones(K, A.dtype)

    def step(carry, k):
        q, qp, s1, s2 = carry
        G = H @ q + jax.random.normal(k, (K,), A.dtype)
        u1, s1 = o1.update(G, s1)
        u2, s2 = o2.update(coordinates.covector(Ai, G), s2)
        return (q + u1, qp + u2, s1, s2), None

    (q, qp, _, _), _ = jax.lax.scan(step, (q, A @ q, o1.init(q), o2.init(A @ q)),
                                    jax.random.split(key, n_steps))
    return coordinates.mismatch(A, q, qp)


def reparametrisation_error(make_optimizer: Callable, A, hessian, *, key, n_steps: int = 30):
    r"""How far an optimiser is from covariant under a linear change of coordinates :math:`q'=Aq`.

    The optimiser runs from :math:`q_0 = (1, \dots, 1)` on the noisy quadratic
    :math:`H = \tfrac12 q^\top \mathrm{hessian}\, q` (gradients :math:`G = \nabla H + z`,
    :math:`z\sim N(0, I)`), and a second copy runs from :math:`q'_0 = Aq_0` fed the same
    gradients as covectors, :math:`G' = A^{-\top}G`.  The result is

    .. math:: \|q'_n - Aq_n\| \,/\, \|Aq_n\|,

    zero (to round-off) iff the optimiser's steps transform as vectors.  This is the
    optimiser-level counterpart of ``regimes.step_covariance_error`` (one step of a given
    metric); both use one private transformation law.

    Args:
      make_optimizer: ``make_optimizer(h) -> GradientTransformation``, given the background
        metric of the coordinates: None for the original ones, :math:`A^{-\top}A^{-1}` for
        the new ones (optimisers without a background ignore it).  Static (hashable); it is
        called inside the compiled kernel, with a traced ``h``.
      A: an invertible ``[K, K]``, finite.
      hessian: SPD ``[K, K]``.
      key: a JAX PRNG key (the gradient noise).
      n_steps: the number of steps, a Python int >= 1 (static).

    Returns:
      The relative mismatch after ``n_steps``, a scalar in the working dtype.

    Raises:
      ValueError: if ``A`` is not a finite ``[K, K]``, ``hessian`` is not SPD of the same
        shape, ``n_steps`` is not an int >= 1, or ``make_optimizer(None)`` is not an
        optimiser.

    References:
      :cite:t:`guskov2025cgd`.

    Examples:
      Full CGD with a background that transforms is covariant; Adam is not:

      >>> A, H = jnp.array([[1.0, 2.0], [0.0, 3.0]]), jnp.array([[2.0, 0.5], [0.5, 1.0]])
      >>> full = lambda h: optim.cgd(0.05, structure="full", eps=1e-3, background=h)
      >>> adam = lambda h: optim.adam(0.05)
      >>> [bool(optim.reparametrisation_error(f, A, H, key=jax.random.key(0), n_steps=10)
      ...       < 1e-3) for f in (full, adam)]
      [True, False]
    """
    fn = "reparametrisation_error"
    checks.check_callable(fn, "make_optimizer", make_optimizer,
                          signature="h: [K, K] or None -> GradientTransformation")
    checks.check_ndim(fn, "A", A, 2, "[K, K]")
    checks.check_square(fn, "A", A)
    checks.check_finite(fn, "A", A)
    checks.check_spd(fn, "hessian", hessian)
    checks.check_same_shape(fn, "A", A, "hessian", hessian)
    checks.check_int(fn, "n_steps", n_steps)
    checks.check_hashable(fn, "make_optimizer", make_optimizer)
    checks.check_methods(fn, "make_optimizer(None)", make_optimizer(None))
    dtype = working_dtype(A, hessian)
    return _reparametrisation_kernel(key, jnp.asarray(A, dtype), jnp.asarray(hessian, dtype),
                                     make_optimizer=make_optimizer, n_steps=n_steps)


class UpdateStats(NamedTuple):
    """Per-coordinate statistics of an optimiser driven by pure gradient noise.

    Attributes:
      variance: :math:`\\operatorname{Var}(\\Delta q_i)/\\eta^2` over the recorded steps,
        ``[K]``.
      mean: :math:`E[\\Delta q_i]/\\eta`, ``[K]``.
      n_steps: the number of recorded steps (a Python int).

    Examples:
      See :func:`optimizer_update_variance`; the fields in order:

      >>> optim.UpdateStats._fields
      ('variance', 'mean', 'n_steps')
    """
    variance: jax.Array
    mean: jax.Array
    n_steps: int


@partial(jax.jit, static_argnames=("optimizer", "n_steps", "burn_in"))
def _update_moments_kernel(key, noise, *, optimizer, n_steps, burn_in):
    # noise: [K] standard deviations (independent coordinates, per-coordinate moments) or
    # [K, K] a Cholesky factor (correlated noise, full second moment).
    full = noise.ndim == 2
    K = noise.shape[0]
    params = jnp.zeros(K, noise.dtype)

    def noisy_update(state, k):
        z = jax.random.normal(k, (K,), noise.dtype)
        return optimizer.update(noise @ z if full else noise * z, state, params)

    keys = jax.random.split(key, burn_in + n_steps)
    state = optimizer.init(params)
    if burn_in:
        state, _ = jax.lax.scan(lambda s, k: (noisy_update(s, k)[1], None), state, keys[:burn_in])

    def accumulate(carry, k):
        state, s1, s2 = carry
        upd, state = noisy_update(state, k)
        return (state, s1 + upd, s2 + (jnp.outer(upd, upd) if full else upd * upd)), None

    z1 = jnp.zeros(K, noise.dtype)
    z2 = jnp.zeros((K, K) if full else K, noise.dtype)
    (_, s1, s2), _ = jax.lax.scan(accumulate, (state, z1, z2), keys[burn_in:])
    m = s1 / n_steps
    return m, s2 / n_steps - (jnp.outer(m, m) if full else m * m)


def optimizer_update_variance(key, optimizer, kappa_diag, *, learning_rate, n_steps: int,
                              burn_in: int = 0) -> UpdateStats:
    r"""The update variance of an optimiser driven by pure gradient noise.

    Runs any optax-style optimiser on gradients :math:`G_i \sim N(0, \kappa_i)` (so
    :math:`\nabla H = 0`) and measures :math:`\operatorname{Var}(\Delta q_i)/\eta^2`.  This is
    the experiment behind the regime slope: for an α-preconditioner the log-variance is
    linear in :math:`\log\kappa_i` with slope :math:`1-2\alpha`.

    Args:
      key: a JAX PRNG key.
      optimizer: an optax-style ``(init, update)`` pair, e.g. ``optax.adam(lr)``, hashable
        (static).
      kappa_diag: positive noise variances ``[K]``.
      learning_rate: the optimiser's η > 0, used to normalise.
      n_steps: the number of recorded steps, a Python int >= 2 (static).
      burn_in: the number of discarded steps first, a Python int >= 0 (static).

    Returns:
      :class:`UpdateStats` in the dtype of ``kappa_diag``.

    Raises:
      ValueError: if ``kappa_diag`` is not a positive ``[K]``, ``learning_rate`` is not
        > 0, a step count is out of range, or ``optimizer`` lacks ``init``/``update``.

    References:
      :cite:t:`vanchurin2025gld`.

    Examples:
      SGD (α = 0) passes the noise through, :math:`\mathrm{Var}(\Delta q_i)/\eta^2 = \kappa_i`:

      >>> st = optim.optimizer_update_variance(jax.random.key(0), optim.sgd(0.1),
      ...                                      jnp.array([0.5, 2.0]), learning_rate=0.1,
      ...                                      n_steps=20_000)
      >>> print(np.round(np.asarray(st.variance), 1))
      [0.5 2. ]
    """
    fn = "optimizer_update_variance"
    checks.check_ndim(fn, "kappa_diag", kappa_diag, 1, "[K]")
    checks.check_positive(fn, "kappa_diag", kappa_diag)
    checks.check_positive(fn, "learning_rate", learning_rate)
    checks.check_int(fn, "n_steps", n_steps, minimum=2)
    checks.check_int(fn, "burn_in", burn_in, minimum=0)
    checks.check_methods(fn, "optimizer", optimizer)
    dtype = working_dtype(kappa_diag)
    sd = jnp.sqrt(jnp.asarray(kappa_diag, dtype))
    m, v = _update_moments_kernel(key, sd, optimizer=optimizer, n_steps=n_steps,
                                   burn_in=burn_in)
    lr = jnp.asarray(learning_rate, dtype)
    return UpdateStats(variance=v / lr**2, mean=m / lr, n_steps=n_steps)


class UpdateCovariance(NamedTuple):
    r"""The update covariance of an optimiser driven by correlated gradient noise.

    Attributes:
      covariance: :math:`\operatorname{Cov}(\Delta q)/\eta^2` over the recorded steps,
        ``[K, K]``.
      mean: :math:`E[\Delta q]/\eta`, ``[K]``.
      n_steps: the number of recorded steps (a Python int).

    Examples:
      See :func:`optimizer_update_covariance`; the fields in order:

      >>> optim.UpdateCovariance._fields
      ('covariance', 'mean', 'n_steps')
    """
    covariance: jax.Array
    mean: jax.Array
    n_steps: int


def optimizer_update_covariance(key, optimizer, kappa, *, learning_rate, n_steps: int,
                                burn_in: int = 0) -> UpdateCovariance:
    r"""The update covariance of an optimiser driven by correlated gradient noise.

    Runs any optax-style optimiser on gradients :math:`G = Lz`, :math:`z\sim N(0, I)`,
    :math:`LL^\top = \kappa` (so :math:`\nabla H = 0`), and measures
    :math:`\operatorname{Cov}(\Delta q)/\eta^2`. For an α-preconditioner
    :math:`g = \kappa^\alpha` it is :math:`\kappa^{1-2\alpha}`; a *diagonal* preconditioner such
    as Adam sees only :math:`\operatorname{diag}\kappa`, so its update correlations are those of
    :math:`\kappa`. With a diagonal ``kappa`` and the same key the draws, and hence the
    diagonal, equal those of :func:`optimizer_update_variance`.

    Args:
      key: a JAX PRNG key.
      optimizer: an optax-style ``(init, update)`` pair, hashable (static).
      kappa: the gradient-noise covariance, SPD ``[K, K]``.
      learning_rate: the optimiser's η > 0, used to normalise.
      n_steps: the number of recorded steps, a Python int >= 2 (static).
      burn_in: the number of discarded steps first, a Python int >= 0 (static).

    Returns:
      :class:`UpdateCovariance` in the dtype of ``kappa``.

    Raises:
      ValueError: if ``kappa`` is not SPD ``[K, K]``, ``learning_rate`` is not > 0, a step
        count is out of range, or ``optimizer`` lacks ``init``/``update``.

    References:
      :cite:t:`vanchurin2025gld`.

    Examples:
      SGD (α = 0) passes the noise through, so the update covariance is κ itself:

      >>> kap = jnp.array([[1.0, 0.8], [0.8, 1.0]])
      >>> st = optim.optimizer_update_covariance(jax.random.key(0), optim.sgd(0.1), kap,
      ...                                        learning_rate=0.1, n_steps=20_000)
      >>> print(np.round(np.asarray(st.covariance), 1))
      [[1.  0.8]
       [0.8 1. ]]
    """
    fn = "optimizer_update_covariance"
    checks.check_spd(fn, "kappa", kappa)
    checks.check_positive(fn, "learning_rate", learning_rate)
    checks.check_int(fn, "n_steps", n_steps, minimum=2)
    checks.check_int(fn, "burn_in", burn_in, minimum=0)
    checks.check_methods(fn, "optimizer", optimizer)
    dtype = working_dtype(kappa)
    chol = jnp.linalg.cholesky(jnp.asarray(kappa, dtype))
    m, c = _update_moments_kernel(key, chol, optimizer=optimizer, n_steps=n_steps,
                                  burn_in=burn_in)
    lr = jnp.asarray(learning_rate, dtype)
    return UpdateCovariance(covariance=c / lr**2, mean=m / lr, n_steps=n_steps)
