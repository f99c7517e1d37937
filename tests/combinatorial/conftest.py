"""Fixtures for the exact engine's tests: ``backend`` runs a test on every registered search
backend that imports here (the shared instances are in ``tests/instances.py``)."""

from __future__ import annotations

import pytest

from combinatorial.backends import BACKENDS, load


def _importable(name: str) -> bool:
    try:
        load(name)
        return True
    except ImportError:  # an optional solver missing from this build
        return False


@pytest.fixture(params=[pytest.param(b, marks=pytest.mark.skipif(not _importable(b), reason=f"backend {b} not importable"))
                        for b in BACKENDS if b != "enumerate"])
def backend(request) -> str:
    """Each registered backend but ``enumerate``, the reference the others are checked against."""
    return request.param
