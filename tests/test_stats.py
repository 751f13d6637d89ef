import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats as sps

from geobook import stats


def test_histogram_and_bin_probabilities_gaussian(x64):
    e = jnp.linspace(-3, 3, 31)
    ref = stats.bin_probabilities(lambda q: jnp.exp(-q**2 / 2), e)
    exact = np.diff(sps.norm.cdf(np.asarray(e)))
    np.testing.assert_allclose(ref, exact / exact.sum(), rtol=1e-10)
    s = jax.random.normal(jax.random.key(0), (400_000,))
    h = stats.histogram(s, e)
    np.testing.assert_allclose(h, exact, atol=3e-3)
    kl = float(stats.hist_kl(s, e, ref))
    assert kl < 30 / (2 * 400_000) * 3           # near the B/2N noise floor
    wrong = stats.bin_probabilities(lambda q: jnp.exp(-q**2 / 3), e)
    assert float(stats.hist_kl(s, e, wrong)) > 0.02


def test_tv_and_ks(x64):
    assert float(stats.tv_distance(jnp.array([1.0, 0.0]), jnp.array([0.0, 2.0]))) == pytest.approx(1.0)
    assert float(stats.tv_distance(jnp.array([1.0, 1.0]), jnp.array([2.0, 2.0]))) == pytest.approx(0.0)
    s = jax.random.normal(jax.random.key(1), (5000,))
    cdf = lambda x: jax.scipy.stats.norm.cdf(x)
    ks = float(stats.ks_distance(s, cdf))
    np.testing.assert_allclose(ks, sps.kstest(np.asarray(s), "norm").statistic, rtol=1e-9)


def test_slope_fit_exact_and_noisy(x64):
    x = jnp.linspace(0, 1, 20)
    f = stats.slope_fit(x, 3 * x - 2)
    assert float(f.slope) == pytest.approx(3.0) and float(f.intercept) == pytest.approx(-2.0)
    assert float(f.stderr) < 1e-12
    res = sps.linregress(np.asarray(x), np.asarray(x**2))
    g = stats.slope_fit(x, x**2)
    np.testing.assert_allclose([g.slope, g.intercept, g.stderr], [res.slope, res.intercept, res.stderr], rtol=1e-10)


def test_spearman_matches_scipy(x64):
    x = jnp.array([1.0, 2.0, 2.0, 5.0, 3.0, 9.0])
    y = jnp.array([0.3, 0.1, 0.4, 0.2, 0.9, 0.5])
    np.testing.assert_allclose(stats.spearman(x, y), sps.spearmanr(np.asarray(x), np.asarray(y)).statistic, rtol=1e-12)
    assert float(stats.spearman(x, -x)) == pytest.approx(-1.0)


@pytest.mark.parametrize("call,match", [
    (lambda: stats.hist_kl(np.zeros(5), np.array([0.0, 1.0]), np.ones(3)), r"hist_kl: `reference` must have one entry per bin \(1\)"),
    (lambda: stats.hist_kl(np.zeros(5), np.array([1.0, 0.0]), np.ones(1)), r"hist_kl: `edges` must be strictly increasing"),
    (lambda: stats.hist_kl(np.zeros(5), np.array([0.0, 1.0]), -np.ones(1)), r"hist_kl: `reference` must be finite and >= 0"),
    (lambda: stats.histogram(np.array([np.nan]), np.array([0.0, 1.0])), r"histogram: `samples` must be finite"),
    (lambda: stats.tv_distance(np.ones(2), np.ones(3)), r"tv_distance: `p` and `q` must have the same shape"),
    (lambda: stats.ks_distance(np.ones((2, 2)), lambda x: x), r"ks_distance: `samples` must have shape \[n\]"),
    (lambda: stats.slope_fit(np.ones(2), np.ones(2)), r"slope_fit: need at least 3 points; got 2"),
    (lambda: stats.bin_probabilities(3, np.array([0.0, 1.0])), r"bin_probabilities: `pdf` must be callable"),
    (lambda: stats.spearman(np.ones(3), np.ones(4)), r"spearman: `x` and `y` must have the same shape"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()
