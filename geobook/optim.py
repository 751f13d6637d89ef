r"""Covariant gradient descent (CGD) and the optimisers that are its limits.

A CGD step is :math:`\Delta q = -\eta\, g^{-1} F`: the **force** :math:`F` is the
(bias-corrected) exponential moving average of the stochastic gradients, and the **metric**
:math:`g` is the α-power of their second moment — raw (:math:`\hat M`, the EMA of
:math:`\hat G\hat G^\top`) or centred (:math:`\hat C`, the EMA of
:math:`(\hat G - m)(\hat G - m)^\top`).  ``structure="diagonal"`` keeps the diagonal (linear
cost; RMSProp, Adam and AdaBelief are its α = ½ limits); ``structure="full"`` uses the whole
matrix through the geometric mean :math:`g = h\#_\alpha(\hat M + \varepsilon h)` with a
background metric ``h``, which makes the step covariant for every α.

Every optimiser returns a :class:`GradientTransformation` ``(init, update)`` — the same
interface as optax, so it works in ``optax.chain`` and under ``jit``.  ``sgd``, ``rmsprop``,
``adam`` and ``adabelief`` take optax's argument names and defaults and produce optax's
iterates.  Book chapter: *Covariant gradient descent and the optimiser zoo*.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Union

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from geobook import cones
from geobook._src import checks

__all__ = ["GradientTransformation", "CGDState", "TraceState", "cgd", "sgd", "rmsprop", "adam",
           "adabelief", "natural_gradient", "apply_updates", "rosenbrock", "NoisyQuadratic",
           "noisy_quadratic", "MultiplicationTask", "multiplication_task",
           "effective_dimension", "Trajectory", "trajectory", "steps_to_reach",
           "reparametrisation_error", "TrainingRun", "train"]

ScalarOrSchedule = Union[float, Callable[[jax.Array], jax.Array]]


class GradientTransformation(NamedTuple):
    """A pair of pure functions, as in optax: ``init(params) -> state`` and
    ``update(updates, state, params=None) -> (updates, state)``."""
    init: Callable
    update: Callable


class CGDState(NamedTuple):
    """State of :func:`cgd`: step count, first moment (pytree like the params) and second
    moment (pytree for the diagonal structure, a ``[K, K]`` matrix for the full one)."""
    count: jax.Array
    mu: Any
    nu: Any


class TraceState(NamedTuple):
    """State of :func:`sgd` with momentum (the heavy-ball trace, as optax keeps it)."""
    trace: Any


def _check_lr(fn, lr):
    if callable(lr):
        return
    checks.check_finite(fn, "learning_rate", lr)
    checks.check_positive(fn, "learning_rate", lr, allow_zero=True)


def _lr_at(lr, count):
    return lr(count) if callable(lr) else lr


def _check_decay(fn, name, b):
    checks.check_finite(fn, name, b)
    if checks.is_concrete(b) and not (0.0 <= float(b) < 1.0):
        checks.fail(fn, name, "must lie in [0, 1)", b)


def apply_updates(params, updates):
    """``params + updates`` leaf by leaf (optax.apply_updates), keeping the params' dtypes."""
    return jax.tree.map(lambda p, u: (p + u).astype(jnp.asarray(p).dtype), params, updates)


def _power(x, alpha: float):
    """x**alpha with the exact special cases optax uses (sqrt at ½)."""
    if alpha == 0.0:
        return jnp.ones_like(x)
    if alpha == 0.5:
        return jnp.sqrt(x)
    if alpha == 1.0:
        return x
    return x ** alpha


def cgd(learning_rate: ScalarOrSchedule, *, alpha: float = 0.5, structure: str = "diagonal",
        moment: str = "raw", b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
        eps_root: float = 0.0, bias_correction: bool = True, initial_scale: float = 0.0,
        background=None) -> GradientTransformation:
    r"""Covariant gradient descent.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1)\hat G_t,\qquad
       M_t = \beta_2 M_{t-1} + (1-\beta_2)\,\hat G_t\hat G_t^\top \ \text{(raw)}\ \text{or}\
             (\hat G_t - m_t)(\hat G_t - m_t)^\top \ \text{(centred)},

    with bias corrections :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat M = M/(1-\beta_2^t)`, and
    the step :math:`\Delta q = -\eta\,g^{-1}\hat m` where

    * diagonal: :math:`g_i = (\hat M_{ii} + \varepsilon_{\rm root})^{\alpha} + \varepsilon`;
    * full: :math:`g = h\#_\alpha(\hat M + \varepsilon h)` (``h`` = ``background``, identity by
      default), a (0,2) tensor for every α when ``h`` transforms as one.

    The centred moment follows AdaBelief's convention: ``eps_root`` is added to the moment
    at every step (inside the state).

    Args:
      learning_rate: η ≥ 0, or a schedule ``count -> η``.
      alpha: the exponent α (static, a Python float).
      structure: ``"diagonal"`` (per coordinate, linear cost) or ``"full"`` (the whole
        ``K × K`` moment; cost O(K³) per step).
      moment: ``"raw"`` or ``"centred"``.
      b1, b2: EMA decay rates in [0, 1) for the force and the metric.
      eps: added to the diagonal metric; for ``"full"`` the regulariser ``ε h`` (must be > 0).
      eps_root: added to the second moment before the power (diagonal).
      bias_correction: divide the EMAs by ``1 - β^t``.
      initial_scale: initial value of the second moment (RMSProp's ``initial_scale``).
      background: SPD ``[K, K]`` background metric for ``"full"`` (K = number of parameters).
    """
    fn = "cgd"
    _check_lr(fn, learning_rate)
    checks.check_choice(fn, "structure", structure, ("diagonal", "full"))
    checks.check_choice(fn, "moment", moment, ("raw", "centred"))
    checks.check_finite(fn, "alpha", alpha)
    _check_decay(fn, "b1", b1)
    _check_decay(fn, "b2", b2)
    checks.check_finite(fn, "eps", eps)
    checks.check_positive(fn, "eps", eps, allow_zero=(structure == "diagonal"))
    checks.check_positive(fn, "eps_root", eps_root, allow_zero=True)
    checks.check_positive(fn, "initial_scale", initial_scale, allow_zero=True)
    alpha = float(alpha)
    if background is not None:
        if structure != "full":
            raise ValueError(f"cgd: `background` is only used with structure='full'; got "
                             f"structure={structure!r}.")
        checks.check_spd(fn, "background", background)
        if np.ndim(background) != 2:
            raise ValueError(f"cgd: `background` must be one matrix [K, K]; got shape "
                             f"{np.shape(background)}.")

    W_h = None if background is None else cones.invsqrtm(jnp.asarray(background))

    def init(params):
        mu = jax.tree.map(jnp.zeros_like, params)
        if structure == "diagonal":
            nu = jax.tree.map(lambda p: jnp.full_like(p, initial_scale), params)
        else:
            flat, _ = ravel_pytree(params)
            K = flat.shape[0]
            if background is not None and np.shape(background)[0] != K:
                raise ValueError(f"cgd: `background` must be [K, K] with K = {K} parameters; "
                                 f"got shape {np.shape(background)}.")
            nu = initial_scale * jnp.eye(K, dtype=flat.dtype)
        return CGDState(count=jnp.zeros([], jnp.int32), mu=mu, nu=nu)

    def update(updates, state, params=None):
        del params
        mu = jax.tree.map(lambda g, m: (1 - b1) * g + b1 * m, updates, state.mu)
        count = state.count + jnp.asarray(1, jnp.int32)
        lr = _lr_at(learning_rate, state.count)
        if structure == "diagonal":
            if moment == "raw":
                nu = jax.tree.map(lambda g, v: (1 - b2) * g**2 + b2 * v, updates, state.nu)
            else:
                nu = jax.tree.map(lambda g, m, v: (1 - b2) * (g - m) ** 2 + b2 * v + eps_root,
                                  updates, mu, state.nu)
            if bias_correction:
                mu_hat = jax.tree.map(lambda m: m / (1 - b1**count).astype(m.dtype), mu)
                nu_hat = jax.tree.map(lambda v: v / (1 - b2**count).astype(v.dtype), nu)
            else:
                mu_hat, nu_hat = mu, nu
            root = eps_root if moment == "raw" else 0.0
            if alpha == 0.5 and isinstance(eps, (int, float)) and eps == 0.0:   # RMSProp's form
                new = jax.tree.map(lambda m, v: -lr * (jax.lax.rsqrt(v + root) * m), mu_hat, nu_hat)
            else:
                new = jax.tree.map(lambda m, v: -lr * (m / (_power(v + root, alpha) + eps)),
                                   mu_hat, nu_hat)
            return new, CGDState(count, mu, nu)
        g_flat, unravel = ravel_pytree(updates)
        m_flat, _ = ravel_pytree(mu)
        d = g_flat if moment == "raw" else g_flat - m_flat
        nu = (1 - b2) * jnp.outer(d, d) + b2 * state.nu
        if moment == "centred":
            nu = nu + eps_root * jnp.eye(nu.shape[0], dtype=nu.dtype)
        if bias_correction:
            m_hat = m_flat / (1 - b1**count).astype(m_flat.dtype)
            nu_hat = nu / (1 - b2**count).astype(nu.dtype)
        else:
            m_hat, nu_hat = m_flat, nu
        # g = h^{1/2} (h^{-1/2} (M + εh) h^{-1/2})^α h^{1/2}, so with the constant
        # W = h^{-1/2}:  g^{-1} m = W (W M W + ε I)^{-α} W m  — one eigh per step.
        eye = jnp.eye(nu.shape[0], dtype=nu.dtype)
        if background is None:
            Mw, mw = cones.sym(nu_hat) + eps * eye, m_hat
        else:
            W = W_h.astype(nu.dtype)
            Mw, mw = cones.sym(W @ nu_hat @ W) + eps * eye, W @ m_hat
        lam, V = jnp.linalg.eigh(Mw)
        x = V @ ((V.T @ mw) * _power(lam, alpha) ** -1 if alpha != 0.0 else V.T @ mw)
        step = -lr * (x if background is None else W @ x)
        return unravel(step), CGDState(count, mu, nu)

    return GradientTransformation(init, update)


def sgd(learning_rate: ScalarOrSchedule, momentum: Optional[float] = None,
        nesterov: bool = False, accumulator_dtype=None) -> GradientTransformation:
    r"""Stochastic gradient descent (optax's ``sgd``): α = 0, :math:`g = I`.

    Without momentum this equals ``cgd(lr, alpha=0, b1=0, eps=0, bias_correction=False)``.
    With momentum it keeps optax's heavy-ball trace :math:`t = \hat G + \mu t`, i.e. an EMA
    force scaled by :math:`1/(1-\mu)`.
    """
    fn = "sgd"
    _check_lr(fn, learning_rate)
    if momentum is not None:
        _check_decay(fn, "momentum", momentum)
    if accumulator_dtype is not None:
        raise ValueError(f"sgd: `accumulator_dtype` is not supported (the trace keeps the "
                         f"params' dtype); got {accumulator_dtype!r}.")
    if momentum is not None and callable(learning_rate):
        raise ValueError("sgd: schedules are supported without momentum only; got a callable "
                         "`learning_rate` with momentum.")
    if momentum is None:
        if nesterov:
            raise ValueError("sgd: `nesterov` needs a `momentum`; got momentum=None.")
        return cgd(learning_rate, alpha=0.0, b1=0.0, eps=0.0, bias_correction=False)

    def init(params):
        return TraceState(jax.tree.map(jnp.zeros_like, params))

    def update(updates, state, params=None):
        del params
        t = jax.tree.map(lambda g, tr: g + momentum * tr, updates, state.trace)
        f = jax.tree.map(lambda g, tr: g + momentum * tr, updates, t) if nesterov else t
        return jax.tree.map(lambda x: -learning_rate * x, f), TraceState(t)

    return GradientTransformation(init, update)


def rmsprop(learning_rate: ScalarOrSchedule, decay: float = 0.9, eps: float = 1e-8,
            initial_scale: float = 0.0, eps_in_sqrt: bool = True, centered: bool = False,
            momentum: Optional[float] = None, nesterov: bool = False,
            bias_correction: bool = False) -> GradientTransformation:
    r"""RMSProp (optax's ``rmsprop``): the α = ½ diagonal metric with no force averaging
    (``b1 = 0``), no bias correction by default, and ``eps`` inside the root by default."""
    for name, val in (("centered", centered), ("nesterov", nesterov)):
        if val:
            raise ValueError(f"rmsprop: `{name}=True` is not supported by geobook.optim; "
                             f"got {name}={val!r}.")
    if momentum is not None:
        raise ValueError(f"rmsprop: `momentum` is not supported by geobook.optim; got {momentum!r}.")
    _check_decay("rmsprop", "decay", decay)
    checks.check_positive("rmsprop", "eps", eps, allow_zero=True)
    return cgd(learning_rate, alpha=0.5, b1=0.0, b2=decay,
               eps=0.0 if eps_in_sqrt else eps, eps_root=eps if eps_in_sqrt else 0.0,
               bias_correction=bias_correction, initial_scale=initial_scale)


def adam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_root: float = 0.0, mu_dtype=None, *, nesterov: bool = False) -> GradientTransformation:
    r"""Adam (optax's ``adam``) = ``cgd(alpha=0.5, structure="diagonal", moment="raw")``."""
    if nesterov:
        raise ValueError("adam: `nesterov=True` is not supported by geobook.optim; got True.")
    if mu_dtype is not None:
        raise ValueError(f"adam: `mu_dtype` is not supported; got {mu_dtype!r}.")
    return cgd(learning_rate, alpha=0.5, b1=b1, b2=b2, eps=eps, eps_root=eps_root)


def adabelief(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
              eps: float = 1e-16, eps_root: float = 1e-16, *,
              nesterov: bool = False) -> GradientTransformation:
    r"""AdaBelief (optax's ``adabelief``) = ``cgd(alpha=0.5, moment="centred")``."""
    if nesterov:
        raise ValueError("adabelief: `nesterov=True` is not supported by geobook.optim; got True.")
    return cgd(learning_rate, alpha=0.5, moment="centred", b1=b1, b2=b2, eps=eps,
               eps_root=eps_root)


def natural_gradient(learning_rate: ScalarOrSchedule, *, b1: float = 0.0, b2: float = 0.99,
                     eps: float = 1e-6, moment: str = "raw", background=None) -> GradientTransformation:
    r"""Natural gradient with the empirical Fisher matrix: ``cgd(alpha=1, structure="full")``,
    :math:`g = \hat M + \varepsilon h` (the α = 1, quantum-regime preconditioner)."""
    return cgd(learning_rate, alpha=1.0, structure="full", moment=moment, b1=b1, b2=b2,
               eps=eps, background=background)


# --- test problems --------------------------------------------------------------------
def rosenbrock(x, a: float = 1.0, b: float = 100.0):
    r"""Rosenbrock function :math:`\sum_i b(x_{i+1} - x_i^2)^2 + (a - x_i)^2` of ``x: [..., d]``
    (d ≥ 2); minimum 0 at ``x = (a, …, a)``."""
    checks.check_ndim("rosenbrock", "x", x, (1, 2, 3), "[..., d]")
    if np.shape(x)[-1] < 2:
        raise ValueError(f"rosenbrock: `x` needs d >= 2 coordinates; got shape {np.shape(x)}.")
    x = jnp.asarray(x)
    return jnp.sum(b * (x[..., 1:] - x[..., :-1] ** 2) ** 2 + (a - x[..., :-1]) ** 2, axis=-1)


class NoisyQuadratic(NamedTuple):
    r""":math:`H(q) = \tfrac12 (q - q_*)^\top A (q - q_*)` with gradient noise
    :math:`\xi\sim N(0, \kappa)`; ``A`` and ``kappa`` are independent."""
    hessian: jax.Array
    kappa: jax.Array
    minimum: jax.Array

    def loss(self, q):
        d = q - self.minimum
        return 0.5 * d @ self.hessian @ d

    def grad(self, q):
        return self.hessian @ (q - self.minimum)

    def noisy_grad(self, key, q):
        L = jnp.linalg.cholesky(self.kappa)
        return self.grad(q) + L @ jax.random.normal(key, q.shape, q.dtype)


def noisy_quadratic(hessian, kappa, minimum=None) -> NoisyQuadratic:
    """Build a :class:`NoisyQuadratic` (Hessian and noise covariance given independently)."""
    checks.check_spd("noisy_quadratic", "hessian", hessian)
    checks.check_spd("noisy_quadratic", "kappa", kappa)
    if np.shape(hessian) != np.shape(kappa):
        raise ValueError(f"noisy_quadratic: `hessian` and `kappa` must have the same shape; got "
                         f"{np.shape(hessian)} and {np.shape(kappa)}.")
    A = jnp.asarray(hessian)
    m = jnp.zeros(A.shape[0], A.dtype) if minimum is None else jnp.asarray(minimum, A.dtype)
    if m.shape != (A.shape[0],):
        raise ValueError(f"noisy_quadratic: `minimum` must have shape ({A.shape[0]},); got {m.shape}.")
    return NoisyQuadratic(A, jnp.asarray(kappa, A.dtype), m)


class MultiplicationTask(NamedTuple):
    """A 2–h–h–1 tanh MLP learning y = x₁x₂ on x ~ U(−1, 1)²."""
    hidden: int

    def init(self, key, dtype=jnp.float32):
        sizes = [2, self.hidden, self.hidden, 1]
        keys = jax.random.split(key, len(sizes) - 1)
        return [{"w": jax.random.normal(k, (m, n), dtype) / jnp.sqrt(jnp.asarray(m, dtype)),
                 "b": jnp.zeros((n,), dtype)} for k, m, n in zip(keys, sizes[:-1], sizes[1:])]

    @staticmethod
    def predict(params, x):
        h = x
        for layer in params[:-1]:
            h = jnp.tanh(h @ layer["w"] + layer["b"])
        return (h @ params[-1]["w"] + params[-1]["b"])[..., 0]

    @staticmethod
    def sample(key, n: int, dtype=jnp.float32):
        x = jax.random.uniform(key, (n, 2), dtype, -1.0, 1.0)
        return x, x[:, 0] * x[:, 1]

    def loss(self, params, x, y):
        return jnp.mean((self.predict(params, x) - y) ** 2)


def multiplication_task(hidden: int = 16) -> MultiplicationTask:
    """The multiplication task of the CGD paper's experiments (a 2–16–16–1 tanh MLP)."""
    checks.check_int("multiplication_task", "hidden", hidden)
    return MultiplicationTask(hidden)


def effective_dimension(updates):
    r"""Participation ratio :math:`(\operatorname{tr}C)^2/\operatorname{tr}(C^2)` of the covariance
    ``C`` of a window of flattened updates ``[n, K]``; between 1 and K."""
    checks.check_ndim("effective_dimension", "updates", updates, 2, "[n, K]")
    U = jnp.asarray(updates)
    U = U - U.mean(axis=0)
    C = U.T @ U / U.shape[0]
    return jnp.trace(C) ** 2 / jnp.sum(C * C)


# --- experiments (used by the chapters; pure functions of keys and settings) -------------
class Trajectory(NamedTuple):
    """Iterates ``x`` ``[n_steps + 1, d]`` (``x[0]`` is the start) and losses ``[n_steps + 1]``."""
    x: jax.Array
    loss: jax.Array


def trajectory(key, optimizer: GradientTransformation, loss: Callable, x0, *, n_steps: int,
               noise_scale=0.0) -> Trajectory:
    r"""Run ``optimizer`` on ``loss`` from ``x0`` ``[d]`` for ``n_steps`` steps (``lax.scan``),
    with gradients :math:`\nabla H(x) + \sigma z`, :math:`z\sim N(0, I)` (``σ = noise_scale``)."""
    checks.check_ndim("trajectory", "x0", x0, 1, "[d]")
    checks.check_finite("trajectory", "x0", x0)
    checks.check_int("trajectory", "n_steps", n_steps)
    checks.check_positive("trajectory", "noise_scale", noise_scale, allow_zero=True)
    x0 = jnp.asarray(x0)
    grad = jax.grad(loss)

    def step(carry, k):
        x, s = carry
        g = grad(x) + noise_scale * jax.random.normal(k, x.shape, x.dtype)
        u, s = optimizer.update(g, s, x)
        x = x + u
        return (x, s), x

    _, xs = jax.lax.scan(step, (x0, optimizer.init(x0)), jax.random.split(key, n_steps))
    xs = jnp.concatenate([x0[None], xs])
    return Trajectory(xs, jax.vmap(loss)(xs))


def steps_to_reach(losses, threshold):
    """First index at which ``losses`` ``[..., n]`` drops below ``threshold`` and stays below it
    for the rest of the run; ``n`` (the length) where that never happens."""
    checks.check_positive("steps_to_reach", "threshold", threshold)
    losses = jnp.asarray(losses)
    n = losses.shape[-1]
    above = ~(losses < threshold)
    idx = jnp.arange(n)
    last_above = jnp.max(jnp.where(above, idx, -1), axis=-1)
    return jnp.where(last_above < n - 1, last_above + 1, n)


def reparametrisation_error(make_optimizer: Callable, A, hessian, *, key, n_steps: int = 30):
    r"""How far an optimiser is from covariant under the linear change of coordinates
    :math:`q' = Aq`.

    Runs it on the noisy quadratic :math:`H = \tfrac12 q^\top \mathrm{hessian}\, q` in both
    coordinate systems with the *same* noise (the gradient transforms as a covector,
    :math:`G' = A^{-\top}G`) and returns :math:`\|q'_n - Aq_n\|/\|Aq_n\|`.
    ``make_optimizer(h)`` builds the optimiser given the background metric of the coordinates
    (``None`` for the original ones, :math:`A^{-\top}A^{-1}` for the new ones); optimisers
    without a background simply ignore it.
    """
    checks.check_square("reparametrisation_error", "A", A)
    checks.check_spd("reparametrisation_error", "hessian", hessian)
    checks.check_int("reparametrisation_error", "n_steps", n_steps)
    A, H = jnp.asarray(A), jnp.asarray(hessian)
    K = A.shape[0]
    Ai = jnp.linalg.inv(A)
    o1, o2 = make_optimizer(None), make_optimizer(Ai.T @ Ai)

    @jax.jit
    def run(key):
        q = jnp.ones(K, H.dtype)
        qp = A @ q

        def step(carry, k):
            q, qp, s1, s2 = carry
            G = H @ q + jax.random.normal(k, (K,), H.dtype)
            u1, s1 = o1.update(G, s1)
            u2, s2 = o2.update(Ai.T @ G, s2)
            return (q + u1, qp + u2, s1, s2), None

        (q, qp, _, _), _ = jax.lax.scan(step, (q, qp, o1.init(q), o2.init(qp)),
                                        jax.random.split(key, n_steps))
        return jnp.linalg.norm(qp - A @ q) / jnp.linalg.norm(A @ q)

    return run(key)


class TrainingRun(NamedTuple):
    """Training losses ``[n_steps]``, flattened updates ``[n_steps, K]``, final params, test MSE."""
    loss: jax.Array
    updates: jax.Array
    params: Any
    test_mse: jax.Array


def train(key, optimizer: GradientTransformation, task: MultiplicationTask, *, n_steps: int,
          batch_size: int = 64, n_test: int = 4096) -> TrainingRun:
    """Mini-batch training of the multiplication task; records every update (flattened)."""
    checks.check_int("train", "n_steps", n_steps)
    checks.check_int("train", "batch_size", batch_size)
    k_init, k_data, k_test = jax.random.split(key, 3)
    params = task.init(k_init, jnp.float64 if jax.config.jax_enable_x64 else jnp.float32)
    grad = jax.value_and_grad(task.loss)

    def step(carry, k):
        p, s = carry
        x, y = task.sample(k, batch_size, jax.tree.leaves(p)[0].dtype)
        l, g = grad(p, x, y)
        u, s = optimizer.update(g, s, p)
        p = apply_updates(p, u)
        return (p, s), (l, ravel_pytree(u)[0])

    run = jax.jit(lambda p, ks: jax.lax.scan(step, (p, optimizer.init(p)), ks))
    (p, _), (losses, ups) = run(params, jax.random.split(k_data, n_steps))
    xt, yt = task.sample(k_test, n_test, jax.tree.leaves(p)[0].dtype)
    return TrainingRun(losses, ups, p, task.loss(p, xt, yt))
