"""Count XLA compilations (a test helper: ``with compilations() as n: ...; n()``).

A program that is not in JAX's in-memory cache is either compiled by the backend or, with
the persistent compilation cache on (the test run uses ``_build/.jax-cache``), read back
from disk; both count, so a warm disk cache does not hide a recompilation."""
import contextlib

import jax

_COMPILED = "/jax/core/compile/backend_compile_duration"
_FROM_DISK = "/jax/compilation_cache/cache_hits"
_COUNT = [0]
_INSTALLED = [False]


def _on_duration(event, duration, **kwargs):
    if event == _COMPILED:
        _COUNT[0] += 1


def _on_event(event, **kwargs):
    if event == _FROM_DISK:
        _COUNT[0] += 1


@contextlib.contextmanager
def compilations():
    """Yield a function returning the number of backend compilations since entry."""
    if not _INSTALLED[0]:
        jax.monitoring.register_event_duration_secs_listener(_on_duration)
        jax.monitoring.register_event_listener(_on_event)
        _INSTALLED[0] = True
    start = _COUNT[0]
    yield lambda: _COUNT[0] - start
