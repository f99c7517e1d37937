"""Search backends: the one registry. Each module defines ``run(problem, options, deadline) -> BackendResult``.

lazy       CP-SAT master over hidden targets + per-unit LP checks with no-good cuts (default)
cpsat      one joint CP-SAT model with integer weights
mip        big-M MIP with continuous weights (SCIP / HiGHS through OR-Tools)
enumerate  brute force over separable dichotomies (tiny instances; the reference)
ftprop     full-batch FTPROP, the paper's recursive heuristic (never proves anything)
staged     per-unit objectives after a stage-1 target search (max-margin, min-weight, ...)

Backends are imported only when used (:func:`load`), so importing the package loads no solver;
a backend that needs another one (staged -> lazy, lazy -> ftprop) gets it here too.
"""

from __future__ import annotations

import importlib

from ..problem import ProblemError

# name -> one line for help texts; ``auto`` resolves to DEFAULT
BACKENDS = {
    "lazy": "CP-SAT master over targets, exact LP checks, no-good cuts (proofs: all real weights)",
    "cpsat": "one joint CP-SAT model with integer weights",
    "mip": "big-M MIP, continuous weights (SCIP or HiGHS)",
    "enumerate": "brute force over separable dichotomies (at most 12 distinct examples)",
    "ftprop": "full-batch FTPROP heuristic (feasible or unknown)",
    "staged": "fit, then per-unit margin / sparsity stages (chosen for those objectives)",
}
DEFAULT = "lazy"


class UnknownBackend(ProblemError):
    """A backend name that is not in the registry (bad input: the CLI exits 2)."""


def resolve(name: str) -> str:
    """``auto`` -> the default backend; an unknown name lists the valid ones."""
    if name == "auto":
        return DEFAULT
    if name not in BACKENDS:
        raise UnknownBackend(f"unknown backend {name!r}; valid: auto, {', '.join(BACKENDS)}")
    return name


def load(name: str):
    """The backend module ``name`` (``auto`` allowed), imported now."""
    return importlib.import_module(f"{__name__}.{resolve(name)}")
