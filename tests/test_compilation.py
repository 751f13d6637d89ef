"""Traced parameters: a sweep over a parameter compiles once (the house's jit policy).

Callables are static (part of the program); their parameters go through ``args`` and are
traced, so a 10-value sweep reuses one compiled program. The counter listens to JAX's
backend-compile events, so any recompilation — of the kernel or of an eager helper called
per value — is counted.
"""
import jax
import jax.numpy as jnp
import numpy as np

from compile_count import compilations
from geobook import sde

VALUES = np.linspace(0.5, 2.0, 10)


def _sweep(run):
    run(VALUES[0])                                  # first value: compiles
    with compilations() as n:
        outs = [run(v) for v in VALUES[1:]]         # nine more: must not
    return n(), outs


def test_compile_counter_sees_a_fresh_lambda():
    """The counter is not blind: a fresh lambda per value recompiles every time."""
    q0 = jnp.zeros((8, 1))
    with compilations() as n:
        for v in VALUES[:3]:
            sde.langevin(jax.random.key(0), lambda q: v * q, q0, T=0.5, dt=0.01, n_steps=5)
    assert n() >= 3


def test_langevin_sweep_over_args_and_T_compiles_once():
    gH = lambda q, a: a * q
    q0 = jnp.zeros((8, 1))
    count, outs = _sweep(lambda v: sde.langevin(jax.random.key(0), gH, q0, T=v, dt=0.01,
                                                n_steps=5, args=(v,)).q)
    assert count == 0
    assert len({float(o.sum()) for o in outs}) == len(outs)   # the values did change the result


def test_riemannian_langevin_sweep_compiles_once():
    gH = lambda q, a: a * q
    metric = lambda q, a: (1 + a * q[:, None] ** 2)
    q0 = jnp.zeros((8, 1))
    count, _ = _sweep(lambda v: sde.langevin(jax.random.key(0), gH, q0, T=0.5, dt=v * 1e-2,
                                             n_steps=5, metric=metric, args=(v,)).q)
    assert count == 0


def test_euler_maruyama_sweep_compiles_once():
    drift = lambda q, th, s: -th * q
    diffusion = lambda q, th, s: s * jnp.ones_like(q)
    q0 = jnp.zeros((8, 2))
    count, _ = _sweep(lambda v: sde.euler_maruyama(jax.random.key(0), drift, diffusion, q0,
                                                   dt=0.01, n_steps=5, args=(v, 2 * v)).q)
    assert count == 0
