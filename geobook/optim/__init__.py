r"""Covariant gradient descent (CGD), the optimisers that are its limits, and its experiments.

A CGD step is :math:`\Delta q = -\eta\, g^{-1} F`: the **force** :math:`F` is the
(bias-corrected) exponential moving average of the stochastic gradients, and the **metric**
:math:`g` is the α-power of their second moment — raw (:math:`\hat M`, the EMA of
:math:`\hat G\hat G^\top`) or centred (:math:`\hat C`, the EMA of
:math:`(\hat G - m)(\hat G - m)^\top`).  ``structure="diagonal"`` keeps the diagonal (linear
cost; RMSProp, Adam and AdaBelief are its α = ½ limits); ``structure="full"`` uses the whole
matrix through the geometric mean :math:`g = h\#_\alpha(\hat M + \varepsilon h)` with a
background metric ``h``, which makes the step covariant for every α.

Files (every public name is re-exported here, so ``optim.adam`` works whichever file it is
in):

* ``base`` — the optax-compatible interface: :class:`GradientTransformation`,
  :class:`CGDState`, :class:`TraceState`, :func:`apply_updates`.
* ``cgd`` — :func:`cgd` (the one builder lives in the private ``_core``).
* ``limits`` — its limits :func:`sgd`, :func:`rmsprop`, :func:`adam`, :func:`adabelief`
  (optax's names, arguments and iterates) and :func:`natural_gradient`.
* ``problems`` — :func:`rosenbrock`, :func:`noisy_quadratic`, :func:`multiplication_task`.
* ``experiments`` — :func:`trajectory` (an :class:`OptimRun` ``(x, path, t, loss)``),
  :func:`sweep` (a grid of hyper-parameters times seeds), :func:`steps_to_reach`,
  :func:`train`, :func:`effective_dimension`, and the α-regime on a noisy quadratic:
  :func:`relaxation_rates`, :func:`quadratic_relaxation` (a :class:`Relaxation`).
* ``noise`` — :func:`optimizer_update_variance`, :func:`optimizer_update_covariance`,
  :func:`reparametrisation_error`.

Book chapters: *Covariant gradient descent and the optimiser zoo*, *The power law g ∝ κ^α and
the map of regimes*, *The efficient-learning regime (α = ½)*.
"""
from geobook.optim.base import CGDState, GradientTransformation, TraceState, apply_updates
from geobook.optim.cgd import cgd
from geobook.optim.experiments import (OptimRun, Relaxation, TrainingRun, effective_dimension,
                                       quadratic_relaxation, relaxation_rates, steps_to_reach,
                                       sweep, train, trajectory)
from geobook.optim.limits import adabelief, adam, natural_gradient, rmsprop, sgd
from geobook.optim.noise import (UpdateCovariance, UpdateStats, optimizer_update_covariance,
                                 optimizer_update_variance, reparametrisation_error)
from geobook.optim.problems import (MultiplicationTask, NoisyQuadratic, multiplication_task,
                                    noisy_quadratic, rosenbrock)

__all__ = ["GradientTransformation", "CGDState", "TraceState", "apply_updates", "cgd", "sgd",
           "rmsprop", "adam", "adabelief", "natural_gradient",
           "rosenbrock", "NoisyQuadratic", "noisy_quadratic", "MultiplicationTask",
           "multiplication_task",
           "OptimRun", "trajectory", "sweep", "steps_to_reach", "reparametrisation_error",
           "TrainingRun", "train", "effective_dimension", "UpdateStats",
           "optimizer_update_variance", "UpdateCovariance", "optimizer_update_covariance",
           "relaxation_rates", "Relaxation", "quadratic_relaxation"]
