"""Benchmarks of geobook.schrodinger (run through benchmarks/run.py --only schrodinger_eigen schrodinger_split_step).

* ``eigen_problem``: the 4 lowest eigenpairs of the 1-D double well V = 4(x² − 1)² on
  4 096 points (Dirichlet, three-point Laplacian, float64) against scipy's ``eigsh`` in
  shift-invert mode on the same sparse matrix; target: eigenvalues equal to 1e-8 relative,
  at most 2× scipy's time.
* ``split_step_problem``: 10 000 real-time Strang split-step steps of a 4 096-point wave
  packet (complex128) against the same algorithm in NumPy (``numpy.fft``, fused half
  steps); target: at most ½ of NumPy's time.

Each returns ``(impls, extra)`` like the problems in ``run.py``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geobook import schrodinger  # noqa: E402


def eigen_problem(N=4096, n=4):
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
    with jax.enable_x64(True):
        x = np.linspace(-3.0, 3.0, N)
        dx = x[1] - x[0]
        V = 4 * (x ** 2 - 1) ** 2
        H = sp.diags([np.full(N - 1, -0.5 / dx ** 2), 1 / dx ** 2 + V,
                      np.full(N - 1, -0.5 / dx ** 2)], [-1, 0, 1], format="csc")
        xj, Vj = jax.device_put(x), jax.device_put(V)
        t = time.perf_counter()
        st = jax.block_until_ready(schrodinger.eigenstates_1d(Vj, xj, n))
        compile_s = time.perf_counter() - t
        w, v = spla.eigsh(H, k=n, sigma=0.0, which="LM")
        order = np.argsort(w)
        w, v = w[order], v[:, order]
        rel = float(np.max(np.abs(np.asarray(st.E) - w) / np.abs(w)))
        ov = np.abs(np.asarray(st.psi) * np.sqrt(dx) @ v)
        extra = {"N": N, "n": n, "eigenvalues_geobook": np.asarray(st.E).tolist(),
                 "eigenvalues_scipy": w.tolist(), "max_rel_eigenvalue_diff": rel,
                 "min_eigenvector_overlap": float(np.min(np.diag(ov))),
                 "geobook_first_call_with_compile_s": compile_s}

        def ours():
            with jax.enable_x64(True):
                return schrodinger.eigenstates_1d(Vj, xj, n).E.block_until_ready()

        def scipy_run():
            return spla.eigsh(H, k=n, sigma=0.0, which="LM")

    return {"geobook.schrodinger.eigenstates_1d": ours,
            "scipy eigsh (shift-invert, sigma=0)": scipy_run}, extra


def _numpy_split_step(psi0, V, k2, dt, n_steps):
    half = np.exp(-0.5j * V * dt)
    full = half * half
    kin = np.exp(-0.5j * k2 * dt)
    psi = half * psi0
    for _ in range(n_steps):
        psi = full * np.fft.ifft(kin * np.fft.fft(psi))
    return psi * np.conj(half)


def split_step_problem(N=4096, n_steps=10_000, dt=1e-3):
    with jax.enable_x64(True):
        x = np.linspace(-40.0, 40.0, N, endpoint=False)
        dx = x[1] - x[0]
        V = 0.5 * x ** 2
        psi0 = (np.exp(-(x - 2.0) ** 2 / 2 + 1j * 0.5 * x) / np.pi ** 0.25).astype(np.complex128)
        k2 = (2 * np.pi * np.fft.fftfreq(N, dx)) ** 2
        xj, Vj, pj = jax.device_put(x), jax.device_put(V), jax.device_put(psi0)
        t = time.perf_counter()
        ref = jax.block_until_ready(schrodinger.split_step(pj, Vj, xj, dt=dt,
                                                            n_steps=n_steps).psi)
        compile_s = time.perf_counter() - t
        npy = _numpy_split_step(psi0, V, k2, dt, n_steps)
        extra = {"N": N, "n_steps": n_steps, "dt": dt,
                 "max_abs_diff_vs_numpy": float(np.max(np.abs(np.asarray(ref) - npy))),
                 "norm_drift_geobook": float(abs(np.sum(np.abs(np.asarray(ref)) ** 2) * dx - 1)),
                 "geobook_first_call_with_compile_s": compile_s}

        def ours():
            with jax.enable_x64(True):
                return schrodinger.split_step(pj, Vj, xj, dt=dt,
                                              n_steps=n_steps).psi.block_until_ready()

    return {"geobook.schrodinger.split_step": ours,
            "numpy (same algorithm)": lambda: _numpy_split_step(psi0, V, k2, dt, n_steps)}, extra
