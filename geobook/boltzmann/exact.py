r"""Exact quantities of small Boltzmann machines by chunked enumeration.

Every sum over states is taken in chunks of at most ``2**14`` states inside one compiled
loop, with a running log-sum-exp, so nothing overflows (float64 recommended). For an RBM
the enumeration runs over the *smaller* layer, the other being summed analytically
(:math:`\sum_h e^{-E(v,h)} = e^{-F(v)}`): an RBM with 64 visible and 20 hidden units is
exact. At most :data:`MAX_UNITS` units are enumerated; beyond that use
:func:`~geobook.boltzmann.ais_log_partition`.

The sufficient statistics :math:`\tau` and the natural parameters :math:`\theta` are ordered as

* RBM: :math:`\theta = (\operatorname{vec} W, b, c)` with ``W`` flattened row by row,
  :math:`\tau = (\operatorname{vec}(v h^\top), v, h)`;
* FullyVisible: :math:`\theta = (h, J_{ij})_{i<j}` with the pairs in ``np.triu_indices(n, 1)``
  order, :math:`\tau = (s, s_is_j)_{i<j}`.

Then :math:`\ln Z(\theta)` is convex, :math:`\nabla\ln Z = E_\theta[\tau]` and
:math:`\nabla^2\ln Z = \operatorname{Cov}_\theta[\tau]` (the Fisher metric of the joint law).
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook.boltzmann.rbm import (RBM, FullyVisible, check_model,
                                   hidden_free_energy)

__all__ = ["MAX_UNITS", "enumerate_states", "log_partition", "marginals", "exact_moments",
           "fisher"]

#: The most units an exact sum enumerates (2**24 states); beyond it use AIS.
MAX_UNITS = 24
_CHUNK = 2 ** 14


# ------------------------------------------------------------------------------------------
# states and the generic enumeration kernel
# ------------------------------------------------------------------------------------------

def _bits(idx, n, dtype):
    """Big-endian bits of ``idx``: unit 0 is the most significant (itertools.product order)."""
    shifts = jnp.arange(n - 1, -1, -1, dtype=idx.dtype)
    return ((idx[:, None] >> shifts) & 1).astype(dtype)


def enumerate_states(n: int, *, spins: bool = False, dtype=None):
    """All ``2**n`` states of ``n`` binary units, in the order :func:`marginals` uses.

    State ``k`` has unit ``i`` equal to bit ``n - 1 - i`` of ``k`` (unit 0 most significant),
    the order of ``itertools.product((0, 1), repeat=n)``.

    Args:
      n: number of units, 1 to :data:`MAX_UNITS`.
      spins: return ±1 spins (``2·bit − 1``) instead of {0, 1}.
      dtype: the dtype of the result (default: JAX's default float).

    Returns:
      ``[2**n, n]`` array.

    Raises:
      ValueError: if ``n`` is not an int in 1 … :data:`MAX_UNITS`.

    Examples:
      >>> boltzmann.enumerate_states(2).astype(int).tolist()
      [[0, 0], [0, 1], [1, 0], [1, 1]]
      >>> boltzmann.enumerate_states(1, spins=True).astype(int).tolist()
      [[-1], [1]]
    """
    checks.check_int("enumerate_states", "n", n)
    if n > MAX_UNITS:
        checks.fail("enumerate_states", "n", f"must be <= {MAX_UNITS} (2^n states are built)",
                    n)
    dtype = dtype or jnp.result_type(float)
    x = _bits(jnp.arange(2 ** n, dtype=jnp.int32), n, dtype)
    return 2 * x - 1 if spins else x


def _check_enumerable(fn, arg, k, what):
    if k > MAX_UNITS:
        raise ValueError(
            f"{fn}: `{arg}` needs an exact sum over 2^{k} states ({what}); exact enumeration "
            f"is limited to {MAX_UNITS} units — estimate ln Z with "
            f"boltzmann.ais_log_partition instead; got {k} units.")


def _chunking(k, width):
    """A power-of-two chunk (<= 2**k) keeping chunk * width around 2**21 entries at most."""
    c = min(2 ** k, _CHUNK, max(1, 2 ** 21 // max(width, 1)))
    c = 1 << (c.bit_length() - 1)
    return c, 2 ** k // c


def _scan_chunks(f, init, k, chunk, n_chunks):
    def body(carry, i):
        idx = i * chunk + jnp.arange(chunk, dtype=jnp.int32)
        return f(carry, idx), None
    out, _ = jax.lax.scan(body, init, jnp.arange(n_chunks, dtype=jnp.int32))
    return out


def _logsumexp_chunks(lw_fn, k, chunk, n_chunks, dtype):
    def f(carry, idx):
        m, s = carry
        lw = lw_fn(idx)
        m_new = jnp.maximum(m, jnp.max(lw))
        return m_new, s * jnp.exp(m - m_new) + jnp.sum(jnp.exp(lw - m_new))
    m, s = _scan_chunks(f, (jnp.array(-jnp.inf, dtype), jnp.zeros((), dtype)), k, chunk,
                        n_chunks)
    return m + jnp.log(s)


# ------------------------------------------------------------------------------------------
# per-model pieces: log-weights, conditional means of the statistics, conditional covariances
# ------------------------------------------------------------------------------------------

def _pieces(model, layer):
    """(k, lw(idx), mu(idx) -> [chunk, P], P, ccov) for the enumerated ``layer``.

    ``layer`` is "spins" (FullyVisible), "v" or "h" (RBM, joint law), or "visible" (the RBM's
    visible law with E[tau | v] as statistic, no conditional covariance).
    """
    if isinstance(model, FullyVisible):
        J, hf = model
        n = J.shape[0]
        iu, ju = np.triu_indices(n, 1)

        def states(idx):
            return 2 * _bits(idx, n, J.dtype) - 1

        def lw(idx):
            s = states(idx)
            return 0.5 * jnp.einsum("ki,ij,kj->k", s, J, s) + s @ hf

        def mu(idx):
            s = states(idx)
            return jnp.concatenate([s, s[:, iu] * s[:, ju]], axis=1)
        return n, lw, mu, n + len(iu), None

    W, b, c = model
    n_v, n_h = W.shape
    P = n_v * n_h + n_v + n_h
    if layer in ("v", "visible"):
        def lw(idx):
            v = _bits(idx, n_v, W.dtype)
            return (v @ b) + jnp.sum(jax.nn.softplus(v @ W + c), axis=-1)

        def mu(idx):
            v = _bits(idx, n_v, W.dtype)
            m = jax.nn.sigmoid(v @ W + c)
            return jnp.concatenate([(v[:, :, None] * m[:, None, :]).reshape(len(idx), -1),
                                    v, m], axis=1)

        def ccov(idx, p):
            v = _bits(idx, n_v, W.dtype)
            m = jax.nn.sigmoid(v @ W + c)
            vt = jnp.concatenate([v, jnp.ones_like(v[:, :1])], axis=1)
            return jnp.einsum("k,kj,ka,kb->jab", p, m * (1 - m), vt, vt)
        rows = np.concatenate([np.arange(n_v)[None, :] * n_h + np.arange(n_h)[:, None],
                               (n_v * n_h + n_v + np.arange(n_h))[:, None]], axis=1)
        return n_v, lw, mu, P, (None if layer == "visible" else (ccov, rows))

    def lw(idx):
        return -hidden_free_energy(model, _bits(idx, n_h, W.dtype))

    def mu(idx):
        h = _bits(idx, n_h, W.dtype)
        m = jax.nn.sigmoid(h @ W.T + b)
        return jnp.concatenate([(m[:, :, None] * h[:, None, :]).reshape(len(idx), -1),
                                m, h], axis=1)

    def ccov(idx, p):
        h = _bits(idx, n_h, W.dtype)
        m = jax.nn.sigmoid(h @ W.T + b)
        ht = jnp.concatenate([h, jnp.ones_like(h[:, :1])], axis=1)
        return jnp.einsum("k,ki,ka,kb->iab", p, m * (1 - m), ht, ht)
    rows = np.concatenate([np.arange(n_v)[:, None] * n_h + np.arange(n_h)[None, :],
                           (n_v * n_h + np.arange(n_v))[:, None]], axis=1)
    return n_h, lw, mu, P, (ccov, rows)


def layer_of(model, fn, arg, *, visible=False):
    """Which layer to enumerate, with the size check."""
    if isinstance(model, FullyVisible):
        _check_enumerable(fn, arg, model.J.shape[0], "all spin states")
        return "spins"
    n_v, n_h = model.W.shape
    if visible:
        _check_enumerable(fn, arg, n_v, "all visible states")
        return "visible"
    k = min(n_v, n_h)
    _check_enumerable(fn, arg, k, "the smaller layer, min(n_visible, n_hidden)")
    return "h" if n_h <= n_v else "v"


@partial(jax.jit, static_argnames=("layer",))
def log_z_kernel(model, *, layer):
    k, lw, _, P, _ = _pieces(model, layer)
    chunk, n_chunks = _chunking(k, max(model[0].shape))
    return _logsumexp_chunks(lw, k, chunk, n_chunks, model[0].dtype)


@partial(jax.jit, static_argnames=("layer", "second"))
def moments_kernel(model, *, layer, second):
    """(log Z, mean of tau, covariance of tau or None)."""
    k, lw, mu, P, cc = _pieces(model, layer)
    dtype = model[0].dtype
    chunk, n_chunks = _chunking(k, P)
    logz = _logsumexp_chunks(lw, k, chunk, n_chunks, dtype)

    def f_mean(acc, idx):
        return acc + jnp.exp(lw(idx) - logz) @ mu(idx)
    mean = _scan_chunks(f_mean, jnp.zeros((P,), dtype), k, chunk, n_chunks)
    if not second:
        return logz, mean, None

    def f_cov(acc, idx):
        C, T = acc
        p = jnp.exp(lw(idx) - logz)
        d = mu(idx) - mean
        C = C + (d * p[:, None]).T @ d
        if cc is not None:
            T = T + cc[0](idx, p)
        return C, T
    T0 = jnp.zeros((), dtype) if cc is None else jnp.zeros(
        (cc[1].shape[0], cc[1].shape[1], cc[1].shape[1]), dtype)
    C, T = _scan_chunks(f_cov, (jnp.zeros((P, P), dtype), T0), k, chunk, n_chunks)
    if cc is not None:
        rows = cc[1]
        C = C.at[rows[:, :, None], rows[:, None, :]].add(T)
    return logz, mean, 0.5 * (C + C.T)


def unflatten(model, theta):
    if isinstance(model, FullyVisible):
        n = model.J.shape[0]
        iu, ju = np.triu_indices(n, 1)
        J = jnp.zeros((n, n), theta.dtype).at[iu, ju].set(theta[n:])
        return FullyVisible(J + J.T, theta[:n])
    n_v, n_h = model.W.shape
    return RBM(theta[:n_v * n_h].reshape(n_v, n_h), theta[n_v * n_h:n_v * n_h + n_v],
               theta[n_v * n_h + n_v:])


def flatten(model):
    if isinstance(model, FullyVisible):
        iu, ju = np.triu_indices(model.J.shape[0], 1)
        return jnp.concatenate([model.h, model.J[iu, ju]])
    return jnp.concatenate([model.W.ravel(), model.b, model.c])


# ------------------------------------------------------------------------------------------
# public functions
# ------------------------------------------------------------------------------------------

def log_partition(model):
    r"""The exact log-partition function :math:`\ln Z` of a Boltzmann machine.

    For an :class:`~geobook.boltzmann.RBM`,
    :math:`\ln Z = \ln\sum_{v,h} e^{v^\top Wh + b^\top v + c^\top h}`, summed over the smaller
    layer (the other analytically); for a :class:`~geobook.boltzmann.FullyVisible` machine,
    :math:`\ln\sum_s e^{s^\top Js/2 + h^\top s}`. Chunked, with a running log-sum-exp: no
    overflow whatever the weights.

    Args:
      model: an RBM with ``min(n_visible, n_hidden) <= MAX_UNITS`` or a FullyVisible machine
        with at most ``MAX_UNITS`` spins.

    Returns:
      A scalar in the model's dtype.

    Raises:
      ValueError: if the model is malformed, or too large to enumerate (the message points
        to :func:`~geobook.boltzmann.ais_log_partition`).

    Examples:
      Zero weights: every one of the :math:`2^{n_v + n_h}` states has weight 1.

      >>> rbm = boltzmann.RBM(jnp.zeros((5, 3)), jnp.zeros(5), jnp.zeros(3))
      >>> print(f"{float(boltzmann.log_partition(rbm)):.5f}", f"{8 * np.log(2):.5f}")
      5.54518 5.54518
    """
    fn = "log_partition"
    model = check_model(fn, model)
    return log_z_kernel(model, layer=layer_of(model, fn, "model"))


def marginals(model):
    r"""The exact law of the visible units on all of their states.

    ``p[k]`` is :math:`p(v = \text{state } k)`, states ordered as in
    :func:`enumerate_states` (±1 spins for a FullyVisible machine). For an RBM this is the
    marginal :math:`p(v) = e^{-F(v)}/Z`.

    Args:
      model: an RBM with at most ``MAX_UNITS`` visible units or a FullyVisible machine with
        at most ``MAX_UNITS`` spins.

    Returns:
      ``[2**n]`` probabilities summing to 1.

    Raises:
      ValueError: if the model is malformed or has too many visible units to enumerate.

    Examples:
      >>> fv = boltzmann.FullyVisible(jnp.zeros((2, 2)), jnp.array([0.0, 20.0]))
      >>> np.round(boltzmann.marginals(fv), 3).tolist()     # spin 2 is up
      [0.0, 0.5, 0.0, 0.5]
    """
    fn = "marginals"
    model = check_model(fn, model)
    layer = layer_of(model, fn, "model", visible=True)
    return _marginals(model, layer=layer)


@partial(jax.jit, static_argnames=("layer",))
def _marginals(model, *, layer):
    k, lw, _, _, _ = _pieces(model, layer)
    w = lw(jnp.arange(2 ** k, dtype=jnp.int32))
    return jnp.exp(w - jax.nn.logsumexp(w))


def exact_moments(model):
    r"""The exact means of the sufficient statistics, :math:`\nabla\ln Z = E_\theta[\tau]`.

    Returned in the shape of the parameters they pair with: for an RBM,
    ``RBM(W=E[v hᵀ], b=E[v], c=E[h])``; for a FullyVisible machine,
    ``FullyVisible(J=E[s sᵀ] with a zero diagonal, h=E[s])``.

    Args:
      model: an RBM (enumerable smaller layer) or a FullyVisible machine.

    Returns:
      The moments as a model of the same type (a pytree of arrays).

    Raises:
      ValueError: as :func:`log_partition`.

    Examples:
      Independent units: :math:`E[v_i] = \sigma(b_i)`.

      >>> rbm = boltzmann.RBM(jnp.zeros((2, 1)), jnp.array([0.0, 2.0]), jnp.zeros(1))
      >>> np.round(boltzmann.exact_moments(rbm).b, 4).tolist()
      [0.5, 0.8808]
    """
    fn = "exact_moments"
    model = check_model(fn, model)
    _, mean, _ = moments_kernel(model, layer=layer_of(model, fn, "model"), second=False)
    return unflatten(model, mean)


def fisher(model, *, visible: bool = False):
    r"""The Fisher metric as the exact covariance of the sufficient statistics.

    With ``visible=False`` this is :math:`\nabla^2\ln Z(\theta) = \operatorname{Cov}_\theta[\tau]`,
    the Hessian of the log-partition — for an RBM the Fisher metric of the *joint* law of
    ``(v, h)``. With ``visible=True`` (RBM only) it is the Fisher metric of the visible law
    :math:`p(v)`, :math:`\operatorname{Cov}_{p(v)}\big[E[\tau\mid v]\big]`, which is what the
    natural gradient of the likelihood uses; it is singular when the model has more
    parameters than visible states. Parameters are ordered as in the module docstring.

    Args:
      model: an RBM or a FullyVisible machine small enough to enumerate.
      visible: for an RBM, the Fisher metric of the visible law instead of the joint law
        (enumerates the visible layer).

    Returns:
      ``[P, P]`` symmetric positive semi-definite matrix, ``P = n_v n_h + n_v + n_h`` (RBM)
      or ``n + n(n-1)/2`` (FullyVisible).

    Raises:
      ValueError: as :func:`log_partition`, or ``visible=True`` with a FullyVisible machine.

    Examples:
      One free spin: :math:`\operatorname{Var}s = 1 - \tanh^2 h`.

      >>> fv = boltzmann.FullyVisible(jnp.zeros((1, 1)), jnp.array([0.5]))
      >>> print(f"{float(boltzmann.fisher(fv)[0, 0]):.5f}", f"{1 - np.tanh(0.5)**2:.5f}")
      0.78645 0.78645
    """
    fn = "fisher"
    model = check_model(fn, model)
    if visible and isinstance(model, FullyVisible):
        checks.fail(fn, "visible", "must be False for a FullyVisible machine (it has no "
                    "hidden units: its Fisher metric is the joint one)", visible)
    layer = layer_of(model, fn, "model", visible=visible)
    return moments_kernel(model, layer=layer, second=True)[2]
