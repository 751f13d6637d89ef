r"""Test problems for the optimisers: Rosenbrock, a noisy quadratic, the multiplication task."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["rosenbrock", "NoisyQuadratic", "noisy_quadratic", "MultiplicationTask",
           "multiplication_task"]


def rosenbrock(x, a=1.0, b=100.0):
    r"""The Rosenbrock function, batched over leading axes.

    .. math:: f(x) = \sum_{i=1}^{d-1} b\,(x_{i+1} - x_i^2)^2 + (a - x_i)^2,

    whose minimum (0 at :math:`x = (1, \dots, 1)` for ``a = 1``) lies at the bottom of a
    long, curved valley.

    Args:
      x: points ``[..., d]`` with d ≥ 2 (at most two leading axes).
      a: the parameter ``a`` (traced; pass it through a kernel's ``args``).
      b: the valley's steepness ``b`` (traced).

    Returns:
      The values ``[...]``.

    Raises:
      ValueError: if ``x`` has no axis, more than three, or fewer than 2 coordinates.

    References:
      :cite:t:`rosenbrock1960automatic`.

    Examples:
      >>> print(f"{float(optim.rosenbrock(jnp.ones(5))):.1f}, "
      ...       f"{float(optim.rosenbrock(jnp.zeros(2))):.1f}")
      0.0, 1.0
    """
    fn = "rosenbrock"
    checks.check_ndim(fn, "x", x, (1, 2, 3), "[..., d]")
    if np.shape(x)[-1] < 2:
        checks.fail(fn, "x", "must have d >= 2 coordinates along its last axis", x)
    x = jnp.asarray(x)
    return jnp.sum(b * (x[..., 1:] - x[..., :-1] ** 2) ** 2 + (a - x[..., :-1]) ** 2, axis=-1)


class NoisyQuadratic(NamedTuple):
    r"""A quadratic loss with Gaussian gradient noise whose covariance is independent of it.

    :math:`H(q) = \tfrac12 (q - q_*)^\top A (q - q_*)`, stochastic gradients
    :math:`\nabla H + \xi`, :math:`\xi\sim N(0, \kappa)`.  Build it with
    :func:`noisy_quadratic`.

    Attributes:
      hessian: the Hessian ``A``, SPD ``[K, K]``.
      kappa: the gradient-noise covariance κ, SPD ``[K, K]``.
      minimum: the minimiser :math:`q_*` ``[K]``.

    Examples:
      The stochastic gradients scatter around the exact one with covariance κ:

      >>> p = optim.noisy_quadratic(jnp.eye(2), jnp.diag(jnp.array([1.0, 4.0])))
      >>> q = jnp.array([1.0, 2.0])
      >>> G = jax.vmap(p.noisy_grad, (0, None))(jax.random.split(jax.random.key(0), 4000), q)
      >>> print(np.round(np.asarray(G.mean(0)), 1), np.round(np.asarray(G.var(0)), 0))
      [1. 2.] [1. 4.]
    """
    hessian: jax.Array
    kappa: jax.Array
    minimum: jax.Array

    def loss(self, q):
        """The loss :math:`H(q)` at one point ``q`` ``[K]`` (a scalar)."""
        d = q - self.minimum
        return 0.5 * d @ self.hessian @ d

    def grad(self, q):
        """The exact gradient :math:`A(q - q_*)` ``[K]``."""
        return self.hessian @ (q - self.minimum)

    def noisy_grad(self, key, q):
        """One stochastic gradient :math:`\\nabla H(q) + \\xi`, :math:`\\xi\\sim N(0,\\kappa)`."""
        L = jnp.linalg.cholesky(self.kappa)
        return self.grad(q) + L @ jax.random.normal(key, q.shape, q.dtype)


def noisy_quadratic(hessian, kappa, minimum=None) -> NoisyQuadratic:
    r"""Build a :class:`NoisyQuadratic` from its Hessian and noise covariance.

    The two are given independently: the noise is not tied to the curvature.

    Args:
      hessian: the Hessian ``A``, SPD ``[K, K]``.
      kappa: the gradient-noise covariance κ, SPD ``[K, K]``.
      minimum: the minimiser ``[K]``; None for the origin.

    Returns:
      A :class:`NoisyQuadratic` in the dtype of ``hessian`` and ``kappa``.

    Raises:
      ValueError: if ``hessian`` or ``kappa`` is not SPD, their shapes differ, or
        ``minimum`` is not ``[K]``.

    Examples:
      >>> p = optim.noisy_quadratic(jnp.diag(jnp.array([1.0, 4.0])), jnp.eye(2),
      ...                           jnp.array([1.0, 0.0]))
      >>> print(f"{float(p.loss(jnp.zeros(2))):.2f}", np.asarray(p.grad(jnp.zeros(2))))
      0.50 [-1.  0.]
    """
    fn = "noisy_quadratic"
    checks.check_spd(fn, "hessian", hessian)
    checks.check_spd(fn, "kappa", kappa)
    checks.check_same_shape(fn, "hessian", hessian, "kappa", kappa)
    checks.check_ndim(fn, "hessian", hessian, 2, "[K, K]")
    dtype = working_dtype(hessian, kappa)
    A = jnp.asarray(hessian, dtype)
    if minimum is None:
        minimum = jnp.zeros(A.shape[0], dtype)
    checks.check_ndim(fn, "minimum", minimum, 1, "[K]")
    checks.check_size(fn, "minimum", minimum, A.shape[0], what="K, the size of `hessian`")
    return NoisyQuadratic(A, jnp.asarray(kappa, dtype), jnp.asarray(minimum, dtype))


class MultiplicationTask(NamedTuple):
    r"""A 2–h–h–1 tanh MLP learning :math:`y = x_1x_2` on :math:`x \sim U(-1, 1)^2`.

    Build it with :func:`multiplication_task`.  Hashable (it holds one int), so it can be a
    static argument of a compiled training loop.

    Attributes:
      hidden: the width h of the two hidden layers.

    Examples:
      >>> task = optim.MultiplicationTask(hidden=3)
      >>> x, y = task.sample(jax.random.key(0), 5)
      >>> bool(jnp.allclose(y, x[:, 0] * x[:, 1])), hash(task) == hash(optim.MultiplicationTask(3))
      (True, True)
    """
    hidden: int

    def init(self, key, dtype=jnp.float32):
        """Parameters: a list of layers ``{"w": [m, n], "b": [n]}``, weights ~ N(0, 1/m)."""
        sizes = [2, self.hidden, self.hidden, 1]
        keys = jax.random.split(key, len(sizes) - 1)
        return [{"w": jax.random.normal(k, (m, n), dtype) / jnp.sqrt(jnp.asarray(m, dtype)),
                 "b": jnp.zeros((n,), dtype)} for k, m, n in zip(keys, sizes[:-1], sizes[1:])]

    @staticmethod
    def predict(params, x):
        """The network's outputs ``[n]`` for inputs ``x`` ``[n, 2]``."""
        h = x
        for layer in params[:-1]:
            h = jnp.tanh(h @ layer["w"] + layer["b"])
        return (h @ params[-1]["w"] + params[-1]["b"])[..., 0]

    @staticmethod
    def sample(key, n: int, dtype=jnp.float32):
        """``n`` training pairs: inputs ``[n, 2]`` uniform on the square, targets ``[n]``."""
        x = jax.random.uniform(key, (n, 2), dtype, -1.0, 1.0)
        return x, x[:, 0] * x[:, 1]

    def loss(self, params, x, y):
        """The mean squared error of :meth:`predict` on ``(x, y)``."""
        return jnp.mean((self.predict(params, x) - y) ** 2)


def multiplication_task(hidden: int = 16) -> MultiplicationTask:
    r"""The multiplication task of the CGD paper's experiments (a 2–16–16–1 tanh MLP).

    Args:
      hidden: the width of the two hidden layers, a Python int >= 1.

    Returns:
      A :class:`MultiplicationTask` (its network has :math:`K = h^2 + 5h + 1` parameters).

    Raises:
      ValueError: if ``hidden`` is not an int >= 1.

    References:
      :cite:t:`guskov2025cgd`.

    Examples:
      >>> task = optim.multiplication_task(hidden=8)
      >>> params = task.init(jax.random.key(0))
      >>> sum(p.size for layer in params for p in layer.values())     # K
      105
      >>> x, y = task.sample(jax.random.key(1), 64)
      >>> task.predict(params, x).shape, bool(task.loss(params, x, y) > 0)
      ((64,), True)
    """
    checks.check_int("multiplication_task", "hidden", hidden)
    return MultiplicationTask(hidden)
