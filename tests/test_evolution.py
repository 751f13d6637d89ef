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
    assert run.path.shape == (16, 10_000)
    np.testing.assert_array_equal(run.t, np.arange(0, 1501, 100))
    np.testing.assert_array_equal(run.path[0], 0.5)                    # the initial state first
    np.testing.assert_array_equal(run.x, run.path[-1])
    sample = np.round(np.asarray(run.path[8:]) * N).astype(int).ravel()  # after 700 generations
    pi = np.asarray(ev.wright_fisher_stationary(N, S, U, V))
    # 40 bins of 5 counts; the sampling floor of TV here is about 0.006.
    hist = np.bincount(sample // 5, minlength=41)[:41] / sample.size
    ref = np.add.reduceat(pi, np.arange(0, N + 1, 5))
    assert 0.5 * np.abs(hist - ref).sum() < 0.02
    assert abs(sample.mean() / N - float(np.sum(pi * np.arange(N + 1) / N))) < 3e-3


def test_simulation_dtype_sharding_and_validation(key):
    run = ev.wright_fisher(key, 20, 0.1, 0.01, 0.01, 0.33, n_gen=10, n_rep=8)
    assert run.x.dtype == jnp.float32 and run.path.shape == (1, 8)     # only the initial state
    np.testing.assert_allclose(run.path[0], 0.35)                      # x0 rounded to 7/20
    np.testing.assert_array_equal(run.t, [0])
    x0 = jnp.full(1024, 0.25, jnp.float32)
    ref = ev.wright_fisher(key, 50, 0.05, 0.01, 0.01, x0, n_gen=20, n_rep=1024)
    mesh = jax.make_mesh((2,), ("rep",), axis_types=(jax.sharding.AxisType.Auto,))
    out = ev.wright_fisher(key, 50, 0.05, 0.01, 0.01, jax.device_put(x0, NamedSharding(mesh, P("rep"))),
                           n_gen=20, n_rep=1024)
    np.testing.assert_array_equal(out.x, ref.x)
    for kwargs, match in [
        (dict(N=0), r"wright_fisher: `N` must be >= 1"),
        (dict(N=10.0), r"wright_fisher: `N` must be a Python int"),
        (dict(N=30_000), r"wright_fisher: `N` must be <= 20000"),
        (dict(s=-1.5), r"wright_fisher: `s` must lie in \(-1, inf\); got -1.5"),
        (dict(u=1.2), r"wright_fisher: `u` must lie in \[0, 1\]; got 1.2"),
        (dict(u=0.6, v=0.6), r"wright_fisher: `u \+ v` must lie in \(-inf, 1\]; got 1.2"),
        (dict(x0=1.5), r"wright_fisher: `x0` must lie in \[0, 1\]"),
        (dict(x0=jnp.ones(3) * 0.5), r"wright_fisher: `x0` must have 4 entries along axis 0"),
        (dict(save_every=3), r"wright_fisher: `save_every` must divide `n_gen` = 10"),
        (dict(s=float("nan")), r"wright_fisher: `s` must be finite"),
    ]:
        args = dict(N=20, s=0.1, u=0.01, v=0.01, x0=0.5, save_every=None) | kwargs
        with pytest.raises(ValueError, match=match):
            ev.wright_fisher(key, args["N"], args["s"], args["u"], args["v"], args["x0"], n_gen=10, n_rep=4,
                             save_every=args["save_every"])
    with pytest.raises(ValueError, match=r"wright_density: `u` must lie in \(0, 1\]; got 0.0"):
        ev.wright_density(0.5, 20, 0.0, 0.0, 0.01)
    with pytest.raises(ValueError, match=r"wright_density: `x` must lie in \(0, 1\)"):
        ev.wright_density(jnp.array([0.0, 0.5]), 20, 0.0, 0.01, 0.01)
    with pytest.raises(ValueError, match=r"wright_fisher_stationary: `v` must lie in \(0, 1\]"):
        ev.wright_fisher_stationary(20, 0.0, 0.01, 0.0)
    with pytest.raises(ValueError, match=r"wright_mean: `s` must have shape \[\]"):
        ev.wright_mean(20, jnp.zeros(2), 0.01, 0.01)


def test_simulation_jit_eager_and_vmap_parity(x64, key):
    kw = dict(n_gen=6, n_rep=64, save_every=2)
    run = ev.wright_fisher(key, 30, 0.05, 0.01, 0.02, 0.4, **kw)
    with jax.disable_jit():
        eager = ev.wright_fisher(key, 30, 0.05, 0.01, 0.02, 0.4, **kw)
    for a, b in zip(run, eager):
        np.testing.assert_array_equal(a, b)
    ss = jnp.array([-0.1, 0.0, 0.2])
    batched = jax.vmap(lambda s: ev.wright_fisher(key, 30, s, 0.01, 0.02, 0.4, **kw).path)(ss)
    for k, s in enumerate(ss):
        np.testing.assert_array_equal(batched[k], ev.wright_fisher(key, 30, s, 0.01, 0.02, 0.4, **kw).path)


def test_exact_laws_jit_eager_and_vmap_parity(x64):
    P = ev.wright_fisher_matrix(40, 0.05, 0.01, 0.02)
    pi = ev.wright_fisher_stationary(40, 0.05, 0.01, 0.02)
    x = jnp.linspace(0.05, 0.95, 7)
    d = ev.wright_density(x, 40, 0.05, 0.01, 0.02)
    with jax.disable_jit():
        np.testing.assert_allclose(P, ev.wright_fisher_matrix(40, 0.05, 0.01, 0.02), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(pi, ev.wright_fisher_stationary(40, 0.05, 0.01, 0.02), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(d, ev.wright_density(x, 40, 0.05, 0.01, 0.02), rtol=1e-12)
    ss = jnp.array([-0.05, 0.0, 0.05])
    means = jax.vmap(lambda s: ev.wright_mean(40, s, 0.01, 0.02))(ss)
    pis = jax.vmap(lambda s: ev.wright_fisher_stationary(40, s, 0.01, 0.02))(ss)
    for k, s in enumerate(ss):
        np.testing.assert_allclose(means[k], ev.wright_mean(40, s, 0.01, 0.02), rtol=1e-12)
        np.testing.assert_allclose(pis[k], ev.wright_fisher_stationary(40, s, 0.01, 0.02), rtol=1e-10, atol=1e-15)


def test_sweeps_over_traced_parameters_compile_once(key):
    from compile_count import compilations

    def run(v):
        return (ev.wright_fisher(key, 40, v, 0.01, 0.01, 0.5, n_gen=5, n_rep=16, save_every=5).x,
                ev.wright_fisher_stationary(40, v, 0.01, 0.01), ev.wright_mean(40, v, 0.01, 0.01))

    values = np.linspace(0.0, 0.1, 6)
    run(values[0])
    with compilations() as n:
        outs = [run(v) for v in values[1:]]
    assert n() == 0
    assert len({float(o[2]) for o in outs}) == len(outs)
