"""Input validation shared by every public geobook function.

Two tiers (see DESIGN §6): *static* facts (ranks, shapes, option names) are
checked in Python at call or trace time; *value* facts (positivity, finiteness,
SPD-ness) are checked when the value is concrete.  Under ``jit``/``vmap`` a traced
value cannot be inspected without a host callback, so value checks are skipped
there; the eager call a reader makes in a notebook is always checked.

Every message names the function, the argument and what was received.
"""
from __future__ import annotations

import numpy as np
import jax


class _Missing:
    pass


def _describe(x) -> str:
    if isinstance(x, jax.core.Tracer):
        return f"a traced array of shape {tuple(x.shape)}"
    a = np.asarray(x) if not isinstance(x, (str, type(None))) else x
    if isinstance(a, np.ndarray):
        if a.ndim == 0:
            return repr(a.item())
        if a.size <= 6:
            return f"{a.tolist()!r} (shape {a.shape})"
        return f"an array of shape {a.shape}"
    return repr(a)


def fail(fn: str, arg: str, what: str, got) -> None:
    """Raise the project's standard ``ValueError``."""
    raise ValueError(f"{fn}: `{arg}` {what}; got {_describe(got)}.")


def is_concrete(*xs) -> bool:
    return not any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(xs))


def as_numpy(x):
    return np.asarray(x)


def check_ndim(fn: str, arg: str, x, ndims, layout: str):
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    nd = np.ndim(x)
    if nd not in ndims:
        raise ValueError(f"{fn}: `{arg}` must have shape {layout}; got shape {np.shape(x)}.")


def check_finite(fn: str, arg: str, x):
    if is_concrete(x):
        a = np.asarray(x)
        if np.issubdtype(a.dtype, np.inexact) and not np.all(np.isfinite(a)):
            bad = int(np.sum(~np.isfinite(a)))
            raise ValueError(f"{fn}: `{arg}` must be finite; got {bad} non-finite "
                             f"entr{'y' if bad == 1 else 'ies'} in an array of shape {a.shape}.")


def check_positive(fn: str, arg: str, x, *, allow_zero: bool = False):
    """Scalar or array must be finite and > 0 (>= 0 with ``allow_zero``)."""
    if is_concrete(x):
        a = np.asarray(x)
        if not np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_:
            fail(fn, arg, "must be a real number", x)
        ok = np.isfinite(a) & ((a >= 0) if allow_zero else (a > 0))
        if not np.all(ok):
            fail(fn, arg, "must be finite and " + (">= 0" if allow_zero else "> 0"), x)


def check_int(fn: str, arg: str, n, *, minimum: int = 1):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        fail(fn, arg, "must be a Python int (it is static: it fixes a loop length or shape)", n)
    if n < minimum:
        fail(fn, arg, f"must be >= {minimum}", n)


def check_choice(fn: str, arg: str, value, choices):
    if value not in choices:
        raise ValueError(f"{fn}: `{arg}` must be one of {sorted(choices)}; got {value!r}.")


def check_square(fn: str, arg: str, X):
    if np.ndim(X) < 2 or np.shape(X)[-1] != np.shape(X)[-2]:
        raise ValueError(f"{fn}: `{arg}` must be a (batch of) square matrices [..., n, n]; "
                         f"got shape {np.shape(X)}.")


def check_spd(fn: str, arg: str, X, *, rtol: float | None = None):
    """Square, finite, symmetric and positive definite (checked when concrete)."""
    check_square(fn, arg, X)
    check_finite(fn, arg, X)
    if not is_concrete(X):
        return
    a = np.asarray(X, dtype=np.float64)
    scale = max(float(np.max(np.abs(a))), 1e-300)
    tol = rtol if rtol is not None else (1e-5 if np.asarray(X).dtype == np.float32 else 1e-8)
    asym = float(np.max(np.abs(a - np.swapaxes(a, -1, -2)))) / scale
    if asym > tol:
        raise ValueError(f"{fn}: `{arg}` must be symmetric positive definite; got a matrix "
                         f"with relative asymmetry {asym:.2e}.")
    lam = np.linalg.eigvalsh(0.5 * (a + np.swapaxes(a, -1, -2)))
    if np.min(lam) <= 0:
        raise ValueError(f"{fn}: `{arg}` must be symmetric positive definite; got a matrix "
                         f"with smallest eigenvalue {float(np.min(lam)):.3e}.")


def check_same_shape(fn: str, arg_a: str, a, arg_b: str, b):
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{fn}: `{arg_a}` and `{arg_b}` must have the same shape; got "
                         f"{np.shape(a)} and {np.shape(b)}.")
