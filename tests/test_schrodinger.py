"""geobook.schrodinger and sde.nelson against independent references: scipy
(eigh_tridiagonal, eigsh), closed forms (discrete free particle, oscillator, Hermite
functions, coherent states, free Gaussian packets), convergence orders, parity, sharding,
validation."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sl
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from jax.sharding import NamedSharding, PartitionSpec as P
from scipy.special import eval_hermite

from geobook import schrodinger as sch
from geobook import sde


def hermite_fn(k, x):
    return (eval_hermite(k, x) * np.exp(-x ** 2 / 2)
            / np.sqrt(2.0 ** k * math.factorial(k) * np.sqrt(np.pi)))


def periodic_grid(L, n):
    return np.linspace(-L / 2, L / 2, n, endpoint=False)


# ------------------------------------------------------------------ eigenstates_1d

def test_dirichlet_double_well_matches_scipy_eigh_tridiagonal(x64):
    x = np.linspace(-3, 3, 2000)
    dx = x[1] - x[0]
    V = 4 * (x ** 2 - 1) ** 2
    st = sch.eigenstates_1d(V, x, 6)
    w, v = sl.eigh_tridiagonal(1 / dx ** 2 + V, np.full(1999, -0.5 / dx ** 2),
                               select="i", select_range=(0, 5))
    np.testing.assert_allclose(st.E, w, rtol=1e-9)
    ov = np.abs(np.asarray(st.psi) * np.sqrt(dx) @ v)
    np.testing.assert_allclose(ov, np.eye(6), atol=1e-8)
    np.testing.assert_allclose(np.sum(np.asarray(st.psi) ** 2, 1) * dx, 1, rtol=1e-12)


def test_periodic_random_potential_matches_scipy_eigsh(x64):
    rng = np.random.default_rng(0)
    n = 400
    x = periodic_grid(2 * np.pi, n)
    dx = x[1] - x[0]
    V = rng.uniform(0, 5, n)
    off = np.full(n, -0.5 / dx ** 2)
    H = sp.diags([off[:-1], 1 / dx ** 2 + V, off[:-1]], [-1, 0, 1], format="lil")
    H[0, n - 1] = H[n - 1, 0] = -0.5 / dx ** 2
    w, _ = spla.eigsh(H.tocsc(), k=5, sigma=-1.0, which="LM")
    st = sch.eigenstates_1d(V, x, 5, periodic=True)
    np.testing.assert_allclose(st.E, np.sort(w), rtol=1e-9)
    r = H.tocsc() @ np.asarray(st.psi).T - np.asarray(st.psi).T * np.asarray(st.E)
    assert np.abs(r).max() < 1e-7 * np.abs(H).max()


@pytest.mark.parametrize("periodic", [False, True])
def test_free_particle_discrete_closed_form(x64, periodic):
    N = 300
    x = periodic_grid(2 * np.pi, N) if periodic else np.linspace(0, 1, N)
    dx = x[1] - x[0]
    st = sch.eigenstates_1d(np.zeros(N), x, 7, periodic=periodic)
    if periodic:   # (1 - cos(2πk/N))/dx², k = 0, ±1, ±2, ±3: degenerate pairs
        k = np.array([0, 1, 1, 2, 2, 3, 3])
        exact = (1 - np.cos(2 * np.pi * k / N)) / dx ** 2
    else:          # (1 - cos(kπ/(N+1)))/dx², k = 1..7
        exact = (1 - np.cos(np.arange(1, 8) * np.pi / (N + 1))) / dx ** 2
    np.testing.assert_allclose(st.E, exact, rtol=1e-9, atol=1e-9)
    gram = np.asarray(st.psi) @ np.asarray(st.psi).T * dx
    np.testing.assert_allclose(gram, np.eye(7), atol=1e-10)


def test_oscillator_hermite_functions_and_second_order_convergence(x64):
    errs, hs = [], []
    for N in (400, 800, 1600):
        x = np.linspace(-10, 10, N)
        st = sch.eigenstates_1d(x ** 2 / 2, x, 4, hbar=1.0, mass=1.0)
        errs.append(np.abs(np.asarray(st.E) - (np.arange(4) + 0.5)).max())
        ref = np.stack([hermite_fn(k, x) for k in range(4)])
        assert np.abs(np.asarray(st.psi) - ref).max() < 20 * (x[1] - x[0]) ** 2   # sign too
        hs.append(x[1] - x[0])
    order = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert 1.95 < order < 2.05


def test_hbar_and_mass_scaling(x64):
    x = np.linspace(-8, 8, 800)
    a = sch.eigenstates_1d(x ** 2 / 2, x, 3, hbar=1.0, mass=1.0)
    b = sch.eigenstates_1d(x ** 2, x, 3, hbar=2.0, mass=2.0)   # the matrix is exactly 2 H_a
    np.testing.assert_allclose(b.E, 2 * np.asarray(a.E), rtol=1e-9)


def test_eigen_float32_and_jit_vmap_parity():
    x = jnp.linspace(-6.0, 6.0, 300)
    V = x ** 2 / 2
    st = sch.eigenstates_1d(V, x, 3)
    assert st.E.dtype == jnp.float32 and st.psi.dtype == jnp.float32
    np.testing.assert_allclose(st.E, [0.5, 1.5, 2.5], atol=2e-3)
    f = jax.jit(lambda V: sch.eigenstates_1d(V, x, 3).E)
    np.testing.assert_allclose(f(V), st.E, rtol=1e-5)
    with jax.disable_jit():
        np.testing.assert_allclose(sch.eigenstates_1d(V, x, 3).E, st.E, rtol=1e-4)
    Vs = jnp.stack([V, 2 * V])
    batched = jax.vmap(lambda v: sch.eigenstates_1d(v, x, 3).E)(Vs)
    loop = jnp.stack([sch.eigenstates_1d(v, x, 3).E for v in Vs])
    np.testing.assert_allclose(batched, loop, rtol=1e-5, atol=5e-5)   # ‖H‖·ε


# ------------------------------------------------------------------ split_step

def test_coherent_state_one_period_and_norm(x64):
    x = periodic_grid(40, 1024)
    dx = x[1] - x[0]
    psi0 = np.exp(-(x - 2) ** 2 / 2) / np.pi ** 0.25
    wf = sch.split_step(psi0, x ** 2 / 2, x, dt=1e-3, n_steps=6284, save_every=4)
    mean = np.sum(x * np.abs(np.asarray(wf.path)) ** 2, 1) * dx
    assert np.abs(mean - 2 * np.cos(np.asarray(wf.t))).max() < 1e-5
    norm = np.sum(np.abs(np.asarray(wf.path)) ** 2, 1) * dx
    assert np.abs(norm - 1).max() < 1e-12
    assert wf.path.shape == (1572, 1024) and wf.t[1] == pytest.approx(4e-3)
    np.testing.assert_array_equal(wf.path[0], psi0)
    np.testing.assert_array_equal(wf.path[-1], wf.psi)


def test_free_gaussian_packet_closed_form(x64):
    x = periodic_grid(80, 1024)
    k0, s = 1.5, 1.0
    psi0 = (2 * np.pi * s ** 2) ** -0.25 * np.exp(-x ** 2 / (4 * s ** 2) + 1j * k0 * x)
    t = 3.0
    wf = sch.split_step(psi0, np.zeros_like(x), x, dt=0.3, n_steps=10)
    st = s * (1 + 1j * t / (2 * s ** 2))
    exact = ((2 * np.pi * s ** 2) ** -0.25 * np.sqrt(s / st)
             * np.exp(-(x - k0 * t) ** 2 / (4 * s * st) + 1j * k0 * (x - k0 * t / 2)))
    ov = np.abs(np.sum(np.conj(exact) * np.asarray(wf.psi)) * (x[1] - x[0]))
    assert ov == pytest.approx(1, abs=1e-10)
    np.testing.assert_allclose(np.abs(wf.psi) ** 2, np.abs(exact) ** 2, atol=1e-10)


def test_strang_splitting_is_second_order_in_dt(x64):
    x = periodic_grid(20, 256)
    V = 0.25 * x ** 4 - x ** 2
    psi0 = np.exp(-(x - 1) ** 2) + 0j
    ref = sch.split_step(psi0, V, x, dt=1e-4, n_steps=10_000).psi
    errs = []
    dts = [0.02, 0.01, 0.005]
    for dt in dts:
        out = sch.split_step(psi0, V, x, dt=dt, n_steps=int(round(1 / dt))).psi
        errs.append(float(jnp.max(jnp.abs(out - ref))))
    order = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert 1.9 < order < 2.1


def test_imaginary_time_and_ground_state_oscillator(x64):
    x = periodic_grid(40, 1024)
    dx = x[1] - x[0]
    wf = sch.split_step(np.ones(1024), x ** 2 / 2, x, dt=5e-3, n_steps=4000, imaginary=True)
    assert float(sch.energy(wf.psi, x ** 2 / 2, x)) == pytest.approx(0.5, abs=1e-6)
    gs = sch.ground_state(x ** 2 / 2, x, dt=5e-3)
    assert bool(gs.converged) and float(gs.error) <= 1e-12
    assert float(gs.E) == pytest.approx(0.5, abs=1e-6)
    assert np.abs(np.abs(np.asarray(gs.psi)) - hermite_fn(0, x)).max() < 1e-4
    assert np.sum(np.abs(np.asarray(gs.psi)) ** 2) * dx == pytest.approx(1, abs=1e-12)
    assert int(gs.n_iter) % 100 == 0


def test_ground_state_2d_and_separable_propagation(x64):
    x = periodic_grid(16, 64)
    y = periodic_grid(12, 48)
    X, Y = np.meshgrid(x, y, indexing="ij")
    V2 = 0.5 * X ** 2 + 2 * Y ** 2
    gs = sch.ground_state(V2, (x, y), dt=5e-3)
    assert float(gs.E) == pytest.approx(0.5 + 1.0, abs=1e-5)
    ax = np.exp(-(x - 1) ** 2) + 0j
    ay = np.exp(-(y + 0.5) ** 2 / 2 + 0.3j * y)
    two = sch.split_step(ax[:, None] * ay[None], V2, (x, y), dt=0.01, n_steps=50).psi
    one_x = sch.split_step(ax, 0.5 * x ** 2, x, dt=0.01, n_steps=50).psi
    one_y = sch.split_step(ay, 2 * y ** 2, y, dt=0.01, n_steps=50).psi
    np.testing.assert_allclose(two, one_x[:, None] * one_y[None], atol=1e-11)


def test_split_step_batched_float32_jit_parity():
    x = jnp.asarray(periodic_grid(20, 128), jnp.float32)
    psi0 = jnp.stack([jnp.exp(-(x - c) ** 2) for c in (-1.0, 0.0, 1.0)])
    V = x ** 2 / 2
    out = sch.split_step(psi0, V, x, dt=0.01, n_steps=20)
    assert out.psi.dtype == jnp.complex64
    loop = jnp.stack([sch.split_step(p, V, x, dt=0.01, n_steps=20).psi for p in psi0])
    np.testing.assert_allclose(out.psi, loop, atol=1e-6)
    with jax.disable_jit():
        eager = sch.split_step(psi0, V, x, dt=0.01, n_steps=20).psi
    np.testing.assert_allclose(eager, out.psi, atol=1e-5)
    # a batch of potentials against one state
    Vs = jnp.stack([V, 2 * V])
    both = sch.split_step(psi0[0], Vs, x, dt=0.01, n_steps=20).psi
    np.testing.assert_allclose(both[1], sch.split_step(psi0[0], 2 * V, x, dt=0.01,
                                                       n_steps=20).psi, atol=1e-6)


def test_split_step_batch_sharded_over_devices():
    assert len(jax.devices()) >= 2
    x = jnp.asarray(periodic_grid(20, 128), jnp.float32)
    psi0 = jnp.stack([jnp.exp(-(x - c) ** 2) for c in np.linspace(-2, 2, 8)])
    ref = sch.split_step(psi0, x ** 2 / 2, x, dt=0.01, n_steps=30).psi
    mesh = jax.make_mesh((2,), ("b",), axis_types=(jax.sharding.AxisType.Auto,))
    ps = jax.device_put(psi0, NamedSharding(mesh, P("b")))
    out = sch.split_step(ps, x ** 2 / 2, x, dt=0.01, n_steps=30).psi
    assert len(out.sharding.device_set) == 2
    np.testing.assert_allclose(out, ref, atol=1e-6)


def test_eigenstates_batch_of_potentials_sharded_over_devices(x64):
    """A batch of potentials (vmap over V) sharded over 2 devices equals the unsharded
    batch and each single solve."""
    assert len(jax.devices()) >= 2
    x = jnp.linspace(-3.0, 3.0, 256)
    Vs = jnp.stack([a * (x ** 2 - 1) ** 2 for a in (1.0, 2.0, 3.0, 4.0)])
    solve = jax.vmap(lambda V: sch.eigenstates_1d(V, x, 3).E)
    ref = solve(Vs)
    mesh = jax.make_mesh((2,), ("b",), axis_types=(jax.sharding.AxisType.Auto,))
    out = solve(jax.device_put(Vs, NamedSharding(mesh, P("b"))))
    assert len(out.sharding.device_set) == 2
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    for i in range(4):
        np.testing.assert_allclose(ref[i], sch.eigenstates_1d(Vs[i], x, 3).E, rtol=1e-10)


# ------------------------------------------------------------------ witten, madelung

def test_witten_potential_closed_forms(x64):
    q = np.linspace(-2, 2, 9)
    U = sch.witten_potential(lambda q, g: g * q @ q / 2, 0.5, q, args=(1.5,))
    np.testing.assert_allclose(U, 1.5 ** 2 * q ** 2 / 2 - 0.75, rtol=1e-12, atol=1e-12)
    T = 0.3
    U = sch.witten_potential(lambda q: (q[0] ** 2 - 1) ** 2, T, q)
    dH, d2H = 4 * q * (q ** 2 - 1), 12 * q ** 2 - 4
    np.testing.assert_allclose(U, dH ** 2 / (4 * T) - d2H / 2, rtol=1e-12, atol=1e-12)
    pts = np.array([[0.5, -1.0], [1.0, 2.0]])
    U2 = sch.witten_potential(lambda q: q[0] ** 2 + 3 * q[1] ** 2, 1.0, pts)
    exact = ((2 * pts[:, 0]) ** 2 + (6 * pts[:, 1]) ** 2) / 4 - (2 + 6) / 2
    np.testing.assert_allclose(U2, exact, rtol=1e-12)


def test_witten_spectrum_is_minus_fokker_planck_spectrum(x64):
    # -T∂² + U on a grid has the levels γ·k of the OU generator (γ = 1, T = 0.5)
    x = np.linspace(-8, 8, 1200)
    U = sch.witten_potential(lambda q: q @ q / 2, 0.5, x)
    st = sch.eigenstates_1d(U, x, 4, hbar=1.0, mass=1.0)   # ħ²/2m = T = 0.5
    np.testing.assert_allclose(st.E, [0, 1, 2, 3], atol=2e-4)


def test_madelung_residual_of_split_step_solution_converges_in_dt(x64):
    x = periodic_grid(40, 512)
    psi0 = np.exp(-(x - 2) ** 2 / 2 + 0.5j * x) / np.pi ** 0.25
    V = x ** 2 / 2      # (an anharmonic packet grows near-nodes, where Q is singular)
    res = []
    for dt in (4e-3, 2e-3):
        wf = sch.split_step(psi0, V, x, dt=dt, n_steps=int(round(1 / dt)), save_every=1)
        r = sch.madelung_residual(wf.path, V, x, dt=dt)
        assert r.continuity.shape == (wf.path.shape[0] - 2, 512)
        res.append(float(jnp.max(jnp.abs(jnp.where(r.mask, r.hamilton_jacobi, 0)))))
        assert float(jnp.max(jnp.abs(r.continuity))) < 1e-3
    assert res[1] < 1e-3 and 3.5 < res[0] / res[1] < 4.5   # O(dt²)


def _coherent_exact(x, t, a=2.0, b=0.5):
    """Closed form of exp(-(x - a)²/2 + i b x)/π^¼ under V = x²/2 (ħ = m = ω = 1)."""
    t = np.asarray(t)[:, None]
    xc, pc = a * np.cos(t) + b * np.sin(t), -a * np.sin(t) + b * np.cos(t)
    gam = (a * a - b * b) * np.sin(2 * t) / 4 + a * b * (1 - np.cos(2 * t)) / 2 - t / 2
    return np.exp(-(x - xc) ** 2 / 2 + 1j * (pc * x + gam)) / np.pi ** 0.25


def test_madelung_residual_floor_is_the_time_difference_not_the_splitting(x64):
    """The O(dt²) residual of a split-step solution is the centred time difference's: the
    exact solution sampled at the same times has the same residual, and the difference
    (the splitting's share) is much smaller and also O(dt²)."""
    x = periodic_grid(40, 512)
    V = x ** 2 / 2
    excess = []
    for dt in (2e-3, 1e-3):
        wf = sch.split_step(_coherent_exact(x, [0.0])[0], V, x, dt=dt,
                            n_steps=int(round(0.5 / dt)), save_every=1)
        ex = _coherent_exact(x, np.asarray(wf.t))
        assert float(np.max(np.abs(np.asarray(wf.path) - ex))) < 1e-6
        r = sch.madelung_residual(wf.path, V, x, dt=dt)
        r0 = sch.madelung_residual(ex, V, x, dt=dt)
        m = np.asarray(r.mask & r0.mask)
        hj, hj0 = np.abs(np.asarray(r.hamilton_jacobi)), np.abs(np.asarray(r0.hamilton_jacobi))
        np.testing.assert_allclose(hj.max(), hj0.max(), rtol=0.05)
        excess.append(np.abs(np.asarray(r.hamilton_jacobi - r0.hamilton_jacobi))[m].max())
        assert excess[-1] < 0.05 * hj0.max()
    assert 3.5 < excess[0] / excess[1] < 4.5


def test_madelung_ring_winding(x64):
    th = np.arange(256) * 2 * np.pi / 256
    t = 1e-3 * np.arange(3)

    def psi(nu):
        return np.exp(1j * nu * th)[None] * np.exp(-0.5j * nu ** 2 * t)[:, None]

    V = np.zeros(256)
    for nu in (1.0, 2.0):
        r = sch.madelung_residual(psi(nu), V, th, dt=1e-3)
        assert float(jnp.max(jnp.abs(r.hamilton_jacobi))) < 1e-5   # E³dt²/6 = 1.3e-6
    bad = sch.madelung_residual(psi(0.37), V, th, dt=1e-3)
    assert float(jnp.max(jnp.abs(bad.hamilton_jacobi))) > 1.0            # the seam
    loc = sch.madelung_residual(psi(0.37), V, th, dt=1e-3, periodic=False)
    assert float(jnp.max(jnp.abs(loc.hamilton_jacobi))) < 1e-4           # local: O(h²)
    assert not bool(loc.mask[0, 0]) and not bool(loc.mask[0, -1])


# ------------------------------------------------------------------ sde.nelson

def test_nelson_coherent_state_mean_and_variance(x64):
    x0, n = 2.0, 40_000

    def psi(q, t):
        return jnp.exp(-(q[0] - x0 * jnp.cos(t)) ** 2 / 2 - 1j * x0 * jnp.sin(t) * q[0])

    q0 = x0 + jax.random.normal(jax.random.key(0), (n, 1)) / np.sqrt(2)
    run = sde.nelson(jax.random.key(1), psi, q0, dt=1e-3, n_steps=3000, save_every=500)
    m = np.asarray(run.path[..., 0].mean(1))
    v = np.asarray(run.path[..., 0].var(1))
    se_m, se_v = np.sqrt(0.5 / n), 0.5 * np.sqrt(2 / n)
    # Euler–Maruyama bias O(dt) ≈ 1e-3 is below the margin of 4 s.e. (≈ 1.4e-2)
    assert np.all(np.abs(m - x0 * np.cos(np.asarray(run.t))) < 4 * se_m + 2e-3)
    assert np.all(np.abs(v - 0.5) < 4 * se_v + 2e-3)


def test_nelson_drift_without_noise_is_current_plus_osmotic(x64):
    # hbar → 0 limit is not available, so check one step's mean displacement per walker:
    # average over many keys of the same walker = q + b dt.
    psi = lambda q, t, k: jnp.exp(-q[0] ** 2 + 1j * k * q[0])
    q0 = jnp.full((20_000, 1), 0.3)
    run = sde.nelson(jax.random.key(2), psi, q0, dt=1e-2, n_steps=1, args=(0.7,))
    b = 0.7 + (-2 * 0.3)          # Im + Re of ∇ψ/ψ
    se = np.sqrt(1e-2 / 20_000)
    assert abs(float(run.q.mean()) - (0.3 + b * 1e-2)) < 4 * se
    assert float(run.q.var()) == pytest.approx(1e-2, rel=0.05)


# ------------------------------------------------------------------ validation

X5 = np.linspace(0, 1, 10)


@pytest.mark.parametrize("call,msg", [
    (lambda: sch.eigenstates_1d(np.zeros(10), X5 ** 2, 2), "eigenstates_1d: `x` must be a uniform"),
    (lambda: sch.eigenstates_1d(np.zeros(10), X5, 7), "eigenstates_1d: `n` must be <= len(x) - 4"),
    (lambda: sch.eigenstates_1d(np.zeros(10), X5, 0), "eigenstates_1d: `n` must be >= 1"),
    (lambda: sch.eigenstates_1d(np.zeros(10), X5, 2.0), "eigenstates_1d: `n` must be a Python int"),
    (lambda: sch.eigenstates_1d(np.full(10, np.inf), X5, 2), "eigenstates_1d: `V` must be finite"),
    (lambda: sch.eigenstates_1d(np.zeros(9), X5, 2), "eigenstates_1d: `V` and `x` must have the same shape"),
    (lambda: sch.eigenstates_1d(np.zeros((2, 10)), X5, 2), "eigenstates_1d: `V` must have shape [N]"),
    (lambda: sch.eigenstates_1d(np.zeros(10), X5, 2, hbar=0.0), "eigenstates_1d: `hbar` must be finite and > 0"),
    (lambda: sch.eigenstates_1d(np.zeros(10), X5, 2, mass=-1.0), "eigenstates_1d: `mass` must be finite and > 0"),
    (lambda: sch.eigenstates_1d(np.zeros(10), X5, 2, periodic="yes"), "eigenstates_1d: `periodic` must be True or False"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5, dt=0.0, n_steps=1), "split_step: `dt` must be finite and > 0"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5, dt=-0.1, n_steps=1), "split_step: `dt` must be finite and > 0"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5, dt=0.1, n_steps=0), "split_step: `n_steps` must be >= 1"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5, dt=0.1, n_steps=4, save_every=3), "split_step: `save_every` must divide"),
    (lambda: sch.split_step(np.ones(9), np.zeros(10), X5, dt=0.1, n_steps=1), "split_step: `psi0` must have shape [..., 10]"),
    (lambda: sch.split_step(np.zeros(10), np.zeros(10), X5, dt=0.1, n_steps=1), "split_step: `psi0` must have a non-zero norm"),
    (lambda: sch.split_step(np.full(10, np.nan), np.zeros(10), X5, dt=0.1, n_steps=1), "split_step: `psi0` must be finite"),
    (lambda: sch.split_step(np.ones(10), np.zeros(8), X5, dt=0.1, n_steps=1), "split_step: `V` must have shape [..., 10]"),
    (lambda: sch.split_step(np.ones(10), np.full(10, np.inf), X5, dt=0.1, n_steps=1), "split_step: `V` must be finite"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5 ** 3, dt=0.1, n_steps=1), "split_step: `x` must be a uniform"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), (X5, X5, X5), dt=0.1, n_steps=1), "split_step: `x` must be one grid"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5, dt=0.1, n_steps=1, hbar=0), "split_step: `hbar` must be finite and > 0"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5, dt=0.1, n_steps=1, mass=0), "split_step: `mass` must be finite and > 0"),
    (lambda: sch.split_step(np.ones(10), np.zeros(10), X5, dt=0.1, n_steps=1, imaginary=1.5), "split_step: `imaginary` must be True or False"),
    (lambda: sch.ground_state(np.zeros(10), X5, dt=0.0), "ground_state: `dt` must be finite and > 0"),
    (lambda: sch.ground_state(np.zeros(10), X5, tol=-1.0), "ground_state: `tol` must be finite and > 0"),
    (lambda: sch.ground_state(np.zeros(10), X5, max_steps=0), "ground_state: `max_steps` must be >= 1"),
    (lambda: sch.ground_state(np.zeros(10), X5, check_every=0), "ground_state: `check_every` must be >= 1"),
    (lambda: sch.ground_state(np.zeros(10), X5, psi0=np.zeros(10)), "ground_state: `psi0` must have a non-zero norm"),
    (lambda: sch.energy(np.zeros(10), np.zeros(10), X5), "energy: `psi0` must have a non-zero norm"),
    (lambda: sch.witten_potential(3.0, 1.0, X5), "witten_potential: `H` must be callable"),
    (lambda: sch.witten_potential(lambda q: q, 1.0, X5), "witten_potential: `H` must map an input of shape [1] to []"),
    (lambda: sch.witten_potential(lambda q: q @ q, 0.0, X5), "witten_potential: `T` must be finite and > 0"),
    (lambda: sch.witten_potential(lambda q: q @ q, 1.0, np.zeros((2, 2, 2))), "witten_potential: `q` must have shape [n] or [n, d]"),
    (lambda: sch.witten_potential(lambda q: q @ q, 1.0, np.array([np.nan])), "witten_potential: `q` must be finite"),
    (lambda: sch.witten_potential(lambda q: q @ q, 1.0, X5, args=[1]), "witten_potential: `args` must be a tuple"),
    (lambda: sch.madelung_residual(np.ones((2, 10)), np.zeros(10), X5, dt=0.1), "madelung_residual: `psi` must have shape [n_t >= 3, 10]"),
    (lambda: sch.madelung_residual(np.ones(10), np.zeros(10), X5, dt=0.1), "madelung_residual: `psi` must have shape [n_t, n]"),
    (lambda: sch.madelung_residual(np.zeros((3, 10)), np.zeros(10), X5, dt=0.1), "madelung_residual: `psi` must have non-zero norm"),
    (lambda: sch.madelung_residual(np.full((3, 10), np.inf), np.zeros(10), X5, dt=0.1), "madelung_residual: `psi` must be finite"),
    (lambda: sch.madelung_residual(np.ones((3, 10)), np.zeros(9), X5, dt=0.1), "madelung_residual: `V` must have shape [10] or [3, 10]"),
    (lambda: sch.madelung_residual(np.ones((3, 10)), np.full(10, np.nan), X5, dt=0.1), "madelung_residual: `V` must be finite"),
    (lambda: sch.madelung_residual(np.ones((3, 10)), np.zeros(10), X5 ** 2, dt=0.1), "madelung_residual: `x` must be a uniform"),
    (lambda: sch.madelung_residual(np.ones((3, 10)), np.zeros(10), X5, dt=0.0), "madelung_residual: `dt` must be finite and > 0"),
    (lambda: sch.madelung_residual(np.ones((3, 10)), np.zeros(10), X5, dt=0.1, hbar=0), "madelung_residual: `hbar` must be finite and > 0"),
    (lambda: sch.madelung_residual(np.ones((3, 10)), np.zeros(10), X5, dt=0.1, mass=0), "madelung_residual: `mass` must be finite and > 0"),
    (lambda: sch.madelung_residual(np.ones((3, 10)), np.zeros(10), X5, dt=0.1, floor=1.0), "madelung_residual: `floor` must lie in [0.0, 1.0)"),
    (lambda: sde.nelson(jax.random.key(0), lambda q, t: q[0], np.zeros((4, 1)), dt=0.0, n_steps=1), "nelson: `dt` must be finite and > 0"),
    (lambda: sde.nelson(jax.random.key(0), lambda q, t: q[0], np.zeros(4), dt=0.1, n_steps=1), "nelson: `q0` must have shape [n_walkers, d]"),
    (lambda: sde.nelson(jax.random.key(0), lambda q, t: q[0], np.zeros((4, 1)), dt=0.1, n_steps=1, hbar=0), "nelson: `hbar` must be finite and > 0"),
    (lambda: sde.nelson(jax.random.key(0), lambda q, t: q[0], np.zeros((4, 1)), dt=0.1, n_steps=1, mass=-1), "nelson: `mass` must be finite and > 0"),
    (lambda: sde.nelson(jax.random.key(0), lambda q, t: q[0], np.zeros((4, 1)), dt=0.1, n_steps=1, t0=np.nan), "nelson: `t0` must be finite"),
    (lambda: sde.nelson(jax.random.key(0), "psi", np.zeros((4, 1)), dt=0.1, n_steps=1), "nelson: `psi` must be callable"),
    (lambda: sde.nelson(jax.random.key(0), lambda q, t: q, np.zeros((4, 2)), dt=0.1, n_steps=1), "nelson: `psi` must map (q: [2], t) to a scalar"),
    (lambda: sde.nelson(jax.random.key(0), lambda q: q[0], np.zeros((4, 1)), dt=0.1, n_steps=1), "nelson: `psi` could not be called"),
])
def test_validation_messages(call, msg):
    with pytest.raises(ValueError) as e:
        call()
    assert str(e.value).startswith(msg), str(e.value)


def test_nelson_walkers_sharded_and_jit_parity():
    psi = lambda q, t: jnp.exp(-(q[0] - jnp.cos(t)) ** 2 / 2 - 1j * jnp.sin(t) * q[0])
    q0 = jnp.linspace(-1.0, 2.0, 64, dtype=jnp.float32)[:, None]
    ref = sde.nelson(jax.random.key(3), psi, q0, dt=0.01, n_steps=20, save_every=10)
    assert ref.q.dtype == jnp.float32 and ref.path.shape == (3, 64, 1)
    np.testing.assert_allclose(ref.t, [0.0, 0.1, 0.2], atol=1e-6)
    mesh = jax.make_mesh((2,), ("walkers",), axis_types=(jax.sharding.AxisType.Auto,))
    qs = jax.device_put(q0, NamedSharding(mesh, P("walkers")))
    out = sde.nelson(jax.random.key(3), psi, qs, dt=0.01, n_steps=20, save_every=10)
    assert len(out.q.sharding.device_set) == 2
    np.testing.assert_allclose(out.q, ref.q, atol=1e-5)
    with jax.disable_jit():
        eager = sde.nelson(jax.random.key(3), psi, q0, dt=0.01, n_steps=20)
    np.testing.assert_allclose(eager.q, ref.q, atol=1e-4)


def test_kernels_under_jit_with_traced_inputs():
    x = jnp.linspace(-10.0, 10.0, 128, endpoint=False)
    p0 = jnp.exp(-(x - 1) ** 2).astype(jnp.complex64)
    f = jax.jit(lambda p, V: sch.split_step(p, V, x, dt=0.01, n_steps=10).psi)
    eager = sch.split_step(p0, x ** 2 / 2, x, dt=0.01, n_steps=10).psi
    np.testing.assert_allclose(f(p0, x ** 2 / 2), eager, atol=1e-5)
    g = jax.jit(lambda V: sch.ground_state(V, x, dt=0.01, max_steps=1000).E)
    assert float(g(x ** 2 / 2)) == pytest.approx(0.5, abs=1e-4)
    path = jnp.stack([p0] * 3)
    h = jax.jit(lambda psi: sch.madelung_residual(psi, x ** 2 / 2, x, dt=0.01).continuity)
    np.testing.assert_allclose(h(path), sch.madelung_residual(path, x ** 2 / 2, x,
                                                              dt=0.01).continuity, atol=1e-5)
