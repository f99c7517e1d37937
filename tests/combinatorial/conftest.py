"""Fixtures for the exact engine's tests: ``backend`` runs a test on every registered search
backend that imports here, and on ``auto`` (the engine's own route: the codes, then the search,
then the stages); the shared instances are in ``tests/instances.py``."""

from __future__ import annotations

import pytest

from combinatorial.backends import BACKENDS, load


def _importable(name: str) -> bool:
    if name == "auto":
        return True
    try:
        load(name)
        return True
    except ImportError:  # an optional solver missing from this build
        return False


@pytest.fixture(params=[pytest.param(b, marks=pytest.mark.skipif(not _importable(b), reason=f"backend {b} not importable"))
                        for b in ["auto", *BACKENDS] if b != "enumerate"])
def backend(request) -> str:
    """``auto`` and each registered backend but ``enumerate``, the reference the others are checked against."""
    return request.param
