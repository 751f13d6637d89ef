r"""Tomita–Takesaki modular theory of :math:`M_d(\mathbb C)` in its standard form.

The algebra :math:`M = M_d(\mathbb C)` acts by left multiplication on the Hilbert space
:math:`\mathcal H = M_d(\mathbb C)` with the Hilbert–Schmidt inner product
:math:`\langle \eta, \zeta\rangle = \operatorname{tr}(\eta^*\zeta)`.  A faithful density
matrix :math:`\rho` (Hermitian, positive definite, trace 1) gives the cyclic and separating
vector :math:`\xi = \rho^{1/2}` with :math:`\langle\xi, x\xi\rangle = \operatorname{tr}(\rho x)
= \omega(x)`.  Then

* the Tomita operator :math:`S(x\xi) = x^*\xi` is :math:`S\eta = \rho^{-1/2}\eta^*\rho^{1/2}`;
* its polar decomposition :math:`S = J\Delta^{1/2}` has :math:`\Delta\eta = \rho\eta\rho^{-1}`
  and :math:`J\eta = \eta^*`;
* the modular group is :math:`\sigma_t(x) = \Delta^{it}x\Delta^{-it}\big|_M = \rho^{it}x\rho^{-it}`;
* the natural cone :math:`\mathcal P^\natural = \{\Delta^{1/4}x\xi : x\ge0\}
  = \{\rho^{1/4}a\rho^{1/4} : a \ge 0\}` is the cone of positive semidefinite matrices.

Everything is complex (complex128 with x64 enabled, complex64 otherwise), batched over
leading axes, and works under ``jit`` and ``vmap``.  Book chapter: *CAH natural cones and
modular flow*.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from geobook._src import checks
from geobook._src.dtypes import working_dtype

__all__ = ["modular_operator", "modular_conjugation", "tomita", "sigma_t", "natural_cone",
           "kms_residual"]


def _cdtype(*xs):
    return working_dtype(*xs, kind=complex)


def _rho(fn, rho):
    checks.check_density(fn, "rho", rho)
    return jnp.asarray(rho, _cdtype(rho))


def _mat(fn, arg, x, d=None):
    checks.check_square(fn, arg, x)
    checks.check_finite(fn, arg, x)
    if d is not None and np.shape(x)[-1] != d:
        raise ValueError(f"{fn}: `{arg}` and `rho` must have the same size along axis -1; got "
                         f"shapes {np.shape(x)} and (..., {d}, {d}).")
    return x


def _dagger(x):
    return jnp.conj(jnp.swapaxes(x, -1, -2))


def _rho_power(rho, z):
    """``ρ^z`` for complex ``z`` (any shape broadcasting against the batch of ``ρ``)."""
    lam, V = jnp.linalg.eigh(rho)
    ph = jnp.exp(jnp.asarray(z)[..., None] * jnp.log(lam).astype(rho.dtype))
    return (V * ph[..., None, :]) @ _dagger(V)


@jax.jit
def _modular_operator(rho, z):
    A = _rho_power(rho, z)
    B = jnp.swapaxes(_rho_power(rho, -z), -1, -2)
    d = rho.shape[-1]
    K = jnp.einsum("...ij,...kl->...ikjl", A, B)
    return K.reshape(*K.shape[:-4], d * d, d * d)


def modular_operator(rho, power=1.0):
    r"""The modular operator (or its complex power) as a ``[d², d²]`` matrix.

    :math:`\Delta^z\eta = \rho^z\eta\rho^{-z}`, acting on :math:`\eta\in M_d(\mathbb C)`
    flattened row-major (``eta.reshape(-1)``): :math:`\Delta^z = \rho^z\otimes(\rho^{-z})^\top`.
    :math:`\Delta` is positive and self-adjoint for the Hilbert–Schmidt inner product, with
    eigenvalues :math:`\lambda_i/\lambda_j`; :math:`\Delta^{it}` is unitary.

    Args:
      rho: a faithful density matrix ``[..., d, d]`` (Hermitian, positive definite, trace 1).
      power: the complex power ``z`` (traced): 1 for :math:`\Delta`, ``0.5`` for
        :math:`\Delta^{1/2}`, ``1j * t`` for :math:`\Delta^{it}`.

    Returns:
      ``[..., d², d²]`` complex.

    Raises:
      ValueError: if ``rho`` is not Hermitian, positive definite and of trace 1, or ``power``
        is not finite.

    References:
      :cite:t:`takesaki2003theory`, Ch. VI; :cite:t:`araki1974some`.

    Examples:
      >>> D = modular.modular_operator(jnp.diag(jnp.array([0.8, 0.2])))
      >>> print(np.round(np.diag(np.asarray(D)).real, 3))     # λ_i / λ_j
      [1.   4.   0.25 1.  ]
    """
    rho = _rho("modular_operator", rho)
    checks.check_finite("modular_operator", "power", power)
    return _modular_operator(rho, jnp.asarray(power, rho.dtype))


def modular_conjugation(eta):
    r"""The modular conjugation :math:`J\eta = \eta^*` (antiunitary, :math:`J^2 = 1`).

    In the standard form of this module :math:`J` does not depend on the state:
    :math:`JMJ = M'` maps left multiplications to right multiplications,
    :math:`J x J\eta = \eta x^*`.

    Args:
      eta: vectors of the Hilbert–Schmidt space, ``[..., d, d]``.

    Returns:
      ``[..., d, d]`` complex: the conjugate transposes.

    Raises:
      ValueError: if ``eta`` is not a finite (batch of) square matrices.

    Examples:
      >>> J = modular.modular_conjugation(jnp.array([[1.0, 2.0j], [0.0, 3.0]]))
      >>> print(np.asarray(J))
      [[1.-0.j 0.-0.j]
       [0.-2.j 3.-0.j]]
    """
    eta = _mat("modular_conjugation", "eta", eta)
    return _dagger(jnp.asarray(eta, _cdtype(eta)))


@jax.jit
def _tomita(eta, rho):
    return _rho_power(rho, -0.5) @ _dagger(eta) @ _rho_power(rho, 0.5)


def tomita(eta, rho):
    r"""The Tomita operator :math:`S\eta = \rho^{-1/2}\eta^*\rho^{1/2}`.

    The closure of :math:`x\xi \mapsto x^*\xi` for :math:`\xi = \rho^{1/2}`; antilinear,
    involutive (:math:`S^2 = 1`), with polar decomposition :math:`S = J\Delta^{1/2}`.

    Args:
      eta: vectors ``[..., d, d]``.
      rho: a faithful density matrix ``[..., d, d]`` (batch axes broadcast).

    Returns:
      ``[..., d, d]`` complex.

    Raises:
      ValueError: if ``rho`` is not a faithful density matrix or ``eta`` is not square and
        finite of the size of ``rho``.

    References:
      :cite:t:`takesaki2003theory`, Ch. VI.

    Examples:
      >>> rho = jnp.diag(jnp.array([0.8, 0.2])); x = jnp.array([[0.0, 1.0], [0.0, 0.0]])
      >>> xi = jnp.sqrt(rho)
      >>> print(np.round(np.abs(np.asarray(modular.tomita(x @ xi, rho) - x.T @ xi)).max(), 6))
      0.0
    """
    rho = _rho("tomita", rho)
    eta = _mat("tomita", "eta", eta, rho.shape[-1])
    dtype = _cdtype(eta, rho)
    return _tomita(jnp.asarray(eta, dtype), rho.astype(dtype))


@jax.jit
def _sigma(x, rho, t):
    batch = jnp.broadcast_shapes(x.shape[:-2], rho.shape[:-2])
    t = t.reshape(t.shape + (1,) * len(batch))
    U = _rho_power(rho, 1j * t)
    Ui = _rho_power(rho, -1j * t)
    return U @ x @ Ui


def sigma_t(x, rho, t):
    r"""The modular automorphism group :math:`\sigma_t(x) = \rho^{it}x\rho^{-it}`.

    For real ``t`` a ``*``-automorphism (it keeps the spectrum, Hermiticity and positivity of
    ``x`` and :math:`\omega = \operatorname{tr}(\rho\,\cdot)`); for complex ``t`` its analytic
    continuation, e.g. :math:`\sigma_{-i}(x) = \rho x\rho^{-1}`.

    Args:
      x: operators ``[..., d, d]``.
      rho: a faithful density matrix ``[..., d, d]`` (batch axes broadcast with ``x``).
      t: real or complex times, any shape ``T`` (traced).

    Returns:
      ``[*T, ..., d, d]`` complex.

    Raises:
      ValueError: if ``rho`` is not a faithful density matrix, ``x`` is not square and finite
        of the size of ``rho``, or ``t`` is not finite.

    References:
      :cite:t:`takesaki2003theory`, Ch. VIII; :cite:t:`connes1974caracterisation`.

    Examples:
      >>> rho = jnp.diag(jnp.array([0.8, 0.2])); x = jnp.array([[0.0, 1.0], [0.0, 0.0]])
      >>> print(np.round(np.asarray(modular.sigma_t(x, rho, -1j))[0, 1].real, 3))   # ρxρ⁻¹
      4.0
    """
    rho = _rho("sigma_t", rho)
    x = _mat("sigma_t", "x", x, rho.shape[-1])
    checks.check_finite("sigma_t", "t", t)
    dtype = _cdtype(x, rho)
    return _sigma(jnp.asarray(x, dtype), rho.astype(dtype), jnp.asarray(t, dtype))


@jax.jit
def _natural(a, rho):
    q = _rho_power(rho, 0.25)
    return q @ a @ q


def natural_cone(a, rho):
    r"""The point :math:`\Delta^{1/4}a\xi = \rho^{1/4}a\rho^{1/4}` of the natural cone.

    As ``a`` ranges over the positive semidefinite matrices, this ranges over the whole
    natural cone :math:`\mathcal P^\natural`, which equals the PSD cone (whatever ``rho``):
    self-dual for the Hilbert–Schmidt pairing and invariant under :math:`\Delta^{it}` and
    :math:`J`.

    Args:
      a: Hermitian positive semidefinite ``[..., d, d]``.
      rho: a faithful density matrix ``[..., d, d]`` (batch axes broadcast).

    Returns:
      Hermitian PSD ``[..., d, d]`` complex.

    Raises:
      ValueError: if ``rho`` is not a faithful density matrix, or ``a`` is not Hermitian of the
        size of ``rho`` or has a negative eigenvalue.

    References:
      :cite:t:`araki1974some`; :cite:t:`connes1974caracterisation`;
      :cite:t:`haagerup1975standard`.

    Examples:
      >>> rho = jnp.diag(jnp.array([0.8, 0.2]))
      >>> P = modular.natural_cone(jnp.ones((2, 2)), rho)
      >>> print(bool(jnp.linalg.eigvalsh(P).min() > -1e-6))
      True
    """
    fn = "natural_cone"
    rho = _rho(fn, rho)
    _mat(fn, "a", a, rho.shape[-1])
    checks.check_hermitian(fn, "a", a)
    if checks.is_concrete(a):
        lam = np.linalg.eigvalsh(np.asarray(a, np.complex128))
        scale = max(float(np.max(np.abs(lam))), 1e-300)
        if np.min(lam) < -1e-10 * scale:
            raise ValueError(f"{fn}: `a` must be positive semidefinite; got a matrix with "
                             f"smallest eigenvalue {float(np.min(lam)):.3e}.")
    dtype = _cdtype(a, rho)
    return _natural(jnp.asarray(a, dtype), rho.astype(dtype))


@jax.jit
def _kms(x, y, rho, t, beta):
    lhs = jnp.trace(rho @ x @ _sigma(y, rho, t - 1j * beta), axis1=-2, axis2=-1)
    rhs = jnp.trace(rho @ _sigma(y, rho, t) @ x, axis1=-2, axis2=-1)
    return jnp.abs(lhs - rhs)


def kms_residual(x, y, rho, t=0.0, *, beta=1.0):
    r"""Residual of the KMS condition of :math:`\omega = \operatorname{tr}(\rho\,\cdot)` for
    the modular group.

    .. math:: r(t) = \big|\,\omega\big(x\,\sigma_{t-i\beta}(y)\big)
              - \omega\big(\sigma_t(y)\,x\big)\big|.

    At :math:`\beta = 1` this vanishes for every ``x, y, t`` (the state is KMS at inverse
    temperature −1 for :math:`\sigma`); at :math:`\beta\ne1` it does not in general.

    Args:
      x: operators ``[..., d, d]``.
      y: operators ``[..., d, d]``.
      rho: a faithful density matrix ``[..., d, d]`` (batch axes broadcast).
      t: real times, any shape ``T`` (traced).
      beta: the imaginary shift (traced); 1 for the KMS condition itself.

    Returns:
      ``[*T, ...]`` real, non-negative.

    Raises:
      ValueError: if ``rho`` is not a faithful density matrix, ``x`` or ``y`` is not square
        and finite of the size of ``rho``, or ``t`` or ``beta`` is not finite.

    References:
      :cite:t:`takesaki2003theory`, Ch. VIII; :cite:t:`haag1967equilibrium`.

    Examples:
      >>> rho = jnp.diag(jnp.array([0.7, 0.3])); x = jnp.array([[0.0, 1.0], [1.0, 0.0]])
      >>> y = jnp.array([[1.0, 2.0], [0.0, -1.0]])
      >>> print(float(modular.kms_residual(x, y, rho)) < 1e-5,
      ...       float(modular.kms_residual(x, y, rho, beta=0.5)) > 0.1)
      True True
    """
    fn = "kms_residual"
    rho = _rho(fn, rho)
    d = rho.shape[-1]
    x, y = _mat(fn, "x", x, d), _mat(fn, "y", y, d)
    checks.check_finite(fn, "t", t)
    checks.check_finite(fn, "beta", beta)
    dtype = _cdtype(x, y, rho)
    real = jnp.finfo(dtype).dtype
    return _kms(jnp.asarray(x, dtype), jnp.asarray(y, dtype), rho.astype(dtype),
                jnp.asarray(t, real).astype(dtype), jnp.asarray(beta, real).astype(dtype))
