r"""Statistics for checking samples against laws: histograms, histogram KL, total variation,
Kolmogorov–Smirnov, least-squares slopes and rank correlation.

The callables (a density ``pdf``, a distribution function ``cdf``) take their parameters
through ``args`` (``pdf(x, *args)``), like every geobook callable.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import xlogy

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["histogram", "bin_probabilities", "hist_kl", "tv_distance", "ks_distance",
           "slope_fit", "SlopeFit", "spearman"]


def _edges(fn, edges):
    checks.check_increasing(fn, "edges", edges, min_points=2)


def _line_data(fn, x, y):
    """Two 1-D arrays of the same shape with at least 3 finite points, in the working dtype."""
    checks.check_ndim(fn, "x", x, 1, "[n]")
    checks.check_same_shape(fn, "x", x, "y", y)
    if np.shape(x)[0] < 3:
        checks.fail(fn, "x", "must hold at least 3 points", x)
    checks.check_finite(fn, "x", x)
    checks.check_finite(fn, "y", y)
    dtype = working_dtype(x, y)
    return jnp.asarray(x, dtype), jnp.asarray(y, dtype)


@jax.jit
def _histogram_kernel(s, e):
    idx = jnp.searchsorted(e, s, side="right") - 1
    inside = (idx >= 0) & (idx < e.shape[0] - 1)
    counts = jnp.zeros(e.shape[0] - 1, s.dtype).at[jnp.where(inside, idx, 0)].add(
        inside.astype(s.dtype))
    return counts / s.shape[0]


def histogram(samples, edges):
    r"""The fraction of ``samples`` in each bin :math:`[e_i, e_{i+1})`.

    The fractions are relative to *all* samples, so mass outside the edges is not counted.

    Args:
      samples: draws, any shape (flattened), finite (traced).
      edges: the bin edges ``[n_bins + 1]``, strictly increasing (traced).

    Returns:
      The fractions ``[n_bins]``.

    Raises:
      ValueError: if ``samples`` is not finite or ``edges`` is not a strictly increasing
        ``[n_bins + 1]`` array with at least 2 entries.

    Examples:
      >>> h = stats.histogram(jnp.array([0.1, 0.2, 0.7, 1.5]), jnp.array([0.0, 0.5, 1.0]))
      >>> print(*(f"{float(v):.2f}" for v in h))        # 1.5 falls outside
      0.50 0.25
    """
    _edges("histogram", edges)
    checks.check_finite("histogram", "samples", samples)
    dtype = working_dtype(samples, edges)
    return _histogram_kernel(jnp.ravel(jnp.asarray(samples, dtype)), jnp.asarray(edges, dtype))


@partial(jax.jit, static_argnames=("pdf", "n_sub"))
def _bin_probabilities_kernel(e, args, *, pdf, n_sub):
    gx, gw = np.polynomial.legendre.leggauss(4)
    sub = jnp.linspace(0.0, 1.0, n_sub + 1, dtype=e.dtype)
    a = e[:-1, None] + (e[1:] - e[:-1])[:, None] * sub[None, :-1]
    h = (e[1:] - e[:-1])[:, None] / n_sub
    pts = a[..., None] + 0.5 * h[..., None] * (jnp.asarray(gx, e.dtype) + 1.0)
    w = 0.5 * h[..., None] * jnp.asarray(gw, e.dtype)
    mass = jnp.sum(pdf(pts, *args) * w, axis=(1, 2))
    return mass / mass.sum()


def bin_probabilities(pdf: Callable, edges, *, n_sub: int = 64, args: tuple = ()):
    r"""The probability of each bin under a (possibly unnormalised) density, normalised over
    the bins:

    .. math:: \pi_b = \frac{\int_{e_b}^{e_{b+1}} f(x)\,dx}{\int_{e_0}^{e_B} f(x)\,dx},

    by composite 4-point Gauss–Legendre quadrature on ``n_sub`` sub-intervals per bin.

    Args:
      pdf: the density ``f(x, *args)``, applied elementwise to an array ``x`` of any shape
        (static; JAX-traceable; it must return an array of the shape of ``x``).
      edges: the bin edges ``[n_bins + 1]``, strictly increasing (traced).
      n_sub: sub-intervals per bin (static int >= 1).
      args: a tuple of (traced) parameters passed on as ``pdf(x, *args)``.

    Returns:
      The bin probabilities ``[n_bins]`` (summing to 1).

    Raises:
      ValueError: if ``edges`` is not strictly increasing, ``n_sub`` is not an int >= 1,
        ``pdf`` is not callable or does not return the shape of its input, or ``args`` is not
        a tuple.

    Examples:
      The standard normal on ``[-3, 3]``: :math:`P(|X| < 1)/P(|X| < 3) = 0.6845`:

      >>> gauss = lambda x, sigma: jnp.exp(-x**2 / (2 * sigma**2))
      >>> pi = stats.bin_probabilities(gauss, jnp.array([-3.0, -1.0, 1.0, 3.0]), args=(1.0,))
      >>> print(*(f"{float(v):.4f}" for v in pi))
      0.1577 0.6845 0.1577
    """
    fn = "bin_probabilities"
    _edges(fn, edges)
    checks.check_int(fn, "n_sub", n_sub)
    checks.check_callable(fn, "pdf", pdf, signature="x -> an array of the shape of x")
    checks.check_args(fn, args)
    e = jnp.asarray(edges, working_dtype(edges))
    shape = (e.shape[0] - 1, n_sub, 4)
    checks.output_shape(fn, "pdf", pdf, shape, e.dtype, shape, args=args,
                        layout="an array of the same shape (pdf acts elementwise)")
    return _bin_probabilities_kernel(e, args, pdf=pdf, n_sub=n_sub)


@jax.jit
def _hist_kl_kernel(samples, edges, reference):
    h = _histogram_kernel(samples, edges)
    h = h / h.sum()
    r = reference / reference.sum()
    return jnp.sum(xlogy(h, h) - xlogy(h, r))


def hist_kl(samples, edges, reference):
    r"""Histogram estimate of the Kullback–Leibler divergence of the samples' law from a
    reference law,

    .. math:: \mathrm{KL}(\hat p\,\|\,\pi) = \sum_b h_b\ln\frac{h_b}{\pi_b}
              \qquad (0\ln 0 = 0),

    with :math:`h_b` the histogram of the samples inside the edges (renormalised). Only bins
    with :math:`h_b > 0` contribute. For N draws and B bins the estimate's bias (the noise
    floor) is about :math:`B/(2N)`.

    Args:
      samples: draws, any shape (flattened), finite (traced).
      edges: the bin edges ``[n_bins + 1]``, strictly increasing (traced).
      reference: the reference bin probabilities ``[n_bins]``, ``>= 0`` and positive wherever
        a sample falls (e.g. from :func:`bin_probabilities`; renormalised here) (traced).

    Returns:
      The estimate, a scalar :math:`\ge 0` (``inf`` if a sample falls in a bin of reference
      probability 0).

    Raises:
      ValueError: as :func:`histogram`, and if ``reference`` does not hold one non-negative
        entry per bin.

    Examples:
      >>> e = jnp.array([0.0, 0.5, 1.0])
      >>> samples = jnp.array([0.25, 0.75])                 # h = (1/2, 1/2)
      >>> print(f"{float(stats.hist_kl(samples, e, jnp.array([0.5, 0.5]))):.4f}")
      0.0000
      >>> print(f"{float(stats.hist_kl(samples, e, jnp.array([0.25, 0.75]))):.4f}")
      0.1438
    """
    fn = "hist_kl"
    _edges(fn, edges)
    checks.check_finite(fn, "samples", samples)
    checks.check_ndim(fn, "reference", reference, 1, "[n_bins]")
    checks.check_size(fn, "reference", reference, np.shape(edges)[0] - 1, what="one per bin")
    checks.check_positive(fn, "reference", reference, allow_zero=True)
    dtype = working_dtype(samples, edges)
    return _hist_kl_kernel(jnp.ravel(jnp.asarray(samples, dtype)), jnp.asarray(edges, dtype),
                           jnp.asarray(reference, dtype))


@jax.jit
def _tv_kernel(p, q):
    return 0.5 * jnp.sum(jnp.abs(p / p.sum() - q / q.sum()))


def tv_distance(p, q):
    r"""Total-variation distance :math:`\tfrac12\sum_i |p_i - q_i|` of two probability vectors
    (each normalised to sum 1 here).

    Args:
      p: non-negative weights, any shape (traced).
      q: non-negative weights, the shape of ``p`` (traced).

    Returns:
      The distance, a scalar in ``[0, 1]``.

    Raises:
      ValueError: if ``p`` and ``q`` differ in shape or have a negative or non-finite entry.

    Examples:
      >>> print(f"{float(stats.tv_distance(jnp.array([1.0, 1.0]), jnp.array([1.0, 3.0]))):.2f}")
      0.25
    """
    checks.check_same_shape("tv_distance", "p", p, "q", q)
    for name, w in (("p", p), ("q", q)):
        checks.check_positive("tv_distance", name, w, allow_zero=True)
    dtype = working_dtype(p, q)
    return _tv_kernel(jnp.asarray(p, dtype), jnp.asarray(q, dtype))


@partial(jax.jit, static_argnames="cdf")
def _ks_kernel(samples, args, *, cdf):
    s = jnp.sort(samples)
    n = s.shape[0]
    F = cdf(s, *args)
    i = jnp.arange(1, n + 1, dtype=s.dtype)
    return jnp.maximum(jnp.max(i / n - F), jnp.max(F - (i - 1) / n))


def ks_distance(samples, cdf: Callable, *, args: tuple = ()):
    r"""Kolmogorov–Smirnov statistic :math:`\sup_x |F_n(x) - F(x)|` of 1-D samples against a
    distribution function.

    Args:
      samples: draws ``[n]``, finite (traced).
      cdf: the distribution function ``F(x, *args)``, applied elementwise to ``x: [n]``
        (static; JAX-traceable; returns ``[n]``).
      args: a tuple of (traced) parameters passed on as ``cdf(x, *args)``.

    Returns:
      The statistic, a scalar in ``[0, 1]``.

    Raises:
      ValueError: if ``samples`` is not ``[n]`` and finite, ``cdf`` is not callable or does not
        return ``[n]``, or ``args`` is not a tuple.

    Examples:
      Ten evenly spread quantiles of the uniform law are 1/20 from it; ``args`` passes the
      location and scale to ``norm.cdf``:

      >>> u = jnp.linspace(0.05, 0.95, 10)
      >>> print(f"{float(stats.ks_distance(u, lambda x: x)):.3f}")
      0.050
      >>> d = stats.ks_distance(3.0 + 2.0 * jax.random.normal(jax.random.key(0), (4000,)),
      ...                       jax.scipy.stats.norm.cdf, args=(3.0, 2.0))
      >>> bool(d < 1.36 / 4000**0.5)                   # not rejected at the 5% level
      True
    """
    fn = "ks_distance"
    checks.check_ndim(fn, "samples", samples, 1, "[n]")
    checks.check_finite(fn, "samples", samples)
    checks.check_callable(fn, "cdf", cdf, signature="x: [n] -> [n]")
    checks.check_args(fn, args)
    s = jnp.asarray(samples, working_dtype(samples))
    checks.output_shape(fn, "cdf", cdf, s.shape, s.dtype, s.shape, args=args)
    return _ks_kernel(s, args, cdf=cdf)


class SlopeFit(NamedTuple):
    """Least-squares line ``y ≈ slope·x + intercept``.

    Attributes:
      slope: the fitted slope (a scalar).
      intercept: the fitted intercept (a scalar).
      stderr: the standard error of the slope (a scalar; as ``scipy.stats.linregress``).
    """
    slope: jax.Array
    intercept: jax.Array
    stderr: jax.Array


@jax.jit
def _slope_kernel(x, y):
    xm, ym = x.mean(), y.mean()
    sxx = jnp.sum((x - xm) ** 2)
    slope = jnp.sum((x - xm) * (y - ym)) / sxx
    intercept = ym - slope * xm
    resid = y - (slope * x + intercept)
    stderr = jnp.sqrt(jnp.sum(resid**2) / (x.shape[0] - 2) / sxx)
    return SlopeFit(slope, intercept, stderr)


def slope_fit(x, y) -> SlopeFit:
    r"""Ordinary least-squares fit of a line (e.g. a log-log convergence or scaling slope).

    .. math:: \hat a = \frac{\sum (x_i - \bar x)(y_i - \bar y)}{\sum (x_i - \bar x)^2},
              \qquad \hat b = \bar y - \hat a\,\bar x.

    Args:
      x: abscissae ``[n]``, ``n >= 3``, finite (traced).
      y: ordinates ``[n]``, finite (traced).

    Returns:
      :class:`SlopeFit`.

    Raises:
      ValueError: if ``x`` is not ``[n]`` with ``n >= 3``, ``y`` differs in shape, or either
        is not finite.

    Examples:
      >>> x = jnp.linspace(0.0, 1.0, 20)
      >>> fit = stats.slope_fit(x, 3 * x - 2)
      >>> print(f"{float(fit.slope):.3f} {float(fit.intercept):.3f}")
      3.000 -2.000
    """
    return _slope_kernel(*_line_data("slope_fit", x, y))


def _rank(v):
    """Ranks ``0 … n-1`` of ``v``, ties sharing their average rank."""
    order = jnp.argsort(v)
    r = jnp.empty_like(v).at[order].set(jnp.arange(v.shape[0], dtype=v.dtype))
    eq = v[:, None] == v[None, :]
    return (eq * r[None, :]).sum(1) / eq.sum(1)


@jax.jit
def _spearman_kernel(x, y):
    rx, ry = _rank(x), _rank(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return jnp.sum(rx * ry) / jnp.sqrt(jnp.sum(rx**2) * jnp.sum(ry**2))


def spearman(x, y):
    r"""Spearman rank correlation of two 1-D samples: the Pearson correlation of their ranks
    (ties get their average rank).

    Args:
      x: a sample ``[n]``, ``n >= 3``, finite (traced).
      y: a sample ``[n]``, finite (traced).

    Returns:
      The correlation, a scalar in ``[-1, 1]``.

    Raises:
      ValueError: as :func:`slope_fit`.

    Examples:
      Any increasing transform has rank correlation 1:

      >>> x = jnp.array([0.3, 1.2, -0.5, 2.0, 0.9])
      >>> print(f"{float(stats.spearman(x, jnp.exp(x))):.2f} {float(stats.spearman(x, -x)):.2f}")
      1.00 -1.00
    """
    return _spearman_kernel(*_line_data("spearman", x, y))
