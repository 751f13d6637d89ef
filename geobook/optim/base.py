r"""The optax-compatible interface: a transformation is a pair of pure functions.

:class:`GradientTransformation` ``(init, update)`` is optax's interface, so every optimiser of
:mod:`geobook.optim` works in ``optax.chain`` and under ``jit``; :class:`CGDState` and
:class:`TraceState` are the states of :func:`~geobook.optim.cgd` and of
:func:`~geobook.optim.sgd` with momentum; :func:`apply_updates` adds a step to the params.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["GradientTransformation", "CGDState", "TraceState", "apply_updates"]


class GradientTransformation(NamedTuple):
    """A pair of pure functions, as in optax (and accepted wherever optax's is).

    Attributes:
      init: ``init(params) -> state``, the optimiser state for a pytree of parameters.
      update: ``update(updates, state, params=None) -> (updates, state)``: maps the gradients
        (a pytree like the params) to the step to add to the params.

    Examples:
      Any ``(init, update)`` pair is one; the optimisers here return one:

      >>> halve = optim.GradientTransformation(lambda p: (), lambda g, s, p=None: (-0.5 * g, s))
      >>> print(np.asarray(halve.update(jnp.array([2.0]), halve.init(None))[0]))
      [-1.]
      >>> isinstance(optim.adam(0.1), optim.GradientTransformation)
      True
    """
    init: Callable
    update: Callable


class CGDState(NamedTuple):
    """State of :func:`cgd`.

    Attributes:
      count: the number of updates taken, an int32 scalar.
      mu: the EMA of the gradients (the force before bias correction), a pytree like the
        params.
      nu: the EMA of the second moment: a pytree like the params for
        ``structure="diagonal"``, one ``[K, K]`` matrix over the K flattened parameters for
        ``structure="full"``.

    Examples:
      >>> s = optim.cgd(0.1, structure="full").init({"a": jnp.zeros(2), "b": jnp.zeros(3)})
      >>> int(s.count), s.mu["b"].shape, s.nu.shape
      (0, (3,), (5, 5))
    """
    count: jax.Array
    mu: Any
    nu: Any


class TraceState(NamedTuple):
    """State of :func:`sgd` with momentum.

    Attributes:
      trace: the heavy-ball trace :math:`t = \\hat G + \\mu t` (as optax keeps it), a pytree
        like the params.

    Examples:
      >>> opt = optim.sgd(0.1, momentum=0.5)
      >>> _, s = opt.update(jnp.ones(2), opt.init(jnp.zeros(2)))
      >>> _, s = opt.update(jnp.ones(2), s)
      >>> print(np.asarray(s.trace))                # 1 + 0.5 · 1
      [1.5 1.5]
    """
    trace: Any


def apply_updates(params, updates):
    """Add the updates to the params leaf by leaf, keeping the params' dtypes (optax's).

    Args:
      params: a pytree of arrays.
      updates: a pytree of the same structure (the output of ``update``).

    Returns:
      The pytree ``params + updates`` in the params' dtypes.

    Examples:
      >>> p = optim.apply_updates({"w": jnp.ones(2)}, {"w": jnp.array([0.5, -1.0])})
      >>> print(np.asarray(p["w"]))
      [1.5 0. ]
    """
    return jax.tree.map(lambda p, u: (p + u).astype(jnp.asarray(p).dtype), params, updates)
