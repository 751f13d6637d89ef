"""Root conftest: JAX settings for the whole test run (tests and doctests), set before any
array exists, and the doctest namespace."""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
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
