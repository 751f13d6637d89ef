"""Benchmark: 2-D Ising checkerboard Metropolis, 256² lattice at T = 2.269, 1 000 sweeps.

geobook.rg.ising_2d against the same algorithm vectorised in NumPy (even sublattice, then
odd; one uniform per site per sweep; acceptance from the table e^{-4β}, e^{-8β}). The
agreement figure compares the mean energy per site over sweeps 500–1000 of ``n_seeds``
independent runs of each (the two are the same Markov chain with different random streams, so
the means must agree within their standard errors).

Run through the runner: python benchmarks/run.py --only ising
"""
from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geobook import rg  # noqa: E402


def ising_numpy(seed, L, T, n_sweeps, dtype=np.float32):
    """Checkerboard Metropolis in vectorised NumPy; returns (spins, energy per sweep)."""
    rng = np.random.default_rng(seed)
    s = np.ones((L, L), dtype)
    i, j = np.indices((L, L))
    masks = [(i + j) % 2 == 0, (i + j) % 2 == 1]
    e4, e8 = dtype(np.exp(-4 / T)), dtype(np.exp(-8 / T))
    energy = np.empty(n_sweeps)
    for k in range(n_sweeps):
        u = rng.random((L, L), dtype=np.float32)
        for m in masks:
            nb = np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1) + np.roll(s, -1, 1)
            prod = s * nb
            acc = np.where(prod > 3, e8, np.where(prod > 1, e4, dtype(1)))
            s = np.where(m & (u < acc), -s, s)
        energy[k] = -np.mean(s * (np.roll(s, 1, 0) + np.roll(s, 1, 1)))
    return s, energy


def ising_problem(L=256, n_sweeps=1000, T=2.269, n_seeds=4, burn=None):
    """(impls, extra) for the runner (``burn`` defaults to half the sweeps)."""
    burn = n_sweeps // 2 if burn is None else burn
    s0 = jnp.ones((L, L), jnp.float32)

    def ours(seed=0):
        return rg.ising_2d(jax.random.key(seed), L, T, n_sweeps=n_sweeps, s0=s0)

    e_geo = np.array([np.asarray(ours(k).energy[burn:], np.float64).mean()
                      for k in range(n_seeds)])
    e_np = np.array([ising_numpy(k, L, T, n_sweeps)[1][burn:].mean() for k in range(n_seeds)])
    se = np.sqrt(e_geo.var(ddof=1) / n_seeds + e_np.var(ddof=1) / n_seeds)
    extra = {"energy_geobook_mean": float(e_geo.mean()), "energy_numpy_mean": float(e_np.mean()),
             "energy_diff_over_se": float((e_geo.mean() - e_np.mean()) / se),
             "energy_onsager_infinite_lattice": float(rg.onsager_energy(T)),
             "n_seeds": n_seeds, "L": L, "n_sweeps": n_sweeps, "T": T}
    impls = {"geobook.rg.ising_2d": lambda: ours().energy.block_until_ready(),
             "NumPy (vectorised checkerboard)": lambda: ising_numpy(0, L, T, n_sweeps)}
    return impls, extra
