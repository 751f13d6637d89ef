import jax
import jax.numpy as jnp
import numpy as np
import pytest

from geobook import sde, stats

OU_DRIFT = lambda q: -q
UNIT = lambda q: jnp.eye(q.shape[0], dtype=q.dtype)


def test_em_ou_moments_match_closed_form(x64):
    tr = sde.euler_maruyama(jax.random.key(0), OU_DRIFT, UNIT, jnp.ones((200_000, 1)),
                            dt=0.01, n_steps=100, save_every=50)
    assert tr.q.shape == (200_000, 1) and tr.path.shape == (3, 200_000, 1)
    np.testing.assert_allclose(tr.t, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(tr.path[-1], tr.q)
    # exact discrete EM moments: mean (1-dt)^n, var dt Σ (1-dt)^{2k}
    c = 0.99
    m, v = c**100, 0.01 * (1 - c**200) / (1 - c**2)
    assert abs(float(tr.q.mean()) - m) < 4 * np.sqrt(v / 200_000)
    assert abs(float(tr.q.var()) - v) < 4 * v * np.sqrt(2 / 200_000)


def test_em_diagonal_noise_equals_matrix_noise(x64):
    b = jnp.array([0.3, 1.0, 2.0])
    q0 = jnp.zeros((16, 3))
    a = sde.euler_maruyama(jax.random.key(4), lambda q: -q, lambda q: b, q0, dt=0.1, n_steps=20)
    m = sde.euler_maruyama(jax.random.key(4), lambda q: -q, lambda q: jnp.diag(b), q0, dt=0.1, n_steps=20)
    np.testing.assert_allclose(a.q, m.q, rtol=1e-12, atol=1e-14)


def test_em_weak_order_one(x64):
    exact = np.exp(-2) + 0.5 * (1 - np.exp(-2))
    errs = []
    dts = np.array([0.2, 0.1, 0.05])
    for i, dt in enumerate(dts):
        tr = sde.euler_maruyama(jax.random.key(i), OU_DRIFT, UNIT, jnp.ones((1_000_000, 1), jnp.float32),
                                dt=dt, n_steps=int(round(1 / dt)))
        errs.append(abs(float(jnp.mean(tr.q.astype(jnp.float64) ** 2)) - exact))
    slope = stats.slope_fit(np.log(dts), np.log(errs)).slope
    assert 0.8 < float(slope) < 1.2


def test_langevin_identity_equals_em_with_same_key(x64):
    gH = lambda q: 4 * q * (q**2 - 1)
    q0 = jnp.zeros((64, 1))
    a = sde.langevin(jax.random.key(3), gH, q0, T=0.3, dt=1e-3, n_steps=50)
    b = sde.euler_maruyama(jax.random.key(3), lambda q: -gH(q),
                           lambda q: jnp.sqrt(2 * 0.3) * jnp.eye(1), q0, dt=1e-3, n_steps=50)
    np.testing.assert_allclose(a.q, b.q, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("correction,power", [("ito", 1.0), ("riemann", 0.5), ("kinetic", 0.0)])
def test_langevin_corrections_stationary_laws(correction, power, x64):
    g = lambda q: jnp.array([[1 + 0.8 * jnp.tanh(q[0])]])
    tr = sde.langevin(jax.random.key(1), lambda q: q, jnp.zeros((20_000, 1)), T=0.5, dt=2e-3,
                      n_steps=3000, metric=g, correction=correction)
    e = jnp.linspace(-4, 4, 41)
    kl = {p: float(stats.hist_kl(tr.q, e, stats.bin_probabilities(
        lambda q: (1 + 0.8 * jnp.tanh(q)) ** p * jnp.exp(-q**2), e))) for p in (0.0, 0.5, 1.0)}
    assert kl[power] < 3e-3
    assert all(kl[p] > 1e-2 for p in kl if p != power)


def test_langevin_riemann_2d_marginal(x64):
    g = lambda q: jnp.diag(jnp.array([1 + q[0] ** 2, 1.0]))
    tr = sde.langevin(jax.random.key(2), lambda q: q, jnp.zeros((10_000, 2)), T=0.5, dt=2e-3,
                      n_steps=2000, metric=g)
    e = jnp.linspace(-4, 4, 33)
    ref = stats.bin_probabilities(lambda q: jnp.sqrt(1 + q**2) * jnp.exp(-q**2), e)
    assert float(stats.hist_kl(tr.q[:, 0], e, ref)) < 5e-3


@pytest.mark.parametrize("metric", [None, lambda q, a: (1 + a * q[:, None] ** 2)])
def test_jit_equals_eager(metric):
    """The compiled kernel against the same algorithm run op by op (``disable_jit``)."""
    gH = lambda q, a: a * q
    q0 = jnp.linspace(-1, 1, 16)[:, None]
    f = lambda: sde.langevin(jax.random.key(3), gH, q0, T=0.5, dt=1e-2, n_steps=6,
                             metric=metric, save_every=2, args=(1.5,))
    fast = f()
    with jax.disable_jit():
        slow = f()
    np.testing.assert_allclose(fast.path, slow.path, rtol=1e-5, atol=1e-6)  # float32 fusion


def test_vmap_equals_python_loop():
    """vmap over temperatures, keys and an ``args`` parameter against a Python loop."""
    gH = lambda q, a: a * q
    q0 = jnp.zeros((64, 1))
    f = lambda k, T, a: sde.langevin(k, gH, q0, T=T, dt=1e-2, n_steps=20, args=(a,)).q
    keys = jax.random.split(jax.random.key(0), 3)
    Ts, As = jnp.array([0.5, 1.0, 2.0]), jnp.array([1.0, 0.5, 2.0])
    batched = jax.vmap(f)(keys, Ts, As)
    for i in range(3):
        np.testing.assert_allclose(batched[i], f(keys[i], Ts[i], As[i]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtype_preserved(dtype):
    with jax.enable_x64(True):
        q0 = jnp.zeros((8, 2), dtype)
        assert sde.langevin(jax.random.key(0), lambda q: q, q0, T=1.0, dt=0.1, n_steps=3,
                            save_every=1).path.dtype == dtype
        assert sde.euler_maruyama(jax.random.key(0), OU_DRIFT, UNIT, q0, dt=0.1, n_steps=3).q.dtype == dtype


@pytest.mark.parametrize("call,match", [
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.zeros(4), T=1.0, dt=0.1, n_steps=2), r"langevin: `q0` must have shape \[n_walkers, d\]; got shape \(4,\)"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.zeros((4, 1)), T=0.0, dt=0.1, n_steps=2), r"langevin: `T` must be finite and > 0; got 0.0"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.zeros((4, 1)), T=1.0, dt=-0.1, n_steps=2), r"langevin: `dt` must be finite and > 0"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.zeros((4, 1)), T=1.0, dt=0.1, n_steps=0), r"langevin: `n_steps` must be >= 1"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.full((4, 1), jnp.nan), T=1.0, dt=0.1, n_steps=2), r"langevin: `q0` must be finite"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.zeros((4, 1)), T=1.0, dt=0.1, n_steps=2, correction="strat"), r"langevin: `correction` must be one of"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.zeros((4, 1)), T=1.0, dt=0.1, n_steps=4, save_every=3), r"langevin: `save_every` must divide `n_steps` = 4; got 3"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q[:1] * 0 + 1, jnp.zeros((4, 2)), T=1.0, dt=0.1, n_steps=2), r"langevin: `grad_H` must map an input of shape \[2\] to \[2\]"),
    (lambda: sde.langevin(jax.random.key(0), lambda q: q, jnp.zeros((4, 2)), T=1.0, dt=0.1, n_steps=2, metric=lambda q: jnp.eye(3)), r"langevin: `metric` must map an input of shape \[2\] to \[2, 2\]"),
    (lambda: sde.langevin(jax.random.key(0), 3.0, jnp.zeros((4, 2)), T=1.0, dt=0.1, n_steps=2), r"langevin: `grad_H` must be callable"),
    (lambda: sde.euler_maruyama(jax.random.key(0), OU_DRIFT, lambda q: jnp.ones((1, 2)), jnp.zeros((4, 1)), dt=0.1, n_steps=2), r"euler_maruyama: `diffusion` must map an input of shape \[1\] to \[1, 1\] or \[1\]"),
    (lambda: sde.euler_maruyama(jax.random.key(0), OU_DRIFT, UNIT, jnp.zeros((4, 1)), dt=np.inf, n_steps=2), r"euler_maruyama: `dt` must be finite and > 0"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_riemann_correction_equals_closed_form_for_rank_one_metric(x64):
    # g = I + c q qᵀ in d = 2: the autodiff drift and Cholesky noise of langevin's metric path
    # against the hand-derived formulas that the metric benchmark's NumPy loop uses
    import sys
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import metric_drift_numpy
    from geobook.sde import _metric_drift
    c, T = 0.7, 0.5
    gH = lambda q: jnp.stack([4 * q[0] * (q[0] ** 2 - 1), q[1]])
    g = lambda q: jnp.eye(2) + c * jnp.outer(q, q)
    a, B = jax.vmap(_metric_drift(gH, g, T, "riemann"))(
        jax.random.normal(jax.random.key(0), (500, 2)) * 1.5)
    q = np.asarray(jax.random.normal(jax.random.key(0), (500, 2)) * 1.5)
    a_np, (l11, l21, l22) = metric_drift_numpy(q, T, c)
    np.testing.assert_allclose(np.asarray(a), a_np, rtol=1e-12, atol=1e-12)
    L = np.asarray(B) / np.sqrt(2 * T)
    np.testing.assert_allclose(L[:, 0, 0], l11, rtol=1e-12)
    np.testing.assert_allclose(L[:, 1, 0], l21, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(L[:, 1, 1], l22, rtol=1e-12)
    assert np.all(L[:, 0, 1] == 0)
