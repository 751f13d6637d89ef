"""The walker-batched normals of geobook._src.random: the hash is Threefry-2x32-20 bit for bit,
the samples are standard normal and independent, and the layout shards."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend.random import threefry_2x32
from scipy import stats

from geobook._src import random


def test_threefry_equals_jax_bit_for_bit():
    key = jax.random.key_data(jax.random.key(1234))
    c = jax.random.bits(jax.random.key(5), (2, 4099), jnp.uint32)
    ours = random.threefry2x32(key[0], key[1], c[0], c[1])
    theirs = threefry_2x32(key, c.reshape(-1)).reshape(2, -1)   # JAX splits count in halves
    np.testing.assert_array_equal(np.stack(ours), np.asarray(theirs))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_law_and_independence(dtype, x64):
    n = 200_003                                   # odd walker count, odd row count
    z = np.asarray(random.normal(jax.random.key(3), (3, n), dtype), np.float64)
    assert z.dtype == np.float64 and np.isfinite(z).all()
    # Kolmogorov–Smirnov per row: under H0 sqrt(n) D has the Kolmogorov law; 1.95 is its
    # 0.999 quantile (a false alarm once in a thousand runs)
    for row in z:
        assert np.sqrt(n) * stats.kstest(row, "norm").statistic < 1.95
    # moments: mean s.e. 1/sqrt(n), variance s.e. sqrt(2/n); 5 s.e.
    assert np.all(np.abs(z.mean(1)) < 5 / np.sqrt(n))
    assert np.all(np.abs(z.var(1) - 1) < 5 * np.sqrt(2 / n))
    # rows (the two words of one hash, and different hashes) and neighbouring walkers are
    # uncorrelated: each correlation has s.e. 1/sqrt(n)
    c = np.corrcoef(z)
    assert np.max(np.abs(c - np.eye(3))) < 5 / np.sqrt(n)
    assert abs(np.corrcoef(z[0, :-1], z[0, 1:])[0, 1]) < 5 / np.sqrt(n)


def test_normal_keys_give_independent_streams():
    a = np.asarray(random.normal(jax.random.key(0), (2, 50_000), jnp.float32)).ravel()
    b = np.asarray(random.normal(jax.random.key(1), (2, 50_000), jnp.float32)).ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)
    c = np.asarray(random.normal(jax.random.key(0), (2, 50_000), jnp.float32)).ravel()
    np.testing.assert_array_equal(a, c)           # same key, same numbers


def test_normal_accepts_any_key_implementation():
    for key in (jax.random.PRNGKey(0), jax.random.key(0, impl="rbg")):
        z = random.normal(key, (2, 1000), jnp.float32)
        assert z.shape == (2, 1000) and bool(jnp.all(jnp.isfinite(z)))


def test_normal_rejects_other_dtypes():
    with pytest.raises(TypeError, match="normal: `dtype` must be float32 or float64"):
        random.normal(jax.random.key(0), (2, 10), jnp.float16)


def test_normal_row_is_prefix_stable():
    # the sample of (row j, walker i) depends only on (key, i, j): more walkers or rows
    # extend the array without changing what is there (what makes sharding exact)
    small = random.normal(jax.random.key(9), (3, 100), jnp.float32)
    big = random.normal(jax.random.key(9), (4, 1000), jnp.float32)
    np.testing.assert_array_equal(np.asarray(small), np.asarray(big)[:3, :100])
