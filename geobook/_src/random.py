r"""Standard normals for walker-batched kernels, fused into one loop on every backend.

Why this exists.  On CPU, JAX lowers its Threefry-2×32 hash as a *rolled* loop (five
iterations of four rounds, each reading and writing whole arrays) to keep compile times
short; inside a Langevin step that loop, not the dynamics, is most of the run time.  This
module writes the same hash — Threefry-2×32 with 20 rounds (Salmon et al., *Parallel random
numbers: as easy as 1, 2, 3*, SC 2011), bit for bit the function
:func:`jax.extend.random.threefry_2x32` computes — as straight-line code, which XLA fuses
with JAX's inverse-CDF map to normals and with the caller's update into a single loop.

Layout.  The state is ``[rows, n]`` with the walker axis last (minor), so every operation is
elementwise along the walker axis and a walker-sharded state stays sharded.  The hash
counter of the sample in row ``j`` of walker ``i`` is the pair ``(i, j // 2)`` for 32-bit
floats (one hash gives the two words of rows ``2m`` and ``2m + 1``) and ``(i, j)`` for
64-bit floats (one hash gives the 64 bits of one sample).  Distinct samples have distinct
counters, so for a fixed key the samples are independent uniform words mapped to normals
exactly as :func:`jax.random.normal` maps them: ``u`` uniform on ``(−1, 1)`` from the top
mantissa bits, ``z = √2 erfinv(u)``.  The stream differs from ``jax.random.normal(key, …)``
(which hashes other counters); its law is the same.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["threefry2x32", "normal"]

_ROT = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


def _rotl(x, r):
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2×32-20 of the counter words ``(x0, x1)`` under the key ``(k0, k1)``, unrolled.

    All arguments are ``uint32`` (arrays broadcast).  Returns the two output words; equal bit
    for bit to ``jax.extend.random.threefry_2x32`` on the same key and counters.
    """
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(_PARITY))
    x0 = x0 + ks[0]
    x1 = x1 + ks[1]
    for i in range(5):
        for r in _ROT[i % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def _key_words(key):
    """Two uint32 key words from any JAX key (typed or raw, any implementation)."""
    w = jax.random.bits(key, (2,), jnp.uint32)
    return w[0], w[1]


def _uniform_to_normal(mantissa_bits, dtype):
    """JAX's own map from random mantissa bits to a standard normal."""
    dtype = jnp.dtype(dtype)
    one = np.array(1, dtype).view(mantissa_bits.dtype)
    f = jax.lax.bitcast_convert_type(mantissa_bits | one, dtype) - jnp.asarray(1, dtype)
    lo = np.nextafter(np.array(-1, dtype), np.array(0, dtype))
    u = jnp.maximum(lo, f * (1 - lo) + lo)            # uniform on [lo, 1)
    return jnp.asarray(np.sqrt(2), dtype) * jax.lax.erf_inv(u)


def normal(key, shape, dtype):
    """Standard normals of ``shape = (rows, n)`` (walkers on the last axis); see the module doc.

    Args:
      key: a JAX PRNG key (any implementation; only two words are drawn from it).
      shape: ``(rows, n)``.
      dtype: float32 or float64 (float64 needs x64 enabled).
    """
    rows, n = shape
    dtype = jnp.dtype(dtype)
    k0, k1 = _key_words(key)
    walker = jax.lax.broadcasted_iota(jnp.uint32, (1, n), 1)
    if dtype.itemsize == 4:
        half = (rows + 1) // 2
        pair = jax.lax.broadcasted_iota(jnp.uint32, (half, 1), 0)
        o0, o1 = threefry2x32(k0, k1, walker, pair)
        words = jnp.stack([o0, o1], axis=1).reshape(2 * half, n)[:rows]
        return _uniform_to_normal(words >> np.uint32(9), dtype)
    if dtype.itemsize == 8:
        row = jax.lax.broadcasted_iota(jnp.uint32, (rows, 1), 0)
        o0, o1 = threefry2x32(k0, k1, walker, row)
        words = (o0.astype(jnp.uint64) << np.uint64(32)) | o1.astype(jnp.uint64)
        return _uniform_to_normal(words >> np.uint64(12), dtype)
    raise TypeError(f"normal: `dtype` must be float32 or float64; got {dtype}")
