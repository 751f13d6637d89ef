r"""Population genetics: the haploid Wright–Fisher chain and Wright's stationary formula.

One allele of a haploid population of ``N`` individuals has frequency ``x = i/N``. One
generation is selection (fitness ``1 + s`` against 1), then mutation (``a → A`` at rate ``u``,
``A → a`` at rate ``v``), then binomial resampling:

.. math:: x_s = \frac{(1+s)x}{1+sx},\qquad x' = (1-v)\,x_s + u\,(1-x_s),\qquad
          N x_{\text{next}} \sim \mathrm{Binomial}(N, x').

Its diffusion limit has drift :math:`M(x) \approx s x(1-x) + u(1-x) - vx` and variance
:math:`V(x) = x(1-x)/N`, with Wright's stationary density

.. math:: \varphi(x) \propto x^{2Nu-1}(1-x)^{2Nv-1}e^{2Nsx},

normalised here in closed form by Kummer's function,
:math:`\int_0^1 x^{a-1}(1-x)^{b-1}e^{cx}dx = B(a, b)\,{}_1F_1(a; a+b; c)`.

Book chapter: *The equilibration regime (α = 0)*.

References:
  :cite:t:`wright1931`; :cite:t:`ewens2004`.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betaln, gammaln, hyp1f1, xlogy

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["wright_fisher_matrix", "wright_fisher_stationary", "wright_fisher", "wright_density",
           "wright_mean", "WrightFisherRun"]


def _check_params(fn, N, s, u, v, *, need_mutation=False):
    """Validate ``(N, s, u, v)``; returns ``s, u, v`` as arrays of the working dtype."""
    checks.check_int(fn, "N", N)
    for name, val in (("s", s), ("u", u), ("v", v)):
        checks.check_ndim(fn, name, val, 0, "[] (a scalar)")
        checks.check_finite(fn, name, val)
    checks.check_interval(fn, "s", s, -1, None, closed="neither")      # fitness 1 + s > 0
    for name, val in (("u", u), ("v", v)):                             # probabilities
        checks.check_interval(fn, name, val, 0, 1, closed="right" if need_mutation else "both")
    if checks.is_concrete(u, v):
        checks.check_interval(fn, "u + v", float(u) + float(v), None, 1)
    dtype = working_dtype(s, u, v)
    return tuple(jnp.asarray(a, dtype) for a in (s, u, v))


def _next_frequency(x, s, u, v):
    xs = (1 + s) * x / (1 + s * x)
    return (1 - v) * xs + u * (1 - xs)


@partial(jax.jit, static_argnames="N")
def _transition(s, u, v, *, N):
    i = jnp.arange(N + 1, dtype=s.dtype)
    p = _next_frequency(i / N, s, u, v)[:, None]
    k = i[None, :]
    logc = gammaln(N + 1.0) - gammaln(k + 1) - gammaln(N - k + 1)
    # Binomial pmf; xlogy gives 0·log 0 = 0 and k·log 0 = -inf (probability 0) at p ∈ {0, 1}.
    return jnp.exp(logc + xlogy(k, p) + xlogy(N - k, 1 - p))


def wright_fisher_matrix(N: int, s, u, v):
    r"""Transition matrix of the Wright–Fisher chain on the counts ``0 … N``.

    .. math:: P_{ij} = \Pr(\text{next count} = j \mid \text{count} = i)
              = \binom{N}{j}\,x'^{\,j}(1-x')^{N-j},\qquad x' = x'(i/N),

    computed in log-gamma form (stable for large ``N``); rows sum to one.

    Args:
      N: the population size (static Python int >= 1).
      s: the selection coefficient, a scalar > -1 (traced).
      u: the mutation probability ``a → A`` per generation, in ``[0, 1]`` (traced).
      v: the mutation probability ``A → a`` per generation, in ``[0, 1]``, ``u + v <= 1``
        (traced).

    Returns:
      ``P``, ``[N+1, N+1]``, in the working float dtype.

    Raises:
      ValueError: if ``N`` is not an int >= 1, ``s``, ``u`` or ``v`` is not a finite scalar,
        ``s <= -1``, or ``u``, ``v`` or ``u + v`` is not in ``[0, 1]``.

    Examples:
      >>> P = evolution.wright_fisher_matrix(10, 0.1, 0.01, 0.01)
      >>> P.shape, bool(jnp.allclose(P.sum(axis=1), 1.0))
      ((11, 11), True)
      >>> print(f"{float(evolution.wright_fisher_matrix(10, 0.0, 0.0, 0.0)[0, 0]):.1f}")
      1.0
    """
    s, u, v = _check_params("wright_fisher_matrix", N, s, u, v)
    return _transition(s, u, v, N=N)


@partial(jax.jit, static_argnames="N")
def _stationary_kernel(s, u, v, *, N):
    P = _transition(s, u, v, N=N)
    A = (P.T - jnp.eye(N + 1, dtype=P.dtype)).at[-1].set(1.0)
    rhs = jnp.zeros(N + 1, P.dtype).at[-1].set(1.0)
    pi = jnp.maximum(jnp.linalg.solve(A, rhs), 0.0)
    return pi / jnp.sum(pi)


def wright_fisher_stationary(N: int, s, u, v):
    r"""The exact stationary law :math:`\pi` of the Wright–Fisher chain: :math:`\pi P = \pi`,
    :math:`\sum_i \pi_i = 1`.

    Solved as a linear system (:math:`(P^\top - I)\pi = 0` with one equation replaced by the
    normalisation), so it is independent of any simulation.

    Args:
      N: the population size (static Python int >= 1).
      s: the selection coefficient, a scalar > -1 (traced).
      u: the mutation probability ``a → A``, in ``(0, 1]`` (traced; > 0, else N is absorbing).
      v: the mutation probability ``A → a``, in ``(0, 1]`` (traced; > 0, else 0 is absorbing).

    Returns:
      :math:`\pi`, ``[N+1]``, the law of the count.

    Raises:
      ValueError: as :func:`wright_fisher_matrix`, and if ``u`` or ``v`` is 0.

    Examples:
      Neutral, symmetric mutation gives a law symmetric about ``N/2``:

      >>> pi = evolution.wright_fisher_stationary(20, 0.0, 0.02, 0.02)
      >>> print(f"{float(pi.sum()):.4f} {float(pi @ jnp.arange(21)):.2f}")
      1.0000 10.00
    """
    s, u, v = _check_params("wright_fisher_stationary", N, s, u, v, need_mutation=True)
    return _stationary_kernel(s, u, v, N=N)


class WrightFisherRun(NamedTuple):
    """Replicates of the Wright–Fisher chain.

    Attributes:
      x: the final allele frequencies ``[n_rep]``.
      path: the saved frequencies ``[n_saved, n_rep]``: the initial state first (``x0``
        rounded to a count ``i/N`` and broadcast to ``[n_rep]``), then the state every
        ``save_every`` generations (``n_saved = n_gen // save_every + 1``); only the initial
        state (``n_saved = 1``) when ``save_every`` is None.
      t: the generation of each row of ``path``, ``[n_saved]`` (integers, ``t[0] = 0``).
    """
    x: jax.Array
    path: jax.Array
    t: jax.Array


def wright_fisher(key, N: int, s, u, v, x0, *, n_gen: int, n_rep: int,
                  save_every: Optional[int] = None) -> WrightFisherRun:
    r"""Simulate ``n_rep`` independent replicates of the chain for ``n_gen`` generations.

    Each generation draws the next count from :math:`\mathrm{Binomial}(N, x')` by inverting
    the binomial CDF (a bisection on the cumulative rows of :func:`wright_fisher_matrix`),
    which is exact in law, costs ``O(log N)`` per draw and vectorises over replicates; the
    ``(N+1)²`` table limits ``N`` to a few thousand. The replicate axis can be sharded across
    devices.

    Args:
      key: a JAX PRNG key.
      N: the population size (static Python int in ``[1, 20000]``).
      s: the selection coefficient, a scalar > -1 (traced).
      u: the mutation probability ``a → A``, in ``[0, 1]`` (traced).
      v: the mutation probability ``A → a``, in ``[0, 1]``, ``u + v <= 1`` (traced).
      x0: the initial frequency in ``[0, 1]`` (rounded to the nearest count ``i/N``): a
        scalar, or one per replicate ``[n_rep]`` (traced).
      n_gen: the number of generations (static int >= 1).
      n_rep: the number of replicates (static int >= 1).
      save_every: save the frequencies every this many generations (static; must divide
        ``n_gen``); None saves only the initial state.

    Returns:
      :class:`WrightFisherRun`, frequencies in the working float dtype.

    Raises:
      ValueError: as :func:`wright_fisher_matrix`, and if ``N > 20000``, ``n_gen``, ``n_rep``
        or ``save_every`` is not a positive int (or ``save_every`` does not divide ``n_gen``),
        or ``x0`` is not a scalar or ``[n_rep]`` array of frequencies in ``[0, 1]``.

    References:
      :cite:t:`ewens2004`.

    Examples:
      >>> run = evolution.wright_fisher(jax.random.key(0), 100, 0.0, 0.01, 0.01, 0.3,
      ...                               n_gen=400, n_rep=2000, save_every=100)
      >>> run.path.shape, run.t.tolist()                 # x0 first, then every 100
      ((5, 2000), [0, 100, 200, 300, 400])
      >>> print(f"{float(run.path[0].mean()):.2f} {float(run.x.mean()):.1f}")   # → 1/2
      0.30 0.5
    """
    fn = "wright_fisher"
    s, u, v = _check_params(fn, N, s, u, v)
    if N > 20_000:
        checks.fail(fn, "N", "must be <= 20000 (the sampler tabulates the (N+1)² transition "
                    "matrix)", N)
    checks.check_int(fn, "n_gen", n_gen)
    checks.check_int(fn, "n_rep", n_rep)
    if save_every is not None:
        checks.check_divides(fn, "save_every", save_every, n_gen, "n_gen")
    checks.check_ndim(fn, "x0", x0, (0, 1), "[] or [n_rep]")
    if np.ndim(x0) == 1:
        checks.check_size(fn, "x0", x0, n_rep, axis=0, what="one per replicate")
    checks.check_finite(fn, "x0", x0)
    checks.check_interval(fn, "x0", x0, 0, 1)
    x0 = jnp.asarray(x0, working_dtype(s, x0))
    return _wf_kernel(key, s.astype(x0.dtype), u.astype(x0.dtype), v.astype(x0.dtype), x0, N=N,
                      n_gen=n_gen, n_rep=n_rep, save_every=save_every)


@partial(jax.jit, static_argnames=("N", "n_gen", "n_rep", "save_every"))
def _wf_kernel(key, s, u, v, x0, *, N, n_gen, n_rep, save_every):
    cdf = jnp.cumsum(_transition(s, u, v, N=N), axis=1)
    counts0 = jnp.broadcast_to(jnp.round(x0 * N).astype(jnp.int32), (n_rep,))
    n_bisect = int(np.ceil(np.log2(N + 1))) + 1
    block_len = n_gen if save_every is None else save_every

    def generation(c, k):
        # Smallest j with CDF[c, j] >= U: Binomial(N, x'(c/N)) by CDF inversion.
        U = jax.random.uniform(k, c.shape, dtype=cdf.dtype)
        def bisect(_, lohi):
            lo, hi = lohi
            mid = (lo + hi) // 2
            go = cdf[c, mid] < U
            return jnp.where(go, mid + 1, lo), jnp.where(go, hi, mid)
        lo, _ = jax.lax.fori_loop(0, n_bisect, bisect, (jnp.zeros_like(c), jnp.full_like(c, N)))
        return lo, None

    def block(c, k):
        c, _ = jax.lax.scan(generation, c, jax.random.split(k, block_len))
        return c, c

    c, saved = jax.lax.scan(block, counts0, jax.random.split(key, n_gen // block_len))
    if save_every is None:
        path, t = counts0[None], jnp.zeros(1, jnp.int32)
    else:
        path = jnp.concatenate([counts0[None], saved])
        t = jnp.arange(0, n_gen + 1, save_every, dtype=jnp.int32)
    return WrightFisherRun(c.astype(x0.dtype) / N, path.astype(x0.dtype) / N, t)


def _log_norm(a, b, c):
    return betaln(a, b) + jnp.log(hyp1f1(a, a + b, c))


def wright_density(x, N: int, s, u, v):
    r"""Wright's stationary density of the diffusion limit, normalised exactly,

    .. math:: \varphi(x) = \frac{x^{a-1}(1-x)^{b-1}e^{cx}}{B(a, b)\,{}_1F_1(a; a+b; c)},
              \qquad a = 2Nu,\; b = 2Nv,\; c = 2Ns.

    Args:
      x: frequencies in the open interval ``(0, 1)``, any shape (traced).
      N: the population size (static Python int >= 1).
      s: the selection coefficient, a scalar > -1 (traced).
      u: the mutation probability ``a → A``, in ``(0, 1]`` (traced).
      v: the mutation probability ``A → a``, in ``(0, 1]`` (traced).

    Returns:
      :math:`\varphi(x)`, the shape of ``x``.

    Raises:
      ValueError: as :func:`wright_fisher_stationary`, and if ``x`` is not finite and in
        ``(0, 1)``.

    References:
      :cite:t:`wright1931`.

    Examples:
      Neutral with :math:`2Nu = 2Nv = 2`: the Beta(2, 2) density :math:`6x(1-x)`:

      >>> print(f"{float(evolution.wright_density(0.5, 100, 0.0, 0.01, 0.01)):.4f}")
      1.5000
    """
    _check_params("wright_density", N, s, u, v, need_mutation=True)
    checks.check_finite("wright_density", "x", x)
    checks.check_interval("wright_density", "x", x, 0, 1, closed="neither")
    dtype = working_dtype(x, s, u, v)
    return _density_kernel(*(jnp.asarray(t, dtype) for t in (x, 2 * N * u, 2 * N * v, 2 * N * s)))


@jax.jit
def _density_kernel(x, a, b, c):
    return jnp.exp((a - 1) * jnp.log(x) + (b - 1) * jnp.log1p(-x) + c * x - _log_norm(a, b, c))


def wright_mean(N: int, s, u, v):
    r"""The mean of Wright's density,

    .. math:: \int_0^1 x\,\varphi(x)\,dx = \frac{a}{a+b}\,
              \frac{{}_1F_1(a+1; a+b+1; c)}{{}_1F_1(a; a+b; c)},
              \qquad a = 2Nu,\; b = 2Nv,\; c = 2Ns.

    Args:
      N: the population size (static Python int >= 1).
      s: the selection coefficient, a scalar > -1 (traced).
      u: the mutation probability ``a → A``, in ``(0, 1]`` (traced).
      v: the mutation probability ``A → a``, in ``(0, 1]`` (traced).

    Returns:
      The mean frequency, a scalar in ``(0, 1)``.

    Raises:
      ValueError: as :func:`wright_fisher_stationary`.

    Examples:
      Without selection the mean is :math:`u/(u+v)`; selection for the allele raises it:

      >>> print(f"{float(evolution.wright_mean(200, 0.0, 0.002, 0.006)):.4f}")
      0.2500
      >>> bool(evolution.wright_mean(200, 0.01, 0.002, 0.006) > 0.25)
      True
    """
    s, u, v = _check_params("wright_mean", N, s, u, v, need_mutation=True)
    return _mean_kernel(*(2 * N * t for t in (u, v, s)))


@jax.jit
def _mean_kernel(a, b, c):
    return jnp.exp(_log_norm(a + 1, b, c) - _log_norm(a, b, c))
