"""Benchmark: RBM training by PCD-1 on scikit-learn's binarised 8x8 digits.

geobook.boltzmann.fit against sklearn.neural_network.BernoulliRBM with the same settings
(64 hidden units, batch 10, learning rate 0.05, 10 epochs, PCD-1, same data order), and the
AIS log-likelihood per digit of both trained models, scored by the same AIS.

Run through the runner: python benchmarks/run.py --only rbm_pcd
"""
from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geobook import boltzmann  # noqa: E402


def digits_binary():
    from sklearn.datasets import load_digits
    return (load_digits().data / 16.0 > 0.5).astype(np.float64)


def ais_loglik(rbm, X, base, *, key=0, n_chains=200, n_betas=2000):
    """Mean log-likelihood per digit, ln Z by AIS from the base-rate model; (ll, stderr)."""
    a = boltzmann.ais_log_partition(jax.random.key(key), rbm, n_chains=n_chains,
                                    n_betas=n_betas, base_bias=base)
    ll = -boltzmann.free_energy(rbm, jnp.asarray(X, rbm.W.dtype)).mean() - a.log_z
    return float(ll), float(a.stderr)


def rbm_pcd_problem(n_epochs=10, n_hidden=64, batch_size=10, learning_rate=0.05, seed=0,
                    n_chains=200, n_betas=2000, n_seeds=5):
    """(impls, extra) for the runner: geobook.fit (float64 and float32) and BernoulliRBM.

    The timed callables train one model each (seed ``seed``). The agreement figures score
    ``n_seeds`` models of each trainer by the same AIS: one training run's log-likelihood
    varies by about a nat from seed to seed, so single-seed comparisons say little.
    """
    from sklearn.neural_network import BernoulliRBM
    X = digits_binary()
    X64 = jnp.asarray(X, jnp.float64) if jax.config.jax_enable_x64 else None
    X32 = jnp.asarray(X, jnp.float32)
    kw = dict(n_epochs=n_epochs, batch_size=batch_size, learning_rate=learning_rate)

    def ours(Xj):
        return lambda: boltzmann.fit(jax.random.key(seed), Xj, n_hidden, **kw).rbm.W \
            .block_until_ready()

    def theirs():
        return BernoulliRBM(n_components=n_hidden, learning_rate=learning_rate,
                            batch_size=batch_size, n_iter=n_epochs, random_state=seed).fit(X)

    impls = {}
    if X64 is not None:
        impls["geobook.boltzmann.fit (float64)"] = ours(X64)
    impls["geobook.boltzmann.fit (float32)"] = ours(X32)
    impls["scikit-learn BernoulliRBM (float64)"] = theirs

    # agreement: AIS log-likelihood of both trained models, the same AIS for both
    dt = jnp.float64 if X64 is not None else jnp.float32
    pm = X.mean(0).clip(1e-3, 1 - 1e-3)
    base = jnp.asarray(np.log(pm / (1 - pm)), dt)
    lls = {"geobook": [], "sklearn": []}
    ses = []
    for sd in range(seed, seed + n_seeds):
        g = boltzmann.fit(jax.random.key(sd), jnp.asarray(X, dt), n_hidden, **kw).rbm
        sk = BernoulliRBM(n_components=n_hidden, learning_rate=learning_rate,
                          batch_size=batch_size, n_iter=n_epochs, random_state=sd).fit(X)
        s = boltzmann.RBM(jnp.asarray(sk.components_.T, dt),
                          jnp.asarray(sk.intercept_visible_, dt),
                          jnp.asarray(sk.intercept_hidden_, dt))
        for name, r in (("geobook", g), ("sklearn", s)):
            ll, se = ais_loglik(r, X, base, key=1 + sd, n_chains=n_chains, n_betas=n_betas)
            lls[name].append(ll)
            ses.append(se)
    m = {k: float(np.mean(v)) for k, v in lls.items()}
    sem = {k: float(np.std(v, ddof=1) / np.sqrt(n_seeds)) for k, v in lls.items()}
    extra = {"geobook_ais_loglik_per_digit": m["geobook"], "geobook_seed_sem": sem["geobook"],
             "sklearn_ais_loglik_per_digit": m["sklearn"], "sklearn_seed_sem": sem["sklearn"],
             "loglik_difference_geobook_minus_sklearn": m["geobook"] - m["sklearn"],
             "loglik_difference_welch_se": float(np.hypot(sem["geobook"], sem["sklearn"])),
             "per_seed_geobook": lls["geobook"], "per_seed_sklearn": lls["sklearn"],
             "max_ais_stderr": float(max(ses)), "n_seeds": n_seeds,
             "ais": f"{n_chains} chains, {n_betas} temperatures, base rate = data pixel means",
             "dtype_scored": str(np.dtype(dt))}
    return impls, extra
