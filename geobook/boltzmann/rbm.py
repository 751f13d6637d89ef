r"""The two Boltzmann machines of the book and their energies.

* :class:`RBM` — a restricted Boltzmann machine with {0, 1} units at temperature 1,
  :math:`E(v, h) = -v^\top W h - b^\top v - c^\top h`;
* :class:`FullyVisible` — a fully visible Boltzmann machine with ±1 spins,
  :math:`E(s) = -\tfrac12 s^\top J s - h^\top s = -\sum_{i<j} J_{ij}s_is_j - \sum_i h_is_i`
  (``J`` symmetric with a zero diagonal).

Both are NamedTuples of arrays (pytrees): they pass through ``jit``, ``vmap`` and ``grad``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["RBM", "FullyVisible", "energy", "free_energy"]


class RBM(NamedTuple):
    """A restricted Boltzmann machine with {0, 1} units (T = 1).

    Attributes:
      W: couplings ``[n_visible, n_hidden]`` (scikit-learn's ``components_`` is ``W.T``).
      b: visible biases ``[n_visible]`` (scikit-learn's ``intercept_visible_``).
      c: hidden biases ``[n_hidden]`` (scikit-learn's ``intercept_hidden_``).

    Examples:
      >>> rbm = boltzmann.RBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(2))
      >>> rbm.W.shape, rbm.b.shape, rbm.c.shape
      ((3, 2), (3,), (2,))
    """
    W: jax.Array
    b: jax.Array
    c: jax.Array


class FullyVisible(NamedTuple):
    r"""A fully visible Boltzmann machine on ±1 spins (T = 1).

    Attributes:
      J: symmetric couplings ``[n, n]`` with a zero diagonal; the pair (i, j), i < j,
        contributes :math:`-J_{ij}s_is_j` to the energy.
      h: fields ``[n]``.

    Examples:
      >>> fv = boltzmann.FullyVisible(jnp.zeros((4, 4)), jnp.ones(4))
      >>> fv.J.shape, fv.h.shape
      ((4, 4), (4,))
    """
    J: jax.Array
    h: jax.Array


# ------------------------------------------------------------------------------------------
# validation (all through geobook._src.checks)
# ------------------------------------------------------------------------------------------

def check_rbm(fn: str, rbm, arg: str = "rbm"):
    """Shapes and finiteness of an RBM; returns it cast to its working dtype."""
    if not isinstance(rbm, RBM):
        checks.fail(fn, arg, "must be a boltzmann.RBM(W, b, c)",
                    f"an object of type {type(rbm).__name__}")
    W, b, c = rbm
    checks.check_ndim(fn, f"{arg}.W", W, 2, "[n_visible, n_hidden]")
    n_v, n_h = np.shape(W)
    checks.check_ndim(fn, f"{arg}.b", b, 1, f"[n_visible] = [{n_v}]")
    checks.check_size(fn, f"{arg}.b", b, n_v, what="one bias per visible unit, the rows of W")
    checks.check_ndim(fn, f"{arg}.c", c, 1, f"[n_hidden] = [{n_h}]")
    checks.check_size(fn, f"{arg}.c", c, n_h, what="one bias per hidden unit, the columns of W")
    for name, x in (("W", W), ("b", b), ("c", c)):
        checks.check_finite(fn, f"{arg}.{name}", x)
    dt = working_dtype(W, b, c)
    return RBM(jnp.asarray(W, dt), jnp.asarray(b, dt), jnp.asarray(c, dt))


def check_fully_visible(fn: str, model, arg: str = "model"):
    """Shapes, symmetry and zero diagonal of a FullyVisible machine; returns it cast."""
    J, h = model
    checks.check_square(fn, f"{arg}.J", J)
    checks.check_ndim(fn, f"{arg}.J", J, 2, "[n, n]")
    n = np.shape(J)[0]
    checks.check_ndim(fn, f"{arg}.h", h, 1, f"[n] = [{n}]")
    checks.check_size(fn, f"{arg}.h", h, n, what="one field per spin")
    checks.check_finite(fn, f"{arg}.J", J)
    checks.check_finite(fn, f"{arg}.h", h)
    checks.check_symmetric(fn, f"{arg}.J", J)
    if checks.is_concrete(J) and np.any(np.diag(np.asarray(J)) != 0):
        checks.fail(fn, f"{arg}.J", "must have a zero diagonal (s_i^2 = 1 is a constant)",
                    np.diag(np.asarray(J)))
    dt = working_dtype(J, h)
    return FullyVisible(jnp.asarray(J, dt), jnp.asarray(h, dt))


def check_model(fn: str, model, arg: str = "model"):
    """An RBM or a FullyVisible machine, checked and cast."""
    if isinstance(model, RBM):
        return check_rbm(fn, model, arg)
    if isinstance(model, FullyVisible):
        return check_fully_visible(fn, model, arg)
    checks.fail(fn, arg, "must be a boltzmann.RBM or a boltzmann.FullyVisible",
                f"an object of type {type(model).__name__}")


def check_states(fn: str, arg: str, x, n: int, values, dtype, *, batched: bool = True):
    """Unit states ``[..., n]`` with entries in ``values``; returns them in ``dtype``."""
    if np.ndim(x) < 1 or (batched is False and np.ndim(x) != 1):
        raise ValueError(f"{fn}: `{arg}` must have shape [..., {n}]; got shape {np.shape(x)}.")
    checks.check_size(fn, arg, x, n, what="one entry per unit")
    checks.check_binary(fn, arg, x, values)
    return jnp.asarray(x, dtype)


def check_data(fn: str, arg: str, x, n: int, values, dtype):
    """A data matrix ``[n_samples, n]`` with entries in ``values``."""
    checks.check_ndim(fn, arg, x, 2, f"[n_samples, {n}]")
    if np.shape(x)[0] < 1:
        raise ValueError(f"{fn}: `{arg}` must hold at least one sample; got shape "
                         f"{np.shape(x)}.")
    return check_states(fn, arg, x, n, values, dtype)


# ------------------------------------------------------------------------------------------
# energies
# ------------------------------------------------------------------------------------------

def energy(model, v, h=None):
    r"""The energy of a configuration.

    For an :class:`RBM`, :math:`E(v, h) = -v^\top W h - b^\top v - c^\top h` with ``v`` and
    ``h`` in {0, 1}; for a :class:`FullyVisible` machine,
    :math:`E(s) = -\tfrac12 s^\top J s - h^\top s` with ``s = v`` in ±1 (pass ``h=None``).
    Batched over the leading axes of ``v`` (and ``h``, which must broadcast).

    Args:
      model: an :class:`RBM` or a :class:`FullyVisible` machine.
      v: visible states ``[..., n_visible]`` (spins ``[..., n]`` for a FullyVisible machine).
      h: hidden states ``[..., n_hidden]`` (RBM only; must be None for a FullyVisible
        machine).

    Returns:
      The energies, shaped like the leading axes of ``v``.

    Raises:
      ValueError: if the model's arrays have inconsistent shapes, a state has the wrong
        length or holds values other than {0, 1} (±1 for a FullyVisible machine), or ``h``
        is missing for an RBM.

    Examples:
      >>> rbm = boltzmann.RBM(jnp.ones((2, 1)), jnp.array([0.5, 0.0]), jnp.array([-1.0]))
      >>> float(boltzmann.energy(rbm, jnp.array([1.0, 1.0]), jnp.array([1.0])))
      -1.5
      >>> fv = boltzmann.FullyVisible(jnp.array([[0.0, 1.0], [1.0, 0.0]]), jnp.zeros(2))
      >>> float(boltzmann.energy(fv, jnp.array([1.0, -1.0])))
      1.0
    """
    fn = "energy"
    model = check_model(fn, model)
    if isinstance(model, RBM):
        n_v, n_h = model.W.shape
        if h is None:
            checks.fail(fn, "h", "is required for an RBM (the hidden states [..., n_hidden])",
                        h)
        dt = working_dtype(model.W, v, h)
        v = check_states(fn, "v", v, n_v, (0, 1), dt)
        h = check_states(fn, "h", h, n_h, (0, 1), dt)
        return _rbm_energy(model, v, h)
    if h is not None:
        checks.fail(fn, "h", "must be None for a FullyVisible machine (it has no hidden units)",
                    f"an array of shape {np.shape(h)}")
    dt = working_dtype(model.J, v)
    v = check_states(fn, "v", v, model.J.shape[0], (-1, 1), dt)
    return _fv_energy(model, v)


@jax.jit
def _rbm_energy(rbm, v, h):
    W, b, c = (x.astype(v.dtype) for x in rbm)
    return -(jnp.einsum("...i,ij,...j->...", v, W, h) + v @ b + h @ c)


@jax.jit
def _fv_energy(model, s):
    J, h = (x.astype(s.dtype) for x in model)
    return -(0.5 * jnp.einsum("...i,ij,...j->...", s, J, s) + s @ h)


def free_energy(rbm, v):
    r"""The free energy of a visible configuration of an RBM.

    .. math:: F(v) = -\ln\sum_h e^{-E(v,h)} = -b^\top v
              - \sum_j \operatorname{softplus}\big(c_j + (v^\top W)_j\big),

    so that :math:`p(v) = e^{-F(v)}/Z`. Batched over the leading axes of ``v``; equal to
    scikit-learn's ``BernoulliRBM._free_energy`` for the same weights.

    Args:
      rbm: an :class:`RBM`.
      v: visible states ``[..., n_visible]`` in {0, 1}.

    Returns:
      ``F(v)``, shaped like the leading axes of ``v``, in the working dtype.

    Raises:
      ValueError: if ``rbm`` has inconsistent shapes or ``v`` has the wrong length or values
        outside {0, 1}.

    References:
      :cite:t:`hinton2002cd`; Combe's Q6 (:cite:t:`combe2025qg`).

    Examples:
      With zero weights the hidden units are free: :math:`F = -n_h\ln 2` for ``v = 0``.

      >>> rbm = boltzmann.RBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(2))
      >>> print(f"{float(boltzmann.free_energy(rbm, jnp.zeros(3))):.4f}")
      -1.3863
    """
    fn = "free_energy"
    rbm = check_rbm(fn, rbm)
    dt = working_dtype(rbm.W, v)
    v = check_states(fn, "v", v, rbm.W.shape[0], (0, 1), dt)
    return _free_energy(rbm, v)


@jax.jit
def _free_energy(rbm, v):
    W, b, c = (x.astype(v.dtype) for x in rbm)
    return -(v @ b) - jnp.sum(jax.nn.softplus(v @ W + c), axis=-1)


def hidden_free_energy(rbm, h):
    """``F(h) = -cᵀh - Σᵢ softplus(bᵢ + (W h)ᵢ)``, the free energy of a hidden state."""
    W, b, c = (x.astype(h.dtype) for x in rbm)
    return -(h @ c) - jnp.sum(jax.nn.softplus(h @ W.T + b), axis=-1)
