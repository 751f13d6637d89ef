"""Wright–Fisher chain, its stationary law, the simulator and Wright's formula."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P
from scipy import integrate, stats

from geobook import evolution as ev

N, S, U, V = 200, 0.01, 0.005, 0.005


def _next(x, s, u, v):
    xs = (1 + s) * x / (1 + s * x)
    return (1 - v) * xs + u * (1 - xs)


@pytest.mark.parametrize("params", [(N, S, U, V), (50, -0.2, 0.0, 0.01), (7, 0.0, 0.0, 0.0), (1000, 0.05, 1e-3, 2e-3)])
def test_matrix_is_the_binomial_chain(x64, params):
    n, s, u, v = params
    Pm = np.asarray(ev.wright_fisher_matrix(n, s, u, v))
    x = np.arange(n + 1) / n
    ref = stats.binom.pmf(np.arange(n + 1)[None, :], n, _next(x, s, u, v)[:, None])
    np.testing.assert_allclose(Pm, ref, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(Pm.sum(1), 1.0, rtol=1e-12)
    if u == v == 0:                                   # pure drift: 0 and N are absorbing
        assert Pm[0, 0] == 1.0 and Pm[-1, -1] == 1.0


def test_stationary_law_is_the_left_perron_vector(x64):
    pi = np.asarray(ev.wright_fisher_stationary(N, S, U, V))
    Pm = np.asarray(ev.wright_fisher_matrix(N, S, U, V))
    np.testing.assert_allclose(pi @ Pm, pi, atol=1e-14)
    w, vl = np.linalg.eig(Pm.T)
    ref = np.real(vl[:, np.argmax(np.real(w))])
    np.testing.assert_allclose(pi, ref / ref.sum(), atol=1e-12)
    # Neutral and symmetric mutation: the law is symmetric about 1/2.
    pn = np.asarray(ev.wright_fisher_stationary(N, 0.0, U, U))
    np.testing.assert_allclose(pn, pn[::-1], atol=1e-14)


def test_wright_density_normalised_and_mean_exact(x64):
    f = lambda t: float(ev.wright_density(t, N, S, U, V))
    assert abs(integrate.quad(f, 0, 1)[0] - 1) < 1e-10
    mq = integrate.quad(lambda t: t * f(t), 0, 1)[0]
    np.testing.assert_allclose(float(ev.wright_mean(N, S, U, V)), mq, rtol=1e-10)
    # Neutral with u = v: a symmetric Beta(2Nu, 2Nu) law.
    x = jnp.linspace(0.05, 0.95, 7)
    np.testing.assert_allclose(ev.wright_density(x, 100, 0.0, 0.01, 0.01), stats.beta.pdf(x, 2, 2), rtol=1e-12)
    # Negative selection (c < 0) is handled too.
    g = lambda t: float(ev.wright_density(t, N, -S, U, V))
    assert abs(integrate.quad(g, 0, 1)[0] - 1) < 1e-10
    # The diffusion approximation of the chain's mean: within 0.005 (the book's V-G11 check).
    x_grid = np.arange(N + 1) / N
    assert abs(float(ev.wright_mean(N, S, U, V)) - float(np.sum(np.asarray(ev.wright_fisher_stationary(N, S, U, V)) * x_grid))) < 5e-3


def test_simulation_one_generation_is_binomial(x64, key):
    run = ev.wright_fisher(key, N, S, U, V, 0.3, n_gen=1, n_rep=200_000)
    counts = np.round(np.asarray(run.x) * N).astype(int)
    p = _next(0.3, S, U, V)
    obs = np.bincount(counts, minlength=N + 1)
    expected = stats.binom.pmf(np.arange(N + 1), N, p) * counts.size
    keep = expected > 5
    chi2 = np.sum((obs[keep] - expected[keep]) ** 2 / expected[keep])
    dof = keep.sum() - 1
    assert stats.chi2.sf(chi2, dof) > 1e-3                 # not rejected at the 0.1% level
    assert obs[~keep].sum() <= 5 * max(1, (~keep).sum())


def test_simulation_reaches_the_exact_stationary_law(x64, key):
    run = ev.wright_fisher(key, N, S, U, V, 0.5, n_gen=1500, n_rep=10_000, save_every=100)
    assert run.path.shape == (15, 10_000) and int(run.generations[-1]) == 1500
    np.testing.assert_array_equal(run.x, run.path[-1])
    sample = np.round(np.asarray(run.path[7:]) * N).astype(int).ravel()  # after 700 generations
    pi = np.asarray(ev.wright_fisher_stationary(N, S, U, V))
    # 40 bins of 5 counts; the sampling floor of TV here is about 0.006.
    hist = np.bincount(sample // 5, minlength=41)[:41] / sample.size
    ref = np.add.reduceat(pi, np.arange(0, N + 1, 5))
    assert 0.5 * np.abs(hist - ref).sum() < 0.02
    assert abs(sample.mean() / N - float(np.sum(pi * np.arange(N + 1) / N))) < 3e-3


def test_simulation_dtype_sharding_and_validation(key):
    run = ev.wright_fisher(key, 20, 0.1, 0.01, 0.01, 0.5, n_gen=10, n_rep=8)
    assert run.x.dtype == jnp.float32 and run.path.shape == (1, 8)
    x0 = jnp.full(1024, 0.25, jnp.float32)
    ref = ev.wright_fisher(key, 50, 0.05, 0.01, 0.01, x0, n_gen=20, n_rep=1024)
    mesh = jax.make_mesh((2,), ("rep",), axis_types=(jax.sharding.AxisType.Auto,))
    out = ev.wright_fisher(key, 50, 0.05, 0.01, 0.01, jax.device_put(x0, NamedSharding(mesh, P("rep"))),
                           n_gen=20, n_rep=1024)
    np.testing.assert_array_equal(out.x, ref.x)
    for kwargs, match in [
        (dict(N=0), r"wright_fisher: `N` must be >= 1"),
        (dict(N=10.0), r"wright_fisher: `N` must be a Python int"),
        (dict(s=-1.5), r"wright_fisher: `s` must be > -1"),
        (dict(u=1.2), r"wright_fisher: `u` must be a probability in \[0, 1\]"),
        (dict(u=0.6, v=0.6), r"wright_fisher: `u` \+ v must be <= 1"),
        (dict(x0=1.5), r"wright_fisher: `x0` must be a frequency in \[0, 1\]"),
        (dict(x0=jnp.ones(3) * 0.5), r"wright_fisher: `x0` must have n_rep = 4 entries"),
        (dict(save_every=3), r"wright_fisher: `save_every` must divide n_gen = 10"),
        (dict(s=float("nan")), r"wright_fisher: `s` must be finite"),
    ]:
        args = dict(N=20, s=0.1, u=0.01, v=0.01, x0=0.5, save_every=None) | kwargs
        with pytest.raises(ValueError, match=match):
            ev.wright_fisher(key, args["N"], args["s"], args["u"], args["v"], args["x0"], n_gen=10, n_rep=4,
                             save_every=args["save_every"])
    with pytest.raises(ValueError, match=r"wright_density: `u` must be in \(0, 1\]"):
        ev.wright_density(0.5, 20, 0.0, 0.0, 0.01)
    with pytest.raises(ValueError, match=r"wright_density: `x` must lie in the open interval"):
        ev.wright_density(jnp.array([0.0, 0.5]), 20, 0.0, 0.01, 0.01)
    with pytest.raises(ValueError, match=r"wright_fisher_stationary: `v` must be in \(0, 1\]"):
        ev.wright_fisher_stationary(20, 0.0, 0.01, 0.0)
    with pytest.raises(ValueError, match=r"wright_mean: `s` must have shape \[\]"):
        ev.wright_mean(20, jnp.zeros(2), 0.01, 0.01)
