import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from compile_count import compilations
from geobook import cones, optim, stats


def run(opt, x0, n=1000, noise=0.5, key=0):
    """Iterates of `opt` on the 2-D Rosenbrock function with additive gradient noise."""
    g = jax.grad(lambda x: optim.rosenbrock(x))

    def step(carry, k):
        x, s = carry
        u, s = opt.update(g(x) + noise * jax.random.normal(k, x.shape, x.dtype), s, x)
        x = optax.apply_updates(x, u)
        return (x, s), x

    _, xs = jax.lax.scan(step, (x0, opt.init(x0)), jax.random.split(jax.random.key(key), n))
    return xs


PAIRS = [
    (lambda: optim.sgd(1e-4), lambda: optax.sgd(1e-4)),
    (lambda: optim.sgd(1e-4, momentum=0.9), lambda: optax.sgd(1e-4, momentum=0.9)),
    (lambda: optim.sgd(1e-4, momentum=0.9, nesterov=True), lambda: optax.sgd(1e-4, momentum=0.9, nesterov=True)),
    (lambda: optim.rmsprop(1e-3), lambda: optax.rmsprop(1e-3)),
    (lambda: optim.rmsprop(1e-3, eps_in_sqrt=False, bias_correction=True, initial_scale=0.1),
     lambda: optax.rmsprop(1e-3, eps_in_sqrt=False, bias_correction=True, initial_scale=0.1)),
    (lambda: optim.adam(1e-2), lambda: optax.adam(1e-2)),
    (lambda: optim.adam(1e-2, b1=0.5, b2=0.99, eps=1e-6, eps_root=1e-10),
     lambda: optax.adam(1e-2, b1=0.5, b2=0.99, eps=1e-6, eps_root=1e-10)),
    (lambda: optim.adabelief(1e-2), lambda: optax.adabelief(1e-2)),
    (lambda: optim.adam(optax.linear_schedule(1e-2, 1e-3, 500)),
     lambda: optax.adam(optax.linear_schedule(1e-2, 1e-3, 500))),
]


@pytest.mark.parametrize("pair", PAIRS, ids=["sgd", "sgd-mom", "sgd-nesterov", "rmsprop",
                                               "rmsprop-bc", "adam", "adam-args", "adabelief",
                                               "adam-schedule"])
def test_limits_equal_optax(pair, x64):
    ours, theirs = pair
    x0 = jnp.array([-1.5, 2.0])
    a, b = run(ours(), x0), run(theirs(), x0)
    assert float(jnp.max(jnp.abs(a - b))) <= 1e-12 * max(1.0, float(jnp.max(jnp.abs(b))))


def test_cgd_diagonal_half_is_adam(x64):
    x0 = jnp.array([-1.5, 2.0])
    a = run(optim.cgd(1e-2, alpha=0.5, structure="diagonal"), x0)
    b = run(optax.adam(1e-2), x0)
    assert float(jnp.max(jnp.abs(a - b))) <= 1e-12


def test_works_in_optax_chain_and_jit_with_pytrees(x64):
    params = {"a": jnp.ones(3), "b": [jnp.zeros((2, 2))]}
    grads = jax.tree.map(lambda p: p + 0.5, params)
    for opt in (optim.cgd(0.1, structure="full", alpha=0.5), optim.adam(0.1),
                optim.natural_gradient(0.1)):
        chained = optax.chain(optax.clip_by_global_norm(1.0), opt)
        s = chained.init(params)
        u, s = jax.jit(chained.update)(grads, s, params)
        assert jax.tree.structure(u) == jax.tree.structure(params)
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(u))


def _reparam_error(make_opt):
    A = jax.random.normal(jax.random.key(3), (4, 4))
    H = cones.random_spd(jax.random.key(1), 4, dtype=jnp.float64)
    return float(optim.reparametrisation_error(make_opt, A, H, key=jax.random.key(2), n_steps=30))


def test_full_cgd_is_covariant_for_every_alpha(x64):
    for alpha in (0.0, 0.5, 1.0, 1.5):
        err = _reparam_error(lambda h: optim.cgd(0.05, alpha=alpha, structure="full", eps=1e-3,
                                                 background=h))
        assert err < 1e-10, (alpha, err)


def test_diagonal_sqrt_variants_are_not_covariant(x64):
    assert _reparam_error(lambda h: optim.adam(0.05)) > 1e-2
    assert _reparam_error(lambda h: optim.cgd(0.05, alpha=1.0, eps=1e-3)) > 1e-2


def test_natural_gradient_closed_form_steps(x64):
    """One step with b2 = 0: g = G Gᵀ + ε I, so Δq = -η G / (|G|² + ε) (Sherman–Morrison)."""
    G = jnp.array([0.3, -1.2, 2.0])
    opt = optim.natural_gradient(0.5, b2=0.0, eps=1e-2)
    u, _ = opt.update(G, opt.init(jnp.zeros(3)))
    np.testing.assert_allclose(u, -0.5 * G / (G @ G + 1e-2), rtol=1e-12)
    # centred moment with b1 = 0: m = G, so the centred moment is 0 and g = ε I
    opt = optim.natural_gradient(0.5, b2=0.0, eps=1e-2, moment="centred")
    u, _ = opt.update(G, opt.init(jnp.zeros(3)))
    np.testing.assert_allclose(u, -0.5 * G / 1e-2, rtol=1e-12)
    # α = 1 full CGD on a diagonal moment matches the diagonal α = 1 CGD
    opt_f = optim.cgd(0.1, alpha=1.0, structure="full", eps=1e-3, b1=0.0, b2=0.0)
    opt_d = optim.cgd(0.1, alpha=1.0, structure="diagonal", eps=1e-3, b1=0.0, b2=0.0)
    e1 = jnp.array([0.0, 2.0, 0.0])
    uf, _ = opt_f.update(e1, opt_f.init(jnp.zeros(3)))
    ud, _ = opt_d.update(e1, opt_d.init(jnp.zeros(3)))
    np.testing.assert_allclose(uf, ud, rtol=1e-12)


def test_problems_and_effective_dimension(x64):
    assert float(optim.rosenbrock(jnp.ones(5))) == 0.0
    assert float(optim.rosenbrock(jnp.array([0.0, 0.0]))) == pytest.approx(1.0)
    task = optim.multiplication_task()
    p = task.init(jax.random.key(0))
    x, y = task.sample(jax.random.key(1), 64)
    assert task.predict(p, x).shape == (64,) and np.allclose(y, x[:, 0] * x[:, 1])
    assert float(task.loss(p, x, y)) > 0
    U = jax.random.normal(jax.random.key(0), (4000, 6))
    assert float(optim.effective_dimension(U)) == pytest.approx(6.0, rel=0.05)
    U1 = jnp.outer(jax.random.normal(jax.random.key(1), (500,)), jnp.arange(1.0, 7.0))
    assert float(optim.effective_dimension(U1)) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtypes(dtype):
    with jax.enable_x64(True):
        p = jnp.ones(3, dtype)
        for opt in (optim.adam(0.1), optim.cgd(0.1, structure="full"), optim.sgd(0.1, momentum=0.5)):
            u, s = opt.update(p, opt.init(p))
            assert u.dtype == dtype


def test_trajectory_result_vocabulary(x64):
    x0 = jnp.array([-1.5, 2.0])
    r = optim.trajectory(jax.random.key(1), optim.adam(1e-2), optim.rosenbrock, x0, n_steps=50,
                         noise_scale=0.5)
    assert isinstance(r, optim.OptimRun) and r._fields == ("x", "path", "t", "loss")
    assert r.path.shape == (51, 2) and r.t.shape == (51,) and r.loss.shape == (51,)
    np.testing.assert_array_equal(r.path[0], x0)
    np.testing.assert_array_equal(r.x, r.path[-1])
    np.testing.assert_array_equal(r.t, np.arange(51))
    np.testing.assert_allclose(r.loss, optim.rosenbrock(r.path), rtol=1e-14)
    # the same iterates as the hand-written loop (optax on the same noise)
    np.testing.assert_array_equal(r.path[1:], run(optim.adam(1e-2), x0, n=50, key=1))


def test_trajectory_args_compile_once(x64):
    """Parameters of the loss go through `args`: a sweep reuses one compiled program."""
    x0, opt = jnp.array([0.5, 0.5]), optim.sgd(1e-3)
    run1 = optim.trajectory(jax.random.key(0), opt, optim.rosenbrock, x0, n_steps=20,
                            args=(0.5, 50.0))
    with compilations() as n:
        runs = [run1] + [optim.trajectory(jax.random.key(0), opt, optim.rosenbrock, x0,
                                          n_steps=20, args=(a, 50.0)) for a in (1.0, 2.0)]
    assert n() == 0
    ref = optim.trajectory(jax.random.key(0), opt, lambda x: optim.rosenbrock(x, 2.0, 50.0), x0,
                           n_steps=20)
    np.testing.assert_allclose(runs[2].path, ref.path, rtol=1e-14)


def test_trajectory_on_a_noisy_quadratic_through_args(x64):
    """A problem that holds arrays can go through `args` (traced, not baked into the program)."""
    nq = optim.noisy_quadratic(jnp.diag(jnp.array([1.0, 4.0])), jnp.eye(2), jnp.array([1.0, -1.0]))
    r = optim.trajectory(jax.random.key(0), optim.sgd(0.1), lambda q, p: p.loss(q), jnp.zeros(2),
                         n_steps=200, args=(nq,))
    np.testing.assert_allclose(r.x, nq.minimum, atol=1e-10)
    np.testing.assert_allclose(r.loss[0], nq.loss(jnp.zeros(2)), rtol=1e-14)


def test_trajectory_jit_eager_and_vmap_loop_parity(x64):
    x0, opt = jnp.array([-1.5, 2.0]), optim.adam(1e-2)
    args = (jax.random.key(2), opt, optim.rosenbrock, x0)
    r = optim.trajectory(*args, n_steps=15, noise_scale=0.3)
    with jax.disable_jit():
        e = optim.trajectory(*args, n_steps=15, noise_scale=0.3)
    for a, b in zip(r, e):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    keys = jax.random.split(jax.random.key(3), 3)
    v = jax.vmap(lambda k: optim.trajectory(k, opt, optim.rosenbrock, x0, n_steps=15,
                                            noise_scale=0.3))(keys)
    for i in range(3):
        loop = optim.trajectory(keys[i], opt, optim.rosenbrock, x0, n_steps=15, noise_scale=0.3)
        np.testing.assert_allclose(v.path[i], loop.path, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(v.loss[i], loop.loss, rtol=1e-12, atol=1e-14)


def test_trajectory_inside_jit_vmap_over_hyperparameters(x64):
    """The chapter's pattern: optimisers built from traced learning rates inside jit(vmap)."""
    x0 = jnp.array([-1.5, 2.0])
    lrs = jnp.array([1e-3, 1e-2])
    v = jax.jit(jax.vmap(lambda lr: optim.trajectory(jax.random.key(0), optim.adam(lr),
                                                     optim.rosenbrock, x0, n_steps=20)))(lrs)
    for i, lr in enumerate((1e-3, 1e-2)):
        loop = optim.trajectory(jax.random.key(0), optim.adam(lr), optim.rosenbrock, x0, n_steps=20)
        np.testing.assert_allclose(v.path[i], loop.path, rtol=1e-12)


def test_steps_to_reach():
    losses = jnp.array([[3.0, 0.5, 2.0, 0.1, 0.05], [3.0, 2.0, 2.0, 2.0, 0.5]])
    np.testing.assert_array_equal(optim.steps_to_reach(losses, 1.0), [3, 4])
    assert int(optim.steps_to_reach(jnp.array([3.0, 0.5, 2.0]), 1.0)) == 3     # never: n


def test_reparametrisation_error_reuses_its_program_and_matches_eager(x64):
    make = lambda h: optim.cgd(0.05, alpha=0.5, structure="full", eps=1e-3, background=h)
    A = jax.random.normal(jax.random.key(3), (4, 4))
    H = cones.random_spd(jax.random.key(1), 4, dtype=jnp.float64)
    e1 = optim.reparametrisation_error(make, A, H, key=jax.random.key(2), n_steps=5)
    A2, k4 = 2.0 * A, jax.random.key(4)
    with compilations() as n:
        e2 = optim.reparametrisation_error(make, A2, H, key=k4, n_steps=5)
    assert n() == 0
    assert float(e1) < 1e-10 and float(e2) < 1e-10
    adam = lambda h: optim.adam(0.05)
    r = optim.reparametrisation_error(adam, A, H, key=jax.random.key(2), n_steps=5)
    with jax.disable_jit():
        e = optim.reparametrisation_error(adam, A, H, key=jax.random.key(2), n_steps=5)
    np.testing.assert_allclose(r, e, rtol=1e-9)


def test_train_records_and_matches_eager(x64):
    task, opt = optim.multiplication_task(hidden=2), optim.adam(1e-2)
    r = optim.train(jax.random.key(0), opt, task, n_steps=4, batch_size=8, n_test=32)
    K = 2 * 2 + 5 * 2 + 1          # h² + 5h + 1
    assert r.loss.shape == (4,) and r.updates.shape == (4, K) and r.test_mse.shape == ()
    with jax.disable_jit():
        e = optim.train(jax.random.key(0), opt, task, n_steps=4, batch_size=8, n_test=32)
    np.testing.assert_allclose(r.loss, e.loss, rtol=1e-10)
    np.testing.assert_allclose(r.updates, e.updates, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(r.test_mse, e.test_mse, rtol=1e-10)


def test_optimizer_update_variance_adam_and_sgd(x64):
    kd = jnp.logspace(-2, 2, 12)
    st = optim.optimizer_update_variance(jax.random.key(0), optax.sgd(0.1), kd,
                                         learning_rate=0.1, n_steps=20_000)
    np.testing.assert_allclose(st.variance, kd, rtol=0.05)
    st = optim.optimizer_update_variance(jax.random.key(0), optax.adam(1e-3, eps=1e-12), kd,
                                         learning_rate=1e-3, n_steps=20_000, burn_in=5_000)
    assert abs(float(stats.slope_fit(jnp.log(kd), jnp.log(st.variance)).slope)) < 0.02


def test_optimizer_update_covariance_sgd_is_kappa_and_adam_sees_correlations(x64):
    """SGD passes κ through; Adam (b1 = 0, long b2) normalises the diagonal only, so its update
    covariance is proportional to the correlation matrix of κ, not to the identity."""
    kap = jnp.array([[4.0, 1.2], [1.2, 1.0]])
    st = optim.optimizer_update_covariance(jax.random.key(0), optim.sgd(0.1), kap,
                                           learning_rate=0.1, n_steps=40_000)
    np.testing.assert_allclose(st.covariance, kap, rtol=0.05, atol=0.05)
    st = optim.optimizer_update_covariance(jax.random.key(1), optim.adam(1e-3, b1=0.0, eps=1e-12),
                                           kap, learning_rate=1e-3, n_steps=40_000, burn_in=5_000)
    c = np.asarray(st.covariance)
    corr = c[0, 1] / np.sqrt(c[0, 0] * c[1, 1])
    assert abs(corr - 0.6) < 0.03, corr                       # 1.2 / sqrt(4 * 1) = 0.6
    np.testing.assert_allclose(np.diag(c), 1.0, rtol=0.05)    # each coordinate normalised


def test_optimizer_update_covariance_diagonal_matches_variance(x64):
    kd, opt = jnp.array([0.1, 1.0, 10.0]), optim.adam(1e-3, b1=0.5, eps=1e-3)
    kw = dict(learning_rate=1e-3, n_steps=50, burn_in=3)
    v = optim.optimizer_update_variance(jax.random.key(4), opt, kd, **kw)
    c = optim.optimizer_update_covariance(jax.random.key(4), opt, jnp.diag(kd), **kw)
    np.testing.assert_allclose(jnp.diag(c.covariance), v.variance, rtol=1e-10)
    np.testing.assert_allclose(c.mean, v.mean, rtol=1e-10, atol=1e-15)


def test_optimizer_update_covariance_matches_eager(x64):
    kap, opt = jnp.array([[2.0, 0.5], [0.5, 1.0]]), optim.adam(1e-3, b1=0.0, eps=1e-3)
    kw = dict(learning_rate=1e-3, n_steps=8, burn_in=3)
    st = optim.optimizer_update_covariance(jax.random.key(1), opt, kap, **kw)
    with jax.disable_jit():
        e = optim.optimizer_update_covariance(jax.random.key(1), opt, kap, **kw)
    np.testing.assert_allclose(st.covariance, e.covariance, rtol=1e-9, atol=1e-15)
    assert st.n_steps == 8


def test_optimizer_update_variance_matches_eager(x64):
    kd, opt = jnp.array([0.1, 1.0, 10.0]), optim.adam(1e-3, b1=0.0, eps=1e-3)
    kw = dict(learning_rate=1e-3, n_steps=8, burn_in=3)
    st = optim.optimizer_update_variance(jax.random.key(1), opt, kd, **kw)
    with jax.disable_jit():
        e = optim.optimizer_update_variance(jax.random.key(1), opt, kd, **kw)
    np.testing.assert_allclose(st.variance, e.variance, rtol=1e-9)
    np.testing.assert_allclose(st.mean, e.mean, rtol=1e-9, atol=1e-12)
    assert st.n_steps == 8


_ADAM_FACTORY = lambda lr, b2: optim.adam(lr, b2=b2)        # one object: a static argument


def test_sweep_rows_are_trajectories_and_reuse_one_program(x64):
    """Row i of a sweep is the trajectory of make(*hyper_i) with keys[i] and sigma_i; new
    settings, keys, start and noise levels (same number of rows) do not recompile."""
    x0 = jnp.array([-1.5, 2.0])
    lrs, b2s = jnp.array([1e-3, 1e-2, 1e-2]), jnp.array([0.999, 0.999, 0.9])
    keys = jax.random.split(jax.random.key(5), 3)
    sig = jnp.array([0.0, 0.5, 2.0])
    r = optim.sweep(keys, _ADAM_FACTORY, optim.rosenbrock, x0, (lrs, b2s), n_steps=40,
                    noise_scale=sig)
    assert isinstance(r, optim.OptimRun)
    assert r.path.shape == (3, 41, 2) and r.loss.shape == (3, 41) and r.x.shape == (3, 2)
    np.testing.assert_array_equal(r.t, np.arange(41))
    for i in range(3):
        one = optim.trajectory(keys[i], optim.adam(float(lrs[i]), b2=float(b2s[i])),
                               optim.rosenbrock, x0, n_steps=40, noise_scale=float(sig[i]))
        np.testing.assert_allclose(r.path[i], one.path, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(r.loss[i], one.loss, rtol=1e-12, atol=1e-14)
    # a scalar noise level is the same as that level on every row
    r1 = optim.sweep(keys, _ADAM_FACTORY, optim.rosenbrock, x0, (lrs, b2s), n_steps=40,
                     noise_scale=0.5)
    np.testing.assert_allclose(r1.path[1], r.path[1], rtol=1e-14)
    new = (jax.random.split(jax.random.key(6), 3), jnp.array([0.5, -0.5]),
           (2 * lrs, b2s[::-1]), jnp.array([1.0, 0.0, 0.1]))
    with compilations() as n:
        r2 = optim.sweep(new[0], _ADAM_FACTORY, optim.rosenbrock, new[1], new[2],
                         n_steps=40, noise_scale=new[3])
    assert n() == 0
    assert not np.allclose(r2.path, r.path)
    with jax.disable_jit():
        e = optim.sweep(keys, _ADAM_FACTORY, optim.rosenbrock, x0, (lrs, b2s), n_steps=40,
                        noise_scale=sig)
    np.testing.assert_allclose(e.path, r.path, rtol=1e-10, atol=1e-13)


def test_sweep_runs_the_factory_checks_on_every_row(x64):
    keys = jax.random.split(jax.random.key(0), 2)
    with pytest.raises(ValueError, match=r"adam: `b2` must lie in \[0, 1\); got 1.0"):
        optim.sweep(keys, _ADAM_FACTORY, optim.rosenbrock, jnp.ones(2),
                    (jnp.array([0.1, 0.1]), jnp.array([0.9, 1.0])), n_steps=3)


def _np_rates(h, kap, alpha, lam):
    w, V = np.linalg.eigh(kap)
    g = lam * (V * w**alpha) @ V.T
    return np.sort(np.linalg.eigvals(np.linalg.solve(g, h)).real)


def test_relaxation_rates_theorem_batch_and_misalignment(x64):
    kap = np.diag([0.25, 1.0, 4.0])
    for a in (0.0, 0.5, 1.0, 0.3):
        np.testing.assert_allclose(optim.relaxation_rates(2.0 * kap, kap, a, scale=0.5),
                                   np.sort(2.0 * np.diag(kap) ** (1 - a) / 0.5), rtol=1e-12)
    # a generic Hessian against a generic kappa: the eigenvalues of g^{-1} h
    h = np.asarray(cones.random_spd(jax.random.key(1), 3, dtype=jnp.float64))
    k = np.asarray(cones.random_spd(jax.random.key(2), 3, dtype=jnp.float64))
    for a in (0.0, 0.5, 1.0):
        np.testing.assert_allclose(optim.relaxation_rates(h, k, a, scale=2.0),
                                   _np_rates(h, k, a, 2.0), rtol=1e-10)
    # batched over Hessians, alpha traced: one program for every alpha
    hs = np.stack([h, 2 * h, kap])
    r = optim.relaxation_rates(hs, k, 0.5)
    assert r.shape == (3, 3)
    np.testing.assert_allclose(r[1], 2 * r[0], rtol=1e-12)
    with compilations() as n:
        optim.relaxation_rates(hs, k, 0.7)
    assert n() == 0


def _np_moments(h, kap, q0, alpha, eta, lam, n_steps):
    w, V = np.linalg.eigh(kap)
    g_inv = np.linalg.inv(lam * (V * w**alpha) @ V.T)
    P = np.eye(len(q0)) - eta * g_inv @ h
    Q = eta**2 * g_inv @ kap @ g_inv
    m, S, out = np.array(q0, float), np.zeros_like(kap), []
    for _ in range(n_steps + 1):
        out.append(0.5 * (m @ h @ m + np.trace(h @ S)))
        m, S = P @ m, P @ S @ P.T + Q
    return np.array(out), P, Q


def test_quadratic_relaxation_exact_moments_and_chains(x64):
    """The exact curve is the moment recursion; the chains' mean loss follows it (within 4.5
    s.e. at 20 saved steps) and so does the chains' mean position; the stationary loss solves
    the discrete Lyapunov equation."""
    import scipy.linalg
    t = np.deg2rad(35.0)
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    kap = np.diag([0.25, 4.0])
    h = R @ kap @ R.T
    qmin, q0 = np.array([0.5, -1.0]), np.array([1.5, 1.0])
    run = optim.quadratic_relaxation(jax.random.key(3), optim.noisy_quadratic(h, kap, qmin),
                                     q0, alpha=0.5, learning_rate=0.05, n_steps=400,
                                     n_chains=4000, scale=1.5, save_every=20)
    assert isinstance(run, optim.Relaxation)
    assert run.path.shape == (21, 4000, 2) and run.t.shape == (21,)
    np.testing.assert_array_equal(run.t, 20 * np.arange(21))
    np.testing.assert_array_equal(run.path[0], np.broadcast_to(q0, (4000, 2)))
    np.testing.assert_array_equal(run.q, run.path[-1])
    exact, P, Q = _np_moments(h, kap, q0 - qmin, 0.5, 0.05, 1.5, 400)
    np.testing.assert_allclose(run.expected_loss, exact[::20], rtol=1e-10)
    losses = 0.5 * np.einsum("tci,ij,tcj->tc", run.path - qmin, h, run.path - qmin)
    np.testing.assert_allclose(run.loss, losses.mean(1), rtol=1e-10)
    z = np.abs((run.loss - run.expected_loss)[1:] / run.loss_se[1:])
    assert float(z.max()) < 4.5, z
    mean_exact = np.stack([np.linalg.matrix_power(P, k) @ (q0 - qmin) for k in run.t])
    se = np.asarray(run.path.std(1)) / np.sqrt(4000)
    zm = np.abs((np.asarray(run.path.mean(1)) - qmin - mean_exact)[1:] / se[1:])
    assert float(zm.max()) < 4.5, zm
    S_inf = scipy.linalg.solve_discrete_lyapunov(P, Q)
    np.testing.assert_allclose(run.stationary_loss, 0.5 * np.trace(h @ S_inf), rtol=1e-10)
    np.testing.assert_allclose(run.rates, _np_rates(h, kap, 0.5, 1.5), rtol=1e-10)


def test_quadratic_relaxation_reuses_its_program_and_flags_instability(x64):
    kap = jnp.diag(jnp.array([0.25, 4.0]))
    kw = dict(n_steps=50, n_chains=8, save_every=10)
    run = optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(kap, kap),
                                     jnp.ones(2), alpha=0.5, learning_rate=0.1, **kw)
    p2 = optim.noisy_quadratic(jnp.array([[2.0, 0.5], [0.5, 1.0]]), kap, jnp.ones(2))
    q2, k2 = jnp.array([0.5, 2.0]), jax.random.key(1)
    with compilations() as n:       # new alpha, eta, lambda, Hessian, minimum, start, key
        run2 = optim.quadratic_relaxation(k2, p2, q2, alpha=0.9, learning_rate=0.02,
                                          scale=2.0, **kw)
    assert n() == 0
    assert bool(jnp.isfinite(run.stationary_loss)) and bool(jnp.isfinite(run2.stationary_loss))
    # eta r_max = 2.4 > 2: the recursion diverges and the stationary loss is inf
    bad = optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(kap, kap),
                                     jnp.ones(2), alpha=0.5, learning_rate=1.2, **kw)
    assert float(bad.stationary_loss) == np.inf
    with jax.disable_jit():
        e = optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(kap, kap),
                                       jnp.ones(2), alpha=0.5, learning_rate=0.1, **kw)
    for a, b in zip(run, e):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-14)


class _Unhashable:
    __hash__ = None

    def __call__(self, x):
        return jnp.sum(x)

    def init(self, p):
        return ()

    def update(self, g, s, p=None):
        return g, s


@pytest.mark.parametrize("call,match", [
    (lambda: optim.cgd(-0.1), r"cgd: `learning_rate` must be finite and >= 0; got -0.1"),
    (lambda: optim.cgd(np.nan), r"cgd: `learning_rate` must be finite"),
    (lambda: optim.cgd(0.1, b1=1.0), r"cgd: `b1` must lie in \[0, 1\); got 1.0"),
    (lambda: optim.cgd(0.1, b2=-0.1), r"cgd: `b2` must lie in \[0, 1\)"),
    (lambda: optim.cgd(0.1, structure="full", eps=0.0), r"cgd: `eps` must be finite and > 0; got 0.0"),
    (lambda: optim.cgd(0.1, structure="block"), r"cgd: `structure` must be one of \['diagonal', 'full'\]; got 'block'"),
    (lambda: optim.cgd(0.1, moment="central"), r"cgd: `moment` must be one of"),
    (lambda: optim.cgd(0.1, structure="full", background=-np.eye(2)), r"cgd: `background` must be symmetric positive definite"),
    (lambda: optim.cgd(0.1, structure="full", background=np.eye(2)[None]), r"cgd: `background` must have shape \[K, K\]"),
    (lambda: optim.cgd(0.1, background=np.eye(2)), r"cgd: `structure` must be 'full' when a `background` is given; got 'diagonal'"),
    (lambda: optim.cgd(0.1, structure="full", background=np.eye(3)).init(jnp.ones(2)), r"cgd: `background` must have 2 entries along axis -1 \(K = 2, the number of parameters\)"),
    (lambda: optim.adam(0.1, b2=1.5), r"adam: `b2` must lie in \[0, 1\)"),
    (lambda: optim.adam(-1.0), r"adam: `learning_rate` must be finite and >= 0"),
    (lambda: optim.adam(0.1, nesterov=True), r"adam: `nesterov` must be False \(not supported by geobook.optim\); got True"),
    (lambda: optim.adam(0.1, mu_dtype=jnp.float32), r"adam: `mu_dtype` must be None"),
    (lambda: optim.adabelief(0.1, b1=-0.5), r"adabelief: `b1` must lie in \[0, 1\)"),
    (lambda: optim.adabelief(0.1, nesterov=True), r"adabelief: `nesterov` must be False"),
    (lambda: optim.rmsprop(0.1, centered=True), r"rmsprop: `centered` must be False"),
    (lambda: optim.rmsprop(0.1, momentum=0.9), r"rmsprop: `momentum` must be None"),
    (lambda: optim.rmsprop(0.1, decay=1.0), r"rmsprop: `decay` must lie in \[0, 1\)"),
    (lambda: optim.rmsprop(0.1, initial_scale=-1.0), r"rmsprop: `initial_scale` must be finite and >= 0"),
    (lambda: optim.natural_gradient(0.1, eps=0.0), r"natural_gradient: `eps` must be finite and > 0"),
    (lambda: optim.natural_gradient(0.1, b2=1.0), r"natural_gradient: `b2` must lie in \[0, 1\)"),
    (lambda: optim.sgd(0.1, momentum=1.2), r"sgd: `momentum` must lie in \[0, 1\)"),
    (lambda: optim.sgd(-0.1), r"sgd: `learning_rate` must be finite and >= 0"),
    (lambda: optim.sgd(0.1, nesterov=True), r"sgd: `nesterov` needs a `momentum`"),
    (lambda: optim.sgd(lambda c: 0.1, momentum=0.9), r"sgd: `learning_rate` must be a number when `momentum` is set"),
    (lambda: optim.sgd(0.1, accumulator_dtype="float32"), r"sgd: `accumulator_dtype` must be None"),
    (lambda: optim.rosenbrock(jnp.ones(1)), r"rosenbrock: `x` must have d >= 2 coordinates"),
    (lambda: optim.noisy_quadratic(np.eye(2), np.eye(3)), r"noisy_quadratic: `hessian` and `kappa` must have the same shape"),
    (lambda: optim.noisy_quadratic(-np.eye(2), np.eye(2)), r"noisy_quadratic: `hessian` must be symmetric positive definite"),
    (lambda: optim.noisy_quadratic(np.eye(2), np.eye(2), np.ones(3)), r"noisy_quadratic: `minimum` must have 2 entries"),
    (lambda: optim.multiplication_task(0), r"multiplication_task: `hidden` must be >= 1"),
    (lambda: optim.effective_dimension(jnp.ones(3)), r"effective_dimension: `updates` must have shape \[n, K\]"),
    (lambda: optim.steps_to_reach(jnp.ones(3), 0.0), r"steps_to_reach: `threshold` must be finite and > 0"),
    (lambda: optim.trajectory(jax.random.key(0), optim.sgd(0.1), optim.rosenbrock, jnp.ones((2, 2)), n_steps=3), r"trajectory: `x0` must have shape \[d\]"),
    (lambda: optim.trajectory(jax.random.key(0), optim.sgd(0.1), optim.rosenbrock, jnp.ones(2), n_steps=0), r"trajectory: `n_steps` must be >= 1"),
    (lambda: optim.trajectory(jax.random.key(0), optim.sgd(0.1), optim.rosenbrock, jnp.ones(2), n_steps=3, noise_scale=-1.0), r"trajectory: `noise_scale` must be finite and >= 0"),
    (lambda: optim.trajectory(jax.random.key(0), optim.sgd(0.1), lambda x: x, jnp.ones(2), n_steps=3), r"trajectory: `loss` must map an input of shape \[2\] to \[\]"),
    (lambda: optim.trajectory(jax.random.key(0), object(), optim.rosenbrock, jnp.ones(2), n_steps=3), r"trajectory: `optimizer` must have a callable `init`"),
    (lambda: optim.trajectory(jax.random.key(0), _Unhashable(), optim.rosenbrock, jnp.ones(2), n_steps=3), r"trajectory: `optimizer` must be hashable"),
    (lambda: optim.trajectory(jax.random.key(0), optim.sgd(0.1), optim.rosenbrock, jnp.ones(2), n_steps=3, args=[1.0]), r"trajectory: `args` must be a tuple"),
    (lambda: optim.trajectory(jax.random.key(0), optim.sgd(0.1), _Unhashable(), jnp.ones(2), n_steps=3), r"trajectory: `loss` must be hashable .*pass arrays through `args`"),
    (lambda: optim.reparametrisation_error(lambda h: optim.adam(0.1), np.ones((2, 3)), np.eye(2), key=jax.random.key(0)), r"reparametrisation_error: `A` must be a \(batch of\) square matrices"),
    (lambda: optim.reparametrisation_error(lambda h: optim.adam(0.1), np.eye(2), np.eye(3), key=jax.random.key(0)), r"reparametrisation_error: `A` and `hessian` must have the same shape"),
    (lambda: optim.reparametrisation_error(lambda h: None, np.eye(2), np.eye(2), key=jax.random.key(0)), r"reparametrisation_error: `make_optimizer\(None\)` must have a callable `init`"),
    (lambda: optim.train(jax.random.key(0), optim.adam(0.1), optim.multiplication_task(), n_steps=0), r"train: `n_steps` must be >= 1"),
    (lambda: optim.train(jax.random.key(0), optim.adam(0.1), object(), n_steps=3), r"train: `task` must have a callable `init`"),
    (lambda: optim.optimizer_update_variance(jax.random.key(0), object(), np.ones(2), learning_rate=0.1, n_steps=10), r"optimizer_update_variance: `optimizer` must have a callable `init`"),
    (lambda: optim.optimizer_update_variance(jax.random.key(0), optax.sgd(0.1), -np.ones(2), learning_rate=0.1, n_steps=10), r"optimizer_update_variance: `kappa_diag` must be finite and > 0"),
    (lambda: optim.optimizer_update_variance(jax.random.key(0), optax.sgd(0.1), np.ones(2), learning_rate=0.1, n_steps=1), r"optimizer_update_variance: `n_steps` must be >= 2"),
    (lambda: optim.optimizer_update_covariance(jax.random.key(0), optax.sgd(0.1), -np.eye(2), learning_rate=0.1, n_steps=10), r"optimizer_update_covariance: `kappa` must be"),
    (lambda: optim.optimizer_update_covariance(jax.random.key(0), optax.sgd(0.1), np.eye(2), learning_rate=0.0, n_steps=10), r"optimizer_update_covariance: `learning_rate` must be"),
    (lambda: optim.optimizer_update_covariance(jax.random.key(0), object(), np.eye(2), learning_rate=0.1, n_steps=10), r"optimizer_update_covariance: `optimizer` must have"),
    (lambda: optim.sweep(jax.random.key(0), _ADAM_FACTORY, optim.rosenbrock, jnp.ones(2), (np.ones(1), np.ones(1)), n_steps=3), r"sweep: `keys` must have shape \[n\]"),
    (lambda: optim.sweep(jax.random.split(jax.random.key(0), 2), _ADAM_FACTORY, optim.rosenbrock, jnp.ones(2), [np.ones(2)], n_steps=3), r"sweep: `hyper` must be a non-empty tuple"),
    (lambda: optim.sweep(jax.random.split(jax.random.key(0), 2), _ADAM_FACTORY, optim.rosenbrock, jnp.ones(2), (np.ones(3), np.ones(3)), n_steps=3), r"sweep: `hyper\[0\]` must have 2 entries along axis -1 \(n, the number of keys\)"),
    (lambda: optim.sweep(jax.random.split(jax.random.key(0), 2), _ADAM_FACTORY, optim.rosenbrock, jnp.ones(2), (np.ones(2), np.ones(2)), n_steps=3, noise_scale=-1.0), r"sweep: `noise_scale` must be finite and >= 0"),
    (lambda: optim.sweep(jax.random.split(jax.random.key(0), 2), _ADAM_FACTORY, optim.rosenbrock, jnp.ones(2), (np.ones(2), np.ones(2)), n_steps=3, noise_scale=np.ones(3)), r"sweep: `noise_scale` must have 2 entries"),
    (lambda: optim.sweep(jax.random.split(jax.random.key(0), 2), lambda lr: object(), optim.rosenbrock, jnp.ones(2), (np.ones(2),), n_steps=3), r"sweep: `make_optimizer\(\*row\)` must have a callable `init`"),
    (lambda: optim.sweep(jax.random.split(jax.random.key(0), 2), _Unhashable(), optim.rosenbrock, jnp.ones(2), (np.ones(2),), n_steps=3), r"sweep: `make_optimizer` must be hashable"),
    (lambda: optim.sweep(jax.random.split(jax.random.key(0), 2), _ADAM_FACTORY, optim.rosenbrock, jnp.ones(2), (np.ones(2), np.ones(2)), n_steps=0), r"sweep: `n_steps` must be >= 1"),
    (lambda: optim.relaxation_rates(-np.eye(2), np.eye(2), 0.5), r"relaxation_rates: `hessian` must be symmetric positive definite"),
    (lambda: optim.relaxation_rates(np.eye(2), np.eye(3), 0.5), r"relaxation_rates: `hessian` and `kappa` must have the same size"),
    (lambda: optim.relaxation_rates(np.eye(2), np.eye(2), np.nan), r"relaxation_rates: `alpha` must be finite"),
    (lambda: optim.relaxation_rates(np.eye(2), np.eye(2), 0.5, scale=0.0), r"relaxation_rates: `scale` must be finite and > 0; got 0.0"),
    (lambda: optim.quadratic_relaxation(jax.random.key(0), (np.eye(2), np.eye(2)), np.ones(2), alpha=0.5, learning_rate=0.1, n_steps=4, n_chains=2), r"quadratic_relaxation: `problem` must be a NoisyQuadratic"),
    (lambda: optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(np.eye(2), np.eye(2)), np.ones(3), alpha=0.5, learning_rate=0.1, n_steps=4, n_chains=2), r"quadratic_relaxation: `q0` must have 2 entries"),
    (lambda: optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(np.eye(2), np.eye(2)), np.ones(2), alpha=0.5, learning_rate=0.0, n_steps=4, n_chains=2), r"quadratic_relaxation: `learning_rate` must be finite and > 0; got 0.0"),
    (lambda: optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(np.eye(2), np.eye(2)), np.ones(2), alpha=0.5, learning_rate=0.1, n_steps=4, n_chains=1), r"quadratic_relaxation: `n_chains` must be >= 2; got 1"),
    (lambda: optim.quadratic_relaxation(jax.random.key(0), optim.noisy_quadratic(np.eye(2), np.eye(2)), np.ones(2), alpha=0.5, learning_rate=0.1, n_steps=4, n_chains=2, save_every=3), r"quadratic_relaxation: `save_every` must divide `n_steps` = 4; got 3"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_subpackage_reexports_every_public_name():
    import importlib
    files = [importlib.import_module(f"geobook.optim.{f}")
             for f in ("base", "cgd", "limits", "problems", "experiments", "noise")]
    names = set().union(*(m.__all__ for m in files))
    assert names == set(optim.__all__)
    assert all(getattr(optim, n) is getattr(m, n) for m in files for n in m.__all__)
    assert not hasattr(optim, "Trajectory")
