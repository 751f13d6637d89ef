r"""The Legendre map :math:`\theta\mapsto\nabla\psi(\theta)` of a convex log-partition as a
transport map, with the change-of-variables (Monge–Ampère) density of its pushforward."""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple, Optional

import numpy as np
import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["LegendreMap", "legendre_pushforward"]


class LegendreMap(NamedTuple):
    r"""Result of :func:`legendre_pushforward`.

    Attributes:
      mu: the image :math:`\mu = \nabla\psi(\theta)`, ``[..., k]``.
      log_det: :math:`\ln\det\nabla^2\psi(\theta)`, ``[...]`` (NaN where the Hessian is not
        positive definite).
      log_density: :math:`\ln\nu(\mu)`, the log-density of the pushforward at ``mu``,
        ``[...]``; None when no source density was given.

    Examples:
      >>> leg = transport.legendre_pushforward(lambda t: 0.5 * t @ t, jnp.ones((4, 2)))
      >>> leg.mu.shape, leg.log_det.shape, leg.log_density is None
      ((4, 2), (4,), True)
    """
    mu: jax.Array
    log_det: jax.Array
    log_density: Optional[jax.Array]


def legendre_pushforward(psi: Callable, theta, log_density0: Optional[Callable] = None, *,
                         args: tuple = ()) -> LegendreMap:
    r"""The Legendre map :math:`\theta\mapsto\mu = \nabla\psi(\theta)` of a convex log-partition
    ``psi`` as a transport map.

    Because :math:`\nabla\psi` is the gradient of a convex function it is, by Brenier's theorem,
    the optimal (quadratic-cost) map from any absolutely continuous law :math:`\mu_0` on the
    natural parameters to :math:`\nu = (\nabla\psi)_\#\mu_0`, and the change of variables
    (the Monge–Ampère equation) gives

    .. math:: \ln\nu(\nabla\psi(\theta)) = \ln\mu_0(\theta) - \ln\det\nabla^2\psi(\theta).

    Works under ``jit`` and ``vmap``; a sweep over ``args`` compiles once.

    Args:
      psi: ``psi(theta, *args) -> []``, convex, of one parameter vector ``theta: [k]`` (static;
        e.g. a log-partition).
      theta: parameters ``[..., k]``; leading axes are a batch.
      log_density0: optional ``log_density0(theta, *args) -> []`` giving
        :math:`\ln\mu_0(\theta)` for one ``theta: [k]`` (static).
      args: a tuple of (traced) parameters passed on as ``psi(theta, *args)`` and
        ``log_density0(theta, *args)``.

    Returns:
      :class:`LegendreMap` in the working dtype of ``theta``.

    Raises:
      ValueError: if ``psi`` or ``log_density0`` is not callable or does not return a scalar,
        ``theta`` is not a finite ``[..., k]`` array, or ``args`` is not a tuple.

    References:
      :cite:t:`brenier1991polar`; the change of variables: :cite:t:`villani2003topics`.

    Examples:
      The Bernoulli log-partition :math:`\psi = \ln(1 + e^\theta)` maps :math:`\theta` to the
      mean :math:`\sigma(\theta)`, with :math:`\nabla^2\psi = \sigma(1 - \sigma)`:

      >>> psi = lambda t: jnp.logaddexp(0.0, t[0])
      >>> leg = transport.legendre_pushforward(psi, jnp.array([[0.0], [1.0]]))
      >>> print(f"{float(leg.mu[1, 0]):.3f} {float(leg.log_det[0]):.3f}")   # σ(1), ln ¼
      0.731 -1.386

      A parameter through ``args``: :math:`\psi = s|\theta|^2/2` scales by ``s``:

      >>> quad = lambda t, s: 0.5 * s * t @ t
      >>> [float(transport.legendre_pushforward(quad, jnp.ones((1, 2)), args=(s,)).mu[0, 0])
      ...  for s in (2.0, 3.0)]
      [2.0, 3.0]
    """
    fn = "legendre_pushforward"
    checks.check_args(fn, args)
    checks.check_callable(fn, "psi", psi, signature="theta: [k] -> []")
    checks.check_callable(fn, "log_density0", log_density0, optional=True,
                          signature="theta: [k] -> []")
    checks.check_ndim(fn, "theta", theta, tuple(range(1, 33)), "[..., k]")
    checks.check_finite(fn, "theta", theta)
    dtype = working_dtype(theta)
    k = np.shape(theta)[-1]
    checks.output_shape(fn, "psi", psi, (k,), dtype, (), args=args)
    if log_density0 is not None:
        checks.output_shape(fn, "log_density0", log_density0, (k,), dtype, (), args=args)
    return _legendre_kernel(jnp.asarray(theta, dtype), args, psi=psi, log_density0=log_density0)


@partial(jax.jit, static_argnames=("psi", "log_density0"))
def _legendre_kernel(theta, args, *, psi, log_density0):
    batch = theta.shape[:-1]
    th = theta.reshape(-1, theta.shape[-1])
    f = lambda t: psi(t, *args)
    mu = jax.vmap(jax.grad(f))(th)
    sign, log_det = jnp.linalg.slogdet(jax.vmap(jax.hessian(f))(th))
    log_det = jnp.where(sign > 0, log_det, jnp.nan)   # psi not strictly convex there
    logd = None
    if log_density0 is not None:
        logd = (jax.vmap(lambda t: log_density0(t, *args))(th) - log_det).reshape(batch)
    return LegendreMap(mu.reshape(theta.shape), log_det.reshape(batch), logd)
