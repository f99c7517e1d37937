"""The exact engine's exceptions, in one place (each module raises them from here)."""

from __future__ import annotations

from .deadline import TimeLimit
from .problem import ProblemError
from .solution import VerificationError


class ProofError(RuntimeError):
    """The answer cannot be turned into a checkable proof (the reason is the message)."""


__all__ = ["ProblemError", "ProofError", "TimeLimit", "VerificationError"]
