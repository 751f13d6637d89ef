"""Count XLA compilations (a test helper: ``with compilations() as n: ...; n()``)."""
import contextlib

import jax

_EVENT = "/jax/core/compile/backend_compile_duration"
_COUNT = [0]
_INSTALLED = [False]


def _listener(event, duration, **kwargs):
    if event == _EVENT:
        _COUNT[0] += 1


@contextlib.contextmanager
def compilations():
    """Yield a function returning the number of backend compilations since entry."""
    if not _INSTALLED[0]:
        jax.monitoring.register_event_duration_secs_listener(_listener)
        _INSTALLED[0] = True
    start = _COUNT[0]
    yield lambda: _COUNT[0] - start
