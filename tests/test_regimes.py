import jax
import jax.numpy as jnp
import numpy as np
import pytest

from geobook import cones, regimes


@pytest.fixture
def kap(key):
    with jax.enable_x64(True):
        return cones.random_spd(key, 5, log_spread=1.0, dtype=jnp.float64)


def test_metric_is_coordinate_power_and_geodesic(kap, x64):
    for a in (0.0, 0.5, 1.0, 1.3):
        np.testing.assert_allclose(regimes.metric(kap, a, scale=2.0), 2.0 * cones.powm(kap, a),
                                   rtol=1e-9, atol=1e-12)
    h = cones.random_spd(jax.random.key(3), 5, dtype=jnp.float64)
    np.testing.assert_allclose(regimes.metric(kap, 0.0, background=h), h, rtol=1e-10)
    np.testing.assert_allclose(regimes.metric(kap, 1.0, background=h), kap, rtol=1e-9)


def test_update_covariance_closed_forms(kap, x64):
    for a in (0.0, 0.5, 1.0, 0.3):
        np.testing.assert_allclose(regimes.update_covariance(kap, a), cones.powm(kap, 1 - 2 * a),
                                   rtol=1e-8, atol=1e-12)
    h = cones.random_spd(jax.random.key(4), 5, dtype=jnp.float64)
    np.testing.assert_allclose(regimes.update_covariance(kap, 0.5, background=h),
                               jnp.linalg.inv(h), rtol=1e-8)


def test_covariance_only_alpha_one_for_coordinate_power(kap, x64):
    A = jax.random.normal(jax.random.key(5), (5, 5))
    G = jax.random.normal(jax.random.key(6), (5,))
    for a, covariant in ((1.0, True), (0.5, False), (0.0, False)):
        err = float(regimes.step_covariance_error(G, kap, a, A))
        assert (err < 1e-10) == covariant, (a, err)
        assert float(regimes.step_covariance_error(G, kap, a, A, background=jnp.eye(5))) < 1e-10
    Q, _ = jnp.linalg.qr(A)
    assert max(float(regimes.step_covariance_error(G, kap, a, Q)) for a in (0.0, 0.5, 1.0)) < 1e-10


def test_sample_updates_covariance(kap, x64):
    dq = regimes.sample_updates(jax.random.key(1), kap, 0.5, n_draws=200_000, learning_rate=0.1)
    C = jnp.cov(dq.T) / 0.1**2
    np.testing.assert_allclose(C, jnp.eye(5), atol=0.02)
    g = jnp.arange(5.0)
    dq = regimes.sample_updates(jax.random.key(1), kap, 1.0, n_draws=200_000, grad=g)
    np.testing.assert_allclose(dq.mean(0), -jnp.linalg.solve(kap, g), atol=0.05 * float(jnp.abs(jnp.linalg.solve(kap, g)).max()) + 0.01)


def test_fdt_residual_zero_only_at_one(kap, x64):
    R = jax.vmap(lambda a: regimes.fdt_residual(kap, a))(jnp.linspace(0, 1.5, 16))
    assert float(R[10]) < 1e-12 and float(jnp.delete(R, 10).min()) > 1e-3
    assert float(jax.vmap(lambda a: regimes.fdt_residual(2 * jnp.eye(3), a))(jnp.linspace(0, 1.5, 7)).max()) < 1e-12


def test_alpha_eff():
    assert float(regimes.alpha_eff(1e-6, 1e-3)) == pytest.approx(0.25)
    assert float(regimes.alpha_eff(0.0, 1e-3)) == 0.0
    assert float(regimes.alpha_eff(1.0, 0.0)) == pytest.approx(0.5)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtypes(dtype):
    with jax.enable_x64(True):
        k = jnp.diag(jnp.array([1.0, 2.0, 3.0], dtype))
        assert regimes.metric(k, 0.5).dtype == dtype
        assert regimes.update_covariance(k, 0.5).dtype == dtype
        assert regimes.covariant_step(jnp.ones(3, dtype), k, 0.5).dtype == dtype
        assert regimes.fdt_residual(k, 0.5).dtype == dtype


def test_jit_eager_parity(kap, x64):
    G, A = jnp.arange(1.0, 6.0), jax.random.normal(jax.random.key(5), (5, 5))
    h = cones.random_spd(jax.random.key(3), 5, dtype=jnp.float64)
    calls = [lambda: regimes.metric(kap, 0.7, scale=2.0),
             lambda: regimes.metric(kap, 0.7, background=h),
             lambda: regimes.update_covariance(kap, 0.3, background=h),
             lambda: regimes.covariant_step(G, kap, 0.5, learning_rate=0.1),
             lambda: regimes.step_covariance_error(G, kap, 0.5, A),
             lambda: regimes.step_covariance_error(G, kap, 0.5, A, background=h),
             lambda: regimes.sample_updates(jax.random.key(1), kap, 0.5, n_draws=7, grad=G),
             lambda: regimes.fdt_residual(kap, 0.4)]
    for f in calls:
        out = f()
        with jax.disable_jit():
            ref = f()
        np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-13)


def test_vmap_loop_parity(kap, x64):
    alphas = jnp.array([0.0, 0.3, 0.5, 1.2])
    for f in (lambda a: regimes.metric(kap, a), lambda a: regimes.update_covariance(kap, a),
              lambda a: regimes.fdt_residual(kap, a),
              lambda a: regimes.covariant_step(jnp.ones(5), kap, a)):
        v = jax.vmap(f)(alphas)
        loop = jnp.stack([f(a) for a in alphas])
        np.testing.assert_allclose(v, loop, rtol=1e-10, atol=1e-13)
    kaps = jnp.stack([kap, 2.0 * kap, kap @ kap])          # batched over leading axes
    np.testing.assert_allclose(regimes.metric(kaps, 0.5),
                               jnp.stack([regimes.metric(k, 0.5) for k in kaps]), rtol=1e-10)


def test_alpha_sweep_compiles_once(kap, x64):
    before = regimes._metric_kernel._cache_size()
    for a in (0.1, 0.2, 0.3):
        regimes.metric(kap, a)
    assert regimes._metric_kernel._cache_size() <= before + 1


@pytest.mark.parametrize("call,match", [
    (lambda: regimes.metric(-np.eye(2), 0.5), r"metric: `kappa` must be symmetric positive definite"),
    (lambda: regimes.metric(np.eye(2), np.inf), r"metric: `alpha` must be finite"),
    (lambda: regimes.metric(np.eye(2), 0.5, scale=0.0), r"metric: `scale` must be finite and > 0"),
    (lambda: regimes.metric(np.eye(2), 0.5, background=np.eye(3)), r"metric: `background` and `kappa` must have the same size along axis -1"),
    (lambda: regimes.update_covariance(np.eye(2), 0.5, background=np.zeros((2, 2))), r"update_covariance: `background` must be symmetric positive definite"),
    (lambda: regimes.alpha_eff(-1.0, 1e-3), r"alpha_eff: `v` must be finite and >= 0"),
    (lambda: regimes.alpha_eff(1.0, np.nan), r"alpha_eff: `eps` must be finite"),
    (lambda: regimes.covariant_step(np.ones(3), np.eye(2), 1.0), r"covariant_step: `grad` and `kappa` must have the same size along axis -1"),
    (lambda: regimes.covariant_step(np.ones(2), np.eye(2), 1.0, learning_rate=-1.0), r"covariant_step: `learning_rate` must be finite and > 0"),
    (lambda: regimes.covariant_step(np.array([1.0, np.nan]), np.eye(2), 1.0), r"covariant_step: `grad` must be finite"),
    (lambda: regimes.sample_updates(jax.random.key(0), np.eye(2), 1.0, n_draws=0), r"sample_updates: `n_draws` must be >= 1"),
    (lambda: regimes.sample_updates(jax.random.key(0), np.eye(2)[None], 1.0, n_draws=3), r"sample_updates: `kappa` must have shape \[K, K\]"),
    (lambda: regimes.sample_updates(jax.random.key(0), np.eye(2), 1.0, n_draws=3, grad=np.ones(3)), r"sample_updates: `grad` must have 2 entries"),
    (lambda: regimes.fdt_residual(np.eye(2), np.nan), r"fdt_residual: `alpha` must be finite"),
    (lambda: regimes.step_covariance_error(np.ones(2), np.eye(2), 0.5, np.ones((2, 3))), r"step_covariance_error: `A` must be a \(batch of\) square matrices"),
    (lambda: regimes.step_covariance_error(np.ones(2), np.eye(2), 0.5, np.eye(3)), r"step_covariance_error: `A` and `kappa` must have the same size"),
    (lambda: regimes.step_covariance_error(np.ones(2), np.eye(2), 0.5, np.array([[1.0, np.inf], [0.0, 1.0]])), r"step_covariance_error: `A` must be finite"),
    (lambda: regimes.step_covariance_error(np.ones(2), -np.eye(2), 0.5, np.eye(2)), r"step_covariance_error: `kappa` must be symmetric positive definite"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()
