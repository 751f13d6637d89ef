r"""Covariant gradient descent (CGD) as an optax-style transformation.

A CGD step is :math:`\Delta q = -\eta\, g^{-1} F` with the force :math:`F` an EMA of the
stochastic gradients and the metric :math:`g` the α-power of their second moment (diagonal,
or the whole matrix through a geometric mean with a background metric).
"""
from __future__ import annotations

from typing import Callable, Union

import jax

from geobook.optim._core import build
from geobook.optim.base import GradientTransformation

__all__ = ["cgd"]

ScalarOrSchedule = Union[float, Callable[[jax.Array], jax.Array]]


def cgd(learning_rate: ScalarOrSchedule, *, alpha: float = 0.5, structure: str = "diagonal",
        moment: str = "raw", b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
        eps_root: float = 0.0, bias_correction: bool = True, initial_scale: float = 0.0,
        background=None) -> GradientTransformation:
    r"""Covariant gradient descent :math:`\Delta q = -\eta\,g^{-1}\hat m`.

    .. math::
       m_t = \beta_1 m_{t-1} + (1-\beta_1)\hat G_t,\qquad
       M_t = \beta_2 M_{t-1} + (1-\beta_2)\,\hat G_t\hat G_t^\top \ \text{(raw)}\ \text{or}\
             (\hat G_t - m_t)(\hat G_t - m_t)^\top \ \text{(centred)},

    with bias corrections :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat M = M/(1-\beta_2^t)`,
    and the metric

    * diagonal: :math:`g_i = (\hat M_{ii} + \varepsilon_{\rm root})^{\alpha} + \varepsilon`
      (linear cost; RMSProp, Adam and AdaBelief are its α = ½ limits);
    * full: :math:`g = h\#_\alpha(\hat M + \varepsilon h)` (``h`` = ``background``, identity
      by default), a (0,2) tensor for every α when ``h`` transforms as one.

    Args:
      learning_rate: η ≥ 0, or a schedule ``count -> η``.
      alpha: the exponent α, a finite Python float (static).
      structure: ``"diagonal"`` (per coordinate) or ``"full"`` (the whole ``K × K`` moment
        of the K flattened parameters; one ``eigh``, O(K³), per step).
      moment: ``"raw"`` or ``"centred"``.
      b1: EMA decay rate of the force, in [0, 1).
      b2: EMA decay rate of the second moment, in [0, 1).
      eps: ε ≥ 0 added to the diagonal metric; for ``"full"`` the regulariser ``ε h`` (> 0).
      eps_root: ≥ 0, added to the raw moment before the power (diagonal), or to the centred
        moment at every step, inside the state (AdaBelief's convention).
      bias_correction: divide the EMAs by :math:`1 - \beta^t`.
      initial_scale: ≥ 0, the initial value of the second moment (RMSProp's).
      background: the background metric ``h``, SPD ``[K, K]``, for ``"full"`` only.

    Returns:
      A :class:`GradientTransformation` whose state is a :class:`CGDState`.

    Raises:
      ValueError: if a rate is outside its range, an option is unknown, ``eps`` is not > 0
        for ``"full"``, or ``background`` is not SPD, is given with ``"diagonal"``, or (at
        ``init``) is not ``[K, K]`` for the K parameters.

    References:
      :cite:t:`guskov2025cgd`; the metric power law: :cite:t:`vanchurin2025gld`.

    Examples:
      With :math:`\beta_1 = \beta_2 = 0` the full α = 1 metric is :math:`GG^\top + \varepsilon I`,
      and the step is :math:`-\eta G/(|G|^2 + \varepsilon)` (Sherman–Morrison):

      >>> opt = optim.cgd(0.5, alpha=1.0, structure="full", b1=0.0, b2=0.0, eps=1.0)
      >>> u, state = opt.update(jnp.array([1.0, 1.0]), opt.init(jnp.zeros(2)))
      >>> print(np.round(np.asarray(u), 4))
      [-0.1667 -0.1667]
    """
    return build("cgd", learning_rate, alpha=alpha, structure=structure, moment=moment, b1=b1,
                b2=b2, eps=eps, eps_root=eps_root, bias_correction=bias_correction,
                initial_scale=initial_scale, background=background)
