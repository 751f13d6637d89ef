import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from geobook import cones, optim


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


@pytest.mark.parametrize("call,match", [
    (lambda: optim.cgd(-0.1), r"cgd: `learning_rate` must be finite and >= 0; got -0.1"),
    (lambda: optim.cgd(np.nan), r"cgd: `learning_rate` must be finite"),
    (lambda: optim.cgd(0.1, b1=1.0), r"cgd: `b1` must lie in \[0, 1\); got 1.0"),
    (lambda: optim.cgd(0.1, b2=-0.1), r"cgd: `b2` must lie in \[0, 1\)"),
    (lambda: optim.cgd(0.1, structure="full", eps=0.0), r"cgd: `eps` must be finite and > 0; got 0.0"),
    (lambda: optim.cgd(0.1, structure="block"), r"cgd: `structure` must be one of \['diagonal', 'full'\]; got 'block'"),
    (lambda: optim.cgd(0.1, moment="central"), r"cgd: `moment` must be one of"),
    (lambda: optim.cgd(0.1, structure="full", background=-np.eye(2)), r"cgd: `background` must be symmetric positive definite"),
    (lambda: optim.cgd(0.1, background=np.eye(2)), r"cgd: `background` is only used with structure='full'"),
    (lambda: optim.cgd(0.1, structure="full", background=np.eye(3)).init(jnp.ones(2)), r"cgd: `background` must be \[K, K\] with K = 2"),
    (lambda: optim.adam(0.1, b2=1.5), r"cgd: `b2` must lie in \[0, 1\)"),
    (lambda: optim.adam(0.1, nesterov=True), r"adam: `nesterov=True` is not supported"),
    (lambda: optim.rmsprop(0.1, centered=True), r"rmsprop: `centered=True` is not supported"),
    (lambda: optim.sgd(0.1, momentum=1.2), r"sgd: `momentum` must lie in \[0, 1\)"),
    (lambda: optim.rosenbrock(jnp.ones(1)), r"rosenbrock: `x` needs d >= 2"),
    (lambda: optim.noisy_quadratic(np.eye(2), np.eye(3)), r"noisy_quadratic: `hessian` and `kappa` must have the same shape"),
    (lambda: optim.noisy_quadratic(-np.eye(2), np.eye(2)), r"noisy_quadratic: `hessian` must be symmetric positive definite"),
    (lambda: optim.effective_dimension(jnp.ones(3)), r"effective_dimension: `updates` must have shape \[n, K\]"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()
