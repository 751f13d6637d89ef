r"""Linear changes of coordinates :math:`q' = Aq` and the covariance test (no validation).

Under :math:`q' = Aq` a vector (a step, an iterate) maps as :math:`v' = Av`, a covector (a
gradient) as :math:`G' = A^{-\top}G` and a (0,2) tensor (a metric, a noise covariance, a
Hessian) as :math:`T' = A^{-\top}TA^{-1}`.  A rule that turns covectors and tensors into a
vector is *covariant* when computing it from the primed inputs gives :math:`A` times the
unprimed output; :func:`mismatch` measures how far it is from that.

Shared by ``regimes.step_covariance_error`` (one step of a given metric) and
``optim.reparametrisation_error`` (an optimiser run for many steps): one transformation law
and one measure, written once.
"""
import jax.numpy as jnp

__all__ = ["covector", "form", "mismatch"]


def covector(A_inv, G):
    """:math:`A^{-\\top}G` for a covector ``G`` ``[..., K]`` (given ``A_inv`` ``[K, K]``)."""
    return G @ A_inv


def form(A_inv, T):
    """:math:`A^{-\\top}TA^{-1}` for a (0,2) tensor ``T`` ``[..., K, K]``; None stays None
    (a coordinate identity, the same matrix in every coordinate system)."""
    return None if T is None else jnp.swapaxes(A_inv, -1, -2) @ T @ A_inv


def mismatch(A, v, v_new):
    """:math:`\\|v' - Av\\| / \\|Av\\|` for vectors ``v``, ``v_new`` ``[K]`` (0 iff covariant)."""
    Av = A @ v
    return jnp.linalg.norm(v_new - Av) / jnp.linalg.norm(Av)
