r"""The optimisers that are limits of CGD, with optax's names, arguments and iterates.

``sgd``, ``rmsprop``, ``adam`` and ``adabelief`` take optax's argument names and defaults and
produce optax's iterates; ``natural_gradient`` is full CGD at α = 1. Each is
:func:`~geobook.optim.cgd` with the parameters of its limit (and errors name the function
called).
"""
from __future__ import annotations

from typing import Callable, Optional, Union

import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook.optim._core import build, check_decay, check_lr, unsupported
from geobook.optim.base import GradientTransformation, TraceState

__all__ = ["sgd", "rmsprop", "adam", "adabelief", "natural_gradient"]

ScalarOrSchedule = Union[float, Callable[[jax.Array], jax.Array]]


def sgd(learning_rate: ScalarOrSchedule, momentum: Optional[float] = None,
        nesterov: bool = False, accumulator_dtype=None) -> GradientTransformation:
    r"""Stochastic gradient descent (optax's ``sgd``): α = 0, :math:`g = I`.

    Without momentum this is ``cgd(lr, alpha=0, b1=0, eps=0, bias_correction=False)``.  With
    momentum it keeps optax's heavy-ball trace :math:`t = \hat G + \mu t`, i.e. an EMA force
    scaled by :math:`1/(1-\mu)`.

    Args:
      learning_rate: η ≥ 0, or a schedule ``count -> η`` (without momentum only).
      momentum: μ in [0, 1), or None for none.
      nesterov: use Nesterov's look-ahead (needs a ``momentum``).
      accumulator_dtype: must be None (the trace keeps the params' dtype).

    Returns:
      A :class:`GradientTransformation` (state :class:`CGDState`, or :class:`TraceState`
      with momentum).

    Raises:
      ValueError: if a value is out of range or an option combination is not supported.

    Examples:
      >>> opt = optim.sgd(0.1)
      >>> u, _ = opt.update(jnp.array([1.0, -2.0]), opt.init(jnp.zeros(2)))
      >>> print(np.round(np.asarray(u), 3))
      [-0.1  0.2]
    """
    fn = "sgd"
    check_lr(fn, learning_rate)
    if momentum is not None:
        check_decay(fn, "momentum", momentum)
    if accumulator_dtype is not None:
        checks.fail(fn, "accumulator_dtype", "must be None (the trace keeps the params' dtype)",
                    str(accumulator_dtype))
    if momentum is not None and callable(learning_rate):
        checks.fail(fn, "learning_rate", "must be a number when `momentum` is set (schedules "
                    "are supported without momentum only)", "a callable")
    if momentum is None:
        if nesterov:
            checks.fail(fn, "nesterov", "needs a `momentum`", nesterov)
        return build(fn, learning_rate, alpha=0.0, b1=0.0, eps=0.0, bias_correction=False)

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
    r"""RMSProp (optax's ``rmsprop``): the α = ½ diagonal metric without force averaging.

    .. math:: v_t = \gamma v_{t-1} + (1-\gamma)\hat G_t^2,\qquad
              \Delta q = -\eta\,\hat G_t/\sqrt{v_t + \varepsilon}

    (``b1 = 0``, no bias correction by default, ε inside the root by default).

    Args:
      learning_rate: η ≥ 0, or a schedule ``count -> η``.
      decay: γ in [0, 1).
      eps: ε ≥ 0.
      initial_scale: ≥ 0, the initial value of :math:`v`.
      eps_in_sqrt: put ε inside the square root (else add it to the root).
      centered: must be False (the centred variant is not implemented).
      momentum: must be None.
      nesterov: must be False.
      bias_correction: divide :math:`v` by :math:`1-\gamma^t`.

    Returns:
      A :class:`GradientTransformation` (state :class:`CGDState`).

    Raises:
      ValueError: if ``decay``, ``eps`` or ``initial_scale`` is out of range, or ``centered``,
        ``momentum`` or ``nesterov`` is set.

    References:
      :cite:t:`tieleman2012rmsprop`.

    Examples:
      For :math:`G^2\gg\varepsilon` every step of a constant gradient has the length
      :math:`\eta/\sqrt{1-\gamma^t}`, the first :math:`\eta/\sqrt{1-\gamma}`:

      >>> opt, G = optim.rmsprop(0.1), jnp.array([2.0, -3.0])
      >>> print(np.round(np.asarray(opt.update(G, opt.init(G))[0]), 3))
      [-0.316  0.316]
    """
    fn = "rmsprop"
    unsupported(fn, centered=centered, momentum=momentum, nesterov=nesterov)
    check_decay(fn, "decay", decay)
    checks.check_positive(fn, "eps", eps, allow_zero=True)
    return build(fn, learning_rate, alpha=0.5, b1=0.0, b2=decay,
                eps=0.0 if eps_in_sqrt else eps, eps_root=eps if eps_in_sqrt else 0.0,
                bias_correction=bias_correction, initial_scale=initial_scale)


def adam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_root: float = 0.0, mu_dtype=None, *, nesterov: bool = False) -> GradientTransformation:
    r"""Adam (optax's ``adam``): ``cgd(alpha=0.5, structure="diagonal", moment="raw")``.

    .. math:: \Delta q = -\eta\,\hat m/(\sqrt{\hat v + \varepsilon_{\rm root}} + \varepsilon).

    Args:
      learning_rate: η ≥ 0, or a schedule ``count -> η``.
      b1: EMA decay rate of the force, in [0, 1).
      b2: EMA decay rate of the second moment, in [0, 1).
      eps: ε ≥ 0, added to the root.
      eps_root: ≥ 0, added inside the root.
      mu_dtype: must be None (the moments keep the params' dtype).
      nesterov: must be False.

    Returns:
      A :class:`GradientTransformation` (state :class:`CGDState`).

    Raises:
      ValueError: if ``b1``, ``b2``, ``eps`` or ``eps_root`` is out of range, or ``mu_dtype``
        or ``nesterov`` is set.

    References:
      :cite:t:`kingma2015adam`.

    Examples:
      Adam's first (bias-corrected) step is :math:`-\eta\,\mathrm{sign}(G)`:

      >>> opt = optim.adam(0.1)
      >>> u, _ = opt.update(jnp.array([2.0, -3.0]), opt.init(jnp.zeros(2)))
      >>> print(np.round(np.asarray(u), 3))
      [-0.1  0.1]
    """
    unsupported("adam", mu_dtype=mu_dtype, nesterov=nesterov)
    return build("adam", learning_rate, alpha=0.5, b1=b1, b2=b2, eps=eps, eps_root=eps_root)


def adabelief(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
              eps: float = 1e-16, eps_root: float = 1e-16, *,
              nesterov: bool = False) -> GradientTransformation:
    r"""AdaBelief (optax's ``adabelief``): ``cgd(alpha=0.5, moment="centred")``.

    .. math:: s_t = \beta_2 s_{t-1} + (1-\beta_2)(\hat G_t - m_t)^2 + \varepsilon_{\rm root},
              \qquad \Delta q = -\eta\,\hat m/(\sqrt{\hat s} + \varepsilon).

    Args:
      learning_rate: η ≥ 0, or a schedule ``count -> η``.
      b1: EMA decay rate of the force, in [0, 1).
      b2: EMA decay rate of the centred moment, in [0, 1).
      eps: ε ≥ 0, added to the root.
      eps_root: ≥ 0, added to the moment at every step.
      nesterov: must be False.

    Returns:
      A :class:`GradientTransformation` (state :class:`CGDState`).

    Raises:
      ValueError: if a rate is outside its range or ``nesterov`` is set.

    References:
      :cite:t:`zhuang2020adabelief`.

    Examples:
      The first step is :math:`-\eta\,\mathrm{sign}(G)/\beta_1`: the belief
      :math:`(G - m_1)^2 = \beta_1^2 G^2`:

      >>> opt = optim.adabelief(0.1)
      >>> u, _ = opt.update(jnp.array([2.0, -3.0]), opt.init(jnp.zeros(2)))
      >>> print(np.round(np.asarray(u), 3))
      [-0.111  0.111]
    """
    unsupported("adabelief", nesterov=nesterov)
    return build("adabelief", learning_rate, alpha=0.5, moment="centred", b1=b1, b2=b2, eps=eps,
                eps_root=eps_root)


def natural_gradient(learning_rate: ScalarOrSchedule, *, b1: float = 0.0, b2: float = 0.99,
                     eps: float = 1e-6, moment: str = "raw",
                     background=None) -> GradientTransformation:
    r"""Natural gradient with the empirical Fisher matrix: ``cgd(alpha=1, structure="full")``.

    .. math:: g = \hat M + \varepsilon h,\qquad \Delta q = -\eta\, g^{-1}\hat m

    (the α = 1, quantum-regime preconditioner).

    Args:
      learning_rate: η ≥ 0, or a schedule ``count -> η``.
      b1: EMA decay rate of the force, in [0, 1).
      b2: EMA decay rate of the Fisher estimate, in [0, 1).
      eps: ε > 0, the regulariser.
      moment: ``"raw"`` (the empirical Fisher) or ``"centred"``.
      background: the background metric ``h``, SPD ``[K, K]``; None for the identity.

    Returns:
      A :class:`GradientTransformation` (state :class:`CGDState`).

    Raises:
      ValueError: as :func:`cgd`.

    References:
      :cite:t:`amari1998natural`.

    Examples:
      >>> opt = optim.natural_gradient(0.5, b2=0.0, eps=1e-2)
      >>> G = jnp.array([0.3, -1.2, 2.0])
      >>> u, _ = opt.update(G, opt.init(jnp.zeros(3)))
      >>> print(f"{float(jnp.max(jnp.abs(u + 0.5 * G / (G @ G + 1e-2)))):.4f}")
      0.0000
    """
    return build("natural_gradient", learning_rate, alpha=1.0, structure="full", moment=moment,
                b1=b1, b2=b2, eps=eps, background=background)
