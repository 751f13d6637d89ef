r"""The Gaussian–Bernoulli RBM (real visible units of unit variance, binary hidden units).

Energy :math:`E(v, h) = \tfrac12|v|^2 - b^\top v - c^\top h - v^\top Wh` with
:math:`v\in\mathbb R^{n_v}`, :math:`h\in\{0,1\}^{n_h}`. Summing out :math:`h` gives the free
energy :math:`F(v) = \tfrac12|v|^2 - b^\top v - \sum_j\operatorname{softplus}(c_j +
(W^\top v)_j)`, and the conditionals are :math:`p(h_j = 1\mid v) = \sigma(c_j + (W^\top v)_j)`
and :math:`v\mid h\sim N(b + Wh, \mathbb 1)`. Hence the potential
:math:`\varphi(v) = \tfrac12|v|^2 - F(v)` is convex and its gradient is the mean of one
Gibbs sweep, :math:`\nabla\varphi(v) = b + W\,\sigma(c + W^\top v) = E[v'\mid v]`.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["GaussianRBM", "gaussian_free_energy", "gaussian_gibbs_step"]


class GaussianRBM(NamedTuple):
    """A Gaussian–Bernoulli RBM with unit-variance visible units.

    Attributes:
      W: ``[n_visible, n_hidden]`` weights.
      b: ``[n_visible]`` visible biases (the means of :math:`v` given :math:`h = 0`).
      c: ``[n_hidden]`` hidden biases.
    """

    W: jax.Array
    b: jax.Array
    c: jax.Array


def _check(fn, rbm, v):
    if not isinstance(rbm, GaussianRBM):
        checks.fail(fn, "rbm", "must be a boltzmann.GaussianRBM(W, b, c)",
                    f"an object of type {type(rbm).__name__}")
    W, b, c = rbm
    checks.check_ndim(fn, "rbm.W", W, 2, "[n_visible, n_hidden]")
    n_v, n_h = np.shape(W)
    checks.check_ndim(fn, "rbm.b", b, 1, f"[n_visible] = [{n_v}]")
    checks.check_size(fn, "rbm.b", b, n_v, what="one bias per visible unit, the rows of W")
    checks.check_ndim(fn, "rbm.c", c, 1, f"[n_hidden] = [{n_h}]")
    checks.check_size(fn, "rbm.c", c, n_h, what="one bias per hidden unit, the columns of W")
    checks.check_ndim(fn, "v", v, (1, 2), f"[n_visible] or [batch, n_visible] = [.., {n_v}]")
    checks.check_size(fn, "v", v, n_v, what="one value per visible unit")
    for name, x in (("rbm.W", W), ("rbm.b", b), ("rbm.c", c), ("v", v)):
        checks.check_finite(fn, name, x)
    dt = working_dtype(W, b, c, v)
    return GaussianRBM(*(jnp.asarray(x, dt) for x in rbm)), jnp.asarray(v, dt)


def gaussian_free_energy(rbm, v):
    r"""The free energy :math:`F(v) = -\ln\sum_h e^{-E(v, h)}` of real visible states.

    .. math:: F(v) = \tfrac12|v|^2 - b^\top v
              - \sum_j\operatorname{softplus}\big(c_j + (W^\top v)_j\big)

    Differentiable in ``v`` and in the parameters (use ``jax.grad``).

    Args:
      rbm: a :class:`GaussianRBM`.
      v: ``[n_visible]`` or ``[batch, n_visible]`` real visible states.

    Returns:
      ``[]`` or ``[batch]`` free energies.

    Raises:
      ValueError: if the shapes disagree or an input is not finite.

    Examples:
      With :math:`W = 0`, :math:`b = 0`, :math:`c = 0` each hidden unit adds
      :math:`-\ln 2`:

      >>> rbm = boltzmann.GaussianRBM(jnp.zeros((2, 3)), jnp.zeros(2), jnp.zeros(3))
      >>> print(f"{float(boltzmann.gaussian_free_energy(rbm, jnp.array([1.0, 1.0]))):.4f}")
      -1.0794
    """
    rbm, v = _check("gaussian_free_energy", rbm, v)
    return _free_energy(rbm, v)


@jax.jit
def _free_energy(rbm, v):
    W, b, c = rbm
    return 0.5 * jnp.sum(v * v, -1) - v @ b - jnp.sum(jax.nn.softplus(v @ W + c), -1)


def gaussian_gibbs_step(key, rbm, v):
    r"""One block-Gibbs sweep :math:`v\to h\to v'` of a Gaussian–Bernoulli RBM.

    Draws :math:`h_j\sim\operatorname{Bernoulli}(\sigma(c_j + (W^\top v)_j))`, then
    :math:`v' = b + Wh + \xi` with :math:`\xi\sim N(0, \mathbb 1)`. Rows of ``v`` are
    independent chains.

    Args:
      key: a JAX PRNG key.
      rbm: a :class:`GaussianRBM`.
      v: ``[n_visible]`` or ``[batch, n_visible]`` real visible states.

    Returns:
      ``v'`` with the shape of ``v``.

    Raises:
      ValueError: as :func:`gaussian_free_energy`.

    Examples:
      With zero weights :math:`v'\sim N(b, \mathbb 1)` whatever :math:`v`:

      >>> rbm = boltzmann.GaussianRBM(jnp.zeros((1, 2)), jnp.ones(1), jnp.zeros(2))
      >>> v1 = boltzmann.gaussian_gibbs_step(jax.random.key(0), rbm, jnp.zeros((20000, 1)))
      >>> print(f"{float(v1.mean()):.1f} {float(v1.std()):.1f}")
      1.0 1.0
    """
    rbm, v = _check("gaussian_gibbs_step", rbm, v)
    return _gibbs(key, rbm, v)


@jax.jit
def _gibbs(key, rbm, v):
    W, b, c = rbm
    k1, k2 = jax.random.split(key)
    ph = jax.nn.sigmoid(v @ W + c)
    h = (jax.random.uniform(k1, ph.shape, ph.dtype) < ph).astype(v.dtype)
    return b + h @ W.T + jax.random.normal(k2, v.shape, v.dtype)
