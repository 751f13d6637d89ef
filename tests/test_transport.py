"""geobook.transport against independent oracles (POT, ott-jax, scipy, closed forms)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P
from scipy.optimize import linear_sum_assignment
from scipy.stats import norm

from geobook import cones, transport as tp


def clouds(n=60, m=50, d=2, dtype=jnp.float64, seed=0):
    kx, ky = jax.random.split(jax.random.key(seed))
    x = jax.random.normal(kx, (n, d), dtype)
    y = jax.random.uniform(ky, (m, d), dtype, -1.0, 1.0) + 0.5
    return x, y


# --- Sinkhorn ------------------------------------------------------------------------------
@pytest.mark.parametrize("eps", [1.0, 0.1, 0.01])
def test_sinkhorn_matches_pot_plan_and_marginals(x64, eps):
    import ot
    x, y = clouds()
    a = jax.random.uniform(jax.random.key(5), (60,), jnp.float64, 0.5, 1.5)
    a = a / a.sum()
    r = tp.sinkhorn(x, y, eps, a=a, tol=1e-11, max_iter=200_000)
    assert bool(r.converged) and float(r.error) <= 1e-11
    b = np.full(50, 1 / 50)
    C = np.asarray(tp.sq_euclidean_cost(x, y))
    np.testing.assert_allclose(C, ((np.asarray(x)[:, None] - np.asarray(y)[None]) ** 2).sum(-1),
                               atol=1e-12)
    P_ref = ot.bregman.sinkhorn_log(np.asarray(a), b, C, eps, stopThr=1e-13, numItermax=200_000)
    np.testing.assert_allclose(np.asarray(r.plan), P_ref, atol=1e-9)
    np.testing.assert_allclose(np.asarray(r.plan).sum(1), a, atol=1e-10)
    np.testing.assert_allclose(np.asarray(r.plan).sum(0), b, atol=1e-10)
    # the plan is diag(e^{f/eps}) K diag(e^{g/eps}) (checked where K does not underflow)
    K = np.exp(-C / eps)
    if eps >= 0.1:
        np.testing.assert_allclose(np.exp(np.asarray(r.f) / eps)[:, None] * K *
                                   np.exp(np.asarray(r.g) / eps)[None], np.asarray(r.plan), atol=1e-12)
    assert float(r.cost) == pytest.approx(float((np.asarray(r.plan) * C).sum()), rel=1e-12)


def test_sinkhorn_matches_ott_reg_cost(x64):
    from ott.geometry import pointcloud
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn as ott_sinkhorn
    x, y = clouds()
    r = tp.sinkhorn(x, y, 0.1, tol=1e-11, max_iter=100_000)
    o = ott_sinkhorn.Sinkhorn(threshold=1e-11, max_iterations=100_000)(
        linear_problem.LinearProblem(pointcloud.PointCloud(x, y, epsilon=0.1)))
    assert float(r.reg_cost) == pytest.approx(float(o.reg_ot_cost), rel=1e-9)
    np.testing.assert_allclose(np.asarray(r.plan), np.asarray(o.matrix), atol=1e-10)


def test_sinkhorn_tends_to_exact_ot(x64):
    x, y = clouds(80, 80)
    C = np.asarray(tp.sq_euclidean_cost(x, y))
    i, j = linear_sum_assignment(C)
    exact = C[i, j].mean()
    gaps = [float(tp.sinkhorn(x, y, eps, tol=1e-8, max_iter=100_000).cost) - exact
            for eps in (0.1, 0.03, 0.01)]
    assert all(g > 0 for g in gaps)           # the entropic plan is feasible, so never cheaper
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.01 * exact


def test_sinkhorn_zero_weights(x64):
    x, y = clouds(6, 5)
    a = jnp.array([0.25, 0.0, 0.25, 0.25, 0.25, 0.0])
    r = tp.sinkhorn(x, y, 0.1, a=a, tol=1e-12, max_iter=10_000)
    sub = tp.sinkhorn(x[a > 0], y, 0.1, tol=1e-12, max_iter=10_000)
    assert bool(r.converged) and np.all(np.asarray(r.plan)[np.asarray(a) == 0] == 0)
    np.testing.assert_allclose(np.asarray(r.plan)[np.asarray(a) > 0], sub.plan, atol=1e-13)
    assert float(r.reg_cost) == pytest.approx(float(sub.reg_cost), rel=1e-12)


def test_sinkhorn_reports_nonconvergence(x64):
    x, y = clouds()
    r = tp.sinkhorn(x, y, 1e-3, tol=1e-12, max_iter=5)
    assert int(r.n_iter) == 5 and not bool(r.converged) and float(r.error) > 1e-12
    assert np.all(np.isfinite(np.asarray(r.plan)))


def test_sinkhorn_small_eps_is_stable(x64):
    # exp(-C/eps) underflows to 0 here: only the log domain survives
    x, y = clouds(40, 40)
    C = np.asarray(tp.sq_euclidean_cost(x, y))
    assert (np.exp(-C / 1e-3) == 0).mean() > 0.5   # most of the kernel matrix is 0.0
    r = tp.sinkhorn(x, y, 1e-3, tol=1e-3, max_iter=50_000)
    assert np.all(np.isfinite(np.asarray(r.f))) and np.all(np.isfinite(np.asarray(r.plan)))
    assert bool(r.converged) and float(r.error) <= 1e-3
    i, j = linear_sum_assignment(C)
    assert float(r.cost) == pytest.approx(C[i, j].mean(), rel=1e-2)


def test_sinkhorn_float32_and_vmap_matches_loop(x64):
    x, y = clouds(dtype=jnp.float32)
    r = tp.sinkhorn(x, y, 0.1, tol=1e-4)
    assert r.plan.dtype == jnp.float32 and r.f.dtype == jnp.float32 and bool(r.converged)
    x, y = clouds()
    xs = jnp.stack([x, x + 0.1, x * 1.2])
    vr = jax.vmap(lambda x: tp.sinkhorn(x, y, 0.1, tol=1e-9))(xs)
    for k in range(3):
        one = tp.sinkhorn(xs[k], y, 0.1, tol=1e-9)
        np.testing.assert_allclose(vr.cost[k], one.cost, rtol=1e-8)
        assert bool(vr.converged[k])


def test_sinkhorn_batch_sharded_over_devices(x64):
    assert len(jax.devices()) >= 2
    x, y = clouds()
    xs = jnp.stack([x * s for s in (1.0, 1.1, 0.9, 1.3)])
    solve = jax.jit(jax.vmap(lambda x: tp.sinkhorn(x, y, 0.1, tol=1e-9)))
    ref = solve(xs)
    mesh = jax.make_mesh((2,), ("problems",), axis_types=(jax.sharding.AxisType.Auto,))
    out = solve(jax.device_put(xs, NamedSharding(mesh, P("problems"))))
    assert len(out.cost.sharding.device_set) == 2
    np.testing.assert_allclose(out.cost, ref.cost, rtol=1e-12)


def test_entropic_ot_gradients(x64):
    from jax.test_util import check_grads
    x, y = clouds(12, 10)
    a = jnp.full(12, 1 / 12)
    f = lambda x, y: tp.entropic_ot(x, y, 0.5, tol=1e-13, max_iter=100_000)
    check_grads(f, (x, y), order=1, modes=["fwd", "rev"], atol=1e-6, rtol=1e-6)
    # the envelope formula by hand
    r = tp.sinkhorn(x, y, 0.5, tol=1e-13, max_iter=100_000)
    gx = jax.grad(f)(x, y)
    manual = 2 * (x * r.plan.sum(1)[:, None] - r.plan @ y)
    np.testing.assert_allclose(gx, manual, atol=1e-12)
    assert float(f(x, y)) == pytest.approx(float(r.reg_cost), rel=1e-14)
    # gradient in the weights: along mass-preserving directions
    da = jnp.zeros(12).at[0].set(1.0).at[1].set(-1.0)
    g = lambda t: tp.entropic_ot(x, y, 0.5, a=a + t * da, tol=1e-13, max_iter=100_000)
    fd = (g(1e-5) - g(-1e-5)) / 2e-5
    assert float(jax.grad(g)(0.0)) == pytest.approx(float(fd), rel=1e-5)


# --- closed forms -----------------------------------------------------------------------
def test_gaussian_map_and_w2(x64):
    import ot
    k = jax.random.split(jax.random.key(1), 4)
    S0, S1 = cones.random_spd(k[0], 3), cones.random_spd(k[1], 3)
    m0, m1 = jax.random.normal(k[2], (3,)), jax.random.normal(k[3], (3,))
    A = tp.gaussian_map(m0, S0, m1, S1)
    np.testing.assert_allclose(A @ S0 @ A, S1, atol=1e-12)
    np.testing.assert_allclose(A, cones.geomean(jnp.linalg.inv(S0), S1), atol=1e-12)
    assert float(jnp.linalg.eigvalsh(A).min()) > 0
    Ap, _ = ot.gaussian.bures_wasserstein_mapping(np.asarray(m0), np.asarray(m1), np.asarray(S0), np.asarray(S1))
    np.testing.assert_allclose(A, Ap, atol=1e-10)
    w2 = tp.gaussian_w2(m0, S0, m1, S1)
    ref = ot.gaussian.bures_wasserstein_distance(np.asarray(m0), np.asarray(m1), np.asarray(S0), np.asarray(S1)) ** 2
    assert float(w2) == pytest.approx(float(ref), rel=1e-10)
    # 1-D: W2^2 = (m0 - m1)^2 + (s0 - s1)^2
    assert float(tp.gaussian_w2(jnp.array([1.0]), jnp.array([[4.0]]), jnp.array([0.0]), jnp.array([[9.0]]))) \
        == pytest.approx(1.0 + 1.0, rel=1e-14)
    # batched, float32
    Sb = cones.random_spd(k[0], 3, shape=(5,), dtype=jnp.float32)
    out = tp.gaussian_w2(jnp.zeros((5, 3), jnp.float32), Sb, jnp.ones((5, 3), jnp.float32), Sb)
    assert out.dtype == jnp.float32 and out.shape == (5,)
    np.testing.assert_allclose(out, 3.0, rtol=1e-4)
    assert tp.gaussian_map(jnp.zeros((5, 3)), Sb, jnp.zeros((5, 3)), Sb).shape == (5, 3, 3)


def test_quantile_map_1d(x64):
    x = jax.random.normal(jax.random.key(0), (1001,))
    y = jnp.exp(jax.random.normal(jax.random.key(1), (1001,)))
    Tx = tp.quantile_map_1d(x, x, y)
    np.testing.assert_allclose(jnp.sort(Tx), jnp.sort(y), atol=1e-13)   # a bijection of samples
    t = jnp.linspace(-4, 4, 200)
    assert bool(jnp.all(jnp.diff(tp.quantile_map_1d(t, x, y)) >= 0))
    # population: N(0,1) -> lognormal is exp; the empirical map approaches it
    xb = jax.random.normal(jax.random.key(2), (200_000,))
    yb = jnp.exp(jax.random.normal(jax.random.key(3), (200_000,)))
    t = jnp.linspace(-1.5, 1.5, 7)
    np.testing.assert_allclose(tp.quantile_map_1d(t, xb, yb), jnp.exp(t), rtol=0.02)
    # it is the optimal assignment in 1-D
    xs, ys = x[:200], y[:200]
    C = np.asarray((xs[:, None] - ys[None]) ** 2)
    i, j = linear_sum_assignment(C)
    assert float(jnp.mean((xs - tp.quantile_map_1d(xs, xs, ys)) ** 2)) == pytest.approx(C[i, j].mean(), rel=1e-12)


def test_legendre_pushforward_bernoulli(x64):
    psi = lambda th: jnp.logaddexp(0.0, th[0])
    th = jax.random.normal(jax.random.key(0), (200_000, 1))
    out = tp.legendre_pushforward(psi, th, lambda t: norm.logpdf(0.0) - 0.5 * t[0] ** 2)
    np.testing.assert_allclose(out.mu[:, 0], jax.nn.sigmoid(th[:, 0]), atol=1e-14)
    mu = np.sort(np.asarray(out.mu[:, 0]))
    ecdf = np.arange(1, mu.size + 1) / mu.size
    ks = np.max(np.abs(ecdf - norm.cdf(np.log(mu / (1 - mu)))))
    assert ks < 5e-3
    # change of variables: nu(mu) = phi(logit mu)/(mu(1-mu))
    m = np.asarray(out.mu[:5, 0])
    np.testing.assert_allclose(np.exp(out.log_density[:5]), norm.pdf(np.log(m / (1 - m))) / (m * (1 - m)), rtol=1e-12)
    # a 2-D softmax family (k = 3 categories, 2 free parameters)
    psi2 = lambda th: jnp.log1p(jnp.sum(jnp.exp(th)))
    o2 = tp.legendre_pushforward(psi2, jnp.array([[0.3, -0.2], [1.0, 2.0]]))
    p = jax.nn.softmax(jnp.array([[0.3, -0.2, 0.0], [1.0, 2.0, 0.0]]), -1)
    np.testing.assert_allclose(o2.mu, p[:, :2], atol=1e-14)
    np.testing.assert_allclose(jnp.exp(o2.log_det), p.prod(-1), rtol=1e-12)   # det = prod p_i
    assert o2.log_density is None


# --- Monge–Ampère -----------------------------------------------------------------------
TW = 2 * np.pi
EX = tp.periodic_ma_example()
ARGS = EX.args


def test_periodic_ma_example_is_a_brenier_pair(x64):
    # rho0 by hand for the default example at a few points: det(I + D^2 u) rho1(x + grad u)
    p = jax.random.uniform(jax.random.key(0), (7, 2), jnp.float64)
    for q in p:
        Hs = jax.hessian(EX.u)(q, *ARGS)
        assert float(jnp.linalg.eigvalsh(jnp.eye(2) + Hs).min()) > 0
        want = jnp.linalg.det(jnp.eye(2) + Hs) * EX.rho1(q + jax.grad(EX.u)(q, *ARGS), *ARGS)
        assert float(EX.rho0(q[None], *ARGS)[0]) == pytest.approx(float(want), rel=1e-13)
    # equal mass: the pushforward preserves it (spectrally accurate grid mean)
    X = tp.grid_2d(64, dtype=jnp.float64)
    assert float(EX.rho0(X, *ARGS).mean()) == pytest.approx(float(EX.rho1(X, *ARGS).mean()), rel=1e-12)


def test_monge_ampere_manufactured_second_order(x64):
    errs, hs = [], []
    for n in (16, 32, 64):
        r = tp.monge_ampere_2d(EX.rho0, EX.rho1, n=n, args=ARGS)
        assert bool(r.converged) and float(r.error) < 1e-9 and int(r.n_iter) <= 10
        ue = EX.u(r.x, *ARGS)
        errs.append(float(jnp.max(jnp.abs(r.u - (ue - ue.mean())))))
        hs.append(1 / n)
        assert abs(float(r.c) - 1) < 0.5 / n   # the compatibility constant is 1 + O(h^2)
        res = tp.ma_residual(r.u, EX.rho0, EX.rho1, c=r.c, args=ARGS)
        assert float(jnp.max(jnp.abs(res))) == pytest.approx(float(r.error), rel=1e-6)
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert abs(slope - 2) < 0.2
    # the exact solution has an O(h^2) discrete residual, shrinking 4x per refinement
    res = [float(jnp.max(jnp.abs(tp.ma_residual(EX.u(tp.grid_2d(n, dtype=jnp.float64), *ARGS), EX.rho0, EX.rho1, args=ARGS))))
           for n in (32, 64)]
    assert 3.5 < res[0] / res[1] < 4.5


def test_monge_ampere_near_the_convexity_limit(x64):
    # amplitude 0.65 of 2/3: I + D^2u is nearly singular somewhere; rho1 varies by a factor 19
    ex = tp.periodic_ma_example(amplitude=0.65, contrast=0.9)
    r = tp.monge_ampere_2d(ex.rho0, ex.rho1, n=32, args=ex.args)
    assert bool(r.converged) and int(r.n_iter) <= 12
    ue = ex.u(r.x, *ex.args)
    assert float(jnp.max(jnp.abs(r.u - (ue - ue.mean())))) < 5e-4


def test_monge_ampere_uniform_is_identity(x64):
    one = jax.jit(lambda p: jnp.ones(p.shape[:-1], p.dtype))
    r = tp.monge_ampere_2d(one, one, n=16)
    assert int(r.n_iter) == 0 and float(jnp.max(jnp.abs(r.u))) == 0.0 and bool(r.converged)


# --- validation ---------------------------------------------------------------------------
def test_validation_messages(x64):
    x, y = clouds(5, 4)
    bad = [
        (lambda: tp.sinkhorn(x, y, 0.0), "sinkhorn: `eps`"),
        (lambda: tp.sinkhorn(x, y, -1.0), "sinkhorn: `eps`"),
        (lambda: tp.sinkhorn(x, y, jnp.nan), "sinkhorn: `eps`"),
        (lambda: tp.sinkhorn(x, y, 0.1, a=jnp.array([0.5, 0.6, -0.1, 0.0, 0.0])), "sinkhorn: `a` must be finite and >= 0"),
        (lambda: tp.sinkhorn(x, y, 0.1, a=jnp.array([0.5, jnp.nan, 0.1, 0.2, 0.2])), "sinkhorn: `a` must be finite"),
        (lambda: tp.sinkhorn(x, y, 0.1, a=jnp.full(5, 0.3)), "sinkhorn: `b` must have the same total mass as `a`, sum(a) = 1.5; got 1.0"),
        (lambda: tp.sinkhorn(x, y, 0.1, b=jnp.full(3, 1 / 3)), "sinkhorn: `b` must have 4 entries along axis -1 (one weight per point)"),
        (lambda: tp.sinkhorn(x, jnp.ones((4, 3)), 0.1), "sinkhorn: `x` and `y` must have the same size along axis -1"),
        (lambda: tp.sinkhorn(x[0], y, 0.1), "sinkhorn: `x` must have shape [n, d]"),
        (lambda: tp.sinkhorn(x, y, 0.1, max_iter=0), "sinkhorn: `max_iter`"),
        (lambda: tp.entropic_ot(x, y, 0.0), "entropic_ot: `eps`"),
        (lambda: tp.gaussian_map(jnp.zeros(2), -jnp.eye(2), jnp.zeros(2), jnp.eye(2)), "gaussian_map: `S0` must be symmetric positive definite"),
        (lambda: tp.gaussian_w2(jnp.zeros(2), jnp.eye(2), jnp.zeros(2), jnp.array([[1.0, 2.0], [2.0, 1.0]])), "gaussian_w2: `S1` must be symmetric positive definite"),
        (lambda: tp.gaussian_w2(jnp.zeros(3), jnp.eye(2), jnp.zeros(2), jnp.eye(2)), "gaussian_w2: `m0` must have 2 entries along axis -1 (the dimension d of `S0`)"),
        (lambda: tp.quantile_map_1d(0.0, jnp.ones(1), jnp.ones(3)), "quantile_map_1d: `x` must hold at least 2 samples"),
        (lambda: tp.quantile_map_1d(0.0, jnp.ones((3, 2)), jnp.ones(3)), "quantile_map_1d: `x` must have shape [n]"),
        (lambda: tp.legendre_pushforward(3.0, jnp.ones((2, 1))), "legendre_pushforward: `psi` must be callable"),
        (lambda: tp.legendre_pushforward(jnp.sum, jnp.array(1.0)), "legendre_pushforward: `theta` must have shape"),
        (lambda: tp.monge_ampere_2d(lambda p: 1 + 0 * p[..., 0], lambda p: 1 + 0.1 * p[..., 0], n=16), "monge_ampere_2d: `rho1` must be L-periodic"),
        (lambda: tp.monge_ampere_2d(lambda p: jnp.cos(TW * p[..., 0]), lambda p: 1 + 0 * p[..., 0], n=16), "monge_ampere_2d: `rho0` must be finite and > 0"),
        (lambda: tp.monge_ampere_2d(lambda p: 2 + 0 * p[..., 0], lambda p: 1 + 0 * p[..., 0], n=16), "monge_ampere_2d: `rho1` must have the same mass on the torus (grid mean) as `rho0`, 2; got 1.0"),
        (lambda: tp.monge_ampere_2d("rho", lambda p: 1 + 0 * p[..., 0], n=16), "monge_ampere_2d: `rho0` must be callable"),
        (lambda: tp.monge_ampere_2d(EX.rho0, EX.rho1, n=15, args=ARGS), "monge_ampere_2d: `n` must be even"),
        (lambda: tp.monge_ampere_2d(EX.rho0, EX.rho1, n=16, L=0.0, args=ARGS), "monge_ampere_2d: `L`"),
        (lambda: tp.ma_residual(jnp.ones((4, 5)), EX.rho0, EX.rho1, args=ARGS), "ma_residual: `u` must be a (batch of) square"),
        (lambda: tp.periodic_ma_example(amplitude=0.7), "periodic_ma_example: `amplitude` must be < 2/3"),
        (lambda: tp.periodic_ma_example(contrast=1.0), "periodic_ma_example: `contrast` must be < 1"),
        (lambda: tp.grid_2d(0), "grid_2d: `n`"),
    ]
    for call, msg in bad:
        with pytest.raises(ValueError) as e:
            call()
        assert msg in str(e.value), (msg, str(e.value))


def test_float32_preserved():
    x = jax.random.normal(jax.random.key(0), (100,), jnp.float32)
    assert tp.quantile_map_1d(x, x, 2 * x).dtype == jnp.float32
    np.testing.assert_allclose(tp.quantile_map_1d(x, x, 2 * x), 2 * x, rtol=1e-5)
    leg = tp.legendre_pushforward(lambda t: jnp.logaddexp(0.0, t[0]), x[:, None])
    assert leg.mu.dtype == jnp.float32 and leg.log_det.dtype == jnp.float32
    ex = tp.periodic_ma_example()
    r = tp.monge_ampere_2d(ex.rho0, ex.rho1, n=16, tol=1e-4, lin_tol=1e-6,
                           u0=jnp.zeros((16, 16), jnp.float32), args=ex.args)
    assert r.u.dtype == jnp.float32 and bool(r.converged)
    u_exact = ex.u(r.x, *ex.args)
    assert float(jnp.max(jnp.abs(r.u - (u_exact - u_exact.mean())))) < 5e-4


def test_sinkhorn_batch_equals_single_solves(x64):
    keys = jax.random.split(jax.random.key(5), 3)
    xs = jnp.stack([jax.random.normal(k, (30, 2)) * s for k, s in zip(keys, (1.0, 0.5, 2.0))])
    ys = jnp.stack([jax.random.uniform(k, (25, 2)) + 0.5 for k in keys])
    a = jax.random.uniform(keys[0], (3, 30)) + 0.1
    a = a / a.sum(1, keepdims=True)
    eps = jnp.array([0.05, 0.2, 1.0])
    out = tp.sinkhorn_batch(xs, ys, eps, a=a, tol=1e-10)
    assert out.plan.shape == (3, 30, 25) and out.cost.shape == (3,)
    for k in range(3):
        one = tp.sinkhorn(xs[k], ys[k], float(eps[k]), a=a[k], tol=1e-10)
        np.testing.assert_allclose(out.plan[k], one.plan, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(out.cost[k], one.cost, rtol=1e-12)
        np.testing.assert_allclose(out.reg_cost[k], one.reg_cost, rtol=1e-12)
        assert int(out.n_iter[k]) == int(one.n_iter)          # each problem's own count
        assert bool(out.converged[k]) and float(out.error[k]) <= 1e-10
    assert len(set(np.asarray(out.n_iter).tolist())) > 1      # frozen at different iterations
    # small eps (most of exp(-C/eps) underflows): the batch-wide safeguard still converges
    small = tp.sinkhorn_batch(xs, ys, 1e-2, tol=1e-7, max_iter=50_000)
    ref = tp.sinkhorn(xs[2], ys[2], 1e-2, tol=1e-7, max_iter=50_000)
    assert bool(small.converged.all())
    np.testing.assert_allclose(small.cost[2], ref.cost, rtol=1e-9)
    # the safeguard stays a branch for the whole batch (no select of both passes)
    jaxpr = str(jax.make_jaxpr(lambda x, y: tp.sinkhorn_batch(x, y, 0.1))(xs, ys))
    assert "cond[" in jaxpr


def test_sinkhorn_batch_sharded_float32_and_validation():
    assert len(jax.devices()) >= 2
    x, y = clouds()
    xs = jnp.stack([x * s for s in (1.0, 1.1, 0.9, 1.3)]).astype(jnp.float32)
    ys = jnp.stack([y] * 4).astype(jnp.float32)
    ref = tp.sinkhorn_batch(xs, ys, 0.1, tol=1e-5)
    assert ref.plan.dtype == jnp.float32 and bool(ref.converged.all())
    mesh = jax.make_mesh((2,), ("problems",), axis_types=(jax.sharding.AxisType.Auto,))
    sh = NamedSharding(mesh, P("problems"))
    out = jax.jit(lambda x, y: tp.sinkhorn_batch(x, y, 0.1, tol=1e-5))(jax.device_put(xs, sh), jax.device_put(ys, sh))
    assert len(out.cost.sharding.device_set) == 2
    np.testing.assert_allclose(out.cost, ref.cost, rtol=1e-5)
    with pytest.raises(ValueError, match=r"sinkhorn_batch: `x` must have shape \[B, n, d\]"):
        tp.sinkhorn_batch(x, y, 0.1)
    with pytest.raises(ValueError, match=r"sinkhorn_batch: `x` and `y` must have the same size along axis 0"):
        tp.sinkhorn_batch(xs, ys[:3], 0.1)
    with pytest.raises(ValueError, match=r"sinkhorn_batch: `eps` must have 4 entries along axis 0 \(one value per problem\)"):
        tp.sinkhorn_batch(xs, ys, jnp.ones(3))
    with pytest.raises(ValueError, match=r"sinkhorn_batch: `eps` must be finite and > 0"):
        tp.sinkhorn_batch(xs, ys, jnp.array([0.1, 0.1, -1.0, 0.1]))
    a = jnp.full((4, xs.shape[1]), 1.0 / xs.shape[1]).at[2, 0].mul(3.0)
    with pytest.raises(ValueError, match=r"sinkhorn_batch: `b` must have the same total mass as `a` \(problem 2\), sum\(a\) = 1\.03333; got 1\.0\."):
        tp.sinkhorn_batch(xs, ys, 0.1, a=a)
    with pytest.raises(ValueError, match=r"sinkhorn_batch: `b` must have 50 entries along axis -1 \(one weight per point\); got shape \(4, 3\)"):
        tp.sinkhorn_batch(xs, ys, 0.1, b=jnp.ones((4, 3)))


# --- jit-vs-eager and vmap-vs-loop parity, args, fixes ----------------------------------
def test_sinkhorn_jit_matches_eager(x64):
    x, y = clouds(7, 5)
    a = jnp.array([0.2, 0.0, 0.2, 0.2, 0.2, 0.1, 0.1])
    jr = jax.jit(lambda x, y: tp.sinkhorn(x, y, 0.5, a=a, tol=1e-10))(x, y)
    with jax.disable_jit():
        er = tp.sinkhorn(x, y, 0.5, a=a, tol=1e-10)
    assert int(jr.n_iter) == int(er.n_iter) and bool(jr.converged) and bool(er.converged)
    for name in ("f", "g", "plan", "cost", "reg_cost", "error"):
        np.testing.assert_allclose(getattr(jr, name), getattr(er, name), rtol=1e-12, atol=1e-14,
                                   err_msg=name)


def test_entropic_ot_zero_weights(x64):
    # zero weights are allowed: the value is the reg_cost of the problem without those points
    x, y = clouds(6, 5)
    a = jnp.array([0.25, 0.0, 0.25, 0.25, 0.25, 0.0])
    val = tp.entropic_ot(x, y, 0.5, a=a, tol=1e-13, max_iter=100_000)
    sub = tp.sinkhorn(x[a > 0], y, 0.5, tol=1e-13, max_iter=100_000)
    assert float(val) == pytest.approx(float(sub.reg_cost), rel=1e-12)
    # the derivative in a zero weight (along a mass-preserving direction) is finite and right
    da = jnp.zeros(6).at[1].set(1.0).at[0].set(-1.0)
    g = lambda t: tp.entropic_ot(x, y, 0.5, a=a + t * da, tol=1e-13, max_iter=100_000)
    fd = (g(2e-6) - g(0.0)) / 2e-6
    assert float(jax.grad(g)(0.0)) == pytest.approx(float(fd), rel=1e-4)


def test_closed_forms_jit_eager_and_vmap_parity(x64):
    k = jax.random.split(jax.random.key(3), 4)
    S0, S1 = cones.random_spd(k[0], 3, shape=(4,)), cones.random_spd(k[1], 3, shape=(4,))
    m0, m1 = jax.random.normal(k[2], (4, 3)), jax.random.normal(k[3], (4, 3))
    for f in (tp.gaussian_map, tp.gaussian_w2):
        jitted = jax.jit(f)(m0, S0, m1, S1)
        with jax.disable_jit():
            eager = f(m0, S0, m1, S1)
        np.testing.assert_allclose(jitted, eager, rtol=1e-12, atol=1e-13)
        vm = jax.vmap(f)(m0, S0, m1, S1)
        loop = jnp.stack([f(m0[i], S0[i], m1[i], S1[i]) for i in range(4)])
        np.testing.assert_allclose(vm, loop, rtol=1e-12, atol=1e-13)
    t, x, y = jnp.linspace(-2, 2, 9), jax.random.normal(k[0], (50,)), jax.random.normal(k[1], (40,))
    with jax.disable_jit():
        eager = tp.quantile_map_1d(t, x, y)
    np.testing.assert_allclose(jax.jit(tp.quantile_map_1d)(t, x, y), eager, rtol=1e-14)
    ys = jnp.stack([y, 2 * y, y + 1])
    vm = jax.vmap(lambda y: tp.quantile_map_1d(t, x, y))(ys)
    np.testing.assert_allclose(vm, jnp.stack([tp.quantile_map_1d(t, x, yi) for yi in ys]), rtol=1e-14)


def test_legendre_args_parity(x64):
    # psi(theta; s) = s * log(1 + e^theta): mu = s sigma(theta), Hessian s sigma (1 - sigma)
    psi = lambda t, s: s * jnp.logaddexp(0.0, t[0])
    logp = lambda t, s: -0.5 * t[0] ** 2
    th = jnp.linspace(-2, 2, 5)[:, None]
    out = [tp.legendre_pushforward(psi, th, logp, args=(s,)) for s in (1.0, 2.0)]
    np.testing.assert_allclose(out[1].mu, 2 * out[0].mu, rtol=1e-14)
    np.testing.assert_allclose(out[1].log_det - out[0].log_det, np.log(2.0), rtol=1e-12)
    jitted = jax.jit(lambda s: tp.legendre_pushforward(psi, th, logp, args=(s,)))(2.0)
    with jax.disable_jit():
        eager = tp.legendre_pushforward(psi, th, logp, args=(2.0,))
    for a, b in zip(jitted, eager):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    vm = jax.vmap(lambda s: tp.legendre_pushforward(psi, th, args=(s,)).mu)(jnp.array([1.0, 2.0]))
    np.testing.assert_allclose(vm, jnp.stack([o.mu for o in out]), rtol=1e-14)


def test_monge_ampere_jit_matches_eager_with_traced_args(x64):
    # the example's parameters are traced: validation of values is skipped under jit
    solve = jax.jit(lambda a: tp.monge_ampere_2d(EX.rho0, EX.rho1, n=8, tol=1e-8, args=(a, 0.3)))
    jr = solve(0.25)
    with jax.disable_jit():
        er = tp.monge_ampere_2d(EX.rho0, EX.rho1, n=8, tol=1e-8, args=(0.25, 0.3))
    assert int(jr.n_iter) == int(er.n_iter) and bool(jr.converged) and bool(er.converged)
    np.testing.assert_allclose(jr.u, er.u, atol=1e-13)
    assert float(jr.c) == pytest.approx(float(er.c), rel=1e-13)
    res = jax.jit(lambda u: tp.ma_residual(u, EX.rho0, EX.rho1, c=jr.c, args=ARGS))(jr.u)
    with jax.disable_jit():
        res_e = tp.ma_residual(jr.u, EX.rho0, EX.rho1, c=jr.c, args=ARGS)
    np.testing.assert_allclose(res, res_e, atol=1e-13)
    # another example reuses the same density functions (one compiled solver per grid)
    ex = tp.periodic_ma_example(amplitude=0.4, contrast=0.5)
    assert ex.rho0 is EX.rho0 and ex.rho1 is EX.rho1 and ex.u is EX.u and ex.args == (0.4, 0.5)


def test_args_validation(x64):
    bad = [
        (lambda: tp.legendre_pushforward(lambda t: t, jnp.ones((2, 3))), "legendre_pushforward: `psi` must map an input of shape [3] to []"),
        (lambda: tp.legendre_pushforward(lambda t, s: s * t @ t, jnp.ones((2, 3)), args=[1.0]), "legendre_pushforward: `args` must be a tuple"),
        (lambda: tp.legendre_pushforward(jnp.sum, jnp.ones((2, 3)), lambda t: t), "legendre_pushforward: `log_density0` must map"),
        (lambda: tp.monge_ampere_2d(EX.rho0, EX.rho1, n=16), "monge_ampere_2d: `rho0` could not be called"),
        (lambda: tp.monge_ampere_2d(EX.rho0, EX.rho1, n=16, args=0.25), "monge_ampere_2d: `args` must be a tuple"),
        (lambda: tp.monge_ampere_2d(EX.rho0, EX.rho1, n=16, args=ARGS, u0=jnp.zeros((16, 8))), "monge_ampere_2d: `u0` must have 16 entries along axis 1"),
        (lambda: tp.monge_ampere_2d(lambda p, a, c: jnp.ones(3), EX.rho1, n=16, args=ARGS), "monge_ampere_2d: `rho0` must map an input of shape [16, 16, 2] to [16, 16]"),
        (lambda: tp.ma_residual(jnp.zeros((8, 8)), jnp.ones((4, 4)), EX.rho1, args=ARGS), "ma_residual: `rho0` and `u` must have the same shape"),
        (lambda: tp.sinkhorn(jnp.ones((3, 1)), jnp.ones((2, 1)), 0.1, a=jnp.zeros(3), b=jnp.zeros(2)), "sinkhorn: `a` must have a positive total mass"),
    ]
    for call, msg in bad:
        with pytest.raises(ValueError) as e:
            call()
        assert msg in str(e.value), (msg, str(e.value))


# --- round_plan ---------------------------------------------------------------------------
def test_round_plan_feasible_and_close(x64):
    key = jax.random.key(0)
    x = jax.random.normal(key, (30, 2))
    y = jax.random.normal(jax.random.key(1), (20, 2)) + 1.0
    r = tp.sinkhorn(x, y, 0.05, tol=1e-2, max_iter=5)        # deliberately unconverged
    a, b = jnp.full(30, 1 / 30), jnp.full(20, 1 / 20)
    R = tp.round_plan(r.plan, a, b)
    assert float(jnp.min(R)) >= 0
    np.testing.assert_allclose(R.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(R.sum(0), b, atol=1e-12)
    viol = float(jnp.abs(r.plan.sum(1) - a).sum() + jnp.abs(r.plan.sum(0) - b).sum())
    assert float(jnp.abs(R - r.plan).sum()) <= 2 * viol + 1e-12
    # a feasible plan never costs less than the exact assignment
    C = np.asarray(tp.sq_euclidean_cost(x, y))
    from scipy.optimize import linprog
    res = linprog(C.ravel(), A_eq=np.vstack([np.kron(np.eye(30), np.ones(20)),
                                             np.kron(np.ones(30), np.eye(20))]),
                  b_eq=np.concatenate([a, b]), bounds=(0, None))
    assert float(jnp.sum(R * C)) >= res.fun - 1e-10


def test_round_plan_keeps_a_feasible_plan(x64):
    P = jnp.outer(jnp.array([0.2, 0.8]), jnp.array([0.5, 0.5]))
    np.testing.assert_allclose(tp.round_plan(P, P.sum(1), P.sum(0)), P, atol=1e-15)


def test_round_plan_validates():
    with pytest.raises(ValueError, match="^round_plan:"):
        tp.round_plan(jnp.ones(3), jnp.ones(3), jnp.ones(3))
    with pytest.raises(ValueError, match="^round_plan:"):
        tp.round_plan(-jnp.ones((2, 2)), jnp.ones(2), jnp.ones(2))


# --- the JKO scheme in quantile coordinates ------------------------------------------------
def _HQ(q):
    return 0.5 * q**2


def _HDW(q, a):
    return (q**2 - a) ** 2


def _zeta(n):
    """The scheme's own standard normal: its fixed point for H = q²/2, T = 1 (τ large)."""
    r = tp.jko_flow_1d(jnp.linspace(-3.0, 3.0, n + 1), _HQ, tau=10.0, T=1.0, n_steps=40)
    assert bool(r.converged.all())
    return r.x


def _mean(x):                           # ∫ Q ds for a piecewise-linear quantile function
    return jnp.mean((x[1:] + x[:-1]) / 2, -1)


def _second(x):                         # ∫ Q² ds
    a, b = x[..., :-1], x[..., 1:]
    return jnp.mean((a * a + a * b + b * b) / 3, -1)


def _gauss_integral(f, x, order=6):
    """∫_0^1 f(Q(s)) ds for the piecewise-linear Q of the nodes x, by numpy Gauss–Legendre."""
    g, w = np.polynomial.legendre.leggauss(order)
    g, w = (g + 1) / 2, w / 2
    x = np.asarray(x)
    u = x[:-1, None] * (1 - g) + x[1:, None] * g
    return float(np.sum(w * f(u)) / (x.size - 1))


def test_jko_ou_gaussian_recursion_is_exact(x64):
    # For H = a q²/2 the JKO step maps N(m, σ²) to N(m', σ'²) with m' = m/(1 + aτ) and
    # (1 + aτ) σ'² − σσ' − Tτ = 0 (implicit Euler for ṁ = −am, σ̇ = −aσ + T/σ). The discrete
    # scheme keeps this exactly on the affine images m + σζ of its own standard normal ζ.
    n = 200
    zeta = _zeta(n)
    assert abs(float(_mean(zeta))) < 1e-12
    assert float(_second(zeta)) == pytest.approx(1.0, abs=1e-9)   # virial: ∫ζ² = T/a
    m0, s0, T, tau, k = 1.5, 0.3, 0.5, 0.1, 20
    r = tp.jko_flow_1d(m0 + s0 * zeta, _HQ, tau=tau, T=T, n_steps=k)
    assert bool(r.converged.all()) and r.path.shape == (k + 1, n + 1)
    np.testing.assert_allclose(r.t, tau * np.arange(k + 1), rtol=1e-14)
    m, s = [m0], [s0]
    for _ in range(k):
        m.append(m[-1] / (1 + tau))
        s.append((s[-1] + np.sqrt(s[-1] ** 2 + 4 * (1 + tau) * T * tau)) / (2 * (1 + tau)))
    pred = np.array(m)[:, None] + np.array(s)[:, None] * np.asarray(zeta)[None]
    np.testing.assert_allclose(r.path, pred, atol=1e-7)
    # and ζ is a normal law up to the grid: in the bulk its nodes approach Φ^{-1}(j/n) fast
    # (about n^-1.4); W2 to N(0, 1) falls like n^-1/2, set by the two tail cells of mass 1/n
    gaps, w2 = [], []
    s = (np.arange(200_000) + 0.5) / 200_000
    for nn in (50, 200):
        z, sj = np.asarray(_zeta(nn)), np.arange(nn + 1) / nn
        bulk = (sj >= 0.1) & (sj <= 0.9)
        gaps.append(np.max(np.abs(z[bulk] - norm.ppf(sj[bulk]))))
        w2.append(np.sqrt(np.mean((np.interp(s, sj, z) - norm.ppf(s)) ** 2)))
    assert gaps[1] < gaps[0] / 4 and gaps[1] < 1e-3
    assert w2[1] == pytest.approx(w2[0] / 2, rel=0.2)


def test_jko_ou_first_order_against_the_exact_law(x64):
    # The JKO law's mean and standard deviation against the exact OU law at t = 1: the error
    # is O(τ) with the leading constants of implicit Euler (mean: t m(t)/2).
    n, T, m0, s0 = 200, 0.5, 1.5, 0.3
    x0 = m0 + s0 * _zeta(n)
    m_ex, s_ex = m0 * np.exp(-1.0), np.sqrt(T + (s0**2 - T) * np.exp(-2.0))
    errs = []
    for tau in (0.05, 0.025):
        x = tp.jko_flow_1d(x0, _HQ, tau=tau, T=T, n_steps=round(1 / tau)).x
        m = float(_mean(x))
        s = float(np.sqrt(_second(x) - m**2))
        errs.append((m - m_ex, s - s_ex))
        assert (m - m_ex) / tau == pytest.approx(m_ex / 2, rel=2 * tau)
    for i in range(2):
        assert errs[0][i] / errs[1][i] == pytest.approx(2.0, rel=0.05)


def test_jko_exact_moment_identities(x64):
    # translation and dilation of the nodes: the mean takes an implicit Euler step and the
    # virial identity holds, for a non-quadratic H (the quadrature is exact for degree <= 5)
    a = 1.0
    x0 = jnp.linspace(0.2, 1.8, 61) ** 1.5
    for tau, T in ((0.05, 0.3), (0.2, 1.0)):
        r = tp.jko_step_1d(x0, _HDW, tau=tau, T=T, args=(a,))
        assert bool(r.converged)
        x = np.asarray(r.x)
        dH = lambda u: 4 * u * (u**2 - a)
        lhs = (float(_mean(x)) - float(_mean(x0))) / tau
        assert lhs == pytest.approx(-_gauss_integral(dH, x), abs=1e-8)
        # ∫ (Q − R) Q ds = ∫Q² − ∫QR, with ∫QR = (∫Q² + ∫R² − W²)/2
        qr = (float(_second(x)) + float(_second(x0)) - float(tp.quantile_w2_1d(x, x0))) / 2
        virial = (float(_second(x)) - qr) / tau
        assert virial == pytest.approx(-_gauss_integral(lambda u: dH(u) * u, x) + T, abs=1e-8)


def test_jko_free_energy_decreases_by_at_least_the_transport_cost(x64):
    # p_k is admissible in its own step, so F(p_{k+1}) + W²(p_{k+1}, p_k)/(2τ) <= F(p_k)
    x0 = 1.0 + 0.3 * _zeta(100)
    tau, T = 0.05, 0.3
    r = tp.jko_flow_1d(x0, _HDW, tau=tau, T=T, n_steps=60, args=(1.0,))
    assert bool(r.converged.all())
    F = np.array([float(tp.jko_free_energy_1d(x, _HDW, T=T, args=(1.0,))) for x in r.path])
    W2 = np.array([float(tp.quantile_w2_1d(r.path[k + 1], r.path[k])) for k in range(60)])
    assert np.all(F[1:] + W2 / (2 * tau) <= F[:-1] + 1e-12)
    assert np.all(np.diff(F) < 0)
    # vmap over the path gives the same energies
    Fv = jax.vmap(lambda x: tp.jko_free_energy_1d(x, _HDW, T=T, args=(1.0,)))(r.path)
    np.testing.assert_allclose(Fv, F, rtol=1e-13)


def _boltzmann_quantile(H, T, s, lo=-3.0, hi=3.0, m=200_001):
    """Q(s) of e^{-H/T}/Z by a fine trapezoidal CDF (numpy; independent of geobook)."""
    q = np.linspace(lo, hi, m)
    w = np.exp(-(H(q) - H(q).min()) / T)
    C = np.concatenate([[0.0], np.cumsum((w[1:] + w[:-1]) / 2)])
    return np.interp(s, C / C[-1], q)


def test_jko_converges_to_the_boltzmann_law_of_a_double_well(x64):
    # asymmetric start in the right well; after t = 60 (many barrier-crossing times at T = 0.5)
    # the scheme sits at its fixed point, the minimiser of the discrete F, which approaches
    # e^{-H/T}/Z as the number of cells grows; F stays above -T ln Z (Gibbs)
    T, tau = 0.5, 0.2                        # tau * sup(-H'') = 0.8 < 1: convex steps
    H = lambda q: (q**2 - 1.0) ** 2
    qq = np.linspace(-4, 4, 400_001)
    F_min = -T * np.log(np.trapezoid(np.exp(-H(qq) / T), qq))
    w2, gap = [], []
    for n in (50, 200):
        r = tp.jko_flow_1d(jnp.linspace(0.6, 1.6, n + 1), _HDW, tau=tau, T=T, n_steps=300,
                           args=(1.0,))
        assert bool(r.converged.all())
        x = np.asarray(r.x)
        assert np.max(np.abs(x - np.asarray(r.path[-2]))) < 1e-6       # at the fixed point
        s = (np.arange(20_000) + 0.5) / 20_000
        Qn = np.interp(s, np.arange(n + 1) / n, x)
        w2.append(np.sqrt(np.mean((Qn - _boltzmann_quantile(H, T, s)) ** 2)))
        gap.append(float(tp.jko_free_energy_1d(x, _HDW, T=T, args=(1.0,))) - F_min)
        right = 1 - np.interp(0.0, x, np.arange(n + 1) / n)
        assert right == pytest.approx(0.5, abs=1e-3)                 # the wells equalise
    assert w2[1] < w2[0] / 2 and w2[1] < 0.02
    assert 0 < gap[1] < gap[0] / 2 and gap[1] < 1e-2


def test_jko_flow_matches_fokker_planck_to_first_order(x64):
    # JKO with steps τ = 0.04, 0.02, 0.01 against the exact-in-time Fokker–Planck solution at
    # t = 0.2. The quantile functions form a flat L² space, so J_τ = J_0 + τE + O(τ²): the
    # differences J_2τ − J_τ halve with τ (no grid error in them), and the Richardson
    # combination 2 J_τ − J_2τ removes the O(τ) part, leaving the grid's distance to FP,
    # the same for both pairs and shrinking with the number of cells
    from geobook import fokker_planck as fp
    xg = (jnp.arange(400) + 0.5) / 400 * 4 - 2
    T = 0.3
    p0 = jnp.exp(-(xg - 1.2) ** 2 / 0.2) + 0.01
    ref = fp.evolve_1d(p0, _HDW(xg, 1.0), xg, T, jnp.array([0.2])).p
    d = tp.density_quantiles_1d(ref, xg)
    dist = lambda x: float(jnp.sqrt(tp.quantile_w2_1d(x, d.q, s_y=d.s)))
    w2 = lambda a, b: float(jnp.sqrt(tp.quantile_w2_1d(a, b)))
    grid = {}
    for n in (200, 400):
        x0 = tp.quantiles_from_density_1d(p0, xg, n)
        J = {tau: tp.jko_flow_1d(x0, _HDW, tau=tau, T=T, n_steps=20, args=(1.0,)).path[k]
             for tau, k in ((0.04, 5), (0.02, 10), (0.01, 20))}
        assert w2(J[0.04], J[0.02]) / w2(J[0.02], J[0.01]) == pytest.approx(2.0, rel=0.05)
        rich = [dist(2 * J[0.02] - J[0.04]), dist(2 * J[0.01] - J[0.02])]
        assert rich[1] == pytest.approx(rich[0], rel=0.1)
        assert rich[1] < dist(J[0.01]) < dist(J[0.02]) < dist(J[0.04])
        grid[n] = rich[1]
    assert grid[400] < 0.7 * grid[200]


def test_quantile_w2_1d_is_exact_for_piecewise_linear_quantiles(x64):
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.uniform(0.1, 1.0, 8))
    y = np.cumsum(rng.uniform(0.1, 1.0, 13)) - 2.0
    sy = np.concatenate([[0.0], np.sort(rng.uniform(0, 1, 11)), [1.0]])
    s = (np.arange(2_000_000) + 0.5) / 2_000_000
    brute = np.mean((np.interp(s, np.arange(8) / 7, x) - np.interp(s, sy, y)) ** 2)
    assert float(tp.quantile_w2_1d(x, y, s_y=sy)) == pytest.approx(brute, rel=1e-9)
    assert float(tp.quantile_w2_1d(x, x + 0.5)) == pytest.approx(0.25, rel=1e-14)
    # the same law on two grids is at distance 0
    assert float(tp.quantile_w2_1d(jnp.linspace(0, 1, 3), jnp.linspace(0, 1, 7))) < 1e-30


def test_density_quantiles(x64):
    xg = (jnp.arange(40) + 0.5) / 40 * 2 - 1
    p = jnp.exp(-3 * xg) * (1 + 0.5 * jnp.sin(5 * xg)) + 0.1
    cdf = lambda q: np.interp(q, np.concatenate([[-1.0], np.asarray(xg) + 0.025]),
                              np.concatenate([[0.0], np.cumsum(p) / np.sum(p)]))
    qn = tp.quantiles_from_density_1d(p, xg, 7)
    np.testing.assert_allclose(cdf(np.asarray(qn)), np.arange(8) / 7, atol=1e-13)
    d = tp.density_quantiles_1d(p, xg)
    np.testing.assert_allclose(cdf(np.asarray(d.q)), d.s, atol=1e-13)
    # zero density at the ends: the nodes span the support only
    pz = jnp.where(jnp.abs(xg) < 0.5, 1.0, 0.0)
    q = tp.quantiles_from_density_1d(pz, xg, 4)
    np.testing.assert_allclose(q, [-0.5, -0.25, 0.0, 0.25, 0.5], atol=1e-12)


def test_jko_sweep_compiles_once_and_batches(x64):
    from compile_count import compilations
    x0 = jnp.linspace(-1.0, 1.0, 21)
    run = lambda v: tp.jko_flow_1d(x0, _HDW, tau=0.02 * v, T=0.2 * v, n_steps=5,
                                   args=(v,)).x
    run(1.0)
    with compilations() as count:
        outs = [run(v) for v in (0.8, 1.2, 1.5)]
    assert count() == 0 and len({float(o[-1]) for o in outs}) == 3
    xs = jnp.stack([x0, 2 * x0, x0 + 1])
    step = lambda x: tp.jko_step_1d(x, _HQ, tau=0.1, T=0.5).x
    np.testing.assert_allclose(jax.vmap(step)(xs), jnp.stack([step(x) for x in xs]),
                               atol=1e-12)


def test_jko_float32_preserved():
    x0 = jnp.linspace(-1.0, 1.0, 21, dtype=jnp.float32)
    r = tp.jko_flow_1d(x0, _HQ, tau=0.1, T=0.5, n_steps=3)
    assert r.x.dtype == r.path.dtype == r.t.dtype == jnp.float32 and bool(r.converged.all())
    assert tp.jko_free_energy_1d(x0, _HQ, T=0.5).dtype == jnp.float32
    assert tp.quantile_w2_1d(x0, x0 + 1).dtype == jnp.float32


def test_jko_validation_messages(x64):
    x = jnp.linspace(0.0, 1.0, 5)
    p, xg = jnp.ones(4), (jnp.arange(4) + 0.5) / 4
    bad = [
        (lambda: tp.jko_step_1d(x[::-1], _HQ, tau=0.1, T=1.0), "jko_step_1d: `x` must be strictly increasing"),
        (lambda: tp.jko_step_1d(x[:2], _HQ, tau=0.1, T=1.0), "jko_step_1d: `x` must hold at least 3 values"),
        (lambda: tp.jko_step_1d(x, _HQ, tau=0.0, T=1.0), "jko_step_1d: `tau` must be finite and > 0"),
        (lambda: tp.jko_step_1d(x, _HQ, tau=0.1, T=-1.0), "jko_step_1d: `T` must be finite and > 0"),
        (lambda: tp.jko_step_1d(x, _HQ, tau=0.1, T=1.0, tol=0.0), "jko_step_1d: `tol` must be finite and > 0"),
        (lambda: tp.jko_step_1d(x, "H", tau=0.1, T=1.0), "jko_step_1d: `H` must be callable"),
        (lambda: tp.jko_step_1d(x, jnp.sum, tau=0.1, T=1.0), "jko_step_1d: `H` must map an input of shape [4, 3] to the same shape"),
        (lambda: tp.jko_step_1d(x, _HDW, tau=0.1, T=1.0, args=1.0), "jko_step_1d: `args` must be a tuple"),
        (lambda: tp.jko_flow_1d(x, _HQ, tau=0.1, T=1.0, n_steps=0), "jko_flow_1d: `n_steps` must be >= 1"),
        (lambda: tp.jko_flow_1d(x.at[2].set(jnp.nan), _HQ, tau=0.1, T=1.0, n_steps=2), "jko_flow_1d: `x0` must be finite"),
        (lambda: tp.jko_free_energy_1d(x, _HQ, T=0.0), "jko_free_energy_1d: `T` must be finite and > 0"),
        (lambda: tp.quantile_w2_1d(x[::-1], x), "quantile_w2_1d: `x` must be non-decreasing"),
        (lambda: tp.quantile_w2_1d(x, x, s_y=x[:3]), "quantile_w2_1d: `s_y` and `y` must have the same shape"),
        (lambda: tp.quantile_w2_1d(x, x, s_x=x + 1), "quantile_w2_1d: `s_x` must run from 0 to 1"),
        (lambda: tp.density_quantiles_1d(p.at[0].set(0.0), xg), "density_quantiles_1d: `p` must be finite and > 0"),
        (lambda: tp.quantiles_from_density_1d(0 * p, xg, 4), "quantiles_from_density_1d: `p` must have positive mass"),
        (lambda: tp.quantiles_from_density_1d(p, xg ** 2, 4), "quantiles_from_density_1d: `x` must be a uniform, increasing grid"),
        (lambda: tp.quantiles_from_density_1d(p, xg, 0), "quantiles_from_density_1d: `n` must be >= 1"),
    ]
    for call, msg in bad:
        with pytest.raises(ValueError) as e:
            call()
        assert msg in str(e.value), (msg, str(e.value))
