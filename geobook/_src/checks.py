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


# ------------------------------------------------------------------------------------------
# Callables, output shapes, intervals, sizes, grids: the one place these are checked.
# ------------------------------------------------------------------------------------------

def check_callable(fn: str, arg: str, f, *, optional: bool = False, signature: str = ""):
    """``f`` must be callable (or None when ``optional``)."""
    if f is None and optional:
        return
    if not callable(f):
        what = "must be callable" + (" or None" if optional else "")
        if signature:
            what += f" ({signature})"
        fail(fn, arg, what, f"an object of type {type(f).__name__}")


def check_args(fn: str, args):
    """``args`` (the traced parameters passed to user callables) must be a tuple."""
    if not isinstance(args, tuple):
        fail(fn, "args", "must be a tuple of parameters passed as f(q, *args)",
             f"an object of type {type(args).__name__}")
    return args


def output_shape(fn: str, arg: str, f, in_shape, dtype, expected, *, args=(), layout=None):
    """Trace ``f(x, *args)`` for ``x: in_shape`` (no compilation, no FLOPs) and check its shape.

    ``expected`` is one shape or a list of allowed shapes; returns the shape found.
    """
    expected = [tuple(expected)] if isinstance(expected, tuple) else [tuple(e) for e in expected]
    try:
        out = jax.eval_shape(lambda x, a: f(x, *a), jax.ShapeDtypeStruct(tuple(in_shape), dtype),
                             args)
    except TypeError as e:
        raise ValueError(f"{fn}: `{arg}` could not be called as {arg}(x, *args) with x of shape "
                         f"{tuple(in_shape)} and {len(args)} extra argument(s): {e}") from None
    shape = tuple(getattr(out, "shape", ()))
    if shape not in expected:
        want = layout or " or ".join(str(list(e)) for e in expected)
        raise ValueError(f"{fn}: `{arg}` must map an input of shape {list(in_shape)} to {want}; "
                         f"got output shape {list(shape)}.")
    return shape


def check_interval(fn: str, arg: str, x, lo=None, hi=None, *, closed: str = "both"):
    """Every entry of ``x`` lies in the interval from ``lo`` to ``hi`` (checked when concrete).

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``; a missing end is
    unbounded.
    """
    if not is_concrete(x):
        return
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_:
        fail(fn, arg, "must be a real number", x)
    ok = np.isfinite(a)
    if lo is not None:
        ok &= (a >= lo) if closed in ("both", "left") else (a > lo)
    if hi is not None:
        ok &= (a <= hi) if closed in ("both", "right") else (a < hi)
    if not np.all(ok):
        left = "-inf" if lo is None else repr(lo)
        right = "inf" if hi is None else repr(hi)
        lb = "[" if closed in ("both", "left") and lo is not None else "("
        rb = "]" if closed in ("both", "right") and hi is not None else ")"
        fail(fn, arg, f"must lie in {lb}{left}, {right}{rb}", x)


def check_size(fn: str, arg: str, x, n: int, *, axis: int = -1, what: str = ""):
    """``x`` has ``n`` entries along ``axis``."""
    shape = np.shape(x)
    if len(shape) == 0 or shape[axis] != n:
        extra = f" ({what})" if what else ""
        raise ValueError(f"{fn}: `{arg}` must have {n} entries along axis {axis}{extra}; got "
                         f"shape {shape}.")


def check_same_size(fn: str, arg_a: str, a, arg_b: str, b, *, axis: int = -1):
    """``a`` and ``b`` have the same length along ``axis``."""
    sa, sb = np.shape(a), np.shape(b)
    if not sa or not sb or sa[axis] != sb[axis]:
        raise ValueError(f"{fn}: `{arg_a}` and `{arg_b}` must have the same size along axis "
                         f"{axis}; got shapes {sa} and {sb}.")


def check_divides(fn: str, arg: str, d: int, n: int, n_name: str):
    """``d`` (an int >= 1) divides ``n``."""
    check_int(fn, arg, d)
    if n % d:
        fail(fn, arg, f"must divide `{n_name}` = {n}", d)


def check_uniform_grid(fn: str, arg: str, x, *, min_points: int = 3, rtol: float = 1e-4):
    """A 1-D, finite, strictly increasing, uniformly spaced grid of at least ``min_points``."""
    check_ndim(fn, arg, x, 1, "[n]")
    n = np.shape(x)[0]
    if n < min_points:
        raise ValueError(f"{fn}: `{arg}` must hold at least {min_points} points; got {n}.")
    check_finite(fn, arg, x)
    if is_concrete(x):
        d = np.diff(np.asarray(x, np.float64))
        if np.any(d <= 0) or np.ptp(d) > rtol * abs(d.mean()):
            raise ValueError(f"{fn}: `{arg}` must be a uniform, increasing grid; got spacings "
                             f"between {d.min():.3g} and {d.max():.3g}.")


def check_binary(fn: str, arg: str, x, values=(0, 1)):
    """Every entry of ``x`` is one of ``values`` (checked when concrete)."""
    if is_concrete(x):
        a = np.asarray(x)
        bad = ~np.isin(a, np.asarray(values, dtype=a.dtype if a.dtype != np.bool_ else None))
        if np.any(bad):
            raise ValueError(f"{fn}: `{arg}` must hold only the values {list(values)}; got "
                             f"{int(np.sum(bad))} other entr{'y' if np.sum(bad) == 1 else 'ies'} "
                             f"(e.g. {a[bad].ravel()[0]!r}).")


def check_increasing(fn: str, arg: str, x, *, min_points: int = 2):
    """A 1-D, finite, strictly increasing array (bin edges, output times) of at least
    ``min_points`` entries; the order is checked when concrete."""
    check_ndim(fn, arg, x, 1, "[n]")
    if np.shape(x)[0] < min_points:
        fail(fn, arg, f"must hold at least {min_points} values", x)
    check_finite(fn, arg, x)
    if is_concrete(x) and np.any(np.diff(np.asarray(x, np.float64)) <= 0):
        fail(fn, arg, "must be strictly increasing", x)


def check_symmetric(fn: str, arg: str, X, *, rtol: float = 1e-6):
    """A (batch of) square matrices with relative asymmetry at most ``rtol`` (when concrete)."""
    check_square(fn, arg, X)
    if is_concrete(X):
        a = np.asarray(X, dtype=np.float64)
        scale = max(float(np.max(np.abs(a), initial=0.0)), 1e-300)
        asym = float(np.max(np.abs(a - np.swapaxes(a, -1, -2)), initial=0.0)) / scale
        if asym > rtol:
            raise ValueError(f"{fn}: `{arg}` must be symmetric; got a matrix with relative "
                             f"asymmetry {asym:.2e}.")


def check_hashable(fn, arg, obj, hint=""):
    """``obj`` can be a static argument of a compiled kernel (it is hashable)."""
    try:
        hash(obj)
    except TypeError:
        fail(fn, arg, "must be hashable (it is a static argument of a compiled "
                    f"kernel{hint})", type(obj).__name__)


def check_methods(fn, arg, obj, methods=("init", "update"),
                   what=" (an optax GradientTransformation)"):
    """``obj`` has the callable ``methods`` and is hashable (a static kernel argument)."""
    for name in methods:
        if not callable(getattr(obj, name, None)):
            fail(fn, arg, f"must have a callable `{name}`{what}", type(obj).__name__)
    check_hashable(fn, arg, obj)


def check_hermitian(fn: str, arg: str, X, *, rtol: float | None = None):
    """A (batch of) square, finite, Hermitian matrices (relative anti-Hermitian part at most
    ``rtol``; checked when concrete)."""
    check_square(fn, arg, X)
    check_finite(fn, arg, X)
    if is_concrete(X):
        a = np.asarray(X, dtype=np.complex128)
        tol = rtol if rtol is not None else (
            1e-5 if np.asarray(X).dtype in (np.float32, np.complex64) else 1e-8)
        scale = max(float(np.max(np.abs(a), initial=0.0)), 1e-300)
        err = float(np.max(np.abs(a - np.conj(np.swapaxes(a, -1, -2))), initial=0.0)) / scale
        if err > tol:
            raise ValueError(f"{fn}: `{arg}` must be Hermitian; got a matrix with relative "
                             f"non-Hermitian part {err:.2e}.")


def check_density(fn: str, arg: str, rho, *, trace_tol: float = 1e-6):
    """A faithful density matrix: Hermitian, positive definite (non-singular) and of trace 1
    (checked when concrete)."""
    check_hermitian(fn, arg, rho)
    if is_concrete(rho):
        a = np.asarray(rho, dtype=np.complex128)
        lam = np.linalg.eigvalsh(0.5 * (a + np.conj(np.swapaxes(a, -1, -2))))
        if np.min(lam) <= 0:
            raise ValueError(f"{fn}: `{arg}` must be a faithful density matrix (positive "
                             f"definite); got a singular or indefinite matrix with smallest "
                             f"eigenvalue {float(np.min(lam)):.3e}.")
        tr = np.trace(a, axis1=-2, axis2=-1).real
        bad = np.abs(tr - 1.0) > trace_tol
        if np.any(bad):
            raise ValueError(f"{fn}: `{arg}` must have trace 1; got trace "
                             f"{float(np.ravel(tr)[np.argmax(np.ravel(bad))]):.6g}.")
