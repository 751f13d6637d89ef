"""The walker axis of the SDE kernels can be sharded across devices (2 forced CPU devices)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

from geobook import sde


@pytest.mark.parametrize("axis_type", [jax.sharding.AxisType.Auto, jax.sharding.AxisType.Explicit])
def test_langevin_sharded_equals_unsharded(axis_type):
    assert len(jax.devices()) >= 2, "conftest forces 2 CPU devices"
    gH = lambda q: jnp.stack([4 * q[0] * (q[0] ** 2 - 1), q[1]])
    q0 = jnp.zeros((1024, 2), jnp.float32)
    ref = sde.langevin(jax.random.key(0), gH, q0, T=0.5, dt=1e-3, n_steps=200, save_every=100)
    mesh = jax.make_mesh((2,), ("walkers",), axis_types=(axis_type,))
    qs = jax.device_put(q0, NamedSharding(mesh, P("walkers")))
    with jax.set_mesh(mesh) if axis_type == jax.sharding.AxisType.Explicit else _null():
        out = sde.langevin(jax.random.key(0), gH, qs, T=0.5, dt=1e-3, n_steps=200, save_every=100)
    assert len(out.q.sharding.device_set) == 2
    assert out.q.sharding.spec[0] == "walkers"
    np.testing.assert_allclose(out.q, ref.q, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out.path, ref.path, rtol=1e-6, atol=1e-6)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
