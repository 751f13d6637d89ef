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


def test_batched_vmap_jit_parity(key, x64):
    Xs = spd(key, shape=(3, 2))
    out = cones.sqrtm(Xs)
    assert out.shape == (3, 2, 4, 4)
    loop = jnp.stack([jnp.stack([cones.sqrtm(Xs[i, j]) for j in range(2)]) for i in range(3)])
    np.testing.assert_allclose(out, loop, rtol=1e-12)
    np.testing.assert_allclose(jax.jit(cones.powm)(Xs, 0.7), cones.powm(Xs, 0.7), rtol=1e-12)
    v = jax.vmap(lambda t: cones.geodesic(Xs[0, 0], Xs[1, 1], t))(jnp.linspace(0, 1, 5))
    np.testing.assert_allclose(v[2], cones.geodesic(Xs[0, 0], Xs[1, 1], 0.5), rtol=1e-12)


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
    (cones.expm, (np.array([[0.0, 1.0], [0.0, 0.0]]),), r"expm: `S` must be symmetric"),
    (cones.sqrtm, (np.array([[np.inf, 0.0], [0.0, 1.0]]),), r"sqrtm: `X` must be finite"),
    (cones.geodesic, (np.eye(2), np.eye(3), 0.5), r"geodesic: `X` and `Y` must have the same matrix size"),
    (cones.affine_distance, (np.eye(2), -np.eye(2)), r"affine_distance: `Y` must be symmetric positive definite"),
    (cones.random_spd, (jax.random.key(0), 0), r"random_spd: `n` must be >= 1"),
    (cones.random_spd, (jax.random.key(0), 3.0), r"random_spd: `n` must be a Python int"),
])
def test_validation_messages(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)
