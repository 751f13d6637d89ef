"""geobook.modular: Tomita–Takesaki theory of M_d(C) in the standard form with ξ = ρ^{1/2}."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sla

from geobook import modular


def rand_state(seed, d=3, shape=()):
    rng = np.random.default_rng(seed)
    G = rng.normal(size=shape + (d, d)) + 1j * rng.normal(size=shape + (d, d))
    R = G @ np.conj(np.swapaxes(G, -1, -2)) + 0.1 * np.eye(d)
    return R / np.trace(R, axis1=-2, axis2=-1)[..., None, None]


def rand_op(seed, d=3, shape=()):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape + (d, d)) + 1j * rng.normal(size=shape + (d, d))


def hs(a, b):
    return np.trace(np.conj(np.swapaxes(a, -1, -2)) @ b, axis1=-2, axis2=-1)


def test_tomita_polar_decomposition_and_defining_property(x64):
    # V-Q14: S = JΔ^{1/2} on random vectors, and S(xξ) = x*ξ with ξ = ρ^{1/2} (scipy sqrtm)
    rho = rand_state(0)
    xi = sla.sqrtm(rho)
    for seed in range(5):
        x = rand_op(seed + 10)
        S = np.asarray(modular.tomita(x @ xi, rho))
        np.testing.assert_allclose(S, np.conj(x.T) @ xi, atol=1e-12)
        eta = rand_op(seed + 20)
        D12 = np.asarray(modular.modular_operator(rho, 0.5))
        JD = modular.modular_conjugation((D12 @ eta.reshape(-1)).reshape(3, 3))
        np.testing.assert_allclose(modular.tomita(eta, rho), JD, atol=1e-12)
        # S is an involution
        np.testing.assert_allclose(modular.tomita(modular.tomita(eta, rho), rho), eta,
                                   atol=1e-11)


def test_modular_operator_spectrum_positivity_and_unitary_group(x64):
    rho = rand_state(1)
    lam = np.linalg.eigvalsh(rho)
    D = np.asarray(modular.modular_operator(rho))
    np.testing.assert_allclose(D, np.conj(D.T), atol=1e-12)               # self-adjoint
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(D)),
                               np.sort(np.outer(lam, 1 / lam).ravel()), rtol=1e-10)
    # Δ η = ρ η ρ⁻¹ and Δ = S*S (antilinear adjoint: ⟨Sa, Sb⟩ = ⟨b, Δ a⟩)
    a, b = rand_op(2), rand_op(3)
    np.testing.assert_allclose((D @ a.reshape(-1)).reshape(3, 3), rho @ a @ np.linalg.inv(rho),
                               atol=1e-12)
    Sa, Sb = modular.tomita(a, rho), modular.tomita(b, rho)
    np.testing.assert_allclose(hs(Sa, Sb), hs(b, (D @ a.reshape(-1)).reshape(3, 3)), atol=1e-11)
    for t in (0.3, -1.7):
        U = np.asarray(modular.modular_operator(rho, 1j * t))
        np.testing.assert_allclose(U @ np.conj(U.T), np.eye(9), atol=1e-12)
        np.testing.assert_allclose(U, sla.expm(1j * t * sla.logm(D)), atol=1e-10)


def test_sigma_t_properties(x64):
    rho = rand_state(4)
    x, y = rand_op(5), rand_op(6)
    h = x + np.conj(x.T)
    ts = jnp.array([0.0, 0.7, -2.0])
    out = np.asarray(modular.sigma_t(h, rho, ts))
    assert out.shape == (3, 3, 3)
    np.testing.assert_allclose(out[0], h, atol=1e-12)
    for o, t in zip(out, np.asarray(ts)):
        ref = sla.expm(1j * t * sla.logm(rho)) @ h @ sla.expm(-1j * t * sla.logm(rho))
        np.testing.assert_allclose(o, ref, atol=1e-11)
        np.testing.assert_allclose(o, np.conj(o.T), atol=1e-12)           # Hermitian kept
        np.testing.assert_allclose(np.linalg.eigvalsh(o), np.linalg.eigvalsh(h), atol=1e-11)
        np.testing.assert_allclose(np.trace(rho @ o), np.trace(rho @ h), atol=1e-12)
    # group law, *-automorphism, and analytic continuation σ_{-i}(x) = ρ x ρ⁻¹
    s = lambda z, t: np.asarray(modular.sigma_t(z, rho, t))
    np.testing.assert_allclose(s(s(x, 0.4), 1.1), s(x, 1.5), atol=1e-11)
    np.testing.assert_allclose(s(x @ y, 0.9), s(x, 0.9) @ s(y, 0.9), atol=1e-11)
    np.testing.assert_allclose(s(x, -1j), rho @ x @ np.linalg.inv(rho), atol=1e-10)
    # real ρ, real symmetric Σ not commuting with ρ: the flow leaves the real matrices
    rr = np.array([[0.7, 0.2], [0.2, 0.3]]); Sig = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert np.abs(s2 := np.asarray(modular.sigma_t(Sig, rr, 1.0)).imag).max() > 1e-2
    Sc = np.diag([1.0, 2.0]); rc = np.diag([0.6, 0.4])                    # commuting: trivial
    np.testing.assert_allclose(modular.sigma_t(Sc, rc, 1.0), Sc, atol=1e-14)


def test_kms_condition(x64):
    rho = rand_state(7)
    x, y = rand_op(8), rand_op(9)
    r = modular.kms_residual(x, y, rho, jnp.linspace(-3, 3, 7))
    assert r.shape == (7,) and float(r.max()) < 1e-12
    # the direct statement at t = 0: ω(x σ_{-i}(y)) = ω(yx)
    lhs = np.trace(rho @ x @ np.asarray(modular.sigma_t(y, rho, -1j)))
    np.testing.assert_allclose(lhs, np.trace(rho @ y @ x), atol=1e-12)
    # the wrong imaginary shift fails: KMS singles out β = 1
    assert float(modular.kms_residual(x, y, rho, beta=0.5)) > 1e-2
    assert float(modular.kms_residual(x, y, rho, beta=2.0)) > 1e-2


def test_natural_cone_equals_psd_cone_self_dual_and_invariant(x64):
    rho = rand_state(11)
    rng = np.random.default_rng(12)
    for _ in range(20):
        G = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
        a = G @ np.conj(G.T)
        P = np.asarray(modular.natural_cone(a, rho))
        np.testing.assert_allclose(P, np.conj(P.T), atol=1e-12)
        assert np.linalg.eigvalsh(P).min() > -1e-12
        # invariance under Δ^{it} (= σ_t on vectors ρ^{1/4} a ρ^{1/4}) and J
        for t in (0.5, 3.0):
            U = np.asarray(modular.modular_operator(rho, 1j * t))
            Q = (U @ P.reshape(-1)).reshape(3, 3)
            np.testing.assert_allclose(Q, np.conj(Q.T), atol=1e-12)
            assert np.linalg.eigvalsh(Q).min() > -1e-12
        np.testing.assert_allclose(modular.modular_conjugation(P), P, atol=1e-12)
        # the other description: x JxJ ξ = x ξ x* for x = P^{1/2} ρ^{-1/4} recovers P
        x = sla.sqrtm(P) @ sla.fractional_matrix_power(rho, -0.25)
        np.testing.assert_allclose(x @ sla.sqrtm(rho) @ np.conj(x.T), P, atol=1e-10)
    # every PSD b is in the cone: a = ρ^{-1/4} b ρ^{-1/4} is PSD and maps back to b
    b = rand_state(13) * 3
    a = sla.fractional_matrix_power(rho, -0.25) @ b @ sla.fractional_matrix_power(rho, -0.25)
    np.testing.assert_allclose(modular.natural_cone(0.5 * (a + np.conj(a.T)), rho), b,
                               atol=1e-10)
    # self-duality in the Hilbert–Schmidt pairing, with a witness for non-PSD
    P1 = np.asarray(modular.natural_cone(rand_state(14, shape=(500,)), rho))
    P2 = np.asarray(modular.natural_cone(rand_state(15, shape=(500,)), rho))
    assert hs(P1, P2).real.min() > 0 and np.abs(hs(P1, P2).imag).max() < 1e-12
    H = np.array([[1.0, 2j, 0], [-2j, 1.0, 0], [0, 0, 1.0]])
    lam, V = np.linalg.eigh(H)
    v = V[:, 0]
    assert lam[0] < 0 and hs(np.outer(v, np.conj(v)), H).real < 0


def test_real_slice_is_not_self_dual_in_hermitian_space(x64):
    # Re H ⪰ 0 makes tr(HX) ≥ 0 for every real PSD X, although H is not PSD
    H = np.array([[1.0, 2j], [-2j, 1.0]])
    rng = np.random.default_rng(0)
    G = rng.normal(size=(2000, 2, 2))
    X = G @ np.swapaxes(G, -1, -2)
    assert np.trace(H @ X, axis1=-2, axis2=-1).real.min() > 0
    assert np.linalg.eigvalsh(H).min() < 0


def test_batched_vmap_jit_and_dtypes(x64):
    rho = rand_state(20, shape=(4,))
    x = rand_op(21, shape=(4,))
    out = modular.sigma_t(x, rho, 0.6)
    loop = jnp.stack([modular.sigma_t(x[i], rho[i], 0.6) for i in range(4)])
    np.testing.assert_allclose(out, loop, atol=1e-13)
    np.testing.assert_allclose(jax.vmap(lambda a, r: modular.tomita(a, r))(x, rho),
                               jnp.stack([modular.tomita(x[i], rho[i]) for i in range(4)]),
                               atol=1e-13)
    assert modular.modular_operator(rho).shape == (4, 9, 9)
    assert modular.sigma_t(x, rho, jnp.zeros((5,))).shape == (5, 4, 3, 3)
    for f in (lambda: modular.sigma_t(x, rho, 0.6), lambda: modular.tomita(x, rho),
              lambda: modular.natural_cone(rho, rho), lambda: modular.kms_residual(x, x, rho),
              lambda: modular.modular_operator(rho, 0.5)):
        a = f()
        with jax.disable_jit():
            b = f()
        np.testing.assert_allclose(a, b, atol=1e-12)
    assert modular.sigma_t(x, rho, 0.6).dtype == jnp.complex128
    assert modular.kms_residual(x, x, rho).dtype == jnp.float64
    r32, x32 = rho[0].astype(np.complex64), x[0].astype(np.complex64)
    assert modular.sigma_t(x32, r32, 0.6).dtype == jnp.complex64
    # real inputs are promoted to complex
    assert modular.sigma_t(np.eye(2), np.diag([0.5, 0.5]), 1.0).dtype == jnp.complex128


@pytest.mark.parametrize("fn,args,kwargs,match", [
    (modular.modular_operator, (np.diag([0.5, 0.5, 0.0]),), {}, r"modular_operator: `rho` must be a faithful density matrix \(positive definite\); got a singular"),
    (modular.modular_operator, (np.array([[0.5, 0.1j], [0.1j, 0.5]]),), {}, r"modular_operator: `rho` must be Hermitian"),
    (modular.modular_operator, (np.diag([1.0, 1.0]),), {}, r"modular_operator: `rho` must have trace 1; got trace 2"),
    (modular.modular_operator, (np.diag([0.5, 0.5]), np.nan), {}, r"modular_operator: `power` must be finite"),
    (modular.modular_operator, (np.ones((2, 3)) / 2,), {}, r"modular_operator: `rho` must be a \(batch of\) square matrices"),
    (modular.sigma_t, (np.eye(3), np.diag([0.5, 0.5]), 1.0), {}, r"sigma_t: `x` and `rho` must have the same size"),
    (modular.sigma_t, (np.eye(2), np.diag([0.5, 0.5]), np.inf), {}, r"sigma_t: `t` must be finite"),
    (modular.sigma_t, (np.eye(2), np.diag([1.5, -0.5]), 1.0), {}, r"sigma_t: `rho` must be a faithful density matrix"),
    (modular.tomita, (np.eye(3), np.diag([0.5, 0.5])), {}, r"tomita: `eta` and `rho` must have the same size"),
    (modular.tomita, (np.eye(2), np.array([[0.5, 1.0], [0.0, 0.5]])), {}, r"tomita: `rho` must be Hermitian"),
    (modular.modular_conjugation, (np.ones(3),), {}, r"modular_conjugation: `eta` must be a \(batch of\) square matrices"),
    (modular.natural_cone, (-np.eye(2), np.diag([0.5, 0.5])), {}, r"natural_cone: `a` must be positive semidefinite"),
    (modular.natural_cone, (np.array([[1.0, 1j], [1j, 1.0]]), np.diag([0.5, 0.5])), {}, r"natural_cone: `a` must be Hermitian"),
    (modular.natural_cone, (np.eye(2), np.diag([0.5, 0.5, 0.0])), {}, r"natural_cone: `rho` must be a faithful density matrix"),
    (modular.kms_residual, (np.eye(2), np.eye(3), np.diag([0.5, 0.5])), {}, r"kms_residual: `y` and `rho` must have the same size"),
    (modular.kms_residual, (np.eye(2), np.eye(2), np.diag([0.5, 0.5])), {"beta": np.nan}, r"kms_residual: `beta` must be finite"),
    (modular.kms_residual, (np.eye(2), np.eye(2), np.diag([0.5, 0.5]), np.nan), {}, r"kms_residual: `t` must be finite"),
])
def test_validation_messages(fn, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(*args, **kwargs)
