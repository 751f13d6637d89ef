import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sla

from geobook import fokker_planck as fp


def cells(a, b, n):
    e = jnp.linspace(a, b, n + 1)
    return 0.5 * (e[1:] + e[:-1])


def test_generator_conserves_mass_and_has_boltzmann_null_vector(x64):
    x = cells(-2.5, 2.5, 200)
    H = (x**2 - 1) ** 2
    L = fp.generator_1d(H, x, 0.5)
    assert float(jnp.abs(L.sum(0)).max()) < 1e-10
    off = L - jnp.diag(jnp.diag(L))
    assert float(off.min()) >= 0.0                      # M-matrix: positivity preserving
    p = fp.stationary_1d(H, x, 0.5)
    pb = fp.boltzmann_1d(H, x, 0.5)
    assert float(jnp.abs(p - pb).max() / pb.max()) < 1e-10     # sup-norm, relative to the peak
    np.testing.assert_allclose(float(p.sum() * (x[1] - x[0])), 1.0, rtol=1e-12)


def test_ou_spectrum_is_integer_multiples_of_gamma(x64):
    x = cells(-8, 8, 800)
    sp = fp.spectrum_1d(0.5 * x**2, x, 0.5, n_modes=4)   # gamma = 1, D = 0.5
    np.testing.assert_allclose(sp.eigenvalues, [0, -1, -2, -3], atol=2e-3)
    ref = np.sort(np.linalg.eigvals(np.asarray(fp.generator_1d(0.5 * x**2, x, 0.5))).real)[::-1][:4]
    np.testing.assert_allclose(sp.eigenvalues, ref, atol=1e-8)
    pb = fp.boltzmann_1d(0.5 * x**2, x, 0.5)
    assert float(jnp.abs(sp.modes[:, 0] - pb).max() / pb.max()) < 1e-8


def test_evolve_matches_matrix_exponential_and_relaxes(x64):
    x = cells(-3, 3, 120)
    H = (x**2 - 1) ** 2
    p0 = jnp.exp(-((x - 1) ** 2) / 0.05)
    ev = fp.evolve_1d(p0, H, x, 0.5, jnp.array([0.7, 200.0]))
    dx = x[1] - x[0]
    np.testing.assert_array_equal(ev.t, [0.0, 0.7, 200.0])
    np.testing.assert_allclose(ev.path[0], p0 / (p0.sum() * dx), rtol=1e-15)   # p0 first, exact
    ref = sla.expm(0.7 * np.asarray(fp.generator_1d(H, x, 0.5))) @ np.asarray(p0 / (p0.sum() * dx))
    assert float(np.abs(ev.path[1] - ref).max() / ref.max()) < 1e-9
    np.testing.assert_allclose(ev.mass, 1.0, rtol=1e-10)
    pb = fp.boltzmann_1d(H, x, 0.5)
    np.testing.assert_array_equal(ev.p, ev.path[-1])
    assert float(jnp.abs(ev.p - pb).max() / pb.max()) < 1e-9


def test_second_order_in_space(x64):
    """Eigenvalue of the OU generator converges at order 2 in dx."""
    errs, dxs = [], []
    for n in (100, 200, 400):
        x = cells(-8, 8, n)
        errs.append(abs(float(fp.spectrum_1d(0.5 * x**2, x, 0.5, 2).eigenvalues[1]) + 1.0))
        dxs.append(float(x[1] - x[0]))
    slope = np.polyfit(np.log(dxs), np.log(errs), 1)[0]
    assert 1.8 < slope < 2.2


def test_free_energy_minimum_and_monotone(x64):
    x = cells(-3, 3, 150)
    H = (x**2 - 1) ** 2
    T = 0.5
    dx = x[1] - x[0]
    Z = float(jnp.sum(jnp.exp(-H / T)) * dx)
    np.testing.assert_allclose(fp.free_energy(fp.boltzmann_1d(H, x, T), H, x, T), -T * np.log(Z), rtol=1e-10)
    ev = fp.evolve_1d(jnp.exp(-((x + 1.5) ** 2) / 0.02), H, x, T, jnp.linspace(0, 5, 30)[1:])
    F = jax.vmap(lambda p: fp.free_energy(p, H, x, T))(ev.path)
    assert float(jnp.diff(F).max()) <= 1e-12


def test_bernoulli_fn_stable():
    z = jnp.array([-50.0, -1e-9, 0.0, 1e-9, 1.0, 50.0])
    b = fp.bernoulli_fn(z)
    assert bool(jnp.all(jnp.isfinite(b)))
    np.testing.assert_allclose(b[2], 1.0)
    np.testing.assert_allclose(b[4], 1 / (np.e - 1), rtol=1e-6)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtypes_and_jit(dtype):
    with jax.enable_x64(True):
        x = cells(-2, 2, 50).astype(dtype)
        H = x**2
        assert fp.generator_1d(H, x, 1.0).dtype == dtype
        assert fp.stationary_1d(H, x, 1.0).dtype == dtype
        p = fp.stationary_1d(H, x, 1.0)
        with jax.disable_jit():
            p_eager = fp.stationary_1d(H, x, 1.0)
        tol = 1e-4 if dtype == jnp.float32 else 1e-12
        assert float(jnp.abs(p - p_eager).max() / p.max()) < tol
        Ts = jnp.array([0.5, 1.0], dtype)
        v = jax.vmap(lambda T: fp.spectrum_1d(H, x, T, 3).eigenvalues)(Ts)
        for k, T in enumerate(Ts):
            np.testing.assert_allclose(v[k], fp.spectrum_1d(H, x, T, 3).eigenvalues, rtol=1e-4, atol=1e-5)


def test_evolve_1d_jit_eager_and_vmap_parity(x64):
    x = cells(-3, 3, 80)
    H = (x**2 - 1) ** 2
    p0 = jnp.exp(-((x - 1) ** 2) / 0.05)
    times = jnp.array([0.1, 1.0, 10.0])
    ev = fp.evolve_1d(p0, H, x, 0.5, times)
    with jax.disable_jit():
        eager = fp.evolve_1d(p0, H, x, 0.5, times)
    for a, b in zip(ev, eager):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    Ts = jnp.array([0.3, 0.5, 1.0])
    batched = jax.vmap(lambda T: fp.evolve_1d(p0, H, x, T, times).path)(Ts)
    for k, T in enumerate(Ts):
        np.testing.assert_allclose(batched[k], fp.evolve_1d(p0, H, x, T, times).path, rtol=1e-10, atol=1e-12)
    F = jax.vmap(lambda p: fp.free_energy(p, H, x, 0.5))(ev.path)
    with jax.disable_jit():
        F_eager = [fp.free_energy(p, H, x, 0.5) for p in ev.path]
    np.testing.assert_allclose(F, F_eager, rtol=1e-12)


X = np.linspace(-1, 1, 10)


@pytest.mark.parametrize("call,match", [
    (lambda: fp.generator_1d(X**2, X, 0.0), r"generator_1d: `T` must be finite and > 0; got 0.0"),
    (lambda: fp.generator_1d(X**2, X[:5], 1.0), r"generator_1d: `H` and `x` must have the same shape"),
    (lambda: fp.generator_1d(X**2, X**3, 1.0), r"generator_1d: `x` must be a uniform, increasing grid"),
    (lambda: fp.generator_1d(X**2, X, np.ones(2)), r"generator_1d: `T` must have shape \[\] \(a scalar\)"),
    (lambda: fp.generator_1d(np.full(10, np.nan), X, 1.0), r"generator_1d: `H` must be finite"),
    (lambda: fp.stationary_1d(np.ones((2, 5)), X, 1.0), r"stationary_1d: `H` must have shape \[n\]"),
    (lambda: fp.spectrum_1d(X**2, X, 1.0, n_modes=11), r"spectrum_1d: `n_modes` must be <= the number of cells 10"),
    (lambda: fp.evolve_1d(-np.ones(10), X**2, X, 1.0, np.array([1.0])), r"evolve_1d: `p0` must be finite and >= 0"),
    (lambda: fp.evolve_1d(np.ones(10), X**2, X, 1.0, np.array([0.0, 1.0])), r"evolve_1d: `times` must lie in \(0, inf\)"),
    (lambda: fp.evolve_1d(np.ones(10), X**2, X, 1.0, np.array([2.0, 1.0])), r"evolve_1d: `times` must be strictly increasing"),
    (lambda: fp.evolve_1d(np.ones(10), X**2, X, 1.0, np.ones((2, 2))), r"evolve_1d: `times` must have shape \[n\]"),
    (lambda: fp.evolve_1d(np.zeros(10), X**2, X, 1.0, np.array([1.0])), r"evolve_1d: `p0` must have positive mass"),
    (lambda: fp.free_energy(np.ones(9), X**2, X, 1.0), r"free_energy: `p` and `x` must have the same shape"),
    (lambda: fp.generator_1d(X[:2], X[:2], 1.0), r"generator_1d: `x` must hold at least 3 points"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_dissipation_closed_form_and_jko_identity(x64):
    # Gaussian p = N(0, s^2) in H = x^2/2 at T = 1: int p (x (1 - 1/s^2))^2 = s^2 (1 - 1/s^2)^2
    x = (jnp.arange(2000) + 0.5) / 2000 * 20 - 10
    s = 1.5
    p = jnp.exp(-x**2 / (2 * s**2)) / jnp.sqrt(2 * jnp.pi * s**2)
    D = fp.dissipation(p, x**2 / 2, x, 1.0)
    assert float(D) == pytest.approx(s**2 * (1 - 1 / s**2) ** 2, rel=1e-4)
    # dF/dt = -dissipation along the flow (double well, T = 0.3)
    x = (jnp.arange(400) + 0.5) / 400 * 4 - 2
    H, T, dt = (x**2 - 1) ** 2, 0.3, 1e-4
    p0 = jnp.exp(-(x - 1.2) ** 2 / 0.2) + 0.01
    ev = fp.evolve_1d(p0, H, x, T, jnp.array([0.5 - dt, 0.5, 0.5 + dt]))
    F = [float(fp.free_energy(q, H, x, T)) for q in ev.path[1:]]
    dFdt = (F[2] - F[0]) / (2 * dt)
    assert -dFdt == pytest.approx(float(fp.dissipation(ev.path[2], H, x, T)), rel=1e-2)
    with pytest.raises(ValueError, match=r"dissipation: `p` must be finite and > 0"):
        fp.dissipation(jnp.zeros_like(x), H, x, T)


# ------------------------------------------------------------------------------- 2-D ----------
ROT = jnp.array([[0.0, -1.0], [1.0, 0.0]])


def _rotational(n, T=0.5, w=0.7):
    """b = -q + w R q, D = T I: stationary law N(0, T I) and current J = w R q p (exact)."""
    x = jnp.linspace(-5, 5, n)
    y = jnp.linspace(-5, 5, n + 4)              # unequal sides catch an axis mix-up
    st = fp.solve_2d(lambda q: -q + w * ROT @ q, lambda q: T * jnp.ones(2, q.dtype), x, y)
    X, Y = jnp.meshgrid(x, y, indexing="ij")
    p = jnp.exp(-(X**2 + Y**2) / (2 * T)) / (2 * np.pi * T)
    J = w * jnp.stack([-Y, X], -1) * p[..., None]
    return st, float(jnp.abs(st.p - p).max() / p.max()), float(jnp.abs(st.current - J).max() / jnp.abs(J).max())


def test_solve_2d_recovers_an_exact_rotational_current_at_second_order(x64):
    errs = [_rotational(n) for n in (21, 41, 81)]
    for st, _, _ in errs:
        assert float(st.residual) < 1e-12
        assert np.all(np.asarray(st.p) >= 0)
        dx, dy = 10 / (st.p.shape[0] - 1), 10 / (st.p.shape[1] - 1)
        np.testing.assert_allclose(float(st.p.sum()) * dx * dy, 1.0, rtol=1e-12)
        assert float(jnp.abs(st.jx[0]).max()) == 0.0 and float(jnp.abs(st.jy[:, -1]).max()) == 0.0
    p_err = np.array([e[1] for e in errs])
    j_err = np.array([e[2] for e in errs])
    assert p_err[-1] < 1e-3 and j_err[-1] < 1e-2
    np.testing.assert_allclose(np.log2(p_err[:-1] / p_err[1:]), 2.0, atol=0.25)
    np.testing.assert_allclose(np.log2(j_err[:-1] / j_err[1:]), 2.0, atol=0.25)


def _messy():
    drift = lambda q: jnp.array([-q[0] ** 3 + q[1], -q[1] - 0.3 * q[0]])
    diffusion = lambda q: jnp.array([0.5 * (1 + q[1] ** 2), 0.4 + 0.1 * jnp.sin(q[0])])
    return drift, diffusion, jnp.linspace(-3, 3, 9), jnp.linspace(-2.5, 3, 8)


def test_solve_2d_is_the_null_vector_of_the_dense_generator(x64):
    drift, diffusion, x, y = _messy()
    L = np.asarray(fp.generator_2d(drift, diffusion, x, y))
    assert np.abs(L.sum(0)).max() < 1e-12                     # mass conservation
    off = L - np.diag(np.diag(L))
    assert off.min() >= 0                                      # a Markov chain on the cells
    ns = sla.null_space(L)
    assert ns.shape[1] == 1
    ns = ns[:, 0] / ns[:, 0].sum()
    st = fp.solve_2d(drift, diffusion, x, y)
    p = np.asarray(st.p).ravel()
    np.testing.assert_allclose(p / p.sum(), ns, rtol=1e-8, atol=1e-12 * ns.max())
    # Stationary: the discrete divergence of the returned current vanishes.
    dx, dy = float(x[1] - x[0]), float(y[1] - y[0])
    div = (st.jx[1:] - st.jx[:-1]) / dx + (st.jy[:, 1:] - st.jy[:, :-1]) / dy
    assert float(jnp.abs(div).max()) < 1e-12 * float(jnp.abs(st.jx).max() / dx)


def test_solve_2d_gradient_flow_with_isotropic_noise_has_no_current_and_anisotropy_does(x64):
    x = jnp.linspace(-6, 6, 61)
    T = 0.5
    iso = fp.solve_2d(lambda q: -q, lambda q: T * jnp.ones(2, q.dtype), x, x)
    X, Y = jnp.meshgrid(x, x, indexing="ij")
    pb = jnp.exp(-(X**2 + Y**2) / (2 * T)) / (2 * np.pi * T)
    # Quadratic H: the Scharfetter–Gummel flux vanishes exactly on the Boltzmann law.
    assert float(jnp.abs(iso.p - pb).max() / pb.max()) < 1e-10
    assert float(jnp.abs(iso.current).max()) < 1e-12
    an = fp.solve_2d(lambda q: -q, lambda q: T * jnp.array([1 + q[1] ** 2, 1.0]), x, x)
    h = float(x[1] - x[0])
    # <q1^2> = T(1 + T) and <q1^2 q2^2> = T^2 + 2T^3 (closed moment equations), not T and T^2.
    np.testing.assert_allclose(float((an.p * X**2).sum() * h * h), T * (1 + T), rtol=3e-3)
    np.testing.assert_allclose(float((an.p * X**2 * Y**2).sum() * h * h), T**2 + 2 * T**3, rtol=1e-2)
    J = an.current
    assert float(jnp.abs(J).max()) > 1e-2
    # The circulation has the sign of the curl of D^{-1} b = -2 q1 q2 / (T (1 + q2^2)^2):
    # clockwise (J2 < 0) in the first quadrant on the positive q1 axis side.
    i, j = int(jnp.argmin(jnp.abs(x - 1.0))), int(jnp.argmin(jnp.abs(x - 0.0)))
    assert float(J[i, j, 1]) * float(J[j, i, 0]) < 0


def test_solve_2d_dtype_jit_and_validation(x64):
    drift, diffusion, x, y = _messy()
    ref = fp.solve_2d(drift, diffusion, x, y)
    out32 = fp.solve_2d(drift, diffusion, x.astype(jnp.float32), y.astype(jnp.float32))
    assert out32.p.dtype == jnp.float32 and ref.p.dtype == jnp.float64
    np.testing.assert_allclose(out32.p, ref.p, rtol=2e-4, atol=1e-6)
    with jax.disable_jit():
        eager = fp.solve_2d(drift, diffusion, x, y)
    for a, b in zip(ref[:4], eager[:4]):                   # the residual is round-off in both
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13 * float(jnp.abs(b).max()))
    assert float(ref.residual) < 1e-12 and float(eager.residual) < 1e-12
    with pytest.raises(ValueError, match=r"solve_2d: `drift` must be callable"):
        fp.solve_2d(np.zeros(2), diffusion, x, y)
    with pytest.raises(ValueError, match=r"solve_2d: `diffusion` must map an input of shape \[2\] to \[2\]"):
        fp.solve_2d(drift, lambda q: jnp.eye(2), x, y)
    with pytest.raises(ValueError, match=r"solve_2d: `diffusion` must be finite and > 0; got -3.0"):
        fp.solve_2d(drift, lambda q: jnp.array([q[0], 1.0]), x, y)
    with pytest.raises(ValueError, match=r"solve_2d: `drift` must be finite; got 7 non-finite"):
        fp.solve_2d(lambda q: jnp.array([0.0, 1 / q[0]]), diffusion, jnp.linspace(-1, 1, 3), y)
    with pytest.raises(ValueError, match=r"solve_2d: `x` must be a uniform, increasing grid"):
        fp.solve_2d(drift, diffusion, x.at[3].add(0.1), y)
    with pytest.raises(ValueError, match=r"solve_2d: `y` must hold at least 3 points"):
        fp.solve_2d(drift, diffusion, x, y[:2])
    with pytest.raises(ValueError, match=r"solve_2d: `drift` could not be called as drift\(x, \*args\)"):
        fp.solve_2d(drift, diffusion, x, y, args=(1.0,))
    with pytest.raises(ValueError, match=r"solve_2d: `args` must be a tuple"):
        fp.solve_2d(drift, diffusion, x, y, args=[1.0])
    with pytest.raises(ValueError, match=r"generator_2d: `y` must have shape \[n\]"):
        fp.generator_2d(drift, diffusion, x, y[:, None])


def test_solve_2d_args_sweep_compiles_once_and_matches_a_loop(x64):
    """One drift/diffusion pair for a sweep of the anisotropy: vmap over args = Python loop."""
    x = jnp.linspace(-4, 4, 17)
    drift = lambda q, a, T: -q
    diffusion = lambda q, a, T: T * jnp.array([1 + a * q[1] ** 2, 1.0], q.dtype)
    a_s, T = jnp.array([0.0, 0.5, 1.0]), 0.5
    batched = jax.vmap(lambda a: fp.solve_2d(drift, diffusion, x, x, args=(a, T)))(a_s)
    for k, a in enumerate(a_s):
        one = fp.solve_2d(drift, diffusion, x, x, args=(a, T))
        np.testing.assert_allclose(batched.p[k], one.p, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(batched.current[k], one.current, rtol=1e-8, atol=1e-14)
    L = fp.generator_2d(drift, diffusion, x, x, args=(1.0, T))
    assert np.abs(np.asarray(L) @ np.asarray(batched.p[2]).ravel()).max() < 1e-10 * np.abs(np.asarray(L)).max()


def test_sweeps_over_traced_parameters_compile_once():
    """T, times and args are traced: a sweep over their values reuses one compiled program."""
    from compile_count import compilations
    x = cells(-3, 3, 40)
    H, p0 = (x**2 - 1) ** 2, jnp.exp(-((x - 1) ** 2))
    xy = jnp.linspace(-3, 3, 9)
    drift = lambda q, a: -q + a * ROT @ q
    diffusion = lambda q, a: (0.5 + 0.1 * a) * jnp.ones(2, q.dtype)

    def run(v):
        return (fp.evolve_1d(p0, H, x, v, jnp.array([0.1, v])).p, fp.spectrum_1d(H, x, v, 2).eigenvalues,
                fp.free_energy(p0, H, x, v), fp.solve_2d(drift, diffusion, xy, xy, args=(v,)).p)

    values = np.linspace(0.5, 2.0, 6)
    run(values[0])
    with compilations() as n:
        outs = [run(v) for v in values[1:]]
    assert n() == 0
    assert len({float(o[3].max()) for o in outs}) == len(outs)
