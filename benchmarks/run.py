"""Benchmarks: geobook against peer libraries on the same inputs, in one process.

Usage:  python benchmarks/run.py [--quick] [--repeats N]

For each problem every implementation is first called once (compile / warm-up, timed
separately), then timed ``repeats`` times; the table reports medians and the ratio of
geobook's median to each peer's.  Results go to ``benchmarks/results/<problem>_<platform>.json``,
which the book's appendix renders.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
from geobook import sde  # noqa: E402


def _time(fn, repeats):
    t = time.perf_counter(); fn(); first = time.perf_counter() - t
    runs = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); runs.append(time.perf_counter() - t)
    return first, statistics.median(runs), runs


def moment_agreement(a, b):
    """Largest |difference| of the per-coordinate means and second moments of two walker
    ensembles ``[n, d]``, in standard errors of the difference (independent samples)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    z = []
    for f in (lambda x: x, lambda x: x * x):
        fa, fb = f(a), f(b)
        se = np.sqrt(fa.var(0) / len(fa) + fb.var(0) / len(fb))
        z.append(np.abs(fa.mean(0) - fb.mean(0)) / se)
    return float(np.max(z))


# --- problem 1: 2-D double-well Langevin ------------------------------------------------
def langevin_problem(n_walkers, n_steps, T=0.5, dt=1e-3):
    def grad_H(q):                       # H = (x^2 - 1)^2 + y^2/2, one walker q = (x, y)
        return jnp.stack([4 * q[0] * (q[0] ** 2 - 1), q[1]])

    q0 = np.zeros((n_walkers, 2), np.float32)
    q0[:, 0] = 1.0

    def geobook_run(q0_dev):
        return lambda: sde.langevin(jax.random.key(0), grad_H, q0_dev, T=T, dt=dt,
                                    n_steps=n_steps).q.block_until_ready()

    def numpy_run():
        rng = np.random.default_rng(0)
        q = q0.copy()
        s = np.float32(np.sqrt(2 * T * dt)); dt32 = np.float32(dt)
        g = np.empty_like(q)
        for _ in range(n_steps):
            x = q[:, 0]
            g[:, 0] = 4 * x * (x * x - 1)
            g[:, 1] = q[:, 1]
            q -= dt32 * g
            q += s * rng.standard_normal(q.shape, dtype=np.float32)
        return q

    impls = {"geobook (1 device)": geobook_run(jnp.asarray(q0))}
    if len(jax.devices()) > 1:
        from jax.sharding import NamedSharding, PartitionSpec as P
        mesh = jax.make_mesh((len(jax.devices()),), ("walkers",),
                             axis_types=(jax.sharding.AxisType.Auto,))
        qs = jax.device_put(jnp.asarray(q0), NamedSharding(mesh, P("walkers")))
        impls[f"geobook (sharded, {len(jax.devices())} devices)"] = geobook_run(qs)
    impls["numpy"] = numpy_run
    extra = {"moments_diff_over_se_vs_numpy": moment_agreement(
        impls["geobook (1 device)"](), numpy_run())}
    try:
        import diffrax
        import lineax as lx

        def drift(t, y, args):
            q = y.reshape(-1, 2)
            return -jnp.stack([4 * q[:, 0] * (q[:, 0] ** 2 - 1), q[:, 1]], 1).reshape(-1)

        sig = np.float32(np.sqrt(2 * T))

        @jax.jit
        def solve(y0, key):
            bm = diffrax.UnsafeBrownianPath(shape=jax.ShapeDtypeStruct(y0.shape, y0.dtype), key=key, levy_area=diffrax.BrownianIncrement)
            terms = diffrax.MultiTerm(
                diffrax.ODETerm(drift),
                diffrax.ControlTerm(lambda t, y, a: lx.DiagonalLinearOperator(sig * jnp.ones_like(y)), bm))
            sol = diffrax.diffeqsolve(terms, diffrax.Euler(), 0.0, n_steps * dt, dt, y0,
                                      saveat=diffrax.SaveAt(t1=True), max_steps=n_steps + 2,
                                      adjoint=diffrax.ForwardMode())
            return sol.ys

        y0 = jnp.asarray(q0.reshape(-1))
        impls["diffrax (Euler)"] = lambda: solve(y0, jax.random.key(0)).block_until_ready()
    except ImportError:
        pass
    return impls, extra


# --- problem 2: Adam on the 1000-dimensional Rosenbrock function ------------------------
def metric_langevin_problem(n_walkers, n_steps, T=0.5, dt=1e-3, c=1.0):
    """Riemannian Langevin (the Laplace-Beltrami correction, Cholesky noise) on the 2-D double
    well with the full metric g(q) = I + c q q^T, against a NumPy loop of the same scheme
    with the correction and the 2x2 Cholesky factor written out by hand
    (``metric_drift_numpy``)."""
    def grad_H(q):
        return jnp.stack([4 * q[0] * (q[0] ** 2 - 1), q[1]])

    def metric(q):
        return jnp.eye(2, dtype=q.dtype) + c * jnp.outer(q, q)

    q0 = np.zeros((n_walkers, 2), np.float32)
    q0[:, 0] = 1.0

    def geobook_run():
        return sde.langevin(jax.random.key(0), grad_H, jnp.asarray(q0), T=T, dt=dt,
                            n_steps=n_steps, metric=metric).q.block_until_ready()

    def numpy_run():
        rng = np.random.default_rng(0)
        q = q0.copy()
        f32 = np.float32
        dt32, s2T, sq = f32(dt), f32(np.sqrt(2 * T)), f32(np.sqrt(dt))
        for _ in range(n_steps):
            a, (l11, l21, l22) = metric_drift_numpy(q, T, c)
            z = rng.standard_normal(q.shape, dtype=np.float32)
            q[:, 0] += a[:, 0] * dt32 + s2T * sq * (l11 * z[:, 0])
            q[:, 1] += a[:, 1] * dt32 + s2T * sq * (l21 * z[:, 0] + l22 * z[:, 1])
        return q

    extra = {"moments_diff_over_se_vs_numpy": moment_agreement(geobook_run(), numpy_run())}
    return {"geobook (1 device)": geobook_run, "numpy (same scheme)": numpy_run}, extra


def metric_drift_numpy(q, T, c):
    """Drift and Cholesky factor of g^-1 for g = I + c q q^T in d = 2, by hand (NumPy).

    g^-1 = I - c q q^T / s with s = 1 + c r^2;  d_nu g^{mu nu} = -c q_mu ((d + 1)/s - 2 c r^2/s^2);
    |g| = s, so g^-1 grad(log sqrt|g|) = c q / s^2.  The Riemannian drift is
    -g^-1 grad H + T (d_nu g^{mu nu} + g^-1 grad log sqrt|g|)."""
    x, y = q[:, 0], q[:, 1]
    r2 = x * x + y * y
    s = 1 + c * r2
    gx, gy = 4 * x * (x * x - 1), y
    qg = x * gx + y * gy
    ginv_grad = np.stack([gx - c * x * qg / s, gy - c * y * qg / s], 1)
    corr = (-c * (3 / s - 2 * c * r2 / s ** 2) + c / s ** 2)[:, None] * q
    a = -ginv_grad + T * corr
    G11, G21, G22 = 1 - c * x * x / s, -c * x * y / s, 1 - c * y * y / s
    l11 = np.sqrt(G11)
    l21 = G21 / l11
    l22 = np.sqrt(G22 - l21 * l21)
    return a, (l11, l21, l22)


def adam_problem(dim, n_steps, lr=1e-3):
    import optax

    from geobook import optim
    x0 = jnp.full((dim,), -1.0, jnp.float64).at[::2].set(1.2)
    grad = jax.grad(lambda x: optim.rosenbrock(x))

    def make(opt):
        @jax.jit
        def run(x):
            def step(carry, _):
                x, s = carry
                u, s = opt.update(grad(x), s, x)
                return (x + u, s), None
            (x, _), _ = jax.lax.scan(step, (x, opt.init(x)), None, length=n_steps)
            return x
        return run

    ours, theirs = make(optim.adam(lr)), make(optax.adam(lr))
    diff = float(jnp.max(jnp.abs(ours(x0) - theirs(x0))))
    return {"geobook.optim.adam": lambda: ours(x0).block_until_ready(),
            "optax.adam": lambda: theirs(x0).block_until_ready()}, {"max_iterate_difference": diff}


# --- problem 3: cost of one full-CGD step against the dimension K -------------------------
def cgd_scaling(dims, repeats):
    from geobook import optim
    rows = {}
    for K in dims:
        opt = optim.cgd(1e-3, alpha=0.5, structure="full")
        g = jax.random.normal(jax.random.key(0), (K,), jnp.float64)
        step = jax.jit(opt.update)
        s = opt.init(g)
        first, med, runs = _time(lambda: jax.block_until_ready(step(g, s)), repeats)
        rows[str(K)] = {"first_call_s": first, "median_s": med, "runs_s": runs}
        print(f"  K = {K:5d}: one full CGD step {med * 1e3:9.3f} ms")
    return rows


# --- problem 4: entropic OT between two 2-D clouds (ott-jax, POT) -------------------------
def sinkhorn_problem(n, tol=1e-6):
    import ot
    from ott.geometry import pointcloud
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn as ott_sinkhorn

    from geobook import transport
    x = jax.random.normal(jax.random.key(0), (n, 2), jnp.float64)
    y = jax.random.uniform(jax.random.key(1), (n, 2), jnp.float64, -1.0, 1.0) + jnp.array([1.0, 0.5])
    C = transport.sq_euclidean_cost(x, y)
    eps = 0.05 * float(C.mean())
    ours = jax.jit(lambda x, y: transport.sinkhorn(x, y, eps, tol=tol, max_iter=20_000))
    solver = ott_sinkhorn.Sinkhorn(threshold=tol, norm_error=1, lse_mode=True, max_iterations=20_000)
    theirs = jax.jit(lambda x, y: solver(linear_problem.LinearProblem(
        pointcloud.PointCloud(x, y, epsilon=eps))))
    Cn, w = np.asarray(C), np.full(n, 1.0 / n)
    pot = lambda: ot.bregman.sinkhorn_log(w, w, Cn, eps, numItermax=20_000, stopThr=tol)
    t = time.perf_counter(); r = jax.block_until_ready(ours(x, y)); c_ours = time.perf_counter() - t
    t = time.perf_counter(); o = jax.block_until_ready(theirs(x, y)); c_ott = time.perf_counter() - t
    P = pot()
    ott_P = np.asarray(o.matrix)
    l1 = lambda P: float(np.abs(P.sum(1) - w).sum() + np.abs(P.sum(0) - w).sum())
    meta = {"eps": eps, "geobook_cost": float(r.cost), "geobook_iterations": int(r.n_iter),
            "geobook_l1_error": float(r.error), "ott_cost": float(np.sum(ott_P * Cn)),
            "ott_iterations": int(np.sum(np.asarray(o.errors) > -1)) * solver.inner_iterations,
            "ott_l1_error": l1(ott_P), "pot_cost": float(np.sum(P * Cn)), "pot_l1_error": l1(P),
            "geobook_first_call_with_compile_s": c_ours, "ott_first_call_with_compile_s": c_ott}
    meta["cost_rel_diff_vs_ott"] = abs(meta["geobook_cost"] - meta["ott_cost"]) / meta["ott_cost"]
    return {"geobook.transport.sinkhorn": lambda: ours(x, y).f.block_until_ready(),
            "ott-jax Sinkhorn (lse, jit)": lambda: theirs(x, y).f.block_until_ready(),
            "POT sinkhorn_log": pot}, meta


def sinkhorn_batch_problem(B, n, tol=1e-6):
    """B problems of the sinkhorn problem's kind (clouds scaled and shifted per problem)."""
    from ott.geometry import pointcloud
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn as ott_sinkhorn

    from geobook import transport
    k = jax.random.split(jax.random.key(0), 2)
    scale = jnp.linspace(0.7, 1.5, B)[:, None, None]
    x = jax.random.normal(k[0], (B, n, 2), jnp.float64) * scale
    y = jax.random.uniform(k[1], (B, n, 2), jnp.float64, -1.0, 1.0) + jnp.array([1.0, 0.5])
    eps = 0.05 * jax.vmap(lambda x, y: transport.sq_euclidean_cost(x, y).mean())(x, y)
    batch = jax.jit(lambda x, y, e: transport.sinkhorn_batch(x, y, e, tol=tol, max_iter=20_000))
    vmapped = jax.jit(jax.vmap(lambda x, y, e: transport.sinkhorn(x, y, e, tol=tol, max_iter=20_000)))
    solver = ott_sinkhorn.Sinkhorn(threshold=tol, norm_error=1, lse_mode=True, max_iterations=20_000)
    theirs = jax.jit(jax.vmap(lambda x, y, e: solver(linear_problem.LinearProblem(
        pointcloud.PointCloud(x, y, epsilon=e)))))
    r = jax.block_until_ready(batch(x, y, eps))
    v = jax.block_until_ready(vmapped(x, y, eps))
    primal = lambda x, y, e: jnp.sum(solver(linear_problem.LinearProblem(pointcloud.PointCloud(
        x, y, epsilon=e))).matrix * transport.sq_euclidean_cost(x, y))
    ott_cost = np.asarray(jax.jit(jax.vmap(primal))(x, y, eps))
    meta = {"batch_vs_vmap_max_rel_cost_diff": float(np.max(np.abs(np.asarray(r.cost - v.cost)) / np.asarray(v.cost))),
            "batch_vs_ott_max_rel_cost_diff": float(np.max(np.abs(np.asarray(r.cost) - ott_cost) / ott_cost)),
            "geobook_max_l1_error": float(np.max(np.asarray(r.error))),
            "geobook_iterations": [int(i) for i in np.asarray(r.n_iter)]}
    return {"geobook.transport.sinkhorn_batch": lambda: batch(x, y, eps).f.block_until_ready(),
            "geobook vmap(transport.sinkhorn)": lambda: vmapped(x, y, eps).f.block_until_ready(),
            "ott-jax vmap(Sinkhorn) (lse, jit)": lambda: theirs(x, y, eps).f.block_until_ready()}, meta


# --- problem 5: Gaussian W2 of many pairs (POT) ------------------------------------------
def gaussian_w2_problem(n_pairs, d):
    import ot

    from geobook import cones, transport
    k = jax.random.split(jax.random.key(0), 4)
    S0 = cones.random_spd(k[0], d, shape=(n_pairs,), dtype=jnp.float64)
    S1 = cones.random_spd(k[1], d, shape=(n_pairs,), dtype=jnp.float64)
    m0 = jax.random.normal(k[2], (n_pairs, d), jnp.float64)
    m1 = jax.random.normal(k[3], (n_pairs, d), jnp.float64)
    ours = jax.jit(transport.gaussian_w2)
    npa = [np.asarray(v) for v in (m0, m1, S0, S1)]

    def pot():   # POT's batched, paired form (NumPy backend)
        return ot.gaussian.bures_wasserstein_distance(*npa, paired=True) ** 2
    diff = float(np.max(np.abs(np.asarray(ours(m0, S0, m1, S1)) - pot())))
    return {"geobook.transport.gaussian_w2": lambda: ours(m0, S0, m1, S1).block_until_ready(),
            "POT bures_wasserstein_distance (paired)": pot}, {"max_abs_difference": diff}


OUT = ROOT / "results"


def run_problem(name, impls, repeats, meta):
    rows = {}
    for label, fn in impls.items():
        first, med, runs = _time(fn, repeats)
        rows[label] = {"first_call_s": first, "median_s": med, "runs_s": runs}
        print(f"  {label:34s} first {first:8.3f} s   median {med:8.3f} s", flush=True)
    geo = [k for k in rows if k.startswith("geobook")]
    best_geo = min(geo, key=lambda k: rows[k]["median_s"])
    ratios = {peer: rows[best_geo]["median_s"] / rows[peer]["median_s"]
              for peer in rows if not peer.startswith("geobook")}
    for peer, r in ratios.items():
        print(f"  ratio {best_geo} / {peer}: {r:.3f}")
    by_row = {g: {peer: rows[g]["median_s"] / rows[peer]["median_s"]
                  for peer in rows if not peer.startswith("geobook")} for g in geo}
    out = {"problem": name, "rows": rows, "best_geobook": best_geo, "ratios": ratios,
           "ratios_by_row": by_row, **meta}
    path = OUT / f"{name}_{meta['platform']}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"  wrote {path}")
    return out


PROBLEMS = ("langevin", "langevin_metric", "adam", "cgd_scaling", "sinkhorn", "sinkhorn_batch", "gaussian_w2",
            "schrodinger_eigen", "schrodinger_split_step", "rbm_pcd", "karcher_mean",
            "affine_distance", "ising")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None,
                    help="problems to run (" + " ".join(PROBLEMS) + ")")
    ap.add_argument("--out", default=None, help="folder for the JSON results (default: benchmarks/results)")
    args = ap.parse_args(argv)
    ap_out = args.out
    global OUT
    OUT = Path(ap_out) if ap_out else ROOT / "results"
    OUT.mkdir(parents=True, exist_ok=True)
    want = lambda name: args.only is None or name in args.only
    meta = {"platform": jax.devices()[0].platform, "devices": [str(d) for d in jax.devices()],
            "device_kind": jax.devices()[0].device_kind, "jax": jax.__version__,
            "numpy": np.__version__, "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "quick": args.quick}
    if args.quick:
        meta["platform"] += "_quick"
    if want("langevin"):
        n_w, n_s = (2_000, 200) if args.quick else (100_000, 2_000)
        m1 = {**meta, "size": f"{n_w} walkers x {n_s} steps, 2-D double well, float32"}
        print(f"langevin: {m1['size']} on {meta['device_kind']} ({len(jax.devices())} devices)")
        impls, extra = langevin_problem(n_w, n_s)
        m1.update(extra)
        print(f"  moments geobook vs numpy: {extra['moments_diff_over_se_vs_numpy']:.2f} s.e.")
        run_problem("langevin", impls, args.repeats, m1)

    if want("langevin_metric"):
        n_w, n_s = (2_000, 200) if args.quick else (20_000, 2_000)
        mm = {**meta, "size": f"{n_w} walkers x {n_s} steps, 2-D double well, metric "
              "g = I + q q^T, Riemannian correction, float32"}
        print(f"langevin_metric: {mm['size']}")
        impls, extra = metric_langevin_problem(n_w, n_s)
        mm.update(extra)
        print(f"  moments geobook vs numpy: {extra['moments_diff_over_se_vs_numpy']:.2f} s.e.")
        run_problem("langevin_metric", impls, args.repeats, mm)

    if want("ising"):
        from rg_bench import ising_problem
        L, n_sw = (64, 200) if args.quick else (256, 1000)
        impls, extra = ising_problem(L=L, n_sweeps=n_sw)
        m12 = {**meta, **extra, "size": f"{L}^2 Ising lattice at T = 2.269, {n_sw} checkerboard "
               "Metropolis sweeps, float32"}
        print(f"ising: {m12['size']}; energy difference {extra['energy_diff_over_se']:.2f} s.e.")
        run_problem("ising", impls, args.repeats, m12)

    with jax.enable_x64(True):
        if want("adam"):
            dim, steps = (50, 200) if args.quick else (1000, 10_000)
            impls, extra = adam_problem(dim, steps)
            m2 = {**meta, "size": f"Rosenbrock d = {dim}, {steps} Adam steps in lax.scan, float64",
                  "max_iterate_difference": extra["max_iterate_difference"]}
            print(f"adam: {m2['size']}; max iterate difference {extra['max_iterate_difference']:.1e}")
            run_problem("adam", impls, args.repeats, m2)
        if want("cgd_scaling"):
            dims = [10, 30] if args.quick else [10, 30, 100, 300, 1000]
            print("cgd_scaling: one full CGD step (alpha = 1/2), float64")
            rows = cgd_scaling(dims, max(args.repeats, 5))
            out = {"problem": "cgd_scaling", "rows": rows, **meta,
                   "size": "one jitted full-CGD update (eigh of K x K), float64"}
            (OUT / f"cgd_scaling_{meta['platform']}.json").write_text(json.dumps(out, indent=1))
        if want("sinkhorn"):
            n = 200 if args.quick else 2000
            impls, extra = sinkhorn_problem(n)
            m4 = {**meta, **extra, "size": f"entropic OT, n = m = {n} in 2-D, N(0, I) to "
                  f"U([-1, 1]^2) + (1, 0.5), eps = 0.05 x mean cost, float64, L1 marginal tol 1e-6"}
            print(f"sinkhorn: {m4['size']}")
            print("  " + ", ".join(f"{k} {v:.6g}" for k, v in extra.items()))
            run_problem("sinkhorn", impls, args.repeats, m4)
        if want("sinkhorn_batch"):
            B, n = (4, 100) if args.quick else (16, 500)
            impls, extra = sinkhorn_batch_problem(B, n)
            m6 = {**meta, **extra, "size": f"{B} entropic OT problems, n = m = {n} in 2-D (the sinkhorn "
                  f"problem with per-problem scales), eps = 0.05 x mean cost each, float64, L1 tol 1e-6"}
            print(f"sinkhorn_batch: {m6['size']}")
            print("  " + ", ".join(f"{k} {v}" for k, v in extra.items()))
            run_problem("sinkhorn_batch", impls, args.repeats, m6)
        if want("gaussian_w2"):
            n_pairs = 100 if args.quick else 2000
            impls, extra = gaussian_w2_problem(n_pairs, 10)
            m5 = {**meta, **extra, "size": f"Gaussian W2^2 of {n_pairs} pairs in d = 10, float64"}
            print(f"gaussian_w2: {m5['size']}; max abs difference {extra['max_abs_difference']:.1e}")
            run_problem("gaussian_w2", impls, args.repeats, m5)
        if want("schrodinger_eigen"):
            from schrodinger_bench import eigen_problem
            N = 512 if args.quick else 4096
            impls, extra = eigen_problem(N=N, n=4)
            m7 = {**meta, **extra, "size": f"4 lowest eigenpairs of V = 4(x^2 - 1)^2 on {N} "
                  "points (Dirichlet, three-point Laplacian), float64"}
            print(f"schrodinger_eigen: {m7['size']}; max rel eigenvalue difference "
                  f"{extra['max_rel_eigenvalue_diff']:.1e}")
            run_problem("schrodinger_eigen", impls, max(args.repeats, 5), m7)
        if want("schrodinger_split_step"):
            from schrodinger_bench import split_step_problem
            steps = 500 if args.quick else 10_000
            impls, extra = split_step_problem(N=4096, n_steps=steps)
            m8 = {**meta, **extra, "size": f"{steps} real-time Strang split-step steps of a "
                  "4096-point wave packet, complex128"}
            print(f"schrodinger_split_step: {m8['size']}; max abs difference vs NumPy "
                  f"{extra['max_abs_diff_vs_numpy']:.1e}")
            run_problem("schrodinger_split_step", impls, args.repeats, m8)
        if want("rbm_pcd"):
            from boltzmann_bench import rbm_pcd_problem
            n_epochs = 2 if args.quick else 10
            impls, extra = rbm_pcd_problem(n_epochs=n_epochs, n_betas=500 if args.quick else 2000,
                                           n_seeds=2 if args.quick else 5)
            m9 = {**meta, **extra, "size": "binarised 8x8 digits (1797 x 64), 64 hidden units, "
                  f"PCD-1, batch 10, learning rate 0.05, {n_epochs} epochs"}
            print(f"rbm_pcd: {m9['size']}; AIS log-likelihood per digit geobook "
                  f"{extra['geobook_ais_loglik_per_digit']:.2f}, scikit-learn "
                  f"{extra['sklearn_ais_loglik_per_digit']:.2f}")
            run_problem("rbm_pcd", impls, args.repeats, m9)
        if want("karcher_mean"):
            from cones_bench import karcher_problem
            N = 50 if args.quick else 500
            impls, extra = karcher_problem(N=N, n=16)
            m10 = {**meta, **extra, "size": f"Karcher mean of {N} SPD 16x16 matrices, "
                   "Riemannian-gradient tolerance 1e-10, float64"}
            print(f"karcher_mean: {m10['size']}")
            run_problem("karcher_mean", impls, args.repeats, m10)
        if want("affine_distance"):
            from cones_bench import distance_problem
            n_pairs = 500 if args.quick else 10_000
            impls, extra = distance_problem(n_pairs=n_pairs, n=8)
            m11 = {**meta, **extra, "size": f"{n_pairs} affine-invariant distances between "
                   "8x8 SPD pairs, float64"}
            print(f"affine_distance: {m11['size']}")
            run_problem("affine_distance", impls, args.repeats, m11)


if __name__ == "__main__":
    main()
