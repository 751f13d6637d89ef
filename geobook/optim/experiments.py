r"""The chapters' optimiser experiments: pure functions of keys and settings.

Each runs a module-level kernel jitted with the optimiser (and the loss, task or optimiser
factory) as *static* arguments.  An optax-style ``GradientTransformation`` is a NamedTuple of
two functions, hashed by their identity: calling an experiment again with the same optimiser
object reuses the compiled program, a newly built optimiser (new closures, with its
hyperparameters baked in) compiles once more.  Array inputs (starting points, noise levels,
matrices, keys) are traced.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from geobook._src import checks
from geobook._src.dtypes import working_dtype
from geobook.optim.base import GradientTransformation, apply_updates

__all__ = ["OptimRun", "trajectory", "steps_to_reach", "TrainingRun", "train",
           "effective_dimension"]


class OptimRun(NamedTuple):
    """An optimiser's run on a loss (the result of :func:`trajectory`).

    Attributes:
      x: the final iterate ``[d]``.
      path: the iterates ``[n_steps + 1, d]``, the starting point ``x0`` first.
      t: the step index of each row of ``path``, ``[n_steps + 1]`` (0, 1, …, n_steps).
      loss: the loss at each row of ``path``, ``[n_steps + 1]``.

    Examples:
      >>> run = optim.trajectory(jax.random.key(0), optim.sgd(0.5), lambda x: x @ x,
      ...                        jnp.ones(1), n_steps=3)
      >>> print(np.asarray(run.path[:, 0]), np.asarray(run.t), np.asarray(run.loss))
      [1. 0. 0. 0.] [0 1 2 3] [1. 0. 0. 0.]
    """
    x: jax.Array
    path: jax.Array
    t: jax.Array
    loss: jax.Array


@partial(jax.jit, static_argnames=("optimizer", "loss", "n_steps"))
def _trajectory_kernel(key, x0, noise_scale, args, *, optimizer, loss, n_steps):
    grad = jax.grad(loss)

    def step(carry, k):
        x, s = carry
        g = grad(x, *args) + noise_scale * jax.random.normal(k, x.shape, x.dtype)
        u, s = optimizer.update(g, s, x)
        x = x + u
        return (x, s), x

    (x, _), xs = jax.lax.scan(step, (x0, optimizer.init(x0)), jax.random.split(key, n_steps))
    path = jnp.concatenate([x0[None], xs])
    return OptimRun(x, path, jnp.arange(n_steps + 1), jax.vmap(lambda y: loss(y, *args))(path))


def trajectory(key, optimizer: GradientTransformation, loss: Callable, x0, *, n_steps: int,
               noise_scale=0.0, args: tuple = ()) -> OptimRun:
    r"""Run an optimiser on a loss with additive Gaussian gradient noise.

    .. math:: x_{k+1} = x_k + \mathrm{update}\big(\nabla H(x_k) + \sigma z_k\big),
              \qquad z_k\sim N(0, I),

    with :math:`\sigma` = ``noise_scale``, for ``n_steps`` steps (one ``lax.scan``).

    Args:
      key: a JAX PRNG key.
      optimizer: an optax-style ``(init, update)`` pair, hashable (static).
      loss: ``H(x, *args) -> scalar`` for one point ``x`` ``[d]`` (static).
      x0: the starting point ``[d]``, finite.
      n_steps: the number of steps, a Python int >= 1 (static).
      noise_scale: σ ≥ 0 (traced).
      args: a tuple of (traced) parameters passed on as ``loss(x, *args)``.

    Returns:
      :class:`OptimRun` ``(x, path, t, loss)`` in the dtype of ``x0``.

    Raises:
      ValueError: if ``x0`` is not a finite ``[d]``, ``n_steps`` is not an int >= 1,
        ``noise_scale`` is negative, ``loss`` is not a scalar function, or ``optimizer``
        has no callable ``init`` and ``update``.

    Examples:
      SGD on :math:`H = |x|^2/2` contracts by :math:`1-\eta` per step:

      >>> run = optim.trajectory(jax.random.key(0), optim.sgd(0.1), lambda x: 0.5 * x @ x,
      ...                        jnp.ones(2), n_steps=10)
      >>> run.path.shape, int(run.t[-1]), f"{float(run.x[0]):.4f}"      # 0.9 ** 10
      ((11, 2), 10, '0.3487')
    """
    fn = "trajectory"
    checks.check_ndim(fn, "x0", x0, 1, "[d]")
    checks.check_finite(fn, "x0", x0)
    checks.check_int(fn, "n_steps", n_steps)
    checks.check_positive(fn, "noise_scale", noise_scale, allow_zero=True)
    checks.check_args(fn, args)
    checks.check_callable(fn, "loss", loss, signature="x: [d] -> scalar")
    checks.check_hashable(fn, "loss", loss, hint="; pass arrays through `args`")
    checks.check_methods(fn, "optimizer", optimizer)
    dtype = working_dtype(x0)
    checks.output_shape(fn, "loss", loss, (np.shape(x0)[0],), dtype, (), args=args)
    return _trajectory_kernel(key, jnp.asarray(x0, dtype), jnp.asarray(noise_scale, dtype), args,
                              optimizer=optimizer, loss=loss, n_steps=n_steps)


def steps_to_reach(losses, threshold):
    """The first step from which the loss stays below ``threshold`` for the rest of the run.

    Args:
      losses: loss curves ``[..., n]`` (e.g. ``OptimRun.loss``; row ``i`` is step ``i``).
      threshold: a positive level.

    Returns:
      Integer ``[...]``: the first index ``i`` with ``losses[..., j] < threshold`` for every
      ``j >= i``; ``n`` (the length) where the last entry is not below it.

    Raises:
      ValueError: if ``losses`` has no axis (or more than three) or ``threshold`` is not > 0.

    Examples:
      >>> int(optim.steps_to_reach(jnp.array([3.0, 0.5, 2.0, 0.1, 0.05]), 1.0))
      3
    """
    checks.check_ndim("steps_to_reach", "losses", losses, (1, 2, 3), "[..., n]")
    checks.check_positive("steps_to_reach", "threshold", threshold)
    losses = jnp.asarray(losses)
    n = losses.shape[-1]
    above = ~(losses < threshold)
    idx = jnp.arange(n)
    last_above = jnp.max(jnp.where(above, idx, -1), axis=-1)
    return jnp.where(last_above < n - 1, last_above + 1, n)


class TrainingRun(NamedTuple):
    """The record of :func:`train`.

    Attributes:
      loss: the mini-batch training loss before each step, ``[n_steps]``.
      updates: every update, flattened over the K parameters, ``[n_steps, K]``.
      params: the final parameters (the task's pytree).
      test_mse: the task's loss on a fresh test sample, a scalar.

    Examples:
      See :func:`train`; the fields in order:

      >>> optim.TrainingRun._fields
      ('loss', 'updates', 'params', 'test_mse')
    """
    loss: jax.Array
    updates: jax.Array
    params: Any
    test_mse: jax.Array


@partial(jax.jit, static_argnames=("optimizer", "task", "batch_size"))
def _train_kernel(params, keys, *, optimizer, task, batch_size):
    grad = jax.value_and_grad(task.loss)

    def step(carry, k):
        p, s = carry
        x, y = task.sample(k, batch_size, jax.tree.leaves(p)[0].dtype)
        l, g = grad(p, x, y)
        u, s = optimizer.update(g, s, p)
        p = apply_updates(p, u)
        return (p, s), (l, ravel_pytree(u)[0])

    (p, _), (losses, ups) = jax.lax.scan(step, (params, optimizer.init(params)), keys)
    return p, losses, ups


def train(key, optimizer: GradientTransformation, task, *, n_steps: int,
          batch_size: int = 64, n_test: int = 4096) -> TrainingRun:
    """Mini-batch training of a task (the multiplication task), recording every update.

    Args:
      key: a JAX PRNG key (initialisation, batches, test sample).
      optimizer: an optax-style ``(init, update)`` pair, hashable (static).
      task: a :class:`MultiplicationTask`, or any hashable object with ``init(key, dtype)``,
        ``sample(key, n, dtype)`` and ``loss(params, x, y)`` (static).
      n_steps: the number of steps, a Python int >= 1.
      batch_size: the batch size, a Python int >= 1 (static).
      n_test: the size of the test sample, a Python int >= 1.

    Returns:
      :class:`TrainingRun` in JAX's default float dtype.

    Raises:
      ValueError: if a size is not an int >= 1, or ``optimizer`` or ``task`` lacks its
        methods.

    References:
      :cite:t:`guskov2025cgd`.

    Examples:
      >>> r = optim.train(jax.random.key(0), optim.sgd(0.1), optim.multiplication_task(2),
      ...                 n_steps=5, batch_size=8, n_test=64)
      >>> r.loss.shape, r.updates.shape, bool(jnp.isfinite(r.test_mse))      # K = 15
      ((5,), (5, 15), True)
    """
    fn = "train"
    checks.check_int(fn, "n_steps", n_steps)
    checks.check_int(fn, "batch_size", batch_size)
    checks.check_int(fn, "n_test", n_test)
    checks.check_methods(fn, "optimizer", optimizer)
    checks.check_methods(fn, "task", task, ("init", "sample", "loss"), what="")
    k_init, k_data, k_test = jax.random.split(key, 3)
    params = task.init(k_init, working_dtype())
    p, losses, ups = _train_kernel(params, jax.random.split(k_data, n_steps), optimizer=optimizer,
                                   task=task, batch_size=batch_size)
    xt, yt = task.sample(k_test, n_test, jax.tree.leaves(p)[0].dtype)
    return TrainingRun(losses, ups, p, task.loss(p, xt, yt))


def effective_dimension(updates):
    r"""Participation ratio of the covariance of a window of updates.

    .. math:: d_{\rm eff} = (\operatorname{tr}C)^2/\operatorname{tr}(C^2) \in [1, K],

    ``C`` the covariance of the flattened updates: K for isotropic updates, 1 for updates
    along one line.

    Args:
      updates: a window of flattened updates ``[n, K]`` (e.g. ``TrainingRun.updates``).

    Returns:
      The effective dimension, a scalar.

    Raises:
      ValueError: if ``updates`` is not ``[n, K]``.

    Examples:
      >>> U = jnp.outer(jnp.arange(1.0, 9.0), jnp.array([1.0, -2.0, 0.5]))   # one direction
      >>> print(f"{float(optim.effective_dimension(U)):.3f}")
      1.000
    """
    checks.check_ndim("effective_dimension", "updates", updates, 2, "[n, K]")
    U = jnp.asarray(updates)
    U = U - U.mean(axis=0)
    C = U.T @ U / U.shape[0]
    return jnp.trace(C) ** 2 / jnp.sum(C * C)
