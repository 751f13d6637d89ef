"""geobook.boltzmann against NumPy brute force, scikit-learn's BernoulliRBM, finite
differences and exact enumeration."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P
from scipy.special import logsumexp

from geobook import boltzmann as bm

sklearn = pytest.importorskip("sklearn")
from sklearn.neural_network import BernoulliRBM  # noqa: E402


# ---------------------------------------------------------------- NumPy references (tests only)
def states(n, spins=False):
    s = np.array(list(itertools.product((0, 1), repeat=n)), float)
    return 2 * s - 1 if spins else s


def np_joint(W, b, c):
    """All joint states (v, h), their log-weights, and the statistics tau = (vec vh^T, v, h)."""
    n_v, n_h = W.shape
    V, H = states(n_v), states(n_h)
    v = np.repeat(V, len(H), 0)
    h = np.tile(H, (len(V), 1))
    lw = np.einsum("ki,ij,kj->k", v, W, h) + v @ b + h @ c
    tau = np.concatenate([(v[:, :, None] * h[:, None, :]).reshape(len(v), -1), v, h], 1)
    return v, h, lw, tau


def np_fv(J, h):
    n = len(h)
    s = states(n, spins=True)
    lw = 0.5 * np.einsum("ki,ij,kj->k", s, J, s) + s @ h
    iu, ju = np.triu_indices(n, 1)
    tau = np.concatenate([s, s[:, iu] * s[:, ju]], 1)
    return s, lw, tau


def np_cov(lw, tau):
    p = np.exp(lw - logsumexp(lw))
    m = p @ tau
    d = tau - m
    return m, (d * p[:, None]).T @ d


def np_loglik_rbm(W, b, c, data):
    _, _, lw, _ = np_joint(W, b, c)
    F = -(data @ b) - np.logaddexp(0, data @ W + c).sum(1)
    return float(np.mean(-F) - logsumexp(lw))


def rand_rbm(key, n_v, n_h, scale=1.0, dtype=jnp.float64):
    k = jax.random.split(jax.random.key(key), 3)
    return bm.RBM(scale * jax.random.normal(k[0], (n_v, n_h), dtype),
                  scale * jax.random.normal(k[1], (n_v,), dtype),
                  scale * jax.random.normal(k[2], (n_h,), dtype))


def rand_fv(key, n, scale=0.5):
    k = jax.random.split(jax.random.key(key), 2)
    A = scale * jax.random.normal(k[0], (n, n), jnp.float64)
    J = jnp.triu(A, 1)
    return bm.FullyVisible(J + J.T, scale * jax.random.normal(k[1], (n,), jnp.float64))


# ---------------------------------------------------------------- energies and free energies
def test_free_energy_brute_force_and_sklearn(x64):
    rbm = rand_rbm(0, 5, 3)
    V = states(5)
    F = np.asarray(bm.free_energy(rbm, jnp.asarray(V)))
    W, b, c = (np.asarray(x) for x in rbm)
    H = states(3)
    brute = np.array([-logsumexp([v @ W @ h + b @ v + c @ h for h in H]) for v in V])
    np.testing.assert_allclose(F, brute, rtol=1e-13, atol=1e-13)
    sk = BernoulliRBM(n_components=3)
    sk.components_, sk.intercept_visible_, sk.intercept_hidden_ = W.T, b, c
    np.testing.assert_allclose(F, sk._free_energy(V), rtol=1e-13, atol=1e-13)
    # energy on a batch, against the formula
    Hs = np.tile(H[1], (len(V), 1))
    E = bm.energy(rbm, jnp.asarray(V), jnp.asarray(Hs))
    np.testing.assert_allclose(E, -(np.einsum("ki,ij,kj->k", V, W, Hs) + V @ b + Hs @ c),
                               rtol=1e-13)


def test_fully_visible_energy(x64):
    fv = rand_fv(1, 4)
    s, lw, _ = np_fv(*(np.asarray(x) for x in fv))
    np.testing.assert_allclose(-bm.energy(fv, jnp.asarray(s)), lw, rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------- exact enumeration
@pytest.mark.parametrize("n_v,n_h", [(4, 3), (3, 6), (6, 2)])
def test_log_partition_marginals_moments_brute_force(n_v, n_h, x64):
    rbm = rand_rbm(n_v * 10 + n_h, n_v, n_h)
    v, h, lw, tau = np_joint(*(np.asarray(x) for x in rbm))
    logz = logsumexp(lw)
    np.testing.assert_allclose(bm.log_partition(rbm), logz, rtol=1e-13)
    # V-Q2: sum_v e^{-F(v)} equals the joint Z
    F = bm.free_energy(rbm, bm.enumerate_states(n_v))
    np.testing.assert_allclose(logsumexp(-np.asarray(F)), logz, rtol=1e-13)
    p = np.exp(lw - logz).reshape(2 ** n_v, 2 ** n_h).sum(1)
    np.testing.assert_allclose(bm.marginals(rbm), p, rtol=1e-12, atol=1e-15)
    mean, cov = np_cov(lw, tau)
    mom = bm.exact_moments(rbm)
    got = np.concatenate([np.ravel(mom.W), mom.b, mom.c])
    np.testing.assert_allclose(got, mean, rtol=1e-12, atol=1e-14)
    Fi = np.asarray(bm.fisher(rbm))
    np.testing.assert_allclose(Fi, cov, rtol=1e-10, atol=1e-13)
    assert np.linalg.eigvalsh(Fi).min() > 0            # SPD: affinely independent statistics


def test_fisher_visible_law_brute_force(x64):
    rbm = rand_rbm(3, 4, 3)
    W, b, c = (np.asarray(x) for x in rbm)
    V = states(4)
    m = 1 / (1 + np.exp(-(V @ W + c)))
    stat = np.concatenate([(V[:, :, None] * m[:, None, :]).reshape(16, -1), V, m], 1)
    lw = -(-(V @ b) - np.logaddexp(0, V @ W + c).sum(1))
    _, cov = np_cov(lw, stat)
    np.testing.assert_allclose(bm.fisher(rbm, visible=True), cov, rtol=1e-10, atol=1e-13)


def test_fully_visible_exact_brute_force(x64):
    fv = rand_fv(5, 5)
    s, lw, tau = np_fv(*(np.asarray(x) for x in fv))
    np.testing.assert_allclose(bm.log_partition(fv), logsumexp(lw), rtol=1e-13)
    np.testing.assert_allclose(bm.marginals(fv), np.exp(lw - logsumexp(lw)), rtol=1e-12)
    mean, cov = np_cov(lw, tau)
    mom = bm.exact_moments(fv)
    iu, ju = np.triu_indices(5, 1)
    np.testing.assert_allclose(np.concatenate([mom.h, np.asarray(mom.J)[iu, ju]]), mean,
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.diag(mom.J), 0.0)
    np.testing.assert_allclose(bm.fisher(fv), cov, rtol=1e-10, atol=1e-13)


def test_fisher_is_finite_difference_hessian_of_log_z(x64):
    """Hessian of ln Z by central differences of ln Z itself (no gradient code involved)."""
    rbm = rand_rbm(7, 3, 2, scale=0.7)
    theta = np.concatenate([np.ravel(rbm.W), rbm.b, rbm.c])
    n_v, n_h = 3, 2

    def logz(t):
        t = jnp.asarray(t)
        return float(bm.log_partition(bm.RBM(t[:6].reshape(3, 2), t[6:9], t[9:])))
    eps, Pn = 1e-4, len(theta)
    Hfd = np.zeros((Pn, Pn))
    for i in range(Pn):
        for j in range(i, Pn):
            e_i, e_j = np.eye(Pn)[i] * eps, np.eye(Pn)[j] * eps
            Hfd[i, j] = Hfd[j, i] = (logz(theta + e_i + e_j) - logz(theta + e_i - e_j)
                                     - logz(theta - e_i + e_j) + logz(theta - e_i - e_j)) / (
                4 * eps ** 2)
    np.testing.assert_allclose(bm.fisher(rbm), Hfd, atol=1e-6)
    assert n_v * n_h + n_v + n_h == Pn


def test_no_overflow_with_large_weights(x64):
    rbm = rand_rbm(11, 12, 20, scale=40.0)
    W, b, c = (np.asarray(x) for x in rbm)
    V = states(12)
    ref = logsumexp(V @ b + np.logaddexp(0, V @ W + c).sum(1))
    got = float(bm.log_partition(rbm))            # enumerates the 12-unit layer
    assert np.isfinite(got) and abs(got - ref) <= 1e-12 * abs(ref)
    p = bm.marginals(rbm)
    assert np.all(np.isfinite(p)) and abs(float(p.sum()) - 1) < 1e-12


def test_hidden_layer_enumeration_for_wide_visible(x64):
    """64 visible and 10 hidden: exact via the hidden layer; checked against the visible
    sum on a 14 x 10 model where both layers are enumerable."""
    small = rand_rbm(12, 14, 10, scale=0.3)
    W, b, c = (np.asarray(x) for x in small)
    V = states(14)
    ref = logsumexp(V @ b + np.logaddexp(0, V @ W + c).sum(1))
    np.testing.assert_allclose(bm.log_partition(small), ref, rtol=1e-13)
    wide = rand_rbm(13, 64, 10, scale=0.1)
    assert np.isfinite(float(bm.log_partition(wide)))


def test_exact_grad_finite_differences_and_natural_grad(x64):
    rbm = rand_rbm(21, 4, 3, scale=0.5)
    data = jnp.asarray(states(4)[[1, 3, 6, 9, 12, 15]])
    g = bm.exact_grad(rbm, data)
    theta = np.concatenate([np.ravel(rbm.W), rbm.b, rbm.c])

    def ll(t):
        t = jnp.asarray(t)
        return float(bm.log_likelihood(bm.RBM(t[:12].reshape(4, 3), t[12:16], t[16:]), data))
    eps = 1e-6
    fd = np.array([(ll(theta + eps * e) - ll(theta - eps * e)) / (2 * eps)
                   for e in np.eye(len(theta))])
    np.testing.assert_allclose(np.concatenate([np.ravel(g.W), g.b, g.c]), fd, atol=1e-8)
    np.testing.assert_allclose(bm.log_likelihood(rbm, data),
                               np_loglik_rbm(*(np.asarray(x) for x in rbm), np.asarray(data)),
                               rtol=1e-13)
    # RBM natural gradient: minimum-norm solution of I_visible delta = g
    Iv = np.asarray(bm.fisher(rbm, visible=True))
    ng = bm.natural_grad(rbm, data)
    d = np.concatenate([np.ravel(ng.W), ng.b, ng.c])
    np.testing.assert_allclose(Iv @ d, np.concatenate([np.ravel(g.W), g.b, g.c]), atol=1e-9)


def test_fully_visible_natural_grad_is_newton(x64):
    fv = rand_fv(8, 4)
    rng = np.random.default_rng(0)
    data = jnp.asarray(rng.choice([-1.0, 1.0], size=(50, 4)))
    g = bm.exact_grad(fv, data)
    ng = bm.natural_grad(fv, data)
    iu, ju = np.triu_indices(4, 1)
    flat = lambda m: np.concatenate([m.h, np.asarray(m.J)[iu, ju]])
    # Hessian of -loglik by finite differences of the exact gradient = Fisher
    theta = flat(fv)

    def grad_at(t):
        J = np.zeros((4, 4)); J[iu, ju] = t[4:]; J = J + J.T
        return flat(bm.exact_grad(bm.FullyVisible(jnp.asarray(J), jnp.asarray(t[:4])), data))
    eps = 1e-6
    Hneg = -np.array([(grad_at(theta + eps * e) - grad_at(theta - eps * e)) / (2 * eps)
                      for e in np.eye(len(theta))]).T
    np.testing.assert_allclose(Hneg, bm.fisher(fv), atol=1e-7)
    np.testing.assert_allclose(flat(ng), np.linalg.solve(np.asarray(bm.fisher(fv)), flat(g)),
                               rtol=1e-9, atol=1e-12)
    # one Newton step with damping 0 reduces the KL more than a plain step of the same norm
    assert np.allclose(np.asarray(ng.J), np.asarray(ng.J).T)


# ---------------------------------------------------------------- sampling
def test_gibbs_chain_matches_exact_law_chi_square(x64):
    """Independent chains: the final states are iid, so Pearson's X^2 ~ chi2(15)."""
    rbm = rand_rbm(2, 4, 3)
    n = 200_000
    v = bm.gibbs_chain(jax.random.key(1), rbm, jnp.zeros((n, 4)), n_steps=60)
    idx = np.asarray(v @ jnp.array([8.0, 4.0, 2.0, 1.0])).astype(int)
    counts = np.bincount(idx, minlength=16)
    p = np.asarray(bm.marginals(rbm))
    x2 = float(np.sum((counts - n * p) ** 2 / (n * p)))
    assert x2 < 15 + 4 * np.sqrt(30), x2


def test_gibbs_jit_eager_parity_and_sharding(x64):
    rbm = rand_rbm(4, 5, 3)
    v0 = jnp.zeros((64, 5))
    a = bm.gibbs_chain(jax.random.key(2), rbm, v0, n_steps=5)
    with jax.disable_jit():
        b = bm.gibbs_chain(jax.random.key(2), rbm, v0, n_steps=5)
    np.testing.assert_array_equal(a, b)
    mesh = jax.make_mesh((2,), ("chains",), axis_types=(jax.sharding.AxisType.Auto,))
    vs = jax.device_put(v0, NamedSharding(mesh, P("chains")))
    c = bm.gibbs_chain(jax.random.key(2), rbm, vs, n_steps=5)
    assert len(c.sharding.device_set) == 2
    np.testing.assert_array_equal(a, c)


def test_pcd_step_sharded_chains(x64):
    rbm = rand_rbm(6, 5, 4)
    v = jnp.asarray(states(5)[:16])
    h = jnp.zeros((16, 4))
    ref = bm.pcd_step(jax.random.key(0), rbm, v, h, learning_rate=0.05)
    mesh = jax.make_mesh((2,), ("chains",), axis_types=(jax.sharding.AxisType.Auto,))
    sh = NamedSharding(mesh, P("chains"))
    out = bm.pcd_step(jax.random.key(0), rbm, jax.device_put(v, sh), jax.device_put(h, sh),
                      learning_rate=0.05)
    np.testing.assert_allclose(out.rbm.W, ref.rbm.W, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(out.chain, ref.chain)


@pytest.mark.parametrize("n_pos", [10, 7])
def test_pcd_step_equals_sklearn_update_in_deterministic_regime(n_pos, x64):
    """With |b|, |c| = 40 every Bernoulli draw is certain, so sklearn's _fit and pcd_step
    must agree to rounding (including sklearn's short last batch: 7 data rows, 10 chains)."""
    rng = np.random.default_rng(3)
    n_v, n_h, B = 6, 4, 10
    W = 0.3 * rng.standard_normal((n_v, n_h))
    b = 40.0 * rng.choice([-1, 1], n_v)
    c = 40.0 * rng.choice([-1, 1], n_h)
    v_pos = rng.integers(0, 2, (n_pos, n_v)).astype(float)
    h_chain = rng.integers(0, 2, (B, n_h)).astype(float)
    sk = BernoulliRBM(n_components=n_h, learning_rate=0.05, batch_size=B)
    sk.components_, sk.intercept_visible_, sk.intercept_hidden_ = W.T.copy(), b.copy(), c.copy()
    sk.h_samples_ = h_chain.copy()
    sk._fit(v_pos, np.random.RandomState(0))
    out = bm.pcd_step(jax.random.key(0), bm.RBM(jnp.asarray(W), jnp.asarray(b), jnp.asarray(c)),
                      jnp.asarray(v_pos), jnp.asarray(h_chain), learning_rate=0.05)
    np.testing.assert_allclose(out.rbm.W, sk.components_.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.rbm.b, sk.intercept_visible_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.rbm.c, sk.intercept_hidden_, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(out.chain, sk.h_samples_)


def test_cd_bias_shrinks_with_k(x64):
    rbm = rand_rbm(9, 4, 3, scale=1.0)
    data = jnp.asarray(np.tile(states(4)[[1, 3, 6, 9, 12, 15]], (4000, 1)))
    ex = bm.exact_grad(rbm, data)
    flat = lambda m: np.concatenate([np.ravel(m.W), m.b, m.c])
    cos = {}
    for k in (1, 50):
        g = bm.cd_step(jax.random.key(k), rbm, data, k=k, learning_rate=0.1).grad
        a, e = flat(g), flat(ex)
        cos[k] = a @ e / np.linalg.norm(a) / np.linalg.norm(e)
    assert cos[50] > cos[1] and cos[50] > 0.99


def test_fit_training_curves_match_sklearn(x64):
    """Mean exact log-likelihood over 8 seeds at epochs 5, 10, 20: geobook.fit and
    BernoulliRBM agree within 4 standard errors of the difference."""
    rng = np.random.default_rng(0)
    protos = np.array([[1, 1, 1, 0, 0, 0, 1, 0], [0, 0, 1, 1, 1, 0, 0, 1],
                       [1, 0, 0, 0, 1, 1, 1, 1]], float)
    data = protos[rng.integers(0, 3, 60)]
    data = np.abs(data - (rng.random(data.shape) < 0.05))
    epochs = [5, 10, 20]
    ours, theirs = [], []
    for seed in range(8):
        res = bm.fit(jax.random.key(seed), jnp.asarray(data), 4, n_epochs=20, learning_rate=0.1)
        ours.append([np_loglik_rbm(np.asarray(res.path.W[e]), np.asarray(res.path.b[e]),
                                   np.asarray(res.path.c[e]), data) for e in epochs])
        row = []
        for e in epochs:
            sk = BernoulliRBM(n_components=4, learning_rate=0.1, batch_size=10, n_iter=e,
                              random_state=seed).fit(data)
            row.append(np_loglik_rbm(sk.components_.T, sk.intercept_visible_,
                                     sk.intercept_hidden_, data))
        theirs.append(row)
    ours, theirs = np.array(ours), np.array(theirs)
    diff = ours.mean(0) - theirs.mean(0)
    se = np.sqrt(ours.var(0, ddof=1) / 8 + theirs.var(0, ddof=1) / 8)
    assert np.all(np.abs(diff) < 4 * se + 0.02), (diff, se)
    assert np.all(np.diff(ours.mean(0)) > 0)            # both learn


def test_fit_initialisation_and_cd_mode(x64):
    data = jnp.asarray(states(5)[[3, 7, 12, 28, 30]] * np.ones((1, 1)))
    res = bm.fit(jax.random.key(0), data, 3, n_epochs=2, batch_size=2, persistent=False)
    assert res.path.W.shape == (3, 5, 3) and res.t.tolist() == [0, 1, 2]
    assert float(jnp.abs(res.path.W[0]).max()) < 0.05
    np.testing.assert_array_equal(res.path.b[0], 0.0)
    res2 = bm.fit(jax.random.key(0), data, 3, n_epochs=1, rbm0=res.rbm)
    np.testing.assert_array_equal(res2.path.W[0], res.rbm.W)


# ---------------------------------------------------------------- AIS
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ais_matches_exact_within_stated_error(seed, x64):
    rbm = rand_rbm(100 + seed, 16, 10, scale=0.5)
    res = bm.ais_log_partition(jax.random.key(seed), rbm, n_chains=500, n_betas=1000)
    exact = float(bm.log_partition(rbm))
    assert float(res.stderr) < 0.05
    assert abs(float(res.log_z) - exact) < 3 * float(res.stderr) + 1e-3, (res, exact)


def test_ais_base_bias_and_float32():
    rbm = rand_rbm(5, 10, 6, scale=0.5, dtype=jnp.float32)
    res = bm.ais_log_partition(jax.random.key(0), rbm, n_chains=200, n_betas=500,
                               base_bias=jnp.zeros(10))
    assert res.log_z.dtype == jnp.float32 and res.log_w.shape == (200,)
    assert abs(float(res.log_z) - float(bm.log_partition(rbm))) < 3 * float(res.stderr) + 1e-3


# ---------------------------------------------------------------- dtypes, jit, vmap
def test_float32_float64_and_vmap_parity():
    r32 = rand_rbm(1, 6, 4, dtype=jnp.float32)
    assert bm.log_partition(r32).dtype == jnp.float32
    assert bm.free_energy(r32, jnp.zeros((3, 6), jnp.float32)).dtype == jnp.float32
    with jax.enable_x64(True):
        r64 = bm.RBM(*(x.astype(jnp.float64) for x in r32))
        assert bm.log_partition(r64).dtype == jnp.float64
        np.testing.assert_allclose(bm.log_partition(r32), bm.log_partition(r64), rtol=1e-6)
        many = bm.RBM(*(jnp.stack([x * s for s in (0.5, 1.0, 1.5)]) for x in r64))
        vm = jax.vmap(bm.log_partition)(many)
        loop = [bm.log_partition(bm.RBM(*(x[i] for x in many))) for i in range(3)]
        np.testing.assert_allclose(vm, loop, rtol=1e-13)
        V = bm.enumerate_states(6)
        vf = jax.vmap(bm.free_energy, in_axes=(None, 0))(r64, V)
        np.testing.assert_allclose(vf, bm.free_energy(r64, V), rtol=1e-13)
        j = jax.jit(bm.log_partition)(r64)
        np.testing.assert_allclose(j, bm.log_partition(r64), rtol=1e-14)


# ---------------------------------------------------------------- validation
def _err(match, f, *a, **kw):
    with pytest.raises(ValueError, match=match):
        f(*a, **kw)


def test_validation_errors():
    rbm = bm.RBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(2))
    fv = bm.FullyVisible(jnp.zeros((3, 3)), jnp.zeros(3))
    key = jax.random.key(0)
    v = jnp.zeros((4, 3))
    _err(r"^free_energy: `v` must hold only the values \[0, 1\]", bm.free_energy, rbm,
         jnp.full((2, 3), 0.5))
    _err(r"^free_energy: `v` must have 3 entries", bm.free_energy, rbm, jnp.zeros((2, 4)))
    _err(r"^free_energy: `rbm.b` must have 3 entries", bm.free_energy,
         bm.RBM(jnp.zeros((3, 2)), jnp.zeros(4), jnp.zeros(2)), v)
    _err(r"^free_energy: `rbm.c` must have 2 entries", bm.free_energy,
         bm.RBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(3)), v)
    _err(r"^free_energy: `rbm.W` must have shape \[n_visible, n_hidden\]", bm.free_energy,
         bm.RBM(jnp.zeros(3), jnp.zeros(3), jnp.zeros(2)), v)
    _err(r"^free_energy: `rbm` must be a boltzmann.RBM", bm.free_energy, (1, 2, 3), v)
    _err(r"^log_partition: `model.W` must be finite", bm.log_partition,
         bm.RBM(jnp.full((3, 2), jnp.nan), jnp.zeros(3), jnp.zeros(2)))
    _err(r"^energy: `h` is required", bm.energy, rbm, v)
    _err(r"^energy: `h` must be None", bm.energy, fv, v, v)
    _err(r"^energy: `v` must hold only the values \[-1, 1\]", bm.energy, fv, v)
    _err(r"^log_partition: `model` must be a boltzmann.RBM or a boltzmann.FullyVisible",
         bm.log_partition, {"W": 1})
    _err(r"^log_partition: `model.J` must be symmetric", bm.log_partition,
         bm.FullyVisible(jnp.triu(jnp.ones((3, 3)), 1), jnp.zeros(3)))
    _err(r"^log_partition: `model.J` must have a zero diagonal", bm.log_partition,
         bm.FullyVisible(jnp.eye(3), jnp.zeros(3)))
    _err(r"^log_partition: `model.h` must have 3 entries", bm.log_partition,
         bm.FullyVisible(jnp.zeros((3, 3)), jnp.zeros(2)))
    big = bm.RBM(jnp.zeros((30, 30)), jnp.zeros(30), jnp.zeros(30))
    _err(r"^log_partition: `model` needs an exact sum over 2\^30 states .*"
         r"ais_log_partition instead; got 30 units", bm.log_partition, big)
    _err(r"^marginals: `model` needs an exact sum over 2\^30", bm.marginals, big)
    _err(r"^fisher: `model` needs an exact sum", bm.fisher, big)
    _err(r"^fisher: `visible` must be False", bm.fisher, fv, visible=True)
    _err(r"^exact_moments: `model` needs an exact sum", bm.exact_moments, big)
    _err(r"^exact_grad: `data` must hold only the values \[0, 1\]", bm.exact_grad, rbm,
         jnp.full((2, 3), 2.0))
    _err(r"^exact_grad: `data` must hold only the values \[-1, 1\]", bm.exact_grad, fv, v)
    _err(r"^log_likelihood: `data` must have shape \[n_samples, 3\]", bm.log_likelihood, rbm,
         jnp.zeros(3))
    _err(r"^natural_grad: `damping` must be finite and >= 0", bm.natural_grad, fv,
         jnp.ones((2, 3)), damping=-1.0)
    _err(r"^enumerate_states: `n` must be <= 24", bm.enumerate_states, 25)
    _err(r"^enumerate_states: `n` must be >= 1", bm.enumerate_states, 0)
    _err(r"^gibbs_chain: `n_steps` must be >= 1", bm.gibbs_chain, key, rbm, v, n_steps=0)
    _err(r"^gibbs_chain: `n_steps` must be a Python int", bm.gibbs_chain, key, rbm, v,
         n_steps=2.0)
    _err(r"^gibbs_chain: `v0` must hold only the values \[0, 1\]", bm.gibbs_chain, key, rbm,
         -jnp.ones((2, 3)), n_steps=1)
    _err(r"^gibbs_chain: `v0` must have shape \[n_samples, 3\]", bm.gibbs_chain, key, rbm,
         jnp.zeros(3), n_steps=1)
    _err(r"^cd_step: `learning_rate` must be finite and > 0", bm.cd_step, key, rbm, v,
         learning_rate=0.0)
    _err(r"^cd_step: `k` must be >= 1", bm.cd_step, key, rbm, v, k=0)
    _err(r"^pcd_step: `chain` must have 2 entries", bm.pcd_step, key, rbm, v,
         jnp.zeros((4, 3)))
    _err(r"^pcd_step: `learning_rate` must be finite and > 0", bm.pcd_step, key, rbm, v,
         jnp.zeros((4, 2)), learning_rate=-0.1)
    _err(r"^fit: `n_epochs` must be >= 1", bm.fit, key, v, 2, n_epochs=0)
    _err(r"^fit: `n_hidden` must be >= 1", bm.fit, key, v, 0, n_epochs=1)
    _err(r"^fit: `batch_size` must be >= 1", bm.fit, key, v, 2, n_epochs=1, batch_size=0)
    _err(r"^fit: `k` must be >= 1", bm.fit, key, v, 2, n_epochs=1, k=0)
    _err(r"^fit: `learning_rate` must be finite and > 0", bm.fit, key, v, 2, n_epochs=1,
         learning_rate=0.0)
    _err(r"^fit: `persistent` must be True or False", bm.fit, key, v, 2, n_epochs=1,
         persistent="yes")
    _err(r"^fit: `data` must hold only the values \[0, 1\]", bm.fit, key, 2 * jnp.ones((3, 3)),
         2, n_epochs=1)
    _err(r"^fit: `data` must have shape \[n_samples, n_visible\]", bm.fit, key, jnp.zeros(3),
         2, n_epochs=1)
    _err(r"^fit: `rbm0.W` must have shape \[n_visible, n_hidden\] = \[3, 5\]", bm.fit, key, v,
         5, n_epochs=1, rbm0=rbm)
    _err(r"^ais_log_partition: `n_chains` must be >= 2", bm.ais_log_partition, key, rbm,
         n_chains=1, n_betas=10)
    _err(r"^ais_log_partition: `n_betas` must be >= 2", bm.ais_log_partition, key, rbm,
         n_chains=10, n_betas=1)
    _err(r"^ais_log_partition: `base_bias` must have 3 entries", bm.ais_log_partition, key,
         rbm, n_chains=10, n_betas=10, base_bias=jnp.zeros(4))
    _err(r"^ais_log_partition: `rbm` must be a boltzmann.RBM", bm.ais_log_partition, key, fv,
         n_chains=10, n_betas=10)


# ---------------------------------------------------- exact mean of CD-k, Gaussian-Bernoulli RBM
def np_cd_expected(W, b, c, data, k):
    """NumPy reference: visible transition matrix by explicit sums over h, then q T^k."""
    n_v, n_h = W.shape
    V, H = states(n_v), states(n_h)
    sig = lambda x: 1 / (1 + np.exp(-x))
    T = np.zeros((len(V), len(V)))
    for i, v in enumerate(V):
        ph = sig(v @ W + c)
        for h in H:
            w_h = np.prod(np.where(h == 1, ph, 1 - ph))
            pv = sig(W @ h + b)
            T[i] += w_h * np.prod(np.where(V == 1, pv, 1 - pv), axis=1)
    q = np.zeros(len(V))
    for row in data:
        q[int("".join(str(int(x)) for x in row), 2)] += 1 / len(data)
    qk = q @ np.linalg.matrix_power(T, k)
    m = sig(V @ W + c)
    S = np.concatenate([(V[:, :, None] * m[:, None, :]).reshape(len(V), -1), V, m], 1)
    return q @ S - qk @ S, T


def test_cd_expected_grad_numpy_reference_and_limits(x64):
    rbm = rand_rbm(11, 3, 2)
    data = jnp.asarray(states(3)[[0, 3, 5, 5, 6]])
    flat = lambda m: np.concatenate([np.ravel(m.W), m.b, m.c])
    for k in (1, 4):
        ref, T = np_cd_expected(*map(np.asarray, rbm), np.asarray(data), k)
        np.testing.assert_allclose(flat(bm.cd_expected_grad(rbm, data, k=k)), ref,
                                   rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(T.sum(1), 1.0, rtol=1e-13)
    # many sweeps: the chain forgets the data and CD tends to the exact gradient
    np.testing.assert_allclose(flat(bm.cd_expected_grad(rbm, data, k=400)),
                               flat(bm.exact_grad(rbm, data)), atol=1e-10)
    # the Monte Carlo estimate of cd_step agrees within its standard error
    big = jnp.tile(data, (800, 1))
    mc = np.array([flat(bm.cd_step(jax.random.key(r), rbm, big, k=2).grad)
                   for r in range(30)])
    z = (mc.mean(0) - flat(bm.cd_expected_grad(rbm, data, k=2))) \
        / (mc.std(0, ddof=1) / np.sqrt(30))
    assert np.sum(z ** 2) < len(z) + 4 * np.sqrt(2 * len(z))
    # jit vs eager
    with jax.disable_jit():
        eager = flat(bm.cd_expected_grad(rbm, data, k=3))
    np.testing.assert_allclose(eager, flat(bm.cd_expected_grad(rbm, data, k=3)), rtol=1e-12)


def test_gaussian_rbm_free_energy_potential_and_gibbs_mean(x64):
    rng = np.random.default_rng(0)
    W, b, c = rng.normal(0, 1, (3, 2)), rng.normal(0, 1, 3), rng.normal(0, 1, 2)
    gb = bm.GaussianRBM(jnp.asarray(W), jnp.asarray(b), jnp.asarray(c))
    v = rng.normal(0, 1, (5, 3))
    # brute force: F(v) = -log sum_h exp(-E(v, h))
    H = states(2)
    E = (0.5 * (v ** 2).sum(1)[:, None] - (v @ b)[:, None] - (H @ c)[None]
         - np.einsum("ki,ij,hj->kh", v, W, H))
    np.testing.assert_allclose(bm.gaussian_free_energy(gb, jnp.asarray(v)),
                               -logsumexp(-E, axis=1), rtol=1e-13)
    # grad of phi = |v|^2/2 - F is the Gibbs mean b + W sigma(c + W^T v)
    phi = lambda x: 0.5 * x @ x - bm.gaussian_free_energy(gb, x)
    x = jnp.asarray(v[0])
    mean = b + W @ (1 / (1 + np.exp(-(c + W.T @ v[0]))))
    np.testing.assert_allclose(jax.grad(phi)(x), mean, rtol=1e-12)
    assert np.linalg.eigvalsh(np.asarray(jax.hessian(phi)(x))).min() > -1e-12
    draws = bm.gaussian_gibbs_step(jax.random.key(1), gb, jnp.tile(x, (100_000, 1)))
    se = np.asarray(draws.std(0)) / np.sqrt(100_000)
    assert np.all(np.abs(np.asarray(draws.mean(0)) - mean) < 4 * se)
    assert bm.gaussian_gibbs_step(jax.random.key(1), gb, x).shape == (3,)


def test_cd_expected_and_gaussian_validation_errors():
    rbm = bm.RBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(2))
    v = jnp.zeros((4, 3))
    fv = bm.FullyVisible(jnp.zeros((3, 3)), jnp.zeros(3))
    _err(r"^cd_expected_grad: `k` must be >= 1", bm.cd_expected_grad, rbm, v, k=0)
    _err(r"^cd_expected_grad: `rbm` must be a boltzmann.RBM", bm.cd_expected_grad, fv, v)
    _err(r"^cd_expected_grad: `data` must hold only the values \[0, 1\]",
         bm.cd_expected_grad, rbm, 2 * jnp.ones((2, 3)))
    big = bm.RBM(jnp.zeros((13, 2)), jnp.zeros(13), jnp.zeros(2))
    _err(r"^cd_expected_grad: `rbm.W \(rows: visible units\)` must have at most 12",
         bm.cd_expected_grad, big, jnp.zeros((2, 13)))
    gb = bm.GaussianRBM(jnp.zeros((3, 2)), jnp.zeros(3), jnp.zeros(2))
    _err(r"^gaussian_free_energy: `rbm` must be a boltzmann.GaussianRBM",
         bm.gaussian_free_energy, rbm, jnp.zeros(3))
    _err(r"^gaussian_free_energy: `v` must have 3 entries", bm.gaussian_free_energy, gb,
         jnp.zeros(4))
    _err(r"^gaussian_gibbs_step: `rbm.b` must have 3 entries", bm.gaussian_gibbs_step,
         jax.random.key(0), bm.GaussianRBM(jnp.zeros((3, 2)), jnp.zeros(4), jnp.zeros(2)),
         jnp.zeros(3))
    _err(r"^gaussian_gibbs_step: `v` must be finite", bm.gaussian_gibbs_step,
         jax.random.key(0), gb, jnp.array([0.0, jnp.nan, 0.0]))
