"""geobook.rg against independent references: closed forms, brute-force enumeration, NumPy
Schur complements, scipy's elliptic integral (Onsager), the Metropolis kernel enumerated."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from jax.sharding import NamedSharding, PartitionSpec as P

from geobook import rg
from geobook.rg import lattice


def _all_spins(n):
    return np.array(list(itertools.product([1, -1], repeat=n)), dtype=float)


def _chain_logz_brute(K, N, h=0.0):
    s = _all_spins(N)
    e = K * np.sum(s * np.roll(s, -1, axis=1), axis=1) + h * s.sum(1)
    return np.log(np.sum(np.exp(e)))


# ----------------------------------------------------------------------------- 1-D chain

def test_decimation_closed_form(x64):
    K = np.array([1e-3, 0.1, 0.8, 2.0, 30.0, 400.0])
    ref = np.where(K < 100, 0.5 * np.log1p(2 * np.sinh(np.minimum(K, 100)) ** 2),
                   K - 0.5 * np.log(2))                    # cosh 2K = 1 + 2 sinh² K
    np.testing.assert_allclose(rg.decimate_ising_1d(K), ref, rtol=1e-14)
    # the decimation identity: sum over the middle spin of e^{K s(s1 + s3)} = A e^{K' s1 s3}
    for Kv in (0.3, 1.1):
        Kp = float(rg.decimate_ising_1d(Kv))
        A = 2 * np.sqrt(np.cosh(2 * Kv))
        for s1, s3 in itertools.product([1, -1], repeat=2):
            lhs = sum(np.exp(Kv * s * (s1 + s3)) for s in (1, -1))
            assert abs(lhs - A * np.exp(Kp * s1 * s3)) < 1e-12 * lhs


def test_decimation_float32_dtype():
    assert rg.decimate_ising_1d(jnp.float32(0.5)).dtype == jnp.float32


@pytest.mark.parametrize("K", [0.3, 0.8, 1.5])
def test_flow_periodic_equals_transfer_matrix(K, x64):
    n = 10
    N = 2 ** n
    lam = np.linalg.eigvalsh(np.array([[np.exp(K), np.exp(-K)], [np.exp(-K), np.exp(K)]]))
    ref = np.logaddexp(N * np.log(lam[1]), N * np.log(np.abs(lam[0]))) / N
    fl = rg.decimation_flow_1d(K, n)
    assert abs(float(fl.log_z) - ref) < 1e-12
    assert fl.K.shape == (n + 1,)
    assert abs(float(rg.ising_free_energy_1d(K, N)) - ref) < 1e-12


def test_flow_small_chain_brute_force(x64):
    for n in (1, 2, 3):
        N = 2 ** n
        fl = rg.decimation_flow_1d(0.7, n)
        assert abs(float(fl.log_z) * N - _chain_logz_brute(0.7, N)) < 1e-11


def test_flow_infinite_chain(x64):
    fl = rg.decimation_flow_1d(0.8, 40, periodic=False)
    assert abs(float(fl.log_z) - np.log(2 * np.cosh(0.8))) < 1e-12
    K = np.asarray(fl.K)
    assert np.all(np.diff(K) <= 0) and K[-1] == 0.0 and K[0] == 0.8
    # batched couplings
    fl = rg.decimation_flow_1d(jnp.array([0.2, 0.8, 2.0]), 40, periodic=False)
    np.testing.assert_allclose(fl.log_z, np.log(2 * np.cosh([0.2, 0.8, 2.0])), rtol=1e-13)
    assert fl.K.shape == (41, 3)


def test_free_energy_brute_force(x64):
    for N in (3, 8, 11):
        assert abs(float(rg.ising_free_energy_1d(0.45, N)) - _chain_logz_brute(0.45, N) / N) \
            < 1e-12
    np.testing.assert_allclose(rg.ising_free_energy_1d(jnp.array([0.1, 5.0, 300.0])),
                               [np.log(2 * np.cosh(0.1)), np.log(2 * np.cosh(5.0)),
                                300.0], rtol=1e-13)


def test_transfer_matrix_trace(x64):
    for K, h in ((0.5, 0.0), (0.9, 0.3), (0.2, -0.7)):
        Tm = np.asarray(rg.transfer_matrix_1d(K, h))
        np.testing.assert_allclose(Tm, Tm.T)
        for N in (2, 5, 8):
            assert abs(np.log(np.trace(np.linalg.matrix_power(Tm, N)))
                       - _chain_logz_brute(K, N, h)) < 1e-12
    assert rg.transfer_matrix_1d(jnp.array([0.1, 0.2]), 0.5).shape == (2, 2, 2)


def test_exact_samples_law(x64):
    K, h, N, n = 0.5, 0.3, 6, 200_000
    s = np.asarray(rg.ising_1d_samples(jax.random.key(3), K, N, n, h=h))
    assert s.shape == (n, N) and set(np.unique(s)) == {-1.0, 1.0}
    states = _all_spins(N)
    w = np.exp(K * np.sum(states * np.roll(states, -1, 1), 1) + h * states.sum(1))
    p = w / w.sum()
    code = ((1 - s) / 2) @ (2 ** np.arange(N - 1, -1, -1))
    freq = np.bincount(code.astype(int), minlength=2 ** N) / n
    z = (freq - p) / np.sqrt(p * (1 - p) / n)
    assert np.max(np.abs(z)) < 4.5
    chi2 = np.sum((freq - p) ** 2 / p) * n             # ~ chi2(63): mean 63, sd 11
    assert chi2 < 63 + 5 * 11


def test_exact_samples_correlation_and_dtype():
    s = rg.ising_1d_samples(jax.random.key(0), 0.6, 32, 20_000)
    assert s.dtype == jnp.float32
    c = np.asarray(jnp.mean(s * jnp.roll(s, 1, axis=1), axis=1))
    # periodic chain: <s_i s_{i+1}> = (t + t^{N-1}) / (1 + t^N), t = tanh K
    t = np.tanh(0.6)
    ref = (t + t ** 31) / (1 + t ** 32)
    assert abs(c.mean() - ref) < 4 * c.std() / np.sqrt(len(c))


def test_exact_samples_jit_parity():
    a = rg.ising_1d_samples(jax.random.key(5), 0.4, 10, 50)
    with jax.disable_jit():
        b = rg.ising_1d_samples(jax.random.key(5), 0.4, 10, 50)
    np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- Gaussian

def _random_spd(rng, n, shift=0.5):
    A = rng.normal(size=(n, n))
    return A @ A.T + shift * np.eye(n)


def _schur_np(J, keep):
    hide = [i for i in range(J.shape[0]) if i not in keep]
    Jkk = J[np.ix_(keep, keep)]
    if not hide:
        return Jkk
    return Jkk - J[np.ix_(keep, hide)] @ np.linalg.inv(J[np.ix_(hide, hide)]) @ J[np.ix_(hide, keep)]


def test_gaussian_decimate_schur_and_block_inverse(x64):
    rng = np.random.default_rng(0)
    J = _random_spd(rng, 6)
    for keep in ([0, 1, 2, 3], [5, 0, 3], [2], [4, 1, 0, 2, 3, 5]):
        Jp = np.asarray(rg.gaussian_decimate(J, keep))
        np.testing.assert_allclose(Jp, _schur_np(J, keep), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(np.linalg.inv(Jp), np.linalg.inv(J)[np.ix_(keep, keep)],
                                   rtol=1e-11, atol=1e-12)
        assert np.linalg.eigvalsh(Jp).min() > 0


def test_gaussian_log_partition_additive(x64):
    rng = np.random.default_rng(1)
    J = _random_spd(rng, 6)
    keep, hide = [0, 2, 4, 5], [1, 3]
    ref = 3 * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(J)[1]
    assert abs(float(rg.gaussian_log_partition(J)) - ref) < 1e-12
    lz = rg.gaussian_log_partition(J)
    lzh = rg.gaussian_log_partition(J[np.ix_(hide, hide)])
    lzp = rg.gaussian_log_partition(rg.gaussian_decimate(J, keep))
    assert abs(float(lz - lzh - lzp)) < 1e-12


def test_gaussian_decimate_monotone(x64):
    rng = np.random.default_rng(2)
    for _ in range(20):
        J1 = _random_spd(rng, 5)
        J2 = J1 + _random_spd(rng, 5, shift=0.0) * 0.3      # J1 ⪯ J2
        d = np.asarray(rg.gaussian_decimate(J2, [0, 3, 4]) - rg.gaussian_decimate(J1, [0, 3, 4]))
        assert np.linalg.eigvalsh(d).min() > -1e-10


def test_gaussian_decimate_batched_vmap_jit_dtype(x64):
    rng = np.random.default_rng(3)
    Js = np.stack([_random_spd(rng, 4) for _ in range(5)])
    out = rg.gaussian_decimate(Js, [3, 1])
    loop = np.stack([_schur_np(J, [3, 1]) for J in Js])
    np.testing.assert_allclose(out, loop, rtol=1e-11, atol=1e-12)
    vm = jax.vmap(lambda J: rg.gaussian_decimate(J, [3, 1]))(jnp.asarray(Js))
    np.testing.assert_allclose(vm, loop, rtol=1e-11, atol=1e-12)
    with jax.disable_jit():
        np.testing.assert_allclose(rg.gaussian_decimate(Js, [3, 1]), loop, rtol=1e-11)
    assert rg.gaussian_decimate(Js.astype(np.float32), [3, 1]).dtype == jnp.float32


def test_gaussian_chain_recursion(x64):
    """Nearest-neighbour periodic chain J = a I - b (S + Sᵀ): decimating every other site
    gives a' = a - 2b²/a, b' = b²/a (derived by hand)."""
    n, a, b = 16, 2.3, 1.0
    S = np.roll(np.eye(n), 1, axis=1)
    J = a * np.eye(n) - b * (S + S.T)
    Jp = np.asarray(rg.gaussian_decimate(J, list(range(0, n, 2))))
    S2 = np.roll(np.eye(n // 2), 1, axis=1)
    ref = (a - 2 * b * b / a) * np.eye(n // 2) - (b * b / a) * (S2 + S2.T)
    np.testing.assert_allclose(Jp, ref, atol=1e-12)


# ----------------------------------------------------------------------------- 2-D Ising

def _energy_np(s):
    return -np.sum(s * (np.roll(s, 1, -1) + np.roll(s, 1, -2)))


def _half_sweep_matrix(shape, beta, parity):
    """Exact transition matrix of one checkerboard half-sweep, by enumeration."""
    n = shape[0] * shape[1]
    states = _all_spins(n).reshape(-1, *shape)
    mask = np.asarray(lattice._parity(shape)) == (parity == 0)
    acc = np.asarray(lattice._acceptance(jnp.asarray(states), beta))
    index = {tuple(s.ravel()): i for i, s in enumerate(states)}
    Pm = np.zeros((len(states), len(states)))
    sites = np.argwhere(mask)
    for i, s in enumerate(states):
        for flips in itertools.product([0, 1], repeat=len(sites)):
            t = s.copy()
            pr = 1.0
            for (a, b), f in zip(sites, flips):
                pr *= acc[i, a, b] if f else 1 - acc[i, a, b]
                if f:
                    t[a, b] = -t[a, b]
            Pm[i, index[tuple(t.ravel())]] += pr
    pi = np.exp(-beta * np.array([_energy_np(s) for s in states]))
    return Pm, pi / pi.sum(), states


@pytest.mark.parametrize("shape", [(2, 2), (2, 4)])
def test_metropolis_detailed_balance_by_enumeration(shape, x64):
    beta = 1 / 1.7
    P0, pi, _ = _half_sweep_matrix(shape, beta, 0)
    P1, _, _ = _half_sweep_matrix(shape, beta, 1)
    for Pm in (P0, P1):
        np.testing.assert_allclose(Pm.sum(1), 1, atol=1e-13)
        flow = pi[:, None] * Pm
        np.testing.assert_allclose(flow, flow.T, atol=1e-15)   # detailed balance
    np.testing.assert_allclose(pi @ (P0 @ P1), pi, atol=1e-14)  # a sweep keeps e^{-H/T}


def test_ising_2d_transition_row_matches_enumeration(x64):
    """The public kernel's one-sweep transitions from a fixed 2×2 state = the enumerated row."""
    T, n = 1.7, 400_000
    P0, _, states = _half_sweep_matrix((2, 2), 1 / T, 0)
    P1, _, _ = _half_sweep_matrix((2, 2), 1 / T, 1)
    start = 5
    row = (P0 @ P1)[start]
    s0 = jnp.broadcast_to(jnp.asarray(states[start]), (n, 2, 2))
    out = np.asarray(rg.ising_2d(jax.random.key(7), 2, T, n_sweeps=1, s0=s0).spins)
    code = ((1 - out.reshape(n, 4)) / 2) @ np.array([8, 4, 2, 1])
    freq = np.bincount(code.astype(int), minlength=16) / n
    se = np.sqrt(row * (1 - row) / n) + 1e-12
    assert np.max(np.abs(freq - row) / se) < 5


def test_ising_2d_onsager(x64):
    """Energy above and below T_c, spontaneous magnetisation below, within 4 standard errors
    (s.e. from 16 independent lattices; L = 32, finite-size effects below the noise here)."""
    n_lat = 16
    s0 = jnp.ones((n_lat, 32, 32), jnp.float32)
    for T in (2.0, 3.0):
        run = rg.ising_2d(jax.random.key(11), 32, T, n_sweeps=1500, s0=s0)
        e = np.asarray(run.energy[:, 500:], np.float64).mean(1)
        ref = float(rg.onsager_energy(T))
        assert abs(e.mean() - ref) < 4 * e.std(ddof=1) / np.sqrt(n_lat) + 2e-3
        if T < rg.T_C:
            m = np.asarray(run.magnetisation[:, 500:], np.float64).mean(1)
            mref = float(rg.onsager_magnetisation(T))
            assert abs(m.mean() - mref) < 4 * m.std(ddof=1) / np.sqrt(n_lat) + 2e-3


def test_ising_2d_observables_and_shapes():
    run = rg.ising_2d(jax.random.key(0), 8, 2.5, n_sweeps=7, s0=-jnp.ones((3, 2, 8, 8)))
    assert run.spins.shape == (3, 2, 8, 8) and run.energy.shape == (3, 2, 7)
    s = np.asarray(run.spins)
    np.testing.assert_allclose(run.energy[..., -1], [[_energy_np(x) / 64 for x in y] for y in s],
                               rtol=1e-6)
    np.testing.assert_allclose(run.magnetisation[..., -1], s.mean((-2, -1)), rtol=1e-6)
    assert rg.ising_2d(jax.random.key(0), 4, 2.0, n_sweeps=2).spins.shape == (4, 4)


def test_ising_2d_dtypes(x64):
    s64 = jnp.ones((6, 6), jnp.float64)
    assert rg.ising_2d(jax.random.key(0), 6, 2.0, n_sweeps=3, s0=s64).spins.dtype == jnp.float64
    s32 = jnp.ones((6, 6), jnp.float32)
    assert rg.ising_2d(jax.random.key(0), 6, 2.0, n_sweeps=3, s0=s32).energy.dtype == jnp.float32
    out = rg.ising_2d(jax.random.key(0), 6, 2.0, n_sweeps=3, s0=jnp.ones((6, 6), jnp.int8))
    assert out.spins.dtype == jnp.int8 and set(np.unique(out.spins)) <= {-1, 1}


def test_ising_2d_jit_and_vmap_parity():
    s0 = jnp.ones((2, 8, 8), jnp.float32)
    a = rg.ising_2d(jax.random.key(1), 8, 2.3, n_sweeps=20, s0=s0)
    with jax.disable_jit():
        b = rg.ising_2d(jax.random.key(1), 8, 2.3, n_sweeps=20, s0=s0)
    np.testing.assert_array_equal(a.spins, b.spins)
    np.testing.assert_allclose(a.energy, b.energy, rtol=1e-6)
    keys = jax.random.split(jax.random.key(2), 3)
    f = lambda k, s: rg.ising_2d(k, 8, 2.3, n_sweeps=20, s0=s)
    vm = jax.vmap(f)(keys, jnp.ones((3, 8, 8)))
    for i in range(3):
        one = f(keys[i], jnp.ones((8, 8)))
        np.testing.assert_array_equal(vm.spins[i], one.spins)
        np.testing.assert_allclose(vm.energy[i], one.energy, rtol=1e-6)
    # T is traced: a temperature sweep does not recompile
    Ts = jnp.array([1.5, 2.5, 3.5])
    vt = jax.vmap(lambda T: rg.ising_2d(jax.random.key(0), 8, T, n_sweeps=5).energy)(Ts)
    assert vt.shape == (3, 5)


@pytest.mark.parametrize("axis_type", [jax.sharding.AxisType.Auto, jax.sharding.AxisType.Explicit])
def test_ising_2d_sharded_equals_unsharded(axis_type):
    assert len(jax.devices()) >= 2
    s0 = jnp.ones((4, 16, 16), jnp.float32)
    ref = rg.ising_2d(jax.random.key(0), 16, 2.4, n_sweeps=30, s0=s0)
    mesh = jax.make_mesh((2,), ("lattices",), axis_types=(axis_type,))
    ss = jax.device_put(s0, NamedSharding(mesh, P("lattices")))
    ctx = jax.set_mesh(mesh) if axis_type == jax.sharding.AxisType.Explicit else _null()
    with ctx:
        out = rg.ising_2d(jax.random.key(0), 16, 2.4, n_sweeps=30, s0=ss)
    assert len(out.spins.sharding.device_set) == 2
    np.testing.assert_array_equal(out.spins, ref.spins)
    np.testing.assert_allclose(out.energy, ref.energy, rtol=1e-6)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _block_np(s, b):
    L = s.shape[-1]
    out = np.empty(s.shape[:-2] + (L // b, L // b), s.dtype)
    for I in range(L // b):
        for J in range(L // b):
            blk = s[..., I * b:(I + 1) * b, J * b:(J + 1) * b]
            tot = blk.sum((-2, -1))
            out[..., I, J] = np.where(tot > 0, 1, np.where(tot < 0, -1, blk[..., 0, 0]))
    return out


def test_block_spin_majority_and_ties():
    rng = np.random.default_rng(0)
    s = rng.choice([-1.0, 1.0], size=(3, 12, 12))
    for b in (1, 2, 3, 4, 6):
        np.testing.assert_array_equal(rg.block_spin(s, b), _block_np(s, b))
    tie = np.array([[-1, 1], [1, -1]])
    assert int(rg.block_spin(tie, 2)[0, 0]) == -1
    assert int(rg.block_spin(-tie, 2)[0, 0]) == 1
    assert rg.block_spin(jnp.ones((4, 4), jnp.int8), 2).dtype == jnp.int8
    vm = jax.vmap(lambda x: rg.block_spin(x, 3))(jnp.asarray(s))
    np.testing.assert_array_equal(vm, _block_np(s, 3))


def test_onsager_against_scipy(x64):
    T = np.array([0.5, 1.0, 1.8, 2.2, 2.26, 2.28, 2.6, 4.0, 10.0])
    b2 = 2 / T
    k = 2 * np.sinh(b2) / np.cosh(b2) ** 2
    ref = -1 / np.tanh(b2) * (1 + 2 / np.pi * (2 * np.tanh(b2) ** 2 - 1) * scipy.special.ellipk(k ** 2))
    np.testing.assert_allclose(rg.onsager_energy(T), ref, rtol=1e-12)
    assert abs(float(rg.onsager_energy(rg.T_C)) + np.sqrt(2)) < 1e-12
    assert abs(rg.T_C - 2.269185314213022) < 1e-14
    m = np.asarray(rg.onsager_magnetisation(T))
    ref_m = np.where(T < rg.T_C, np.clip(1 - np.sinh(b2) ** -4, 0, None) ** 0.125, 0)
    np.testing.assert_allclose(m, ref_m, rtol=1e-13)
    # u = d(βf)/dβ: compare with the numerical derivative of Onsager's free energy integral
    from scipy.integrate import dblquad

    def beta_f(beta):
        c, s = np.cosh(2 * beta), np.sinh(2 * beta)
        integ, _ = dblquad(lambda x, y: np.log(c * c - s * (np.cos(x) + np.cos(y))),
                           0, np.pi, 0, np.pi, epsabs=1e-12)
        return -(np.log(2) + integ / (2 * np.pi ** 2))

    beta, h = 1 / 3.0, 1e-4
    u_num = (beta_f(beta + h) - beta_f(beta - h)) / (2 * h)
    assert abs(u_num - float(rg.onsager_energy(3.0))) < 1e-6


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize("call,match", [
    (lambda: rg.decimate_ising_1d(0.0), r"decimate_ising_1d: `K` must be finite and > 0"),
    (lambda: rg.decimate_ising_1d(-1.0), r"decimate_ising_1d: `K` must be finite and > 0"),
    (lambda: rg.decimate_ising_1d(np.nan), r"decimate_ising_1d: `K` must be finite"),
    (lambda: rg.decimation_flow_1d(-0.1, 3), r"decimation_flow_1d: `K` must be finite and > 0"),
    (lambda: rg.decimation_flow_1d(0.5, 0), r"decimation_flow_1d: `n_steps` must be >= 1"),
    (lambda: rg.decimation_flow_1d(0.5, 2.0), r"decimation_flow_1d: `n_steps` must be a Python int"),
    (lambda: rg.ising_free_energy_1d(0.0), r"ising_free_energy_1d: `K` must be finite and > 0"),
    (lambda: rg.ising_free_energy_1d(0.5, 0), r"ising_free_energy_1d: `N` must be >= 1"),
    (lambda: rg.transfer_matrix_1d(-0.5), r"transfer_matrix_1d: `K` must be finite and > 0"),
    (lambda: rg.transfer_matrix_1d(0.5, np.inf), r"transfer_matrix_1d: `h` must be finite"),
    (lambda: rg.ising_1d_samples(jax.random.key(0), 0.0, 8, 4),
     r"ising_1d_samples: `K` must be finite and > 0"),
    (lambda: rg.ising_1d_samples(jax.random.key(0), 0.5, 1, 4), r"ising_1d_samples: `N` must be >= 2"),
    (lambda: rg.ising_1d_samples(jax.random.key(0), 0.5, 8, 0),
     r"ising_1d_samples: `n_samples` must be >= 1"),
    (lambda: rg.ising_1d_samples(jax.random.key(0), jnp.array([0.5, 0.6]), 8, 4),
     r"ising_1d_samples: `K` must be a scalar"),
    (lambda: rg.ising_1d_samples(jax.random.key(0), 0.5, 8, 4, h=np.nan),
     r"ising_1d_samples: `h` must be finite"),
    (lambda: rg.gaussian_decimate(np.array([[1.0, 2.0], [2.0, 1.0]]), [0]),
     r"gaussian_decimate: `J` must be symmetric positive definite; got a matrix with smallest"),
    (lambda: rg.gaussian_decimate(np.array([[1.0, 0.5], [0.0, 1.0]]), [0]),
     r"gaussian_decimate: `J` must be symmetric positive definite; got a matrix with relative"),
    (lambda: rg.gaussian_decimate(np.ones((2, 3)), [0]), r"gaussian_decimate: `J` must be a"),
    (lambda: rg.gaussian_decimate(np.eye(3), [0, 3]),
     r"gaussian_decimate: `keep` must hold indices in \[0, 2\]"),
    (lambda: rg.gaussian_decimate(np.eye(3), [-1]),
     r"gaussian_decimate: `keep` must hold indices in \[0, 2\]"),
    (lambda: rg.gaussian_decimate(np.eye(3), [1, 1]), r"gaussian_decimate: `keep` must not repeat"),
    (lambda: rg.gaussian_decimate(np.eye(3), []), r"gaussian_decimate: `keep` must be a non-empty"),
    (lambda: rg.gaussian_decimate(np.eye(3), [[0, 1]]), r"gaussian_decimate: `keep` must be a non-empty 1-D"),
    (lambda: rg.gaussian_decimate(np.eye(3), [0.5]), r"gaussian_decimate: `keep` must hold integer"),
    (lambda: rg.gaussian_log_partition(-np.eye(2)),
     r"gaussian_log_partition: `J` must be symmetric positive definite"),
    (lambda: rg.ising_2d(jax.random.key(0), 7, 2.0, n_sweeps=1), r"ising_2d: `L` must be even"),
    (lambda: rg.ising_2d(jax.random.key(0), 0, 2.0, n_sweeps=1), r"ising_2d: `L` must be >= 2"),
    (lambda: rg.ising_2d(jax.random.key(0), 8.0, 2.0, n_sweeps=1), r"ising_2d: `L` must be a Python int"),
    (lambda: rg.ising_2d(jax.random.key(0), 8, 0.0, n_sweeps=1), r"ising_2d: `T` must be finite and > 0"),
    (lambda: rg.ising_2d(jax.random.key(0), 8, -1.0, n_sweeps=1), r"ising_2d: `T` must be finite and > 0"),
    (lambda: rg.ising_2d(jax.random.key(0), 8, 2.0, n_sweeps=0), r"ising_2d: `n_sweeps` must be >= 1"),
    (lambda: rg.ising_2d(jax.random.key(0), 8, 2.0, n_sweeps=1, s0=jnp.ones((6, 6))),
     r"ising_2d: `s0` must have shape \[..., L, L\] = \[..., 8, 8\]; got shape \(6, 6\)"),
    (lambda: rg.ising_2d(jax.random.key(0), 4, 2.0, n_sweeps=1, s0=jnp.zeros((4, 4))),
     r"ising_2d: `s0` must hold spins ±1 only"),
    (lambda: rg.block_spin(jnp.ones((6, 6)), 4), r"block_spin: `b` must divide `L` = 6"),
    (lambda: rg.block_spin(jnp.ones((6, 6)), 0), r"block_spin: `b` must be >= 1"),
    (lambda: rg.block_spin(jnp.ones((6, 4)), 2), r"block_spin: `s` must have shape \[..., L, L\]"),
    (lambda: rg.block_spin(2 * jnp.ones((4, 4)), 2), r"block_spin: `s` must hold spins ±1 only"),
    (lambda: rg.onsager_energy(0.0), r"onsager_energy: `T` must be finite and > 0"),
    (lambda: rg.onsager_magnetisation(-2.0), r"onsager_magnetisation: `T` must be finite and > 0"),
])
def test_validation_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
