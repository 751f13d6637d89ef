"""Eigenvalues only, from LAPACK, on CPU (private; no validation).

``jnp.linalg.eigvalsh`` lowers on CPU to LAPACK ``?syevd`` in mode ``'V'`` (eigenvectors
too) and discards the vectors.  :func:`eigvalsh` calls the same jaxlib LAPACK kernel
(``lapack_?syevd_ffi``, the target JAX's own ``eigh`` lowering uses) through
``jax.ffi.ffi_call`` with ``mode='N'``, as NumPy's ``eigvalsh`` does: for 10 000 8×8
matrices it takes about 60 % of the time.  CPU only (callers dispatch with
``jax.lax.platform_dependent``); not differentiable (callers give their function a
``custom_jvp``).  It depends on the name and attributes of a jaxlib kernel, which is not a
public API: ``tests/test_cones.py`` checks it against NumPy.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def eigvalsh(W):
    """Ascending eigenvalues ``[..., n]`` of the symmetric ``W [..., n, n]`` (float32/64).

    ``W`` must be exactly symmetric: LAPACK reads one triangle (row-major upper, i.e.
    column-major lower).  A failed decomposition (LAPACK ``info != 0``) gives NaN.
    """
    from jaxlib import lapack

    n, batch = W.shape[-1], W.shape[:-2]
    target = lapack.prepare_lapack_call("syevd_ffi", np.dtype(W.dtype))
    call = jax.ffi.ffi_call(
        target,
        (jax.ShapeDtypeStruct(W.shape, W.dtype), jax.ShapeDtypeStruct(batch + (n,), W.dtype),
         jax.ShapeDtypeStruct(batch, jnp.int32)),
        input_output_aliases={0: 0}, vmap_method="broadcast_all")
    _, lam, info = call(W, mode=np.uint8(ord("N")), uplo=np.uint8(ord("L")))
    return jnp.where((info == 0)[..., None], lam, jnp.nan)
