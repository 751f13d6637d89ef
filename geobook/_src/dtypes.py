"""One rule for the working dtype: it follows the inputs (float32 stays float32)."""
import jax
import jax.numpy as jnp


def working_dtype(*xs, kind=float):
    """The inexact dtype that the inputs promote to (integers -> default float)."""
    arrays = [x for x in xs if x is not None]
    with jax.numpy_dtype_promotion("standard"):
        return jnp.result_type(kind, *arrays)


def asarray(x, dtype):
    return jnp.asarray(x, dtype=dtype)
