"""Benchmarks of geobook.cones against pyriemann (run through benchmarks/run.py --only karcher_mean affine_distance).

* ``karcher_problem``: the Karcher (Riemannian) mean of 500 SPD 16×16 matrices (float64)
  against ``pyriemann.geometry.mean.mean_riemann``; both iterate until the Frobenius norm of
  the Riemannian gradient is at most ``tol`` = 1e-10 from the arithmetic mean.
* ``distance_problem``: 10 000 affine-invariant distances between 8×8 SPD pairs (float64)
  against ``pyriemann.geometry.distance.distance_riemann`` (batched).

Target (issue 12): the same results to 1e-8 and at most pyriemann's time. Two geobook rows
each: the public function called eagerly (its input checks included: symmetry and positive
definiteness by NumPy eigenvalues on every call) and the same public function under
``jax.jit`` (a traced call skips the value checks, as every geobook function does).

On CPU, JAX's ``eigh`` always asks LAPACK for eigenvectors too (``syevd`` in mode ``V``),
while pyriemann's NumPy ``eigvalsh`` computes eigenvalues only (mode ``N``); for 10 000
small matrices that is most of the distance problem's time.  ``affine_distance`` therefore
calls the same jaxlib LAPACK kernel in mode ``N`` on CPU (``geobook/_src/_lapack.py``;
derivatives through ``eigh``).  Tried without gain: SVD, ``eigh_tridiagonal``, sharding the
pairs over 2 devices, and a batched parallel cyclic Jacobi iteration with the batch on the
minor axis (7 sweeps for 8×8 float64; XLA's CPU code for the per-round row/column
permutation, a gather, costs more than LAPACK: 1.6–2.8× pyriemann).  The sharded row was
dropped: on 2 forced host devices (JAX 0.10.2) the pair axis gave no gain, and the second
call of the sharded program deadlocked — with ``jnp.linalg.eigvalsh`` as well as with the
values-only kernel, so it is not the kernel's doing.

Each returns ``(impls, extra)`` like the problems in ``run.py``.
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geobook import cones  # noqa: E402


def _spd(rng, m, n, spread=0.5):
    """``m`` random SPD ``n×n`` matrices ``Q diag(exp(spread z)) Qᵀ`` (float64, NumPy)."""
    Q, R = np.linalg.qr(rng.normal(size=(m, n, n)))
    Q = Q * np.sign(np.diagonal(R, axis1=-2, axis2=-1))[:, None, :]
    lam = np.exp(spread * rng.normal(size=(m, n)))
    X = (Q * lam[:, None, :]) @ np.swapaxes(Q, -1, -2)
    return 0.5 * (X + np.swapaxes(X, -1, -2))


def _pyriemann():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyriemann.geometry.distance import distance_riemann
        from pyriemann.geometry.mean import mean_riemann
    return mean_riemann, distance_riemann


def karcher_problem(N=500, n=16, tol=1e-10, seed=0):
    mean_riemann, _ = _pyriemann()
    Xs = _spd(np.random.default_rng(seed), N, n)
    with jax.enable_x64(True):
        Xj = jax.device_put(Xs)
        jitted = jax.jit(lambda X: cones.karcher_mean(X, tol=tol, max_iter=200))
        t = time.perf_counter()
        res = jax.block_until_ready(jitted(Xj))
        compile_s = time.perf_counter() - t
    ref = mean_riemann(Xs, tol=tol, maxiter=200)
    M = np.asarray(res.mean)
    Mh = np.linalg.cholesky(M)
    Li = np.linalg.inv(Mh)
    extra = {"N": N, "n": n, "tol": tol,
             "max_abs_diff": float(np.abs(M - ref).max()),
             "max_rel_diff": float(np.abs(M - ref).max() / np.abs(ref).max()),
             "affine_distance_between_results": float(np.sqrt(np.sum(np.log(
                 np.linalg.eigvalsh(Li @ ref @ Li.T)) ** 2))),
             "geobook_n_iter": int(res.n_iter), "geobook_error": float(res.error),
             "geobook_converged": bool(res.converged),
             "geobook_first_call_with_compile_s": compile_s}

    def eager():
        with jax.enable_x64(True):
            return cones.karcher_mean(Xj, tol=tol, max_iter=200).mean.block_until_ready()

    def under_jit():
        with jax.enable_x64(True):
            return jitted(Xj).mean.block_until_ready()

    return {"geobook.cones.karcher_mean (under jit)": under_jit,
            "geobook.cones.karcher_mean (eager, checked)": eager,
            "pyriemann mean_riemann": lambda: mean_riemann(Xs, tol=tol, maxiter=200)}, extra


def distance_problem(n_pairs=10_000, n=8, seed=1):
    _, distance_riemann = _pyriemann()
    rng = np.random.default_rng(seed)
    A, B = _spd(rng, n_pairs, n, 0.8), _spd(rng, n_pairs, n, 0.8)
    with jax.enable_x64(True):
        Aj, Bj = jax.device_put(A), jax.device_put(B)
        jitted = jax.jit(cones.affine_distance)
        t = time.perf_counter()
        d = np.asarray(jax.block_until_ready(jitted(Aj, Bj)))
        compile_s = time.perf_counter() - t
    ref = np.asarray(distance_riemann(A, B)).reshape(-1)
    extra = {"n_pairs": n_pairs, "n": n,
             "max_abs_diff": float(np.abs(d - ref).max()),
             "max_rel_diff": float(np.max(np.abs(d - ref) / ref)),
             "geobook_first_call_with_compile_s": compile_s}

    def eager():
        with jax.enable_x64(True):
            return cones.affine_distance(Aj, Bj).block_until_ready()

    def under_jit():
        with jax.enable_x64(True):
            return jitted(Aj, Bj).block_until_ready()

    impls = {"geobook.cones.affine_distance (under jit)": under_jit,
             "geobook.cones.affine_distance (eager, checked)": eager}
    impls["pyriemann distance_riemann"] = lambda: distance_riemann(A, B)
    return impls, extra
