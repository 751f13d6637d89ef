r"""The zero-field (or uniform-field) Ising chain: decimation, transfer matrix, exact samples.

Conventions: spins :math:`s_i = \pm1`, reduced coupling :math:`K = J/T > 0`, reduced field
``h``; the periodic chain of ``N`` spins has the weight
:math:`\exp\big(K\sum_i s_is_{i+1} + h\sum_i s_i\big)` with :math:`s_{N+1} = s_1`.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["decimate_ising_1d", "DecimationFlow", "decimation_flow_1d", "ising_free_energy_1d",
           "transfer_matrix_1d", "ising_1d_samples"]


def _logcosh(x):
    """ln cosh x, accurate for small |x| (ln(1 + 2 sinh²(x/2))) and without overflow."""
    a = jnp.abs(x)
    small = jnp.minimum(a, 20.0)
    return jnp.where(a < 20.0, jnp.log1p(2 * jnp.sinh(small / 2) ** 2),
                     a + jnp.log1p(jnp.exp(-2 * a)) - jnp.log(2.0).astype(a.dtype))


def _coupling(fn, K):
    checks.check_finite(fn, "K", K)
    checks.check_positive(fn, "K", K)
    return jnp.asarray(K, working_dtype(K))


def decimate_ising_1d(K):
    r"""One decimation step of the zero-field Ising chain: :math:`K' = \tfrac12\ln\cosh 2K`.

    Summing out every other spin of :math:`\exp(K\sum s_is_{i+1})` leaves a chain of half the
    length with coupling :math:`K'` and a constant :math:`2\sqrt{\cosh 2K}` per removed spin.

    Args:
      K: reduced couplings :math:`K = J/T > 0`, any shape (traced).

    Returns:
      :math:`K'` of the same shape and dtype (computed without overflow for large ``K``).

    Raises:
      ValueError: if ``K`` is not finite and > 0 (checked when concrete).

    References:
      :cite:t:`nelson1975decimation`, :cite:t:`kadanoff1966`.

    Examples:
      >>> print(np.round(np.asarray(rg.decimate_ising_1d(jnp.array([0.1, 0.8, 5.0]))), 4))
      [0.0099 0.4734 4.6534]
    """
    K = _coupling("decimate_ising_1d", K)
    return 0.5 * _logcosh(2 * K)


class DecimationFlow(NamedTuple):
    """The RG flow of repeated decimation of the zero-field chain.

    Attributes:
      K: the couplings :math:`K_0 = K, K_1, \\dots, K_n`, shape ``[n_steps + 1, ...]``.
      log_z: :math:`\\ln Z_N / N` from the decimation recursion: for a periodic chain of
        ``N = 2**n_steps`` spins exactly (the last spin closes on itself); with
        ``periodic=False`` the infinite chain, the tail :math:`2^{-n}\\ln Z_1(K_n)` replaced by :math:`2^{-n}\\ln 2`
        (the value at the fixed point :math:`K^* = 0`).
    """
    K: jax.Array
    log_z: jax.Array


@partial(jax.jit, static_argnames=("n_steps", "periodic"))
def _flow_kernel(K, *, n_steps, periodic):
    def body(carry, _):
        k, acc, w = carry
        c = jnp.log(2.0).astype(k.dtype) + 0.5 * _logcosh(2 * k)   # ln(2 sqrt(cosh 2K))
        return (0.5 * _logcosh(2 * k), acc + 0.5 * w * c, 0.5 * w), k

    z = jnp.zeros_like(K)
    (k_n, acc, w), ks = jax.lax.scan(body, (K, z, jnp.ones_like(K)), None, length=n_steps)
    tail = jnp.log(2.0).astype(K.dtype) + (k_n if periodic else 0.0)
    return DecimationFlow(jnp.concatenate([ks, k_n[None]], axis=0), acc + w * tail)


def decimation_flow_1d(K, n_steps: int, *, periodic: bool = True) -> DecimationFlow:
    r"""Iterate :func:`decimate_ising_1d` and accumulate the free energy it generates.

    Each step halves the chain: :math:`\ln Z_N(K) = \tfrac N2\ln\big(2\sqrt{\cosh 2K}\big)
    + \ln Z_{N/2}(K')`. After ``n_steps`` steps a periodic chain of ``N = 2**n_steps`` spins
    is one spin bonded to itself, :math:`Z_1(K_n) = 2e^{K_n}`, so the recursion is exact.

    Args:
      K: initial reduced couplings > 0, any shape (traced).
      n_steps: number of decimation steps (static, >= 1).
      periodic: True: the periodic chain of ``2**n_steps`` spins (exact);
        False: the infinite chain, closing the recursion with :math:`\ln 2` (the fixed
        point K* = 0), exact up to :math:`O(2^{-n}K_n)`.

    Returns:
      :class:`DecimationFlow` ``(K, log_z)``.

    Raises:
      ValueError: if ``K`` is not finite and > 0, or ``n_steps`` is not an int >= 1.

    References:
      :cite:t:`nelson1975decimation`.

    Examples:
      Forty steps reproduce the infinite chain's :math:`\ln(2\cosh K)`:

      >>> fl = rg.decimation_flow_1d(0.8, 40, periodic=False)
      >>> print(f"{float(fl.log_z):.5f} {float(jnp.log(2 * jnp.cosh(0.8))):.5f}")
      0.98390 0.98390
    """
    fn = "decimation_flow_1d"
    K = _coupling(fn, K)
    checks.check_int(fn, "n_steps", n_steps)
    return _flow_kernel(K, n_steps=n_steps, periodic=bool(periodic))


def ising_free_energy_1d(K, N: Optional[int] = None):
    r"""Exact :math:`\ln Z / N` of the zero-field Ising chain.

    For the infinite chain :math:`\ln(2\cosh K)`; for the periodic chain of ``N`` spins
    :math:`\frac1N\ln\big[(2\cosh K)^N + (2\sinh K)^N\big]` (the two eigenvalues of the
    transfer matrix).

    Args:
      K: reduced couplings > 0, any shape (traced).
      N: the number of spins of a periodic chain (static, >= 1); None for the infinite
        chain.

    Returns:
      :math:`\ln Z/N`, same shape and dtype as ``K``.

    Raises:
      ValueError: if ``K`` is not finite and > 0, or ``N`` is not an int >= 1.

    References:
      :cite:t:`kadanoff1966`; the transfer matrix: :cite:t:`baxter1982exactly`.

    Examples:
      >>> print(f"{float(rg.ising_free_energy_1d(0.8)):.5f}")
      0.98390
      >>> print(f"{float(rg.ising_free_energy_1d(0.8, N=2)):.5f}")   # ln(4 cosh 1.6) / 2
      1.16655
    """
    fn = "ising_free_energy_1d"
    K = _coupling(fn, K)
    lp = jnp.log(2.0).astype(K.dtype) + _logcosh(K)            # ln(2 cosh K)
    if N is None:
        return lp
    checks.check_int(fn, "N", N)
    r = jnp.tanh(K)                                   # λ₋ / λ₊ in (0, 1)
    return lp + jnp.log1p(r ** N) / N


def transfer_matrix_1d(K, h=0.0):
    r"""The symmetric transfer matrix :math:`T_{ss'} = e^{Kss' + h(s+s')/2}`, states (+1, −1).

    The periodic chain of ``N`` spins has :math:`Z_N = \operatorname{tr}T^N`.

    Args:
      K: reduced coupling > 0 (scalar or batched, traced).
      h: reduced field (finite, broadcasts with ``K``; traced).

    Returns:
      ``[..., 2, 2]`` in the dtype ``K`` and ``h`` promote to.

    Raises:
      ValueError: if ``K`` is not finite and > 0, or ``h`` is not finite.

    References:
      :cite:t:`baxter1982exactly`.

    Examples:
      >>> Tm = rg.transfer_matrix_1d(0.5)
      >>> print(np.round(np.asarray(Tm), 4))
      [[1.6487 0.6065]
       [0.6065 1.6487]]
      >>> print(f"{float(jnp.trace(Tm @ Tm)):.4f}")     # Z_2 = 4 cosh 2K
      6.1723
    """
    fn = "transfer_matrix_1d"
    K = _coupling(fn, K)
    checks.check_finite(fn, "h", h)
    dt = working_dtype(K, h)
    K, h = jnp.broadcast_arrays(jnp.asarray(K, dt), jnp.asarray(h, dt))
    row0 = jnp.stack([jnp.exp(K + h), jnp.exp(-K)], axis=-1)
    row1 = jnp.stack([jnp.exp(-K), jnp.exp(K - h)], axis=-1)
    return jnp.stack([row0, row1], axis=-2)


@partial(jax.jit, static_argnames=("N", "n_samples"))
def _samples_kernel(key, K, h, *, N, n_samples):
    T = jnp.stack([jnp.stack([jnp.exp(K + h), jnp.exp(-K)]),
                   jnp.stack([jnp.exp(-K), jnp.exp(K - h)])])
    lam, V = jnp.linalg.eigh(T)                      # ascending: λ₋, λ₊
    r = lam[0] / lam[1]
    P_plus = jnp.outer(V[:, 1], V[:, 1])
    P_minus = jnp.outer(V[:, 0], V[:, 0])

    def M(m):                                         # T^m / λ₊^m, stable for every m
        return P_plus + (r ** m) * P_minus

    Tn = T / lam[1]
    k0, k1 = jax.random.split(key)
    MN = M(N)
    p_up = MN[0, 0] / (MN[0, 0] + MN[1, 1])
    first = jnp.where(jax.random.uniform(k0, (n_samples,), K.dtype) < p_up, 0, 1)

    def step(prev, inp):
        i, k = inp                                    # choose spin i + 1 given spin i and s_1
        Mi = M(N - i)
        w = Tn[prev] * Mi[:, first].T                 # [n_samples, 2]
        p = w[:, 0] / (w[:, 0] + w[:, 1])
        nxt = jnp.where(jax.random.uniform(k, (n_samples,), K.dtype) < p, 0, 1)
        return nxt, nxt

    keys = jax.random.split(k1, max(N - 1, 1))
    _, rest = jax.lax.scan(step, first, (jnp.arange(1, N), keys[: N - 1]))
    idx = jnp.concatenate([first[None], rest], axis=0).T     # [n_samples, N]
    return (1 - 2 * idx).astype(K.dtype)


def ising_1d_samples(key, K, N: int, n_samples: int, *, h=0.0):
    r"""Exact, independent samples of the periodic Ising chain, by the transfer matrix.

    The first spin is drawn from its marginal :math:`(T^N)_{ss}/Z_N`, then spin by spin
    :math:`p(s_{i+1}\mid s_i, s_1) \propto T_{s_is_{i+1}}(T^{N-i})_{s_{i+1}s_1}` — exact
    sampling of :math:`e^{K\sum s_is_{i+1} + h\sum s_i}/Z_N` with no Markov chain.

    Args:
      key: a JAX PRNG key.
      K: reduced coupling > 0 (scalar, traced).
      N: number of spins (static, >= 2).
      n_samples: number of independent chains drawn (static, >= 1).
      h: reduced field (scalar, finite, traced).

    Returns:
      ``[n_samples, N]`` spins in ±1, in the dtype ``K`` and ``h`` promote to. For {0, 1}
      training data use ``(s + 1) / 2``.

    Raises:
      ValueError: if ``K`` is not finite and > 0, ``h`` is not finite, ``K`` or ``h`` is
        not a scalar, ``N`` is not an int >= 2 or ``n_samples`` is not an int >= 1.

    References:
      :cite:t:`baxter1982exactly`.

    Examples:
      The nearest-neighbour correlation of the infinite chain is :math:`\tanh K`:

      >>> s = rg.ising_1d_samples(jax.random.key(0), 0.6, 64, 4000)
      >>> print(s.shape, f"{float(jnp.mean(s * jnp.roll(s, 1, axis=1))):.2f}")
      (4000, 64) 0.54
    """
    fn = "ising_1d_samples"
    K = _coupling(fn, K)
    checks.check_finite(fn, "h", h)
    for name, v in (("K", K), ("h", h)):
        if np.ndim(v) != 0:
            checks.fail(fn, name, "must be a scalar", v)
    checks.check_int(fn, "N", N, minimum=2)
    checks.check_int(fn, "n_samples", n_samples)
    dt = working_dtype(K, h)
    return _samples_kernel(key, jnp.asarray(K, dt), jnp.asarray(h, dt), N=N,
                           n_samples=n_samples)
