r"""Exact learning quantities of small Boltzmann machines (by enumeration): the average
log-likelihood of data, its exact gradient :math:`E_{\rm data}[\tau] - E_\theta[\tau]`, and the
natural gradient (the exact gradient preconditioned by the Fisher metric), and the exact
expectation of the contrastive-divergence gradient (through the visible transition matrix of
block Gibbs sampling), so that the bias of CD-k can be measured without sampling noise.

The enumeration and the ordering of parameters and statistics are those of
:mod:`geobook.boltzmann.exact`.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype
from geobook.boltzmann.exact import (enumerate_states, layer_of, log_z_kernel,
                                     moments_kernel, unflatten)
from geobook.boltzmann.rbm import RBM, FullyVisible, check_data, check_model

__all__ = ["log_likelihood", "exact_grad", "natural_grad", "cd_expected_grad"]

#: The most visible units :func:`cd_expected_grad` accepts (a 2^n x 2^n matrix).
MAX_CD_UNITS = 12


def _data_stats(model, data):
    if isinstance(model, FullyVisible):
        iu, ju = np.triu_indices(model.J.shape[0], 1)
        return jnp.concatenate([data.mean(0), (data[:, iu] * data[:, ju]).mean(0)])
    m = jax.nn.sigmoid(data @ model.W + model.c)
    return jnp.concatenate([(data.T @ m).ravel() / data.shape[0], data.mean(0), m.mean(0)])


def _check_model_data(fn, model, data, *, visible=False):
    model = check_model(fn, model)
    if isinstance(model, FullyVisible):
        n, values = model.J.shape[0], (-1, 1)
    else:
        n, values = model.W.shape[0], (0, 1)
    dt = working_dtype(model[0], data)
    data = check_data(fn, "data", data, n, values, dt)
    model = type(model)(*(x.astype(dt) for x in model))
    return model, data, layer_of(model, fn, "model", visible=visible)


def log_likelihood(model, data):
    r"""The exact mean log-likelihood :math:`\frac1N\sum_n \ln p(v_n)` of a data set.

    Args:
      model: an RBM or a FullyVisible machine small enough to enumerate.
      data: ``[n_samples, n]`` visible states in {0, 1} (RBM) or ±1 (FullyVisible).

    Returns:
      A scalar: :math:`-\overline{F(v)} - \ln Z` (RBM) or :math:`-\overline{E(s)} - \ln Z`.

    Raises:
      ValueError: if the model is malformed or too large, or ``data`` has the wrong shape or
        values.

    Examples:
      A uniform model gives :math:`-n\ln 2` to every data set.

      >>> rbm = boltzmann.RBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(2))
      >>> print(f"{float(boltzmann.log_likelihood(rbm, jnp.eye(3))):.5f}")
      -2.07944
    """
    model, data, layer = _check_model_data("log_likelihood", model, data)
    return _loglik(model, data, layer=layer)


@partial(jax.jit, static_argnames=("layer",))
def _loglik(model, data, *, layer):
    if isinstance(model, FullyVisible):
        lw = 0.5 * jnp.einsum("ki,ij,kj->k", data, model.J, data) + data @ model.h
    else:
        W, b, c = model
        lw = data @ b + jnp.sum(jax.nn.softplus(data @ W + c), axis=-1)
    return lw.mean() - log_z_kernel(model, layer=layer)


def exact_grad(model, data):
    r"""The exact gradient of the mean log-likelihood, data minus model moments.

    .. math:: \nabla_\theta\,\frac1N\sum_n\ln p(v_n) = \overline{E[\tau\mid v]}_{\rm data}
              - E_\theta[\tau]

    (Ackley–Hinton–Sejnowski's clamped-minus-free rule), returned in the shape of the
    parameters, as a model of the same type (ascent direction).

    Args:
      model: an RBM or a FullyVisible machine small enough to enumerate.
      data: ``[n_samples, n]`` visible states in {0, 1} (RBM) or ±1 (FullyVisible).

    Returns:
      The gradient as an ``RBM(dW, db, dc)`` or ``FullyVisible(dJ, dh)`` (``dJ`` symmetric,
      zero diagonal: ``dJ[i, j]`` is the derivative with respect to the pair coupling).

    Raises:
      ValueError: as :func:`log_likelihood`.

    References:
      :cite:t:`ackley1985learning`.

    Examples:
      >>> fv = boltzmann.FullyVisible(jnp.zeros((2, 2)), jnp.zeros(2))
      >>> g = boltzmann.exact_grad(fv, jnp.array([[1.0, 1.0]]))
      >>> g.h.tolist(), g.J.tolist()
      ([1.0, 1.0], [[0.0, 1.0], [1.0, 0.0]])
    """
    model, data, layer = _check_model_data("exact_grad", model, data)
    return unflatten(model, _grad(model, data, layer=layer))


@partial(jax.jit, static_argnames=("layer",))
def _grad(model, data, *, layer):
    return _data_stats(model, data) - moments_kernel(model, layer=layer, second=False)[1]


def natural_grad(model, data, *, damping=0.0):
    r"""The natural gradient :math:`I(\theta)^{-1}\nabla_\theta\ell` of the mean log-likelihood.

    For a FullyVisible machine :math:`I = \nabla^2\ln Z = \operatorname{Cov}_\theta[\tau]`, so
    this is Newton's direction for the log-likelihood; for an RBM :math:`I` is the Fisher
    metric of the visible law (``fisher(rbm, visible=True)``). The system
    :math:`(I + \lambda\,\mathbb 1)\,\delta = \nabla\ell` is solved with the symmetric
    pseudo-inverse, so a singular :math:`I` gives the minimum-norm direction.

    Args:
      model: an RBM (at most ``MAX_UNITS`` visible units) or a FullyVisible machine.
      data: ``[n_samples, n]`` visible states in {0, 1} (RBM) or ±1 (FullyVisible).
      damping: :math:`\lambda \ge 0` added to the diagonal of :math:`I`.

    Returns:
      The natural gradient as a model of the same type (ascent direction).

    Raises:
      ValueError: as :func:`log_likelihood`, or if ``damping`` is negative.

    References:
      :cite:t:`amari1998natural`.

    Examples:
      For one spin the natural gradient step of size 1 from :math:`h = 0` lands on
      :math:`\tanh h = \bar s` to first order: :math:`\delta = \bar s / (1 - 0)`.

      >>> fv = boltzmann.FullyVisible(jnp.zeros((1, 1)), jnp.zeros(1))
      >>> data = jnp.array([[1.0], [1.0], [-1.0], [1.0]])      # mean 0.5
      >>> float(boltzmann.natural_grad(fv, data).h[0])
      0.5
    """
    fn = "natural_grad"
    checks.check_positive(fn, "damping", damping, allow_zero=True)
    model, data, layer = _check_model_data(fn, model, data, visible=True)
    return unflatten(model, _natgrad(model, data, jnp.asarray(damping, data.dtype),
                                      layer=layer))


@partial(jax.jit, static_argnames=("layer",))
def _natgrad(model, data, damping, *, layer):
    _, mean, F = moments_kernel(model, layer=layer, second=True)
    g = _data_stats(model, data) - mean          # E_v[E[tau | v]] = E[tau] on every layer
    F = F + damping * jnp.eye(F.shape[0], dtype=F.dtype)
    return jnp.linalg.pinv(F, hermitian=True) @ g


def cd_expected_grad(rbm, data, *, k: int = 1):
    r"""The exact expectation of the CD-k gradient estimate of :func:`cd_step`.

    One block-Gibbs sweep moves the visible law by the transition matrix
    :math:`T(v'\mid v) = \sum_h p(h\mid v)\,p(v'\mid h)`. CD-k starts its chains at the data
    law :math:`q` and scores the statistics
    :math:`\bar\tau(v) = (v\,\sigma(c + W^\top v)^\top, v, \sigma(c + W^\top v))` at
    :math:`v_k\sim qT^k`, so

    .. math:: E[\widehat\nabla_{\rm CD\text{-}k}] = \sum_v q(v)\,\bar\tau(v)
              - \sum_{v'}(qT^k)(v')\,\bar\tau(v'),

    computed here by enumerating the visible and hidden layers. As :math:`k\to\infty`,
    :math:`qT^k\to p(v)` and this tends to :func:`exact_grad`; the difference is the bias
    of CD-k.

    Args:
      rbm: an :class:`~geobook.boltzmann.RBM` with at most ``MAX_CD_UNITS`` (12) visible
        and 12 hidden units.
      data: ``[n_samples, n_visible]`` states in {0, 1}.
      k: Gibbs sweeps of the negative phase (static, >= 1).

    Returns:
      The expected gradient as an ``RBM(dW, db, dc)`` (ascent direction, the layout of
      :func:`exact_grad`).

    Raises:
      ValueError: if the RBM is malformed or too large, ``data`` has the wrong shape or
        values, or ``k`` is not a positive int.

    References:
      :cite:t:`hinton2002cd`.

    Examples:
      With zero weights one sweep already reaches the model law, so CD-1 is exact.

      >>> rbm = boltzmann.RBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(2))
      >>> d = jnp.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
      >>> g1 = boltzmann.cd_expected_grad(rbm, d, k=1)
      >>> print(f"{float(jnp.abs(g1.b - boltzmann.exact_grad(rbm, d).b).max()):.6f}")
      0.000000
    """
    fn = "cd_expected_grad"
    checks.check_int(fn, "k", k)
    if not isinstance(rbm, RBM):
        checks.fail(fn, "rbm", "must be a boltzmann.RBM(W, b, c)",
                    f"an object of type {type(rbm).__name__}")
    rbm, data, _ = _check_model_data(fn, rbm, data)
    for arg, n in (("rbm.W (rows: visible units)", rbm.W.shape[0]),
                   ("rbm.W (columns: hidden units)", rbm.W.shape[1])):
        if n > MAX_CD_UNITS:
            checks.fail(fn, arg, f"must have at most {MAX_CD_UNITS} units (the transition "
                        "matrix has 2^n x 2^n entries); use cd_step to sample instead", n)
    return _cd_expected(rbm, data, k=k)


@partial(jax.jit, static_argnames=("k",))
def _cd_expected(rbm, data, *, k):
    W, b, c = rbm
    n_v, n_h = W.shape
    V = enumerate_states(n_v, dtype=W.dtype)
    H = enumerate_states(n_h, dtype=W.dtype)

    def layer_law(means, states):          # p(states | ·) for factorised Bernoulli means
        return jnp.prod(jnp.where(states[None] > 0, means[:, None, :],
                                  1 - means[:, None, :]), axis=-1)
    T = layer_law(jax.nn.sigmoid(V @ W + c), H) @ layer_law(jax.nn.sigmoid(H @ W.T + b), V)
    code = (data @ (2.0 ** jnp.arange(n_v - 1, -1, -1))).astype(jnp.int32)
    q = jnp.zeros(2 ** n_v, W.dtype).at[code].add(1.0 / data.shape[0])
    qk = jax.lax.fori_loop(0, k, lambda _, x: x @ T, q)
    m = jax.nn.sigmoid(V @ W + c)
    stats = jnp.concatenate([(V[:, :, None] * m[:, None, :]).reshape(2 ** n_v, -1), V, m], 1)
    return unflatten(rbm, _data_stats(rbm, data) - qk @ stats)
