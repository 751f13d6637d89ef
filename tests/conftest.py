"""Fixtures shared by the test files (JAX itself is configured by the root conftest.py)."""
from pathlib import Path

import jax
import pytest

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
