r"""Statistics for checking samples against laws: histogram KL, TV, KS and slope fits."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["histogram", "bin_probabilities", "hist_kl", "tv_distance", "ks_distance",
           "slope_fit", "SlopeFit", "spearman"]


def _edges(fn, edges):
    checks.check_ndim(fn, "edges", edges, 1, "[n_bins + 1]")
    checks.check_finite(fn, "edges", edges)
    if np.shape(edges)[0] < 2:
        raise ValueError(f"{fn}: `edges` must hold at least 2 values; got shape {np.shape(edges)}.")
    if checks.is_concrete(edges) and np.any(np.diff(np.asarray(edges)) <= 0):
        checks.fail(fn, "edges", "must be strictly increasing", edges)


def histogram(samples, edges):
    """Fraction of ``samples`` (any shape, flattened) in each bin ``[edges_i, edges_{i+1})``.

    The fractions are relative to *all* samples, so mass outside the edges is not counted.
    """
    _edges("histogram", edges)
    checks.check_finite("histogram", "samples", samples)
    dtype = working_dtype(samples, edges)
    s = jnp.ravel(jnp.asarray(samples, dtype))
    e = jnp.asarray(edges, dtype)
    idx = jnp.searchsorted(e, s, side="right") - 1
    inside = (idx >= 0) & (idx < e.shape[0] - 1)
    counts = jnp.zeros(e.shape[0] - 1, dtype).at[jnp.where(inside, idx, 0)].add(
        inside.astype(dtype))
    return counts / s.shape[0]


def bin_probabilities(pdf, edges, *, n_sub: int = 64):
    r"""Probability of each bin under the density ``pdf`` (callable), by composite
    Gauss–Legendre quadrature on ``n_sub`` sub-intervals per bin; normalised over the bins.
    """
    _edges("bin_probabilities", edges)
    checks.check_int("bin_probabilities", "n_sub", n_sub)
    if not callable(pdf):
        checks.fail("bin_probabilities", "pdf", "must be callable", type(pdf).__name__)
    e = jnp.asarray(edges, working_dtype(edges))
    gx, gw = np.polynomial.legendre.leggauss(4)
    sub = jnp.linspace(0.0, 1.0, n_sub + 1, dtype=e.dtype)
    a = e[:-1, None] + (e[1:] - e[:-1])[:, None] * sub[None, :-1]
    h = (e[1:] - e[:-1])[:, None] / n_sub
    pts = a[..., None] + 0.5 * h[..., None] * (jnp.asarray(gx, e.dtype) + 1.0)
    w = 0.5 * h[..., None] * jnp.asarray(gw, e.dtype)
    mass = jnp.sum(pdf(pts) * w, axis=(1, 2))
    return mass / mass.sum()


def hist_kl(samples, edges, reference):
    r"""Histogram estimate of :math:`\mathrm{KL}(\hat p\,\|\,\pi) = \sum_b h_b\ln(h_b/\pi_b)`.

    Args:
      samples: draws (flattened).
      edges: bin edges ``[B + 1]``.
      reference: the reference bin probabilities ``[B]`` (e.g. :func:`bin_probabilities`),
        positive wherever a sample falls.

    Only bins with :math:`h_b > 0` contribute.  For N draws and B bins the estimate's bias
    (the noise floor) is about :math:`B/(2N)`.
    """
    _edges("hist_kl", edges)
    checks.check_ndim("hist_kl", "reference", reference, 1, "[n_bins]")
    if np.shape(reference)[0] != np.shape(edges)[0] - 1:
        raise ValueError(f"hist_kl: `reference` must have one entry per bin "
                         f"({np.shape(edges)[0] - 1}); got shape {np.shape(reference)}.")
    checks.check_positive("hist_kl", "reference", reference, allow_zero=True)
    h = histogram(samples, edges)
    h = h / h.sum()
    r = jnp.asarray(reference, h.dtype)
    r = r / r.sum()
    pos = h > 0
    return jnp.sum(jnp.where(pos, h * (jnp.log(jnp.where(pos, h, 1.0)) -
                                       jnp.log(jnp.where(pos, r, 1.0))), 0.0))


def tv_distance(p, q):
    r"""Total-variation distance :math:`\tfrac12\sum_i |p_i - q_i|` of two probability vectors
    (each normalised to sum 1 here)."""
    checks.check_same_shape("tv_distance", "p", p, "q", q)
    for name, v in (("p", p), ("q", q)):
        checks.check_positive("tv_distance", name, v, allow_zero=True)
    dtype = working_dtype(p, q)
    p, q = jnp.asarray(p, dtype), jnp.asarray(q, dtype)
    return 0.5 * jnp.sum(jnp.abs(p / p.sum() - q / q.sum()))


def ks_distance(samples, cdf):
    r"""Kolmogorov–Smirnov statistic :math:`\sup_x |F_n(x) - F(x)|` of 1-D ``samples``
    against a callable CDF."""
    checks.check_ndim("ks_distance", "samples", samples, 1, "[n]")
    checks.check_finite("ks_distance", "samples", samples)
    if not callable(cdf):
        checks.fail("ks_distance", "cdf", "must be callable", type(cdf).__name__)
    s = jnp.sort(jnp.asarray(samples, working_dtype(samples)))
    n = s.shape[0]
    F = cdf(s)
    i = jnp.arange(1, n + 1, dtype=s.dtype)
    return jnp.maximum(jnp.max(i / n - F), jnp.max(F - (i - 1) / n))


class SlopeFit(NamedTuple):
    """Least-squares line ``y ≈ slope·x + intercept`` with the slope's standard error."""
    slope: jax.Array
    intercept: jax.Array
    stderr: jax.Array


def slope_fit(x, y) -> SlopeFit:
    """Ordinary least-squares fit of a line (e.g. a log-log convergence or scaling slope)."""
    checks.check_ndim("slope_fit", "x", x, 1, "[n]")
    checks.check_same_shape("slope_fit", "x", x, "y", y)
    if np.shape(x)[0] < 3:
        raise ValueError(f"slope_fit: need at least 3 points; got {np.shape(x)[0]}.")
    checks.check_finite("slope_fit", "x", x)
    checks.check_finite("slope_fit", "y", y)
    dtype = working_dtype(x, y)
    x, y = jnp.asarray(x, dtype), jnp.asarray(y, dtype)
    xm, ym = x.mean(), y.mean()
    sxx = jnp.sum((x - xm) ** 2)
    slope = jnp.sum((x - xm) * (y - ym)) / sxx
    intercept = ym - slope * xm
    resid = y - (slope * x + intercept)
    stderr = jnp.sqrt(jnp.sum(resid**2) / (x.shape[0] - 2) / sxx)
    return SlopeFit(slope, intercept, stderr)


def spearman(x, y):
    """Spearman rank correlation of two 1-D samples (ties get average ranks)."""
    checks.check_ndim("spearman", "x", x, 1, "[n]")
    checks.check_same_shape("spearman", "x", x, "y", y)
    if np.shape(x)[0] < 3:
        raise ValueError(f"spearman: need at least 3 points; got {np.shape(x)[0]}.")
    dtype = working_dtype(x, y)

    def rank(v):
        v = jnp.asarray(v, dtype)
        order = jnp.argsort(v)
        r = jnp.empty_like(v).at[order].set(jnp.arange(v.shape[0], dtype=dtype))
        # average ranks over ties
        eq = v[:, None] == v[None, :]
        return (eq * r[None, :]).sum(1) / eq.sum(1)

    rx, ry = rank(x), rank(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return jnp.sum(rx * ry) / jnp.sqrt(jnp.sum(rx**2) * jnp.sum(ry**2))
