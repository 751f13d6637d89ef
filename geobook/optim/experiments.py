r"""The chapters' optimiser experiments: pure functions of keys and settings.

Each runs a module-level kernel jitted with the optimiser (and the loss, task or optimiser
factory) as *static* arguments.  An optax-style ``GradientTransformation`` is a NamedTuple of
two functions, hashed by their identity: calling an experiment again with the same optimiser
object reuses the compiled program, a newly built optimiser (new closures, with its
hyperparameters baked in) compiles once more — which is why :func:`sweep` takes a *factory*
of optimisers and traces the hyper-parameters instead.  Array inputs (starting points, noise
levels, matrices, keys) are traced.

:func:`relaxation_rates` and :func:`quadratic_relaxation` are the α-regime itself on a noisy
quadratic (the metric :math:`g = \lambda\kappa^\alpha` with κ known, not estimated): its
rates, simulated chains and the exact moments of the linear recursion, with α, η, λ and the
problem's matrices traced.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from geobook._src import checks, spd
from geobook._src.dtypes import working_dtype
from geobook.optim.base import GradientTransformation, apply_updates
from geobook.optim.problems import NoisyQuadratic

__all__ = ["OptimRun", "trajectory", "sweep", "steps_to_reach", "TrainingRun", "train",
           "effective_dimension", "relaxation_rates", "Relaxation", "quadratic_relaxation"]


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


def _run(key, x0, noise_scale, args, optimizer, loss, n_steps):
    """One noisy run of ``optimizer`` on ``loss`` (the body of both trajectory kernels)."""
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


@partial(jax.jit, static_argnames=("optimizer", "loss", "n_steps"))
def _trajectory_kernel(key, x0, noise_scale, args, *, optimizer, loss, n_steps):
    return _run(key, x0, noise_scale, args, optimizer, loss, n_steps)


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


@partial(jax.jit, static_argnames=("make_optimizer", "loss", "n_steps"))
def _sweep_kernel(keys, x0, hyper, noise_scale, args, *, make_optimizer, loss, n_steps):
    def row(k, h, sigma):
        return _run(k, x0, sigma, args, make_optimizer(*h), loss, n_steps)

    run = jax.vmap(row)(keys, hyper, noise_scale)
    return run._replace(t=jnp.arange(n_steps + 1))


def sweep(keys, make_optimizer: Callable, loss: Callable, x0, hyper: tuple, *, n_steps: int,
          noise_scale=0.0, args: tuple = ()) -> OptimRun:
    r"""Many runs of an optimiser family, one per row of a grid: one compiled program.

    Row ``i`` runs ``make_optimizer(hyper[0][i], hyper[1][i], ...)`` from ``x0`` on ``loss``
    with the key ``keys[i]`` and gradient noise :math:`\sigma_i z_k`, exactly as
    :func:`trajectory` does.  For a grid of settings times R seeds, repeat each setting R
    times and give every row its own key.  The keys, the hyper-parameters, ``x0``, σ and
    ``args`` are traced and the factory is static, so a second call with the same number of
    rows — new learning rates, fresh seeds, another start or noise level — reuses the
    compiled program: a tuning grid and the evaluation of its winner on fresh seeds run
    one program.

    Args:
      keys: JAX PRNG keys ``[n]``, one per row.
      make_optimizer: ``make_optimizer(*row) -> GradientTransformation``, called with one
        (traced) scalar per entry of ``hyper``; hashable (static): define it once and reuse
        the same object.
      loss: ``H(x, *args) -> scalar`` for one point ``x`` ``[d]`` (static).
      x0: the starting point ``[d]``, finite (traced).
      hyper: a tuple of ``[n]`` arrays, the settings of the rows (traced).
      n_steps: the number of steps, a Python int >= 1 (static).
      noise_scale: σ ≥ 0, a scalar or one per row ``[n]`` (traced).
      args: a tuple of (traced) parameters passed on as ``loss(x, *args)``.

    Returns:
      :class:`OptimRun` in the dtype of ``x0`` with a leading row axis: ``x`` ``[n, d]``,
      ``path`` ``[n, n_steps + 1, d]``, ``loss`` ``[n, n_steps + 1]``; ``t`` is
      ``[n_steps + 1]``.

    Raises:
      ValueError: if ``keys`` is not ``[n]``, ``hyper`` is not a non-empty tuple of ``[n]``
        arrays, ``x0`` is not a finite ``[d]``, ``n_steps`` is not an int >= 1,
        ``noise_scale`` is negative or neither a scalar nor ``[n]``, ``loss`` is not a scalar
        function, or ``make_optimizer`` is unhashable or does not return an optimiser (its
        own checks run on every row when the settings are concrete).

    Examples:
      Two learning rates of SGD on :math:`|x|^2/2`, three seeds each (six rows):

      >>> make = lambda lr: optim.sgd(lr)
      >>> lrs = jnp.repeat(jnp.array([0.1, 0.5]), 3)
      >>> keys = jax.random.split(jax.random.key(0), 6)
      >>> runs = optim.sweep(keys, make, lambda x: 0.5 * x @ x, jnp.ones(2), (lrs,),
      ...                    n_steps=20, noise_scale=0.1)
      >>> runs.loss.shape, runs.t.shape
      ((6, 21), (21,))
      >>> one = optim.trajectory(keys[4], optim.sgd(0.5), lambda x: 0.5 * x @ x,
      ...                        jnp.ones(2), n_steps=20, noise_scale=0.1)
      >>> bool(jnp.allclose(runs.path[4], one.path))
      True
    """
    fn = "sweep"
    checks.check_ndim(fn, "keys", keys, 1, "[n] (one PRNG key per row)")
    n = np.shape(keys)[0]
    if not isinstance(hyper, tuple) or not hyper:
        checks.fail(fn, "hyper", "must be a non-empty tuple of [n] arrays (the rows' settings)",
                    f"an object of type {type(hyper).__name__}" if not isinstance(hyper, tuple)
                    else "()")
    for i, h in enumerate(hyper):
        checks.check_ndim(fn, f"hyper[{i}]", h, 1, "[n]")
        checks.check_size(fn, f"hyper[{i}]", h, n, what="n, the number of keys")
        checks.check_finite(fn, f"hyper[{i}]", h)
    checks.check_ndim(fn, "x0", x0, 1, "[d]")
    checks.check_finite(fn, "x0", x0)
    checks.check_int(fn, "n_steps", n_steps)
    checks.check_ndim(fn, "noise_scale", noise_scale, (0, 1), "[] or [n]")
    if np.ndim(noise_scale) == 1:
        checks.check_size(fn, "noise_scale", noise_scale, n, what="n, the number of keys")
    checks.check_positive(fn, "noise_scale", noise_scale, allow_zero=True)
    checks.check_args(fn, args)
    checks.check_callable(fn, "make_optimizer", make_optimizer,
                          signature="*row -> GradientTransformation")
    checks.check_hashable(fn, "make_optimizer", make_optimizer,
                          hint="; define the factory once and reuse it")
    checks.check_callable(fn, "loss", loss, signature="x: [d] -> scalar")
    checks.check_hashable(fn, "loss", loss, hint="; pass arrays through `args`")
    rows = [np.asarray(h) for h in hyper] if checks.is_concrete(hyper) else None
    for i in range(n) if rows else range(0):          # the factory's own checks, every row
        checks.check_methods(fn, "make_optimizer(*row)", make_optimizer(*(h[i] for h in rows)))
    if rows is None:
        checks.check_methods(fn, "make_optimizer(*row)", make_optimizer(*(h[0] for h in hyper)))
    dtype = working_dtype(x0)
    checks.output_shape(fn, "loss", loss, (np.shape(x0)[0],), dtype, (), args=args)
    sigma = jnp.broadcast_to(jnp.asarray(noise_scale, dtype), (n,))
    return _sweep_kernel(keys, jnp.asarray(x0, dtype), tuple(jnp.asarray(h) for h in hyper),
                         sigma, args, make_optimizer=make_optimizer, loss=loss, n_steps=n_steps)


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


def _inv_sqrt_metric(kappa, alpha, scale):
    """``g^(-1/2)`` for the metric ``g = scale * kappa^alpha`` (batched over leading axes)."""
    return spd.powm(kappa, -0.5 * alpha) / jnp.sqrt(scale)[..., None, None]


@jax.jit
def _rates_kernel(hessian, kappa, alpha, scale):
    W = _inv_sqrt_metric(kappa, alpha, scale)
    return jnp.linalg.eigvalsh(spd.sym(W @ hessian @ W))


def relaxation_rates(hessian, kappa, alpha, *, scale=1.0):
    r"""The relaxation rates of the α-regime on a quadratic: the eigenvalues of :math:`g^{-1}h`.

    With the metric :math:`g = \lambda\kappa^\alpha` the mean of the continuum dynamics
    :math:`\mathrm dq = -g^{-1}h\,q\,\mathrm dt + \dots` on :math:`H = \tfrac12 q^\top h q`
    relaxes along the eigenvectors of :math:`g^{-1}h` at its eigenvalues (real and positive:
    :math:`g^{-1}h` is similar to :math:`g^{-1/2}hg^{-1/2}`).  When :math:`h = c\,\kappa` they
    are :math:`c\,\kappa_i^{1-\alpha}/\lambda` (the book's *rates and noise floors*
    theorem); a Hessian that is not a function of κ mixes them.  The discrete step
    :math:`\Delta q = -\eta g^{-1}\nabla H` contracts mode i by :math:`1-\eta r_i` per step.

    Args:
      hessian: the Hessian h, SPD ``[..., K, K]`` (a batch of Hessians is allowed).
      kappa: the gradient-noise covariance κ, SPD ``[..., K, K]``, broadcastable against
        ``hessian``.
      alpha: the exponent α, finite (traced: a sweep over α compiles once).
      scale: the metric scale λ > 0 (traced).

    Returns:
      The rates ``[..., K]``, ascending, per unit time (multiply by η for a step), in the
      working dtype.

    Raises:
      ValueError: if ``hessian`` or ``kappa`` is not SPD, their matrix sizes differ,
        ``alpha`` is not finite or ``scale`` is not > 0.

    Examples:
      Aligned (:math:`h = \kappa`): the rates are :math:`\kappa_i^{1-\alpha}`; at α = 1 they
      are all equal:

      >>> kap = jnp.diag(jnp.array([0.25, 4.0]))
      >>> print(np.asarray(optim.relaxation_rates(kap, kap, 0.5)))
      [0.5 2. ]
      >>> print(np.round(np.asarray(optim.relaxation_rates(kap, kap, 1.0)), 6))
      [1. 1.]

      Swapping the curvatures (:math:`h = \mathrm{diag}(4, 0.25)`) spreads them at α = 1:

      >>> print(np.round(np.asarray(optim.relaxation_rates(kap[::-1, ::-1], kap, 1.0)), 4))
      [ 0.0625 16.    ]
    """
    fn = "relaxation_rates"
    checks.check_spd(fn, "hessian", hessian)
    checks.check_spd(fn, "kappa", kappa)
    checks.check_same_size(fn, "hessian", hessian, "kappa", kappa)
    checks.check_finite(fn, "alpha", alpha)
    checks.check_ndim(fn, "alpha", alpha, 0, "[] (a scalar)")
    checks.check_positive(fn, "scale", scale)
    checks.check_ndim(fn, "scale", scale, 0, "[] (a scalar)")
    dtype = working_dtype(hessian, kappa)
    return _rates_kernel(jnp.asarray(hessian, dtype), jnp.asarray(kappa, dtype),
                         jnp.asarray(alpha, dtype), jnp.asarray(scale, dtype))


class Relaxation(NamedTuple):
    r"""Chains of the α-preconditioned step on a noisy quadratic, and their exact moments.

    The result of :func:`quadratic_relaxation`.

    Attributes:
      q: the final states ``[n_chains, K]``.
      path: the saved states ``[n_saved, n_chains, K]``: the initial state first, then every
        ``save_every`` steps (``n_saved = n_steps // save_every + 1``).
      t: the step index of each row of ``path``, ``[n_saved]``.
      loss: the chains' mean loss :math:`\overline{H}` at each row of ``path``,
        ``[n_saved]``.
      loss_se: its standard error over the chains, ``[n_saved]``.
      expected_loss: the exact :math:`E[H]` of the recursion at each row, ``[n_saved]``.
      stationary_loss: the exact :math:`E[H]` as the number of steps grows, a scalar (inf
        where the step is unstable, :math:`\max_i|1-\eta r_i|\ge1`).
      rates: the relaxation rates per unit time, :func:`relaxation_rates`, ``[K]``.

    Examples:
      See :func:`quadratic_relaxation`; the fields in order:

      >>> optim.Relaxation._fields
      ('q', 'path', 't', 'loss', 'loss_se', 'expected_loss', 'stationary_loss', 'rates')
    """
    q: jax.Array
    path: jax.Array
    t: jax.Array
    loss: jax.Array
    loss_se: jax.Array
    expected_loss: jax.Array
    stationary_loss: jax.Array
    rates: jax.Array


@partial(jax.jit, static_argnames=("n_steps", "n_chains", "save_every"))
def _relaxation_kernel(key, h, kappa, q_min, q0, alpha, lr, scale, *, n_steps, n_chains,
                       save_every):
    K, dtype = h.shape[0], h.dtype
    eye = jnp.eye(K, dtype=dtype)
    W = _inv_sqrt_metric(kappa, alpha, scale)
    g_inv = W @ W
    P = eye - lr * g_inv @ h                               # the mean's contraction per step
    N = lr * g_inv @ jnp.linalg.cholesky(kappa)            # the step's noise matrix
    Q = N @ N.T
    rates = jnp.linalg.eigvalsh(spd.sym(W @ h @ W))

    def losses(d):
        return 0.5 * jnp.sum((d @ h) * d, axis=-1)

    def expected(m, S):
        return 0.5 * (m @ h @ m + jnp.trace(h @ S))

    def step(c, k):
        d, m, S = c
        z = jax.random.normal(k, (n_chains, K), dtype)
        return (d @ P.T - z @ N.T, P @ m, P @ S @ P.T + Q), None

    def outer(c, ks):
        c, _ = jax.lax.scan(step, c, ks)
        l = losses(c[0])
        return c, (c[0], l.mean(), l.std() / jnp.sqrt(n_chains), expected(c[1], c[2]))

    n_out = n_steps // save_every
    keys = jax.random.split(key, n_steps)
    keys = keys.reshape(n_out, save_every, *keys.shape[1:])
    d0 = jnp.broadcast_to(q0 - q_min, (n_chains, K))
    c0 = (d0, q0 - q_min, jnp.zeros((K, K), dtype))
    (d, _, _), (ds, l, se, el) = jax.lax.scan(outer, c0, keys)
    l0 = losses(d0[:1])[0]
    # the stationary covariance: S = P S P^T + Q, i.e. (I - P (x) P) vec S = vec Q
    S_inf = jnp.linalg.solve(jnp.eye(K * K, dtype=dtype) - jnp.kron(P, P),
                             Q.reshape(-1)).reshape(K, K)
    stable = jnp.max(jnp.abs(1.0 - lr * rates)) < 1.0
    stat = jnp.where(stable, 0.5 * jnp.trace(h @ S_inf), jnp.inf)
    path = jnp.concatenate([d0[None], ds]) + q_min
    return Relaxation(d + q_min, path, save_every * jnp.arange(n_out + 1),
                      jnp.concatenate([l0[None], l]),
                      jnp.concatenate([jnp.zeros_like(l0)[None], se]),
                      jnp.concatenate([l0[None], el]), stat, rates)


def quadratic_relaxation(key, problem: NoisyQuadratic, q0, *, alpha, learning_rate,
                         n_steps: int, n_chains: int, scale=1.0,
                         save_every: int = 1) -> Relaxation:
    r"""Chains of the α-regime step on a noisy quadratic, with the exact mean loss to compare.

    Each of ``n_chains`` independent chains starts at ``q0`` and takes the step of the
    α-regime with the noise covariance known,

    .. math:: q_{k+1} = q_k - \eta\,g^{-1}\big(h(q_k - q_*) + \xi_k\big),\qquad
              g = \lambda\kappa^\alpha,\quad \xi_k\sim N(0,\kappa),

    (``h``, κ, :math:`q_*` from ``problem``), i.e. Euler–Maruyama with :math:`\Delta t = \eta`
    for the continuum dynamics of the book.  Because the step is linear, the mean
    :math:`m_k` and covariance :math:`\Sigma_k` of :math:`q_k - q_*` obey
    :math:`m_{k+1} = Pm_k`, :math:`\Sigma_{k+1} = P\Sigma_kP^\top + \eta^2g^{-1}\kappa g^{-1}`
    with :math:`P = I-\eta g^{-1}h`, so
    :math:`E[H_k] = \tfrac12(m_k^\top h\,m_k + \operatorname{tr}h\Sigma_k)` is known exactly:
    the chains' mean loss must agree with it within its standard error.  Every parameter
    except the sizes is traced: moving α, η, λ, the problem's matrices or the start reuses
    the compiled program (what an interactive explorer needs).

    Args:
      key: a JAX PRNG key.
      problem: a :class:`NoisyQuadratic` (``noisy_quadratic(h, kappa, minimum)``), traced.
      q0: the common starting point ``[K]``, finite.
      alpha: the exponent α, finite (traced).
      learning_rate: the step η > 0 (traced).
      n_steps: the number of steps, a Python int >= 1 (static).
      n_chains: the number of chains, a Python int >= 2 (static).
      scale: the metric scale λ > 0 (traced).
      save_every: save every this many steps, a Python int that divides ``n_steps``
        (static).

    Returns:
      :class:`Relaxation` in the working dtype of the problem and ``q0``.

    Raises:
      ValueError: if ``problem`` is not a :class:`NoisyQuadratic` with SPD matrices, ``q0``
        is not a finite ``[K]``, ``alpha`` is not finite, ``learning_rate`` or ``scale`` is
        not > 0, or a size is out of range (``save_every`` must divide ``n_steps``).

    Examples:
      Aligned curvature :math:`h = \kappa` at α = ½: the chains' mean loss follows the
      exact recursion, and settles at its stationary value (:math:`\approx` the continuum
      floor :math:`\eta\sum_i\kappa_i^{1-\alpha}/4\lambda = 0.0625`):

      >>> kap = jnp.diag(jnp.array([0.25, 4.0]))
      >>> run = optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(kap, kap),
      ...                                  jnp.ones(2), alpha=0.5, learning_rate=0.1,
      ...                                  n_steps=400, n_chains=4000, save_every=100)
      >>> run.path.shape, np.asarray(run.t).tolist()
      ((5, 4000, 2), [0, 100, 200, 300, 400])
      >>> z = (run.loss - run.expected_loss)[1:] / run.loss_se[1:]
      >>> bool(jnp.all(jnp.abs(z) < 4)), f"{float(run.stationary_loss):.4f}"
      (True, '0.0684')
    """
    fn = "quadratic_relaxation"
    if not isinstance(problem, NoisyQuadratic):
        checks.fail(fn, "problem", "must be a NoisyQuadratic (build it with "
                    "optim.noisy_quadratic)", f"an object of type {type(problem).__name__}")
    checks.check_spd(fn, "problem.hessian", problem.hessian)
    checks.check_spd(fn, "problem.kappa", problem.kappa)
    checks.check_ndim(fn, "problem.hessian", problem.hessian, 2, "[K, K]")
    checks.check_ndim(fn, "q0", q0, 1, "[K]")
    checks.check_size(fn, "q0", q0, np.shape(problem.hessian)[0],
                      what="K, the size of the problem")
    checks.check_finite(fn, "q0", q0)
    checks.check_finite(fn, "alpha", alpha)
    checks.check_ndim(fn, "alpha", alpha, 0, "[] (a scalar)")
    checks.check_positive(fn, "learning_rate", learning_rate)
    checks.check_positive(fn, "scale", scale)
    checks.check_int(fn, "n_steps", n_steps)
    checks.check_int(fn, "n_chains", n_chains, minimum=2)
    checks.check_divides(fn, "save_every", save_every, n_steps, "n_steps")
    dtype = working_dtype(problem.hessian, problem.kappa, q0)
    a = [jnp.asarray(x, dtype) for x in (problem.hessian, problem.kappa, problem.minimum, q0,
                                          alpha, learning_rate, scale)]
    return _relaxation_kernel(key, *a, n_steps=n_steps, n_chains=n_chains,
                              save_every=save_every)
