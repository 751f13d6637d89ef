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
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betaln, gammaln, hyp1f1

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["wright_fisher_matrix", "wright_fisher_stationary", "wright_fisher", "wright_density",
           "wright_mean", "WrightFisherRun"]


def _check_params(fn, N, s, u, v, *, need_mutation=False):
    checks.check_int(fn, "N", N)
    for name, val in (("s", s), ("u", u), ("v", v)):
        checks.check_ndim(fn, name, val, 0, "[] (a scalar)")
        checks.check_finite(fn, name, val)
    if checks.is_concrete(s) and not float(s) > -1:
        checks.fail(fn, "s", "must be > -1 (fitness 1 + s must be positive)", s)
    for name, val in (("u", u), ("v", v)):
        if checks.is_concrete(val):
            if need_mutation and not 0 < float(val) <= 1:
                checks.fail(fn, name, "must be in (0, 1] (Wright's density needs mutation both "
                            "ways to be normalisable)", val)
            if not 0 <= float(val) <= 1:
                checks.fail(fn, name, "must be a probability in [0, 1]", val)
    if checks.is_concrete(u, v) and float(u) + float(v) > 1:
        checks.fail(fn, "u", f"+ v must be <= 1 (v = {float(v)!r})", u)


def _next_frequency(x, s, u, v):
    xs = (1 + s) * x / (1 + s * x)
    return (1 - v) * xs + u * (1 - xs)


@partial(jax.jit, static_argnums=(0, 4))
def _transition(N, s, u, v, dtype):
    i = jnp.arange(N + 1, dtype=dtype)
    p = _next_frequency(i / N, s, u, v)[:, None]
    k = i[None, :]
    logc = gammaln(N + 1.0) - gammaln(k + 1) - gammaln(N - k + 1)
    # Binomial pmf with the 0·log 0 = 0 convention at p ∈ {0, 1}.
    logp = (jnp.where(k > 0, k * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0)
            + jnp.where(k < N, (N - k) * jnp.log(jnp.where(p < 1, 1 - p, 1.0)), 0.0))
    pmf = jnp.exp(logc + logp)
    pmf = jnp.where(((p == 0) & (k > 0)) | ((p == 1) & (k < N)), 0.0, pmf)
    return pmf


def wright_fisher_matrix(N: int, s, u, v):
    r"""Transition matrix ``P[i, j] = Pr(next count = j | count = i)``, ``[N+1, N+1]``.

    Rows sum to one. Exact binomial probabilities (log-gamma form, stable for large ``N``).

    Args:
      N: population size (Python int >= 1).
      s: selection coefficient (> -1); u, v: mutation probabilities per generation
        (``a → A`` and ``A → a``) in ``[0, 1]``.
    """
    _check_params("wright_fisher_matrix", N, s, u, v)
    dtype = working_dtype(s, u, v)
    return _transition(N, jnp.asarray(s, dtype), jnp.asarray(u, dtype), jnp.asarray(v, dtype),
                       dtype)


def wright_fisher_stationary(N: int, s, u, v):
    r"""The exact stationary law ``π`` (``[N+1]``, ``π P = π``, ``Σπ = 1``) of the chain.

    Solved as a linear system (``(Pᵀ - I)π = 0`` with one equation replaced by the
    normalisation), so it is independent of any simulation. Needs ``u, v > 0`` for
    uniqueness (otherwise 0 or N is absorbing).
    """
    _check_params("wright_fisher_stationary", N, s, u, v, need_mutation=True)
    dtype = working_dtype(s, u, v)
    return _stationary_kernel(N, jnp.asarray(s, dtype), jnp.asarray(u, dtype), jnp.asarray(v, dtype))


@partial(jax.jit, static_argnums=0)
def _stationary_kernel(N, s, u, v):
    P = _transition(N, s, u, v, s.dtype)
    A = (P.T - jnp.eye(N + 1, dtype=P.dtype)).at[-1].set(1.0)
    rhs = jnp.zeros(N + 1, P.dtype).at[-1].set(1.0)
    pi = jnp.maximum(jnp.linalg.solve(A, rhs), 0.0)
    return pi / jnp.sum(pi)


class WrightFisherRun(NamedTuple):
    """Replicates of the Wright–Fisher chain.

    Attributes:
      x: final allele frequencies ``[n_rep]``.
      path: frequencies every ``save_every`` generations ``[n_saved, n_rep]``.
      generations: the generation of each saved row ``[n_saved]``.
    """
    x: jax.Array
    path: jax.Array
    generations: jax.Array


def wright_fisher(key, N: int, s, u, v, x0, *, n_gen: int, n_rep: int,
                  save_every: Optional[int] = None) -> WrightFisherRun:
    r"""Simulate ``n_rep`` independent replicates for ``n_gen`` generations.

    Each generation draws the next count from ``Binomial(N, x')`` by inverting the binomial
    CDF (a bisection on the rows of :func:`wright_fisher_matrix`'s cumulative sums), which is
    exact in law, costs ``O(log N)`` per draw and vectorises over replicates; the
    ``(N+1)²`` table limits ``N`` to a few thousand. The replicate axis can be sharded across
    devices.

    Args:
      key: PRNG key.
      N, s, u, v: as :func:`wright_fisher_matrix`.
      x0: initial frequency in ``[0, 1]`` (rounded to the nearest count ``i/N``), a scalar or
        one per replicate ``[n_rep]``.
      n_gen: generations (static). n_rep: replicates (static).
      save_every: keep the frequencies every this many generations (static; must divide
        ``n_gen``; default: only the last generation).

    Returns:
      :class:`WrightFisherRun` (frequencies in the working float dtype).
    """
    fn = "wright_fisher"
    _check_params(fn, N, s, u, v)
    checks.check_int(fn, "n_gen", n_gen)
    checks.check_int(fn, "n_rep", n_rep)
    if N > 20_000:
        checks.fail(fn, "N", "must be <= 20000 (the sampler tabulates the (N+1)² transition "
                    "matrix)", N)
    save_every = n_gen if save_every is None else save_every
    checks.check_int(fn, "save_every", save_every)
    if n_gen % save_every:
        checks.fail(fn, "save_every", f"must divide n_gen = {n_gen}", save_every)
    checks.check_ndim(fn, "x0", x0, (0, 1), "[] or [n_rep]")
    if np.ndim(x0) == 1 and np.shape(x0)[0] != n_rep:
        checks.fail(fn, "x0", f"must have n_rep = {n_rep} entries when it is an array", x0)
    checks.check_finite(fn, "x0", x0)
    if checks.is_concrete(x0) and not np.all((np.asarray(x0) >= 0) & (np.asarray(x0) <= 1)):
        checks.fail(fn, "x0", "must be a frequency in [0, 1]", x0)
    dtype = working_dtype(s, u, v, x0)
    cdf = jnp.cumsum(_transition(N, jnp.asarray(s, dtype), jnp.asarray(u, dtype),
                                 jnp.asarray(v, dtype), dtype), axis=1)
    counts0 = jnp.broadcast_to(jnp.round(jnp.asarray(x0, dtype) * N).astype(jnp.int32), (n_rep,))
    path = _wf_kernel(key, cdf, counts0, n_gen, save_every)
    freq = path.astype(dtype) / N
    gens = jnp.arange(1, n_gen // save_every + 1) * save_every
    return WrightFisherRun(freq[-1], freq, gens)


@partial(jax.jit, static_argnums=(3, 4))
def _wf_kernel(key, cdf, counts, n_gen, save_every):
    N = cdf.shape[0] - 1
    n_bisect = int(np.ceil(np.log2(N + 1))) + 1

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
        c, _ = jax.lax.scan(generation, c, jax.random.split(k, save_every))
        return c, c

    return jax.lax.scan(block, counts, jax.random.split(key, n_gen // save_every))[1]


def _log_norm(a, b, c):
    return betaln(a, b) + jnp.log(hyp1f1(a, a + b, c))


def wright_density(x, N: int, s, u, v):
    r"""Wright's stationary density :math:`\varphi(x) \propto x^{2Nu-1}(1-x)^{2Nv-1}e^{2Nsx}`,
    normalised exactly (Kummer's function), evaluated at ``x`` in ``(0, 1)`` (any shape)."""
    _check_params("wright_density", N, s, u, v, need_mutation=True)
    checks.check_finite("wright_density", "x", x)
    if checks.is_concrete(x) and not np.all((np.asarray(x) > 0) & (np.asarray(x) < 1)):
        checks.fail("wright_density", "x", "must lie in the open interval (0, 1)", x)
    dtype = working_dtype(x, s, u, v)
    return _density_kernel(*(jnp.asarray(t, dtype) for t in (x, 2 * N * u, 2 * N * v, 2 * N * s)))


@jax.jit
def _density_kernel(x, a, b, c):
    return jnp.exp((a - 1) * jnp.log(x) + (b - 1) * jnp.log1p(-x) + c * x - _log_norm(a, b, c))


def wright_mean(N: int, s, u, v):
    r"""Mean of Wright's density: :math:`\frac{a}{a+b}\,
    {}_1F_1(a+1; a+b+1; c)\,/\,{}_1F_1(a; a+b; c)` with ``a = 2Nu, b = 2Nv, c = 2Ns``."""
    _check_params("wright_mean", N, s, u, v, need_mutation=True)
    dtype = working_dtype(s, u, v)
    a, b, c = (jnp.asarray(2 * N * t, dtype) for t in (u, v, s))
    return _mean_kernel(a, b, c)


@jax.jit
def _mean_kernel(a, b, c):
    return jnp.exp(_log_norm(a + 1, b, c) - _log_norm(a, b, c))
