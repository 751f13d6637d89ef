import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

# Two CPU devices for the sharding tests; must happen before any array exists.
jax.config.update("jax_num_cpu_devices", 2)
import jax.numpy as jnp  # noqa: E402
import pytest  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def key():
    return jax.random.key(0)


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


@pytest.fixture(autouse=True)
def _fresh_verify():
    from geobook import verify
    verify.reset()
    yield
    verify.reset()
