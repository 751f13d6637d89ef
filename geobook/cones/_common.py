"""Validation preamble shared by the files of ``geobook.cones`` (through ``_src.checks``)."""
from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp

from geobook._src import checks
from geobook._src.dtypes import working_dtype


def prep(fn, arg, X, *, spd_=True):
    """Square and finite (and SPD when ``spd_``); returned as an array of the working dtype."""
    checks.check_square(fn, arg, X)
    if spd_:
        checks.check_spd(fn, arg, X)
    else:
        checks.check_finite(fn, arg, X)
    return jnp.asarray(X, working_dtype(X))


def prep_sym(fn, arg, X):
    """Square, finite and symmetric (relative asymmetry at most 1e-6)."""
    X = prep(fn, arg, X, spd_=False)
    checks.check_symmetric(fn, arg, X, rtol=1e-6)
    return X


def prep_pair(fn, X, Y, *, spd_=True, names=("X", "Y")):
    a, b = names
    X = prep(fn, a, X, spd_=spd_) if spd_ else prep_sym(fn, a, X)
    Y = prep(fn, b, Y, spd_=spd_) if spd_ else prep_sym(fn, b, Y)
    checks.check_same_size(fn, a, X, b, Y)
    dtype = working_dtype(X, Y)
    return X.astype(dtype), Y.astype(dtype)


@partial(jax.jit, static_argnames=("n",))
def multigammaln_kernel(a, n):
    """ln Γ_n(a) = n(n−1)/4 ln π + Σ_j ln Γ(a − j/2) (no validation)."""
    j = jnp.arange(n, dtype=a.dtype)
    return (0.25 * n * (n - 1) * math.log(math.pi)
            + jnp.sum(jax.scipy.special.gammaln(a[..., None] - 0.5 * j), axis=-1))
