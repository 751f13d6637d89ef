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
from geobook import sde  # noqa: E402


def _time(fn, repeats):
    t = time.perf_counter(); fn(); first = time.perf_counter() - t
    runs = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); runs.append(time.perf_counter() - t)
    return first, statistics.median(runs), runs


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
    return impls


# --- problem 2: Adam on the 1000-dimensional Rosenbrock function ------------------------
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
    out = {"problem": name, "rows": rows, "best_geobook": best_geo, "ratios": ratios, **meta}
    path = ROOT / "results" / f"{name}_{meta['platform']}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"  wrote {path.relative_to(ROOT.parent)}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    meta = {"platform": jax.devices()[0].platform, "devices": [str(d) for d in jax.devices()],
            "device_kind": jax.devices()[0].device_kind, "jax": jax.__version__,
            "numpy": np.__version__, "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "quick": args.quick}
    n_w, n_s = (2_000, 200) if args.quick else (100_000, 2_000)
    meta["size"] = f"{n_w} walkers x {n_s} steps, 2-D double well, float32"
    print(f"langevin: {meta['size']} on {meta['device_kind']} ({len(jax.devices())} devices)")
    if args.quick:
        meta["platform"] += "_quick"
    run_problem("langevin", langevin_problem(n_w, n_s), args.repeats, meta)

    with jax.enable_x64(True):
        dim, steps = (50, 200) if args.quick else (1000, 10_000)
        impls, extra = adam_problem(dim, steps)
        m2 = {**meta, "size": f"Rosenbrock d = {dim}, {steps} Adam steps in lax.scan, float64",
              "max_iterate_difference": extra["max_iterate_difference"]}
        print(f"adam: {m2['size']}; max iterate difference {extra['max_iterate_difference']:.1e}")
        run_problem("adam", impls, args.repeats, m2)
        dims = [10, 30] if args.quick else [10, 30, 100, 300, 1000]
        print("cgd_scaling: one full CGD step (alpha = 1/2), float64")
        rows = cgd_scaling(dims, max(args.repeats, 5))
        out = {"problem": "cgd_scaling", "rows": rows, **meta,
               "size": "one jitted full-CGD update (eigh of K x K), float64"}
        (ROOT / "results" / f"cgd_scaling_{meta['platform']}.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
