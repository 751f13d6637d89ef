import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sla

from geobook import cones


def spd(key, n=4, shape=(), dtype=jnp.float64):
    return cones.random_spd(key, n, shape=shape, log_spread=0.8, dtype=dtype)


def test_matrix_functions_against_scipy(key, x64):
    X = spd(key)
    Xn = np.asarray(X)
    np.testing.assert_allclose(cones.sqrtm(X), sla.sqrtm(Xn).real, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cones.logm(X), sla.logm(Xn).real, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cones.expm(cones.logm(X)), Xn, rtol=1e-10)
    np.testing.assert_allclose(cones.powm(X, 0.3), sla.fractional_matrix_power(Xn, 0.3).real,
                               rtol=1e-9)
    np.testing.assert_allclose(cones.invsqrtm(X) @ X @ cones.invsqrtm(X), np.eye(4), atol=1e-10)


def test_geodesic_endpoints_midpoint_and_equivariance(key, x64):
    k1, k2, k3 = jax.random.split(key, 3)
    X, Y = spd(k1), spd(k2)
    np.testing.assert_allclose(cones.geodesic(X, Y, 0.0), X, atol=1e-10)
    np.testing.assert_allclose(cones.geodesic(X, Y, 1.0), Y, atol=1e-10)
    M = cones.geomean(X, Y)
    np.testing.assert_allclose(M @ jnp.linalg.inv(X) @ M, Y, rtol=1e-9)   # Riccati: M X⁻¹ M = Y
    A = jax.random.normal(k3, (4, 4))
    for t in (0.3, 1.7):
        lhs = cones.geodesic(A.T @ X @ A, A.T @ Y @ A, t)
        np.testing.assert_allclose(lhs, A.T @ cones.geodesic(X, Y, t) @ A, rtol=1e-8, atol=1e-10)
        d = cones.affine_distance(X, cones.geodesic(X, Y, t))
        np.testing.assert_allclose(d, t * cones.affine_distance(X, Y), rtol=1e-10)


def test_affine_distance_properties(key, x64):
    k1, k2, k3 = jax.random.split(key, 3)
    X, Y = spd(k1), spd(k2)
    A = jax.random.normal(k3, (4, 4))
    d = cones.affine_distance(X, Y)
    np.testing.assert_allclose(d, cones.affine_distance(Y, X), rtol=1e-10)
    np.testing.assert_allclose(d, cones.affine_distance(A.T @ X @ A, A.T @ Y @ A), rtol=1e-9)
    ref = np.linalg.norm(sla.logm(np.asarray(cones.invsqrtm(X) @ Y @ cones.invsqrtm(X))), "fro")
    np.testing.assert_allclose(d, ref, rtol=1e-10)
    assert float(cones.affine_distance(X, X)) < 1e-7


def test_batched_and_vmap_loop_parity(key, x64):
    Xs = spd(key, shape=(3, 2))
    out = cones.sqrtm(Xs)
    assert out.shape == (3, 2, 4, 4)
    loop = jnp.stack([jnp.stack([cones.sqrtm(Xs[i, j]) for j in range(2)]) for i in range(3)])
    np.testing.assert_allclose(out, loop, rtol=1e-12)
    ts = jnp.linspace(0, 1, 5)
    v = jax.vmap(lambda t: cones.geodesic(Xs[0, 0], Xs[1, 1], t))(ts)
    loop = jnp.stack([cones.geodesic(Xs[0, 0], Xs[1, 1], t) for t in ts])
    np.testing.assert_allclose(v, loop, rtol=1e-12, atol=1e-14)
    d = jax.vmap(cones.affine_distance)(Xs[:, 0], Xs[:, 1])
    np.testing.assert_allclose(d, [cones.affine_distance(Xs[i, 0], Xs[i, 1]) for i in range(3)],
                               rtol=1e-12)


def test_jit_eager_parity(key, x64):
    X, Y = spd(key, shape=(2,)), spd(jax.random.key(7), shape=(2,))
    calls = [lambda: cones.sqrtm(X), lambda: cones.invsqrtm(X), lambda: cones.powm(X, 0.7),
             lambda: cones.logm(X), lambda: cones.expm(cones.logm(X)),
             lambda: cones.geodesic(X, Y, 0.3), lambda: cones.geomean(X, Y),
             lambda: cones.affine_distance(X, Y),
             lambda: cones.random_spd(jax.random.key(1), 3, shape=(2,), dtype=jnp.float64)]
    for f in calls:
        out = f()
        with jax.disable_jit():
            ref = f()
        np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-13)


def test_sym_is_the_shared_kernel_and_eig_apply_is_private():
    from geobook._src import spd as _spd
    assert cones.sym is _spd.sym
    assert not hasattr(cones, "eig_apply") and "eig_apply" not in cones.__all__


def test_grad_of_distance_matches_finite_differences(key, x64):
    from jax.test_util import check_grads
    k1, k2 = jax.random.split(key)
    X, Y = spd(k1, 3), spd(k2, 3)
    check_grads(lambda t: cones.affine_distance(X, cones.geodesic(X, Y, t)), (0.4,), order=1)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtype_preserved(key, dtype):
    with jax.enable_x64(True):
        X = spd(key, 3, dtype=dtype)
        for f in (cones.sqrtm, cones.invsqrtm, cones.logm, lambda A: cones.powm(A, 0.5),
                  lambda A: cones.geomean(A, A), lambda A: cones.affine_distance(A, A)):
            assert f(X).dtype == dtype


@pytest.mark.parametrize("fn,args,match", [
    (cones.sqrtm, (np.array([[1.0, 2.0], [2.0, 1.0]]),), r"sqrtm: `X` must be symmetric positive definite.*smallest eigenvalue"),
    (cones.sqrtm, (np.array([[1.0, 0.5], [0.0, 1.0]]),), r"sqrtm: `X` must be symmetric.*asymmetry"),
    (cones.logm, (np.ones((2, 3)),), r"logm: `X` must be a \(batch of\) square matrices.*\(2, 3\)"),
    (cones.powm, (np.eye(2), np.nan), r"powm: `p` must be finite"),
    (cones.expm, (np.array([[0.0, 1.0], [0.0, 0.0]]),), r"expm: `S` must be symmetric; got a matrix with relative asymmetry 1.00e\+00"),
    (cones.sqrtm, (np.array([[np.inf, 0.0], [0.0, 1.0]]),), r"sqrtm: `X` must be finite"),
    (cones.geodesic, (np.eye(2), np.eye(3), 0.5), r"geodesic: `X` and `Y` must have the same size along axis -1"),
    (cones.geomean, (np.eye(2), np.eye(3)), r"geomean: `X` and `Y` must have the same size along axis -1"),
    (cones.geomean, (-np.eye(2), np.eye(2)), r"geomean: `X` must be symmetric positive definite"),
    (cones.geomean, (np.eye(2), np.eye(2), np.nan), r"geomean: `t` must be finite"),
    (cones.invsqrtm, (np.zeros((2, 2)),), r"invsqrtm: `X` must be symmetric positive definite"),
    (cones.affine_distance, (np.eye(2), -np.eye(2)), r"affine_distance: `Y` must be symmetric positive definite"),
    (cones.random_spd, (jax.random.key(0), 0), r"random_spd: `n` must be >= 1"),
    (cones.random_spd, (jax.random.key(0), 3.0), r"random_spd: `n` must be a Python int"),
])
def test_validation_messages(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


# ---------------------------------------------------------------------------------------------
# The subpackage layout, Karcher means, Wishart laws, the Jordan algebra, characteristic
# functions (issue 12).
# ---------------------------------------------------------------------------------------------
import math
import warnings

import scipy.integrate as sint
import scipy.special as ssp
import scipy.stats as sst
from jax.sharding import NamedSharding, PartitionSpec as P


def _pyr():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyriemann.geometry import distance, geodesic, mean
    return mean, distance, geodesic


def test_subpackage_reexports_every_public_name():
    import importlib
    for sub in ("matrix_functions", "geometry", "wishart", "jordan"):
        mod = importlib.import_module(f"geobook.cones.{sub}")
        for name in mod.__all__:
            assert getattr(cones, name) is getattr(mod, name) and name in cones.__all__


def test_against_pyriemann_mean_distance_geodesic(key, x64):
    mean, distance, geodesic = _pyr()
    Xs = spd(key, 5, shape=(40,))
    w = np.asarray(jax.random.uniform(jax.random.key(3), (40,))) + 0.1
    for weights in (None, w):
        res = cones.karcher_mean(Xs, weights=weights, tol=1e-12)
        ref = mean.mean_riemann(np.asarray(Xs), tol=1e-14, maxiter=500, sample_weight=weights)
        assert bool(res.converged) and float(res.error) <= 1e-12
        np.testing.assert_allclose(res.mean, ref, rtol=1e-9, atol=1e-11)
    d = cones.affine_distance(Xs[:20], Xs[20:])
    np.testing.assert_allclose(d, distance.distance_riemann(np.asarray(Xs[:20]),
                                                            np.asarray(Xs[20:])), rtol=1e-10)
    for t in (0.0, 0.25, 0.5, 1.0):
        np.testing.assert_allclose(cones.geodesic(Xs[0], Xs[1], t),
                                   geodesic.geodesic_riemann(np.asarray(Xs[0]),
                                                             np.asarray(Xs[1]), t),
                                   rtol=1e-10, atol=1e-12)


def test_karcher_closed_forms_and_equivariance(key, x64):
    k1, k2, k3 = jax.random.split(key, 3)
    # commuting inputs: exp(Σ w log X)
    Q = jnp.linalg.qr(jax.random.normal(k1, (4, 4)))[0]
    lam = jnp.exp(jax.random.normal(k2, (3, 4)))
    Xs = jnp.einsum("ij,aj,kj->aik", Q, lam, Q)
    w = jnp.array([0.2, 0.5, 0.3])
    res = cones.karcher_mean(Xs, weights=w)
    ref = Q @ jnp.diag(jnp.exp(w @ jnp.log(lam))) @ Q.T
    np.testing.assert_allclose(res.mean, ref, rtol=1e-10)
    assert bool(res.converged) and float(res.error) <= 1e-10
    # two matrices: the geodesic point X1 #_{w2} X2
    X2 = spd(k3, 4, shape=(2,))
    res2 = cones.karcher_mean(X2, weights=jnp.array([0.3, 0.7]))
    np.testing.assert_allclose(res2.mean, cones.geodesic(X2[0], X2[1], 0.7), rtol=1e-9)
    # congruence equivariance and the vanishing gradient at the returned mean
    A = jax.random.normal(k3, (4, 4))
    Ys = spd(k2, 4, shape=(6,))
    M = cones.karcher_mean(Ys).mean
    MA = cones.karcher_mean(A.T @ Ys @ A).mean
    np.testing.assert_allclose(MA, A.T @ M @ A, rtol=1e-8, atol=1e-10)
    Mih = cones.invsqrtm(M)
    G = cones.logm(Mih @ Ys @ Mih).mean(0)
    assert float(jnp.linalg.norm(G)) <= 1e-10


def test_karcher_batched_vmap_sharded_and_nonconvergence(key, x64):
    Xs = spd(key, 3, shape=(4, 7))
    res = cones.karcher_mean(Xs)
    assert res.mean.shape == (4, 3, 3) and res.n_iter.shape == (4,)
    loop = jnp.stack([cones.karcher_mean(Xs[i]).mean for i in range(4)])
    np.testing.assert_allclose(res.mean, loop, rtol=1e-12)
    v = jax.vmap(lambda X: cones.karcher_mean(X).mean)(Xs)
    np.testing.assert_allclose(v, loop, rtol=1e-12)
    per = cones.karcher_mean(Xs, weights=jnp.ones((4, 7))).mean
    np.testing.assert_allclose(per, loop, rtol=1e-12)
    with jax.disable_jit():
        eager = cones.karcher_mean(Xs[0]).mean
    np.testing.assert_allclose(eager, loop[0], rtol=1e-10)
    capped = cones.karcher_mean(Xs[0], max_iter=1)
    assert int(capped.n_iter) == 1 and not bool(capped.converged)
    for axis_type in (jax.sharding.AxisType.Auto, jax.sharding.AxisType.Explicit):
        mesh = jax.make_mesh((2,), ("problems",), axis_types=(axis_type,))
        sh = jax.device_put(Xs, NamedSharding(mesh, P("problems")))
        out = cones.karcher_mean(sh)
        assert len(out.mean.sharding.device_set) == 2
        np.testing.assert_allclose(out.mean, loop, rtol=1e-12)


def test_karcher_float32(key):
    Xs = spd(key, 3, shape=(5,), dtype=jnp.float32)
    res = cones.karcher_mean(Xs, tol=1e-5)
    assert res.mean.dtype == jnp.float32 and bool(res.converged)


def test_affine_distance_grad_and_triangle(key, x64):
    from jax.test_util import check_grads
    k1, k2, k3 = jax.random.split(key, 3)
    X, Y, Z = spd(k1, 3), spd(k2, 3), spd(k3, 3)
    check_grads(lambda s: cones.affine_distance(X, s * Y), (1.3,), order=1)
    assert float(cones.affine_distance(X, Z)) <= float(cones.affine_distance(X, Y)
                                                      + cones.affine_distance(Y, Z))


def test_values_only_lapack_eigvalsh_against_numpy(x64):
    # the private CPU kernel behind affine_distance: LAPACK syevd in mode 'N' through jaxlib
    from geobook._src import _lapack
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.normal(size=(6, 8, 8)))[0]
    lams = [np.exp(rng.normal(size=8)), np.logspace(-12, 0, 8),        # ill-conditioned
            np.array([1.0, 1, 1, 2, 2, 2, 3, 3]), np.ones(8),            # repeated
            np.r_[1.0, 1 + 1e-13, np.arange(2.0, 8.0)], np.linspace(1, 8, 8)]
    W = np.stack([(q * lam) @ q.T for q, lam in zip(Q, lams)])
    W = 0.5 * (W + np.swapaxes(W, -1, -2))
    ref = np.linalg.eigvalsh(W)
    for f in (_lapack.eigvalsh, jax.jit(_lapack.eigvalsh), jax.vmap(_lapack.eigvalsh)):
        lam = np.asarray(f(jnp.asarray(W)))
        np.testing.assert_allclose(lam, ref, rtol=0, atol=1e-14 * np.abs(ref).max())
    np.testing.assert_allclose(_lapack.eigvalsh(jnp.asarray(W[0])), ref[0], rtol=1e-13)
    lam32 = _lapack.eigvalsh(jnp.asarray(W[0], jnp.float32))
    assert lam32.dtype == jnp.float32
    np.testing.assert_allclose(lam32, ref[0], rtol=1e-5)


def test_affine_distance_large_batch_against_pyriemann_and_eigh_path(x64):
    from geobook.cones.geometry import _distance_eigh
    _, distance, _ = _pyr()
    X, Y = (np.asarray(spd(jax.random.key(s), 8, shape=(500,))) for s in (1, 2))
    d = np.asarray(jax.jit(cones.affine_distance)(X, Y))
    np.testing.assert_allclose(d, distance.distance_riemann(X, Y), rtol=1e-10)
    np.testing.assert_allclose(d, _distance_eigh(jnp.asarray(X), jnp.asarray(Y)), rtol=1e-12)
    # derivative: through eigh (custom_jvp), also at a repeated eigenvalue (X = 2 Y)
    g = jax.grad(lambda s: jnp.sum(cones.affine_distance(X[:3], s * Y[:3])))(1.3)
    g_eigh = jax.grad(lambda s: jnp.sum(_distance_eigh(X[:3], s * Y[:3])))(1.3)
    np.testing.assert_allclose(g, g_eigh, rtol=1e-12)
    gX = jax.grad(lambda A: cones.affine_distance(A, 2 * X[0]))(X[0])
    assert np.all(np.isfinite(np.asarray(gX)))
    # every eigenvalue of X⁻¹(2X) is 2: d = √8 ln 2 and ∂d/∂X = −X⁻¹/√8
    np.testing.assert_allclose(gX, -np.linalg.inv(X[0]) / np.sqrt(8), rtol=1e-10)


def test_multigammaln_and_wishart_logpdf_against_scipy(key, x64):
    a = jnp.array([1.7, 2.5, 6.0])
    np.testing.assert_allclose(cones.multigammaln(a, 3), ssp.multigammaln(np.asarray(a), 3),
                               rtol=1e-13)
    np.testing.assert_allclose(jnp.exp(cones.multigammaln(1.5, 2)), math.pi / 2, rtol=1e-14)
    k1, k2 = jax.random.split(key)
    S = spd(k1, 3)
    W = spd(k2, 3, shape=(4,))
    ref = sst.wishart(df=5.5, scale=np.asarray(S)).logpdf(np.moveaxis(np.asarray(W), 0, -1))
    np.testing.assert_allclose(cones.wishart_logpdf(W, 5.5, S), ref, rtol=1e-12)


def test_wishart_sample_moments(key, x64):
    # V-Q13: n = 3, N = 10, 10⁵ draws; the mean within 4 standard errors of NΣ (Var W_ij =
    # N(Σ_ij² + Σ_ii Σ_jj)), and E ln det W against the closed form.
    S = jnp.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.5]])
    n, N, m = 3, 10.0, 100_000
    W = cones.wishart_sample(key, N, S, (m,))
    assert W.shape == (m, 3, 3) and float(jnp.linalg.eigvalsh(W).min()) > 0
    se = np.sqrt(N * (np.asarray(S) ** 2 + np.outer(np.diag(S), np.diag(S))) / m)
    assert np.all(np.abs(np.asarray(W.mean(0)) - N * np.asarray(S)) < 4 * se)
    ld = jnp.linalg.slogdet(W)[1]
    exact = (jnp.linalg.slogdet(S)[1] + n * math.log(2)
             + sum(ssp.digamma((N - j + 1) / 2) for j in range(1, n + 1)))
    assert abs(float(ld.mean() - exact)) < 4 * float(ld.std()) / math.sqrt(m)
    # the law: KS of the (0, 0) entry against scipy's marginal (W₀₀/Σ₀₀ ~ χ²_N) and a
    # real dof below n (Bartlett needs only N > n - 1)
    ks = sst.kstest(np.asarray(W[:5000, 0, 0]) / 2.0, sst.chi2(N).cdf).statistic
    assert ks < 1.63 / math.sqrt(5000)
    W2 = cones.wishart_sample(jax.random.key(1), 2.5, S, (4000,))
    np.testing.assert_array_less(np.abs(np.asarray(W2.mean(0)) - 2.5 * np.asarray(S)),
                                 5 * np.sqrt(2.5 * (np.asarray(S) ** 2 + np.outer(
                                     np.diag(S), np.diag(S))) / 4000) + 1e-12)


def test_wishart_batched_and_float32(key):
    S = jnp.stack([jnp.eye(2), 2 * jnp.eye(2)]).astype(jnp.float32)
    W = cones.wishart_sample(key, 4.0, S, (3,))
    assert W.shape == (3, 2, 2, 2) and W.dtype == jnp.float32
    with jax.disable_jit():
        We = cones.wishart_sample(key, 4.0, S, (3,))
    np.testing.assert_allclose(W, We, rtol=1e-5)


def test_char_function_quadrature_and_monge_ampere(x64):
    # V-Q10: φ at X = [[2, .3], [.3, 1]] by 3-D quadrature over {a > 0, c > 0, b² < ac}
    X = np.array([[2.0, 0.3], [0.3, 1.0]])

    def inner(a, c):
        r = math.sqrt(a * c)
        # ∫_{-r}^{r} e^{-2 X01 b} db in closed form
        return math.exp(-X[0, 0] * a - X[1, 1] * c) * math.sinh(2 * X[0, 1] * r) / X[0, 1]

    val, err = sint.dblquad(lambda c, a: inner(a, c), 0, 60, 0, 60, epsabs=1e-13, epsrel=1e-12)
    np.testing.assert_allclose(cones.char_function(jnp.asarray(X)), val, rtol=1e-9)
    np.testing.assert_allclose(val, 0.595072425212, rtol=1e-9)
    # V-Q11: det of the Hessian of -ln det is det X^{-(n+1)}; det D² ln φ = C_n φ²
    for n, Cn in ((2, 1.36783597917156), (3, 2.628091457199), (4, None)):
        Xn = spd(jax.random.key(n), n)
        H = cones.hessian_logdet(Xn)
        np.testing.assert_allclose(jnp.linalg.det(H), jnp.linalg.det(Xn) ** (-(n + 1)),
                                   rtol=1e-10)
        B = cones.sym_basis(n)
        u = lambda c: cones.char_function(jnp.einsum("a,aij->ij", c, B), log=True)
        c0 = jnp.einsum("aij,ij->a", B, Xn)
        ratio = jnp.linalg.det(jax.hessian(u)(c0)) / jnp.exp(2 * u(c0))
        N = n * (n + 1) // 2
        closed = ((n + 1) / 2) ** N * math.exp(-2 * ssp.multigammaln((n + 1) / 2, n))
        np.testing.assert_allclose(ratio, closed, rtol=1e-9)
        if Cn is not None:
            np.testing.assert_allclose(ratio, Cn, rtol=1e-11)
        # the Hessian of -ln det by autodiff equals hessian_logdet
        f = lambda c: -jnp.linalg.slogdet(jnp.einsum("a,aij->ij", c, B))[1]
        np.testing.assert_allclose(jax.hessian(f)(c0), H, rtol=1e-9, atol=1e-12)


def test_lorentz_char_function_quadrature_and_monge_ampere(x64):
    x = np.array([2.0, 0.6, -0.8])                      # d = 3, |y| = 1 < 2

    def integrand(r, t):
        return 2 * math.pi * math.exp(-x[0] * t) * ssp.i0(np.hypot(*x[1:]) * r) * r

    val, _ = sint.dblquad(integrand, 0, 80, 0, lambda t: t, epsabs=1e-13, epsrel=1e-11)
    np.testing.assert_allclose(cones.lorentz_char_function(jnp.asarray(x)), val, rtol=1e-8)
    for d in (2, 3, 5):
        xd = jnp.concatenate([jnp.array([3.0]), 0.4 * jnp.ones(d - 1)])
        u = lambda z: cones.lorentz_char_function(z, log=True)
        ratio = jnp.linalg.det(jax.hessian(u)(xd)) / jnp.exp(2 * u(xd))
        c = math.pi ** ((d - 1) / 2) * math.gamma(d) / math.gamma((d + 1) / 2)
        np.testing.assert_allclose(ratio * c ** 2, d ** d, rtol=1e-10)   # unnormalised: d^d


def test_self_duality_and_jordan_identities(key, x64):
    k1, k2, k3 = jax.random.split(key, 3)
    X, Y = spd(k1, 4, shape=(1000,)), spd(k2, 4, shape=(1000,))
    assert float(jnp.einsum("aij,aji->a", X, Y).min()) > 0
    G = jax.random.normal(k3, (4, 4)); Z = G + G.T
    lam, V = jnp.linalg.eigh(Z)
    assert float(lam[0]) < 0
    v = V[:, 0]
    assert float(jnp.trace(jnp.outer(v, v) @ Z)) < 0          # the witness of non-duality
    A, B = X[0], Y[0]
    np.testing.assert_allclose(cones.jordan_product(A, B), cones.jordan_product(B, A))
    np.testing.assert_allclose(cones.jordan_product(A, A), A @ A, rtol=1e-12)
    # P(X) = 2 L(X)² - L(X²), P(X^{1/2}) I = X, P(X) maps the cone into itself and P(X)⁻¹ = P(X⁻¹)
    LX = lambda M: cones.jordan_product(A, M)
    np.testing.assert_allclose(cones.quad_rep(A, B),
                               2 * LX(LX(B)) - cones.jordan_product(A @ A, B), rtol=1e-10)
    np.testing.assert_allclose(cones.quad_rep(cones.sqrtm(A), jnp.eye(4)), A, rtol=1e-10)
    assert float(jnp.linalg.eigvalsh(cones.quad_rep(A, Y)).min()) > 0
    np.testing.assert_allclose(cones.quad_rep(jnp.linalg.inv(A), cones.quad_rep(A, B)), B,
                               rtol=1e-8, atol=1e-10)
    B3 = cones.sym_basis(3)
    np.testing.assert_allclose(jnp.einsum("aij,bji->ab", B3, B3), jnp.eye(6), atol=1e-15)
    # hessian_logdet is the affine-invariant metric: invariant under congruence
    C = jax.random.normal(k3, (4, 4))
    h = lambda M, Hm: jnp.trace(jnp.linalg.solve(M, Hm) @ jnp.linalg.solve(M, Hm))
    np.testing.assert_allclose(h(C.T @ A @ C, C.T @ B @ C), h(A, B), rtol=1e-9)


def test_new_functions_jit_vmap_dtype(key, x64):
    X = spd(key, 3, shape=(2,))
    for f in (cones.char_function, cones.hessian_logdet, lambda M: cones.quad_rep(M, M),
              lambda M: cones.jordan_product(M, M)):
        out = f(X)
        with jax.disable_jit():
            ref = f(X)
        np.testing.assert_allclose(out, ref, rtol=1e-10)
        np.testing.assert_allclose(jax.vmap(f)(X), out, rtol=1e-12)
    with jax.enable_x64(True):
        X32 = X.astype(jnp.float32)
        for f in (cones.char_function, cones.hessian_logdet, cones.karcher_mean):
            out = f(X32)
            assert (out.mean if isinstance(out, cones.KarcherResult) else out).dtype == jnp.float32
        assert cones.sym_basis(2, dtype=jnp.float32).dtype == jnp.float32
        assert cones.wishart_logpdf(X32, 4.0, X32).dtype == jnp.float32


@pytest.mark.parametrize("fn,args,kwargs,match", [
    (cones.karcher_mean, (np.eye(2),), {}, r"karcher_mean: `Xs` must have shape \[\.\.\., N, n, n\]"),
    (cones.karcher_mean, (np.stack([np.eye(2), -np.eye(2)]),), {}, r"karcher_mean: `Xs` must be symmetric positive definite"),
    (cones.karcher_mean, (np.stack([np.eye(2)] * 3),), {"weights": np.ones(2)}, r"karcher_mean: `weights` must have shape \[N\] or \[\.\.\., N\]"),
    (cones.karcher_mean, (np.stack([np.eye(2)] * 2),), {"weights": np.array([1.0, -1.0])}, r"karcher_mean: `weights` must be finite and >= 0"),
    (cones.karcher_mean, (np.stack([np.eye(2)] * 2),), {"weights": np.zeros(2)}, r"karcher_mean: `weights` must not sum to 0"),
    (cones.karcher_mean, (np.stack([np.eye(2)] * 2),), {"tol": 0.0}, r"karcher_mean: `tol` must be finite and > 0"),
    (cones.karcher_mean, (np.stack([np.eye(2)] * 2),), {"max_iter": 0}, r"karcher_mean: `max_iter` must be >= 1"),
    (cones.wishart_sample, (jax.random.key(0), 1.5, np.eye(3)), {}, r"wishart_sample: `dof` must be > n - 1 = 2; got 1.5"),
    (cones.wishart_sample, (jax.random.key(0), np.nan, np.eye(3)), {}, r"wishart_sample: `dof` must be finite"),
    (cones.wishart_sample, (jax.random.key(0), 5.0, np.array([[1.0, 2.0], [0.0, 1.0]])), {}, r"wishart_sample: `Sigma` must be symmetric"),
    (cones.wishart_logpdf, (np.eye(2), 3.0, np.eye(3)), {}, r"wishart_logpdf: `W` and `Sigma` must have the same size"),
    (cones.wishart_logpdf, (np.eye(3), 1.0, np.eye(3)), {}, r"wishart_logpdf: `dof` must be > n - 1 = 2"),
    (cones.wishart_logpdf, (-np.eye(2), 3.0, np.eye(2)), {}, r"wishart_logpdf: `W` must be symmetric positive definite"),
    (cones.multigammaln, (0.9, 3), {}, r"multigammaln: `a` must be > \(n - 1\)/2 = 1.0; got 0.9"),
    (cones.multigammaln, (2.0, 0), {}, r"multigammaln: `n` must be >= 1"),
    (cones.char_function, (np.array([[1.0, 2.0], [2.0, 1.0]]),), {}, r"char_function: `X` must be symmetric positive definite.*smallest eigenvalue"),
    (cones.hessian_logdet, (np.ones((2, 3)),), {}, r"hessian_logdet: `X` must be a \(batch of\) square matrices"),
    (cones.sym_basis, (0,), {}, r"sym_basis: `n` must be >= 1"),
    (cones.jordan_product, (np.eye(2), np.eye(3)), {}, r"jordan_product: `X` and `Y` must have the same size"),
    (cones.jordan_product, (np.array([[0.0, 1.0], [0.0, 0.0]]), np.eye(2)), {}, r"jordan_product: `X` must be symmetric"),
    (cones.quad_rep, (np.eye(2), np.array([[0.0, 1.0], [0.0, 0.0]])), {}, r"quad_rep: `Y` must be symmetric"),
    (cones.lorentz_char_function, (np.array([1.0, 2.0]),), {}, r"lorentz_char_function: `x` must lie inside the open Lorentz cone"),
    (cones.lorentz_char_function, (np.array([1.0]),), {}, r"lorentz_char_function: `x` must have shape \[\.\.\., d\] with d >= 2"),
])
def test_new_validation_messages(fn, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(*args, **kwargs)


def test_monge_ampere_ratio_constant_on_the_lorentz_cone_and_validation(x64):
    """det D²u / e^{2u} = d^d for u = -(d/2) ln(t² - |y|²), at any point of the cone
    (an independent closed form: the Hessian is d·diag(1, ..., 1) at (1, 0))."""
    d = 3
    u = lambda z, s: -(s / 2) * jnp.log(z[0] ** 2 - jnp.sum(z[1:] ** 2))
    y = jax.random.normal(jax.random.key(0), (6, d - 1))
    pts = jnp.concatenate([jnp.linalg.norm(y, axis=1, keepdims=True) + 0.3, y], axis=1)
    r = cones.monge_ampere_ratio(u, pts, args=(float(d),))
    np.testing.assert_allclose(r, d ** d, rtol=1e-10)
    with pytest.raises(ValueError, match=r"monge_ampere_ratio: `u` must map an input of shape \[3\] to a scalar"):
        cones.monge_ampere_ratio(lambda z: z, pts)
    with pytest.raises(ValueError, match=r"monge_ampere_ratio: `points` must have shape \[n_points, N\]"):
        cones.monge_ampere_ratio(lambda z: z[0], pts[0])
