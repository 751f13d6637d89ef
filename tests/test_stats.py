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
    (lambda: stats.hist_kl(np.zeros(5), np.array([0.0, 1.0]), np.ones(3)), r"hist_kl: `reference` must have 1 entries along axis -1 \(one per bin\)"),
    (lambda: stats.hist_kl(np.zeros(5), np.array([0.0]), np.ones(1)), r"hist_kl: `edges` must hold at least 2 values"),
    (lambda: stats.hist_kl(np.zeros(5), np.array([1.0, 0.0]), np.ones(1)), r"hist_kl: `edges` must be strictly increasing"),
    (lambda: stats.hist_kl(np.zeros(5), np.array([0.0, 1.0]), -np.ones(1)), r"hist_kl: `reference` must be finite and >= 0"),
    (lambda: stats.histogram(np.array([np.nan]), np.array([0.0, 1.0])), r"histogram: `samples` must be finite"),
    (lambda: stats.tv_distance(np.ones(2), np.ones(3)), r"tv_distance: `p` and `q` must have the same shape"),
    (lambda: stats.ks_distance(np.ones((2, 2)), lambda x: x), r"ks_distance: `samples` must have shape \[n\]"),
    (lambda: stats.ks_distance(np.ones(3), lambda x: x[:2]), r"ks_distance: `cdf` must map an input of shape \[3\] to \[3\]"),
    (lambda: stats.ks_distance(np.ones(3), lambda x, m: x - m), r"ks_distance: `cdf` could not be called as cdf\(x, \*args\)"),
    (lambda: stats.slope_fit(np.ones(2), np.ones(2)), r"slope_fit: `x` must hold at least 3 points"),
    (lambda: stats.slope_fit(np.ones(3), np.array([1.0, np.nan, 1.0])), r"slope_fit: `y` must be finite"),
    (lambda: stats.bin_probabilities(3, np.array([0.0, 1.0])), r"bin_probabilities: `pdf` must be callable"),
    (lambda: stats.bin_probabilities(lambda x: x.sum(), np.array([0.0, 1.0])), r"bin_probabilities: `pdf` must map an input"),
    (lambda: stats.bin_probabilities(lambda x: x, np.array([0.0, 1.0]), args=[1.0]), r"bin_probabilities: `args` must be a tuple"),
    (lambda: stats.spearman(np.ones(3), np.ones(4)), r"spearman: `x` and `y` must have the same shape"),
    (lambda: stats.spearman(np.ones(2), np.ones(2)), r"spearman: `x` must hold at least 3 points"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_args_jit_eager_and_vmap_parity(x64):
    """The callables take their parameters through args; the kernels agree with eager runs
    and a vmap over a parameter agrees with a Python loop."""
    e = jnp.linspace(-3, 3, 13)
    gauss = lambda q, s: jnp.exp(-q**2 / (2 * s**2))
    s = jax.random.normal(jax.random.key(2), (2000,))
    ref = stats.bin_probabilities(gauss, e, args=(1.0,))
    np.testing.assert_allclose(ref, stats.bin_probabilities(lambda q: jnp.exp(-q**2 / 2), e), rtol=1e-14)
    outs = (ref, stats.histogram(s, e), stats.hist_kl(s, e, ref), stats.ks_distance(s, jax.scipy.stats.norm.cdf),
            stats.tv_distance(ref, stats.histogram(s, e)), *stats.slope_fit(e, e**2), stats.spearman(e, e**3))
    with jax.disable_jit():
        eager = (stats.bin_probabilities(gauss, e, args=(1.0,)), stats.histogram(s, e), stats.hist_kl(s, e, ref),
                 stats.ks_distance(s, jax.scipy.stats.norm.cdf), stats.tv_distance(ref, stats.histogram(s, e)),
                 *stats.slope_fit(e, e**2), stats.spearman(e, e**3))
    for a, b in zip(outs, eager):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    sigmas = jnp.array([0.5, 1.0, 2.0])
    bins = jax.vmap(lambda sg: stats.bin_probabilities(gauss, e, args=(sg,)))(sigmas)
    ks = jax.vmap(lambda sg: stats.ks_distance(s, jax.scipy.stats.norm.cdf, args=(0.0, sg)))(sigmas)
    kls = jax.vmap(lambda r: stats.hist_kl(s, e, r))(bins)
    for k, sg in enumerate(sigmas):
        np.testing.assert_allclose(bins[k], stats.bin_probabilities(gauss, e, args=(sg,)), rtol=1e-12)
        np.testing.assert_allclose(ks[k], stats.ks_distance(s, jax.scipy.stats.norm.cdf, args=(0.0, sg)), rtol=1e-12)
        np.testing.assert_allclose(kls[k], stats.hist_kl(s, e, bins[k]), rtol=1e-12)
    assert int(jnp.argmin(ks)) == 1 and int(jnp.argmin(kls)) == 1    # the right scale fits best


def test_hist_kl_zero_conventions(x64):
    e = jnp.array([0.0, 1.0, 2.0, 3.0])
    # An empty bin contributes 0 (0 log 0), also where the reference is 0 there.
    assert float(stats.hist_kl(jnp.array([0.5, 1.5]), e, jnp.array([1.0, 1.0, 0.0]))) == 0.0
    # A sample in a bin of reference probability 0 makes the divergence infinite.
    assert float(stats.hist_kl(jnp.array([0.5, 2.5]), e, jnp.array([1.0, 1.0, 0.0]))) == np.inf


def test_sweeps_over_args_compile_once():
    from compile_count import compilations
    e = jnp.linspace(-3, 3, 13)
    s = jax.random.normal(jax.random.key(3), (500,))
    gauss = lambda q, sg: jnp.exp(-q**2 / (2 * sg**2))

    def run(v):
        ref = stats.bin_probabilities(gauss, e, args=(v,))
        return stats.hist_kl(s, e, ref), stats.ks_distance(s, jax.scipy.stats.norm.cdf, args=(0.0, v))

    values = np.linspace(0.5, 2.0, 6)
    run(values[0])
    with compilations() as n:
        outs = [run(v) for v in values[1:]]
    assert n() == 0
    assert len({float(o[1]) for o in outs}) == len(outs)
