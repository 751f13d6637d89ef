"""Root conftest: JAX settings for the whole test run (tests and doctests), set before any
array exists, and the doctest namespace."""
import os
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# JAX's persistent compilation cache, the one the book build uses (inside the project's own
# _build/, never the user's home): kernels compiled by the build or an earlier test run are
# read back instead of compiled again. tests/compile_count.py counts disk hits as compilations.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(__file__).parent / "_build" / ".jax-cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
import jax  # noqa: E402

# Two CPU devices for the sharding tests; must happen before any array exists.
jax.config.update("jax_num_cpu_devices", 2)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    """Doctests may use ``jax``, ``jnp``, ``np`` and every geobook topic by its name."""
    import geobook
    import geobook.plotting
    import matplotlib
    matplotlib.use("Agg")
    doctest_namespace.update(jax=jax, jnp=jnp, np=np, geobook=geobook)
    doctest_namespace.update({name: getattr(geobook, name) for name in geobook.__all__
                              if not name.startswith("_")})
    doctest_namespace.update(plotting=geobook.plotting)
