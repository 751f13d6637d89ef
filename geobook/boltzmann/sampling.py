r"""Block Gibbs sampling and learning by contrastive divergence (CD-k, PCD) for RBMs.

The chain axis (rows of ``v0``, of a minibatch, of the persistent chains) is an ensemble
axis: every row evolves independently and can be sharded over devices with
``jax.sharding``. :func:`fit` reproduces scikit-learn's ``BernoulliRBM`` minibatch scheme
(same initialisation, same batches, same update), so the two can be swapped.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype
from geobook.boltzmann.rbm import RBM, check_data, check_rbm

__all__ = ["gibbs_chain", "CDStep", "cd_step", "PCDStep", "pcd_step", "FitResult", "fit"]


def _bernoulli(key, p):
    return (jax.random.uniform(key, p.shape, p.dtype) < p).astype(p.dtype)


def _p_h(rbm, v):
    return jax.nn.sigmoid(v @ rbm.W + rbm.c)


def _p_v(rbm, h):
    return jax.nn.sigmoid(h @ rbm.W.T + rbm.b)


def gibbs_chain(key, rbm, v0, *, n_steps: int):
    r"""Run block-Gibbs chains of an RBM: ``n_steps`` sweeps :math:`v \to h \to v`.

    Each sweep draws :math:`h \sim p(h\mid v) = \prod_j\sigma(c_j + (v^\top W)_j)` and then
    :math:`v \sim p(v\mid h)`. Rows of ``v0`` are independent chains (shardable).

    Args:
      key: a JAX PRNG key.
      rbm: an :class:`~geobook.boltzmann.RBM`.
      v0: initial visible states ``[n_chains, n_visible]`` in {0, 1}.
      n_steps: number of full sweeps (static, >= 1).

    Returns:
      The visible states after ``n_steps`` sweeps, ``[n_chains, n_visible]``, in the working
      dtype.

    Raises:
      ValueError: if ``rbm`` is malformed, ``v0`` is not ``[n_chains, n_visible]`` in {0, 1},
        or ``n_steps`` is not a positive int.

    Examples:
      Strong positive biases switch every unit on:

      >>> rbm = boltzmann.RBM(jnp.zeros((3, 2)), jnp.full(3, 30.0), jnp.zeros(2))
      >>> v = boltzmann.gibbs_chain(jax.random.key(0), rbm, jnp.zeros((2, 3)), n_steps=1)
      >>> v.tolist()
      [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    fn = "gibbs_chain"
    rbm = check_rbm(fn, rbm)
    checks.check_int(fn, "n_steps", n_steps)
    dt = working_dtype(rbm.W, v0)
    v0 = check_data(fn, "v0", v0, rbm.W.shape[0], (0, 1), dt)
    return _gibbs(key, RBM(*(x.astype(dt) for x in rbm)), v0, n_steps=n_steps)


@partial(jax.jit, static_argnames=("n_steps",))
def _gibbs(key, rbm, v0, *, n_steps):
    def sweep(v, k):
        k1, k2 = jax.random.split(k)
        h = _bernoulli(k1, _p_h(rbm, v))
        return _bernoulli(k2, _p_v(rbm, h)), None
    v, _ = jax.lax.scan(sweep, v0, jax.random.split(key, n_steps))
    return v


class CDStep(NamedTuple):
    """Result of one CD-k update.

    Attributes:
      rbm: the updated RBM, ``rbm + learning_rate * grad``.
      grad: the CD-k estimate of the log-likelihood gradient, as an ``RBM(dW, db, dc)``.
    """
    rbm: RBM
    grad: RBM


class PCDStep(NamedTuple):
    """Result of one persistent-CD update.

    Attributes:
      rbm: the updated RBM, ``rbm + learning_rate * grad``.
      chain: the persistent hidden states after the update ``[n_chains, n_hidden]``.
      grad: the PCD estimate of the log-likelihood gradient, as an ``RBM(dW, db, dc)``.
    """
    rbm: RBM
    chain: jax.Array
    grad: RBM


def _stats(v, ph, weight):
    """Weighted sums of (v phᵀ, v, ph) over rows."""
    return RBM((v * weight[:, None]).T @ ph, weight @ v, weight @ ph)


def _negative(key, rbm, h, k):
    """k half-sweeps h -> v -> h from hidden states h; returns (v_k, p(h|v_k), h_k)."""
    def body(h, kk):
        k1, k2 = jax.random.split(kk)
        v = _bernoulli(k1, _p_v(rbm, h))
        ph = _p_h(rbm, v)
        return _bernoulli(k2, ph), (v, ph)
    h, (v, ph) = jax.lax.scan(body, h, jax.random.split(key, k))
    return v[-1], ph[-1], h


def _update(rbm, pos, neg, n_pos, lr):
    g = RBM(*((p - q) / n_pos for p, q in zip(pos, neg)))
    return RBM(*(x + lr * d for x, d in zip(rbm, g))), g


@partial(jax.jit, static_argnames=("k",))
def _cd(key, rbm, v, lr, *, k):
    k0, k1 = jax.random.split(key)
    ph = _p_h(rbm, v)
    vk, phk, _ = _negative(k1, rbm, _bernoulli(k0, ph), k)
    ones = jnp.ones(v.shape[0], v.dtype)
    return CDStep(*_update(rbm, _stats(v, ph, ones), _stats(vk, phk, ones), v.shape[0], lr))


@partial(jax.jit, static_argnames=("k",))
def _pcd(key, rbm, v, h, lr, mask, *, k):
    """scikit-learn's update: positive phase over the (masked) batch rows, negative phase
    over all persistent chains, both divided by the number of data rows."""
    vk, phk, hk = _negative(key, rbm, h, k)
    pos = _stats(v, _p_h(rbm, v), mask)
    neg = _stats(vk, phk, jnp.ones(h.shape[0], v.dtype))
    new, g = _update(rbm, pos, neg, jnp.sum(mask), lr)
    return PCDStep(new, hk, g)


def _check_step(fn, rbm, v, k, learning_rate):
    rbm = check_rbm(fn, rbm)
    checks.check_int(fn, "k", k)
    checks.check_positive(fn, "learning_rate", learning_rate)
    dt = working_dtype(rbm.W, v)
    v = check_data(fn, "v", v, rbm.W.shape[0], (0, 1), dt)
    return RBM(*(x.astype(dt) for x in rbm)), v, jnp.asarray(learning_rate, dt)


def cd_step(key, rbm, v, *, k: int = 1, learning_rate=0.1) -> CDStep:
    r"""One contrastive-divergence (CD-k) update on a minibatch.

    Chains start at the data: :math:`h_0\sim p(h\mid v)`, then ``k`` sweeps
    :math:`v_i\sim p(v\mid h_{i-1}),\ h_i\sim p(h\mid v_i)`. The gradient estimate uses the
    hidden *probabilities* (as scikit-learn does),

    .. math:: \widehat{\nabla}_W = \tfrac1B\textstyle\sum_n\big(v_n\,\sigma(c + W^\top v_n)^\top
              - v_{k,n}\,\sigma(c + W^\top v_{k,n})^\top\big),

    and likewise for the biases. Its bias with respect to :func:`exact_grad` shrinks as ``k``
    grows :cite:p:`hinton2002cd`.

    Args:
      key: a JAX PRNG key.
      rbm: an :class:`~geobook.boltzmann.RBM`.
      v: the minibatch ``[batch, n_visible]`` in {0, 1} (rows are chains; shardable).
      k: Gibbs sweeps of the negative phase (static, >= 1).
      learning_rate: step size > 0 (traced).

    Returns:
      :class:`CDStep` ``(rbm, grad)``.

    Raises:
      ValueError: if ``rbm`` is malformed, ``v`` is not ``[batch, n_visible]`` in {0, 1},
        ``k`` is not a positive int or ``learning_rate`` is not > 0.

    Examples:
      >>> rbm = boltzmann.RBM(jnp.zeros((2, 1)), jnp.zeros(2), jnp.zeros(1))
      >>> out = boltzmann.cd_step(jax.random.key(0), rbm, jnp.ones((500, 2)), k=1)
      >>> print(f"{float(out.grad.b.mean()):.1f}")    # data mean 1, model mean 1/2
      0.5
    """
    rbm, v, lr = _check_step("cd_step", rbm, v, k, learning_rate)
    return _cd(key, rbm, v, lr, k=k)


def pcd_step(key, rbm, v, chain, *, k: int = 1, learning_rate=0.1) -> PCDStep:
    r"""One persistent-CD (stochastic maximum likelihood) update, scikit-learn's scheme.

    The negative phase continues the persistent hidden states ``chain`` for ``k`` sweeps
    :math:`v\sim p(v\mid h),\ h\sim p(h\mid v)` instead of restarting at the data
    :cite:p:`tieleman2008pcd`. Positive statistics are summed over the minibatch, negative
    ones over the chains, and both are divided by the minibatch size — exactly
    ``BernoulliRBM._fit`` for ``k = 1``.

    Args:
      key: a JAX PRNG key.
      rbm: an :class:`~geobook.boltzmann.RBM`.
      v: the minibatch ``[batch, n_visible]`` in {0, 1}.
      chain: the persistent hidden states ``[n_chains, n_hidden]`` in {0, 1} (shardable).
      k: Gibbs sweeps per update (static, >= 1).
      learning_rate: step size > 0 (traced).

    Returns:
      :class:`PCDStep` ``(rbm, chain, grad)``.

    Raises:
      ValueError: as :func:`cd_step`, and if ``chain`` is not ``[n_chains, n_hidden]`` in
        {0, 1}.

    Examples:
      >>> rbm = boltzmann.RBM(jnp.zeros((2, 1)), jnp.zeros(2), jnp.zeros(1))
      >>> out = boltzmann.pcd_step(jax.random.key(0), rbm, jnp.ones((4, 2)), jnp.zeros((4, 1)))
      >>> out.chain.shape, out.rbm.W.shape
      ((4, 1), (2, 1))
    """
    fn = "pcd_step"
    rbm, v, lr = _check_step(fn, rbm, v, k, learning_rate)
    chain = check_data(fn, "chain", chain, rbm.W.shape[1], (0, 1), v.dtype)
    return _pcd(key, rbm, v, chain, lr, jnp.ones(v.shape[0], v.dtype), k=k)


class FitResult(NamedTuple):
    """Result of :func:`fit`, a time evolution over epochs.

    Attributes:
      rbm: the trained RBM.
      path: the RBM after every epoch, stacked: an ``RBM`` whose arrays have a leading axis
        of ``n_epochs + 1`` (the initial RBM first).
      t: the epochs of the rows of ``path``, ``0 … n_epochs``.
      chain: the persistent hidden states at the end ``[batch_size, n_hidden]`` (the last
        negative-phase hidden states when ``persistent=False``).
    """
    rbm: RBM
    path: RBM
    t: jax.Array
    chain: jax.Array


def fit(key, data, n_hidden: int, *, n_epochs: int, batch_size: int = 10, learning_rate=0.1,
        k: int = 1, persistent: bool = True, rbm0: Optional[RBM] = None) -> FitResult:
    r"""Train an RBM by (persistent) CD-k with scikit-learn ``BernoulliRBM``'s scheme.

    The scheme of ``BernoulliRBM.fit``: ``W ~ N(0, 0.01²)``, zero biases, ``batch_size``
    persistent hidden chains starting at zero; every epoch visits the minibatches of
    ``gen_even_slices`` in the data's order (no shuffling; ``ceil(n / batch_size)`` batches,
    the last one possibly shorter) and applies :func:`pcd_step` to each. With
    ``persistent=False`` each minibatch uses :func:`cd_step` instead. The whole run is one
    compiled loop.

    Args:
      key: a JAX PRNG key (initial weights and all Gibbs sampling).
      data: training data ``[n_samples, n_visible]`` in {0, 1}.
      n_hidden: number of hidden units (static).
      n_epochs: number of passes over the data (static, >= 1).
      batch_size: minibatch size and number of persistent chains (static, >= 1).
      learning_rate: step size > 0 (scikit-learn's ``learning_rate``).
      k: Gibbs sweeps per update (static, >= 1; scikit-learn uses 1).
      persistent: PCD (True, scikit-learn's choice) or CD-k restarted at the data (False).
      rbm0: start from this RBM instead of the random initialisation.

    Returns:
      :class:`FitResult` ``(rbm, path, t, chain)``; ``rbm.W.T`` is scikit-learn's
      ``components_``, ``rbm.b`` its ``intercept_visible_``, ``rbm.c`` its
      ``intercept_hidden_``.

    Raises:
      ValueError: if ``data`` is not ``[n_samples, n_visible]`` in {0, 1}, an integer
        argument is not a positive int, ``learning_rate`` is not > 0, or ``rbm0`` is
        malformed or does not match ``data`` and ``n_hidden``.

    References:
      :cite:t:`tieleman2008pcd`, :cite:t:`hinton2002cd`.

    Examples:
      Two patterns, two hidden units: the trained model puts most mass on them.

      >>> data = jnp.array([[1, 1, 0, 0], [0, 0, 1, 1]] * 20, jnp.float32)
      >>> res = boltzmann.fit(jax.random.key(0), data, 2, n_epochs=200, learning_rate=0.1)
      >>> p = boltzmann.marginals(res.rbm)
      >>> print(float(p[0b1100] + p[0b0011]) > 0.5, res.path.W.shape)
      True (201, 4, 2)
    """
    fn = "fit"
    checks.check_int(fn, "n_hidden", n_hidden)
    checks.check_int(fn, "n_epochs", n_epochs)
    checks.check_int(fn, "batch_size", batch_size)
    checks.check_int(fn, "k", k)
    checks.check_positive(fn, "learning_rate", learning_rate)
    if not isinstance(persistent, (bool, np.bool_)):
        checks.fail(fn, "persistent", "must be True or False", persistent)
    checks.check_ndim(fn, "data", data, 2, "[n_samples, n_visible]")
    n_v = np.shape(data)[1]
    dt = working_dtype(data)
    data = check_data(fn, "data", data, n_v, (0, 1), dt)
    k_init, k_run = jax.random.split(key)
    if rbm0 is None:
        rbm0 = RBM(0.01 * jax.random.normal(k_init, (n_v, n_hidden), dt),
                   jnp.zeros(n_v, dt), jnp.zeros(n_hidden, dt))
    else:
        rbm0 = check_rbm(fn, rbm0, "rbm0")
        if rbm0.W.shape != (n_v, n_hidden):
            checks.fail(fn, "rbm0.W", f"must have shape [n_visible, n_hidden] = "
                        f"[{n_v}, {n_hidden}]", f"an array of shape {rbm0.W.shape}")
        rbm0 = RBM(*(x.astype(dt) for x in rbm0))
    n = data.shape[0]
    n_batches = -(-n // batch_size)
    sizes = [sl.stop - sl.start for sl in _even_slices(n_batches * batch_size, n_batches, n)]
    rows = np.zeros((n_batches, batch_size), np.int32)
    mask = np.zeros((n_batches, batch_size), np.float64)
    start = 0
    for i, s in enumerate(sizes):
        rows[i, :s] = np.arange(start, start + s)
        mask[i, :s] = 1.0
        start += s
    batches = data[jnp.asarray(rows)]
    return _fit(k_run, rbm0, batches, jnp.asarray(mask, dt), jnp.asarray(learning_rate, dt),
                n_epochs=n_epochs, k=k, persistent=bool(persistent))


def _even_slices(n, n_packs, n_samples):
    """scikit-learn's ``gen_even_slices(n, n_packs, n_samples=n_samples)``."""
    start = 0
    for pack in range(n_packs):
        this_n = n // n_packs + (1 if pack < n % n_packs else 0)
        if this_n > 0:
            end = min(n_samples, start + this_n)
            yield slice(start, end)
            start = end


@partial(jax.jit, static_argnames=("n_epochs", "k", "persistent"))
def _fit(key, rbm0, batches, mask, lr, *, n_epochs, k, persistent):
    n_batches, B, _ = batches.shape
    h0 = jnp.zeros((B, rbm0.W.shape[1]), batches.dtype)

    def minibatch(carry, xs):
        rbm, h = carry
        kk, v, m = xs
        if persistent:
            out = _pcd(kk, rbm, v, h, lr, m, k=k)
            return (out.rbm, out.chain), None
        k0, k1 = jax.random.split(kk)
        ph = _p_h(rbm, v)
        vk, phk, hk = _negative(k1, rbm, _bernoulli(k0, ph), k)
        new, _ = _update(rbm, _stats(v, ph, m), _stats(vk, phk, m), jnp.sum(m), lr)
        return (new, hk), None

    def epoch(carry, ke):
        carry, _ = jax.lax.scan(minibatch, carry, (jax.random.split(ke, n_batches), batches,
                                                   mask))
        return carry, carry[0]

    (rbm, h), path = jax.lax.scan(epoch, (rbm0, h0), jax.random.split(key, n_epochs))
    path = RBM(*(jnp.concatenate([a[None], p]) for a, p in zip(rbm0, path)))
    return FitResult(rbm, path, jnp.arange(n_epochs + 1), h)
