"""The deadline of the solve in progress, seen by every loop that can run long.

:func:`combinatorial.solve` sets it for the whole solve (:func:`time_limit`); backends, model
building, the unit LPs (HiGHS gets the time left) and the exact fallback read it, so that a time
limit covers all of a solve, not only the search. It lives in a context variable: each thread
has its own, and code outside a solve sees none.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("ftprop_solve_deadline", default=None)


class TimeLimit(Exception):
    """The deadline passed inside a loop that cannot return a partial answer."""


@contextmanager
def time_limit(deadline: float | None):
    """Run the block under ``deadline`` (a ``time.monotonic()`` value, None for none)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def get() -> float | None:
    return _DEADLINE.get()


def remaining() -> float | None:
    """Seconds left (at least 0), None without a deadline."""
    deadline = _DEADLINE.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def passed() -> bool:
    deadline = _DEADLINE.get()
    return deadline is not None and time.monotonic() > deadline


def check() -> None:
    """Raise :class:`TimeLimit` once the deadline has passed."""
    if passed():
        raise TimeLimit


def stop_now() -> None:
    """Ctrl-C was caught: what is left of this solve stops as at its deadline."""
    _DEADLINE.set(time.monotonic())
