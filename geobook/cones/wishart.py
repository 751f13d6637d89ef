r"""Wishart laws on the SPD cone: Bartlett sampling, the log-density, the multivariate gamma.

:math:`W \sim W_n(N, \Sigma)` is the law of :math:`\sum_{k=1}^N x_kx_k^\top` for independent
:math:`x_k\sim N(0, \Sigma)` (for integer :math:`N \ge n`), extended to every real
:math:`N > n - 1` by its density

.. math:: f(W) = \frac{\det W^{(N-n-1)/2}\, e^{-\operatorname{tr}(\Sigma^{-1}W)/2}}
          {2^{Nn/2}\det\Sigma^{N/2}\,\Gamma_n(N/2)},
          \qquad \Gamma_n(a) = \pi^{n(n-1)/4}\prod_{j=1}^n\Gamma\big(a - \tfrac{j-1}{2}\big).

Every function is batched over leading axes and works under ``jit`` and ``vmap``.
"""
from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype
from geobook._src.spd import sym
from geobook.cones._common import multigammaln_kernel, prep

__all__ = ["multigammaln", "wishart_sample", "wishart_logpdf"]


def _check_dof(fn, arg, a, bound, what):
    checks.check_finite(fn, arg, a)
    if checks.is_concrete(a) and not np.all(np.asarray(a, np.float64) > bound):
        checks.fail(fn, arg, f"must be > {what}", a)


def multigammaln(a, n: int):
    r"""Logarithm of the multivariate gamma function :math:`\ln\Gamma_n(a)`.

    .. math:: \ln\Gamma_n(a) = \tfrac{n(n-1)}{4}\ln\pi + \sum_{j=1}^n \ln\Gamma\big(a - \tfrac{j-1}{2}\big)
              = \ln\int_{\mathcal P_n} e^{-\operatorname{tr} Y}\det Y^{a-(n+1)/2}\,dY.

    Args:
      a: real ``[...]`` with every entry > ``(n - 1)/2`` (traced).
      n: the matrix size, a Python int >= 1 (static).

    Returns:
      ``[...]`` in the working dtype of ``a``.

    Raises:
      ValueError: if ``n`` is not an int >= 1 or an entry of ``a`` is not > ``(n - 1)/2``.

    References:
      :cite:t:`faraut1994analysis`, Ch. VII.

    Examples:
      :math:`\Gamma_2(3/2) = \pi/2`:

      >>> print(f"{float(jnp.exp(cones.multigammaln(1.5, 2))):.5f}")
      1.57080
    """
    checks.check_int("multigammaln", "n", n)
    _check_dof("multigammaln", "a", a, 0.5 * (n - 1), f"(n - 1)/2 = {0.5 * (n - 1)}")
    a = jnp.asarray(a, working_dtype(a))
    return multigammaln_kernel(a, n)


@partial(jax.jit, static_argnames=("shape",))
def _wishart_sample(key, dof, Sigma, *, shape):
    n = Sigma.shape[-1]
    full = (*shape, *Sigma.shape[:-2])
    kd, ko = jax.random.split(key)
    alpha = 0.5 * (dof - jnp.arange(n, dtype=Sigma.dtype))            # chi²_{N-i} = 2 Γ(.)
    diag = jnp.sqrt(2.0 * jax.random.gamma(kd, alpha, (*full, n), Sigma.dtype))
    low = jnp.tril(jax.random.normal(ko, (*full, n, n), Sigma.dtype), -1)
    A = low + diag[..., None] * jnp.eye(n, dtype=Sigma.dtype)
    LA = jnp.linalg.cholesky(sym(Sigma)) @ A
    return sym(LA @ jnp.swapaxes(LA, -1, -2))


def wishart_sample(key, dof, Sigma, shape=()):
    r"""Draws of the Wishart law :math:`W_n(N, \Sigma)` by the Bartlett decomposition.

    :math:`W = LAA^\top L^\top` with :math:`\Sigma = LL^\top` and :math:`A` lower triangular,
    :math:`A_{ii}^2\sim\chi^2_{N-i+1}`, :math:`A_{ij}\sim N(0,1)` below the diagonal, all
    independent; then :math:`E\,W = N\Sigma`.  Real ``dof`` :math:`N > n - 1` is allowed.

    Args:
      key: a JAX PRNG key.
      dof: the degrees of freedom :math:`N`, a real > ``n - 1`` (traced).
      Sigma: the scale matrix, SPD ``[..., n, n]``.
      shape: the sample shape (static); the result is ``shape + Sigma.shape``.

    Returns:
      SPD ``[*shape, ..., n, n]`` in the dtype of ``Sigma``.

    Raises:
      ValueError: if ``Sigma`` is not SPD or ``dof`` is not a finite real > ``n - 1``.

    References:
      :cite:t:`bartlett1933theory`; :cite:t:`faraut1994analysis`, Ch. VII.

    Examples:
      >>> W = cones.wishart_sample(jax.random.key(0), 10.0, jnp.eye(2), (20000,))
      >>> print(W.shape, np.round(np.asarray(W.mean(0)) / 10, 1))
      (20000, 2, 2) [[ 1. -0.]
       [-0.  1.]]
    """
    Sigma = prep("wishart_sample", "Sigma", Sigma)
    n = Sigma.shape[-1]
    _check_dof("wishart_sample", "dof", dof, n - 1, f"n - 1 = {n - 1}")
    if isinstance(shape, int):
        shape = (shape,)
    return _wishart_sample(key, jnp.asarray(dof, Sigma.dtype), Sigma, shape=tuple(shape))


@jax.jit
def _wishart_logpdf(W, dof, Sigma):
    n = W.shape[-1]
    _, ldw = jnp.linalg.slogdet(W)
    _, lds = jnp.linalg.slogdet(Sigma)
    tr = jnp.trace(jnp.linalg.solve(Sigma, W), axis1=-2, axis2=-1)
    return (0.5 * (dof - n - 1) * ldw - 0.5 * tr - 0.5 * dof * n * math.log(2.0)
            - 0.5 * dof * lds - multigammaln_kernel(0.5 * dof, n))


def wishart_logpdf(W, dof, Sigma):
    r"""Log-density of :math:`W_n(N, \Sigma)` at ``W`` (Lebesgue measure on the
    :math:`n(n+1)/2` entries :math:`W_{ij}, i\le j`).

    Args:
      W: SPD ``[..., n, n]``, the point.
      dof: the degrees of freedom :math:`N`, a real > ``n - 1`` (traced).
      Sigma: the scale matrix, SPD ``[..., n, n]`` (batch axes broadcast with ``W``).

    Returns:
      ``[...]`` in the dtype ``W`` and ``Sigma`` promote to.

    Raises:
      ValueError: if ``W`` or ``Sigma`` is not SPD, their sizes differ, or ``dof`` is not a
        finite real > ``n - 1``.

    Examples:
      >>> lp = cones.wishart_logpdf(jnp.eye(2), 3.0, jnp.eye(2))
      >>> print(f"{float(lp):.4f}")                      # = -1 - 3 ln 2 - ln Γ_2(3/2)
      -3.5310
    """
    W, Sigma = prep("wishart_logpdf", "W", W), prep("wishart_logpdf", "Sigma", Sigma)
    checks.check_same_size("wishart_logpdf", "W", W, "Sigma", Sigma)
    n = W.shape[-1]
    _check_dof("wishart_logpdf", "dof", dof, n - 1, f"n - 1 = {n - 1}")
    dtype = working_dtype(W, Sigma)
    return _wishart_logpdf(W.astype(dtype), jnp.asarray(dof, dtype), Sigma.astype(dtype))
