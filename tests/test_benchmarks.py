"""The benchmark runner works end to end (quick sizes, into a temporary folder).

This is a smoke test of the harness, not a timing test: it checks that every problem runs,
that geobook and its peers agree on the same inputs, and that the result files have the
fields the appendix reads. Timings are not asserted.
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_benchmark_runner_quick(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    env.pop("JAX_PLATFORMS", None)
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--repeats", "1",
                        "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    names = {p.name for p in tmp_path.glob("*.json")}
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import PROBLEMS
    assert names == {f"{n}_cpu_quick.json" for n in PROBLEMS}
    for name in names - {"cgd_scaling_cpu_quick.json"}:
        res = json.loads((tmp_path / name).read_text())
        assert res["best_geobook"].startswith("geobook") and res["ratios"]
        assert all(v["median_s"] > 0 for v in res["rows"].values())
    for name in ("langevin", "langevin_metric"):
        # the same Euler–Maruyama chain in law: only sampling separates the two ensembles
        res = json.loads((tmp_path / f"{name}_cpu_quick.json").read_text())
        assert res["moments_diff_over_se_vs_numpy"] < 5
        assert set(res["ratios_by_row"]) == {k for k in res["rows"] if k.startswith("geobook")}
    adam = json.loads((tmp_path / "adam_cpu_quick.json").read_text())
    assert adam["max_iterate_difference"] < 1e-12
    sk = json.loads((tmp_path / "sinkhorn_cpu_quick.json").read_text())
    assert sk["cost_rel_diff_vs_ott"] < 1e-5 and sk["geobook_l1_error"] <= 1e-6
    sb = json.loads((tmp_path / "sinkhorn_batch_cpu_quick.json").read_text())
    assert sb["batch_vs_vmap_max_rel_cost_diff"] < 1e-9 and sb["batch_vs_ott_max_rel_cost_diff"] < 1e-5
    assert sb["geobook_max_l1_error"] <= 1e-6
    w2 = json.loads((tmp_path / "gaussian_w2_cpu_quick.json").read_text())
    assert w2["max_abs_difference"] < 1e-10
    eig = json.loads((tmp_path / "schrodinger_eigen_cpu_quick.json").read_text())
    assert eig["max_rel_eigenvalue_diff"] < 1e-8 and eig["min_eigenvector_overlap"] > 1 - 1e-8
    ss = json.loads((tmp_path / "schrodinger_split_step_cpu_quick.json").read_text())
    assert ss["max_abs_diff_vs_numpy"] < 1e-10
    rbm = json.loads((tmp_path / "rbm_pcd_cpu_quick.json").read_text())
    for name in ("karcher_mean", "affine_distance"):
        assert json.loads((tmp_path / f"{name}_cpu_quick.json").read_text())["max_rel_diff"] < 1e-8
    assert abs(json.loads((tmp_path / "ising_cpu_quick.json").read_text())["energy_diff_over_se"]) < 4
    assert rbm["max_ais_stderr"] < 0.1 and abs(rbm["loglik_difference_geobook_minus_sklearn"]) < 5
