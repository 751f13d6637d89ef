r"""Annealed importance sampling (AIS) of the partition function of an RBM.

Salakhutdinov & Murray's scheme: anneal from a *base-rate* RBM with zero couplings,
visible biases :math:`b_A` and zero hidden biases (so :math:`\ln Z_A = n_h\ln2 +
\sum_i\operatorname{softplus}(b_{A,i})` exactly), through the unnormalised visible laws

.. math:: p_\beta^*(v) = e^{(1-\beta)\,b_A^\top v + \beta\,b^\top v}
          \prod_j\big(1 + e^{\beta(c_j + (v^\top W)_j)}\big),

with one block-Gibbs transition that leaves :math:`p_\beta` invariant at every
:math:`\beta`. The importance weights are
:math:`\ln w = \sum_k \ln p^*_{\beta_k}(v_k) - \ln p^*_{\beta_{k-1}}(v_k)` and
:math:`\widehat Z = Z_A\,\overline{w}`. The chains are an ensemble axis.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook.boltzmann.rbm import check_rbm

__all__ = ["AISResult", "ais_log_partition"]


class AISResult(NamedTuple):
    r"""An AIS estimate of :math:`\ln Z`.

    Attributes:
      log_z: the estimate :math:`\ln\widehat Z = \ln Z_A + \ln\overline{w}`.
      stderr: its standard error by the delta method,
        :math:`\operatorname{sd}(w)/(\sqrt{n_{\rm chains}}\;\overline{w})`.
      log_w: the log importance weights of the chains ``[n_chains]``.
    """
    log_z: jax.Array
    stderr: jax.Array
    log_w: jax.Array


def ais_log_partition(key, rbm, *, n_chains: int, n_betas: int,
                      base_bias=None) -> AISResult:
    r"""Estimate :math:`\ln Z` of an RBM by annealed importance sampling.

    The inverse temperatures are ``linspace(0, 1, n_betas)``. The estimator of ``Z`` is
    unbiased, so :math:`\ln\widehat Z` is biased *low* (by about ``stderr²/2`` when the
    weights are well behaved); the reported ``stderr`` is meaningful only when the weights
    are not dominated by a few chains — increase ``n_betas`` until it is small.

    Args:
      key: a JAX PRNG key.
      rbm: an :class:`~geobook.boltzmann.RBM` of any size.
      n_chains: number of independent AIS runs (static, >= 2).
      n_betas: number of inverse temperatures including 0 and 1 (static, >= 2).
      base_bias: visible biases :math:`b_A` ``[n_visible]`` of the base-rate model; the
        usual choice is the logit of the training data's pixel means. None uses the RBM's
        own visible biases ``b``.

    Returns:
      :class:`AISResult` ``(log_z, stderr, log_w)``.

    Raises:
      ValueError: if ``rbm`` is malformed, ``n_chains`` or ``n_betas`` is not an int >= 2,
        or ``base_bias`` is not a finite ``[n_visible]`` vector.

    References:
      :cite:t:`neal2001ais`, :cite:t:`salakhutdinov2008ais`.

    Examples:
      Without couplings the base-rate model *is* the RBM, and AIS is exact:

      >>> rbm = boltzmann.RBM(jnp.zeros((6, 4)), jnp.linspace(-1, 1, 6), jnp.zeros(4))
      >>> res = boltzmann.ais_log_partition(jax.random.key(0), rbm, n_chains=16, n_betas=10)
      >>> print(f"{float(res.log_z):.4f}", f"{float(boltzmann.log_partition(rbm)):.4f}",
      ...       f"{float(res.stderr):.1f}")
      7.2704 7.2704 0.0
    """
    fn = "ais_log_partition"
    rbm = check_rbm(fn, rbm)
    checks.check_int(fn, "n_chains", n_chains, minimum=2)
    checks.check_int(fn, "n_betas", n_betas, minimum=2)
    dt = rbm.W.dtype
    if base_bias is None:
        base_bias = rbm.b
    else:
        checks.check_ndim(fn, "base_bias", base_bias, 1, "[n_visible]")
        checks.check_size(fn, "base_bias", base_bias, rbm.W.shape[0],
                          what="one bias per visible unit")
        checks.check_finite(fn, "base_bias", base_bias)
        base_bias = jnp.asarray(base_bias, dt)
    return _ais(key, rbm, base_bias, n_chains=n_chains, n_betas=n_betas)


def _log_p_star(rbm, bA, beta, v):
    return ((1 - beta) * (v @ bA) + beta * (v @ rbm.b)
            + jnp.sum(jax.nn.softplus(beta * (v @ rbm.W + rbm.c)), axis=-1))


@partial(jax.jit, static_argnames=("n_chains", "n_betas"))
def _ais(key, rbm, bA, *, n_chains, n_betas):
    dt = rbm.W.dtype
    n_v, n_h = rbm.W.shape
    betas = jnp.linspace(0.0, 1.0, n_betas, dtype=dt)
    k0, k1 = jax.random.split(key)
    v = (jax.random.uniform(k0, (n_chains, n_v), dt) < jax.nn.sigmoid(bA)).astype(dt)

    def step(carry, xs):
        v, lw = carry
        b_prev, b_next, kk = xs
        lw = lw + _log_p_star(rbm, bA, b_next, v) - _log_p_star(rbm, bA, b_prev, v)
        k_h, k_v = jax.random.split(kk)
        ph = jax.nn.sigmoid(b_next * (v @ rbm.W + rbm.c))
        h = (jax.random.uniform(k_h, ph.shape, dt) < ph).astype(dt)
        pv = jax.nn.sigmoid((1 - b_next) * bA + b_next * (h @ rbm.W.T + rbm.b))
        v = (jax.random.uniform(k_v, pv.shape, dt) < pv).astype(dt)
        return (v, lw), None

    keys = jax.random.split(k1, n_betas - 1)
    (v, lw), _ = jax.lax.scan(step, (v, jnp.zeros(n_chains, dt)),
                              (betas[:-1], betas[1:], keys))
    log_za = n_h * jnp.log(jnp.asarray(2.0, dt)) + jnp.sum(jax.nn.softplus(bA))
    m = jnp.max(lw)
    w = jnp.exp(lw - m)
    mean_w = jnp.mean(w)
    stderr = jnp.std(w, ddof=1) / (jnp.sqrt(jnp.asarray(n_chains, dt)) * mean_w)
    return AISResult(log_za + m + jnp.log(mean_w), stderr, lw)
