"""Search backends: the one registry. Each module defines ``run(problem, options, deadline) -> BackendResult``.

Every backend is a :class:`Backend` record: what it is, what its INFEASIBLE (or OPTIMAL) answer
proves, the objectives and weight domains it searches natively, and whether it logs a
refutation a proof file can carry. The CLI's ``--backend`` help and the README's table come
from these records (a test holds the README equal to them).

Backends are imported only when used (:func:`load`), so importing the package loads no solver;
a backend that needs another one (lazy -> fullbatch) gets it here too. The refinement after a
search (max-margin, min-weight, lexicographic; integer domains a backend does not search) is the
engine's step, :mod:`combinatorial.stages`, not a backend.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass

from ..problem import ProblemError


@dataclass(frozen=True)
class Backend:
    name: str
    summary: str  # one line for help texts
    proves: str  # what an INFEASIBLE / OPTIMAL answer covers
    objectives: tuple[str, ...]  # objectives searched natively (others go through the stages)
    weights: tuple[str, ...]  # weight domains searched natively: "real", "integer"
    writes_refutation: bool  # an INFEASIBLE comes with a proof file (--proof)


_SEARCH = ("feasibility", "min-errors")
BACKENDS = {b.name: b for b in (
    Backend("lazy", "CP-SAT master over hidden targets, exact LP checks per unit, no-good cuts (the default)",
            "all real weights", _SEARCH, ("real",), True),
    Backend("cpsat", "one joint CP-SAT model: Boolean targets and integer weights",
            "all real weights on ±1 inputs with the sufficient bound K, else integer weights |w| <= K",
            _SEARCH, ("real", "integer"), False),
    Backend("mip", "big-M MIP with continuous weights (SCIP or HiGHS)",
            "weights |w| <= M and biases in [-M-1, M] on inputs scaled to [-1, 1], in the MIP solver's floats",
            _SEARCH, ("real",), False),
    Backend("enumerate", "brute force over separable dichotomies (at most 12 distinct examples; the reference)",
            "all real weights", _SEARCH, ("real",), False),
    Backend("fullbatch", "full-batch FTPROP, the paper's recursive heuristic",
            "nothing: FEASIBLE or UNKNOWN", ("feasibility",), ("real",), False),
)}
DEFAULT = "lazy"  # auto with real weights
DEFAULT_INTEGER = "cpsat"  # auto with an integer weight domain
# old names, accepted with a one-line note: full-batch FTPROP was "ftprop", which elsewhere meant
# FTPROP-MB; "staged" was a backend before refinement became the engine's step (auto does it)
ALIASES = {"ftprop": "fullbatch", "staged": "auto"}


class UnknownBackend(ProblemError):
    """A backend name that is not in the registry (bad input: the CLI exits 2)."""


def canonical(name: str) -> str:
    """An old name -> its new one (with a DeprecationWarning); an unknown name lists the valid ones."""
    if name in ALIASES:
        warnings.warn(deprecation(name), DeprecationWarning, stacklevel=3)
        name = ALIASES[name]
    if name != "auto" and name not in BACKENDS:
        raise UnknownBackend(f"unknown backend {name!r}; valid: auto, {', '.join(BACKENDS)}")
    return name


# auto on tiny problems (at most this many distinct examples and hidden units, real weights, no
# proof file asked for): the enumerate backend, whose exhaustion is as much a proof as lazy's and
# which needs no CP-SAT (importing OR-Tools alone costs ~0.35 s, 10x the whole enumeration on xor)
TINY_EXAMPLES, TINY_HIDDEN = 6, 4


def tiny(problem, options) -> bool:
    """Does ``auto`` hand this problem to enumerate (see TINY_EXAMPLES)?"""
    return (canonical(options.backend) == "auto" and problem.n_merged <= TINY_EXAMPLES
            and 0 < sum(problem.hidden) <= TINY_HIDDEN and options.objective in BACKENDS["enumerate"].objectives
            and not options.weights.is_integer and options.proof is None and options.warm_start is None)


def resolve(name: str, weights=None) -> str:
    """The backend that searches: ``auto`` -> lazy (real weights) or cpsat (an integer domain)."""
    name = canonical(name)
    if name == "auto":
        return DEFAULT_INTEGER if weights is not None and weights.is_integer else DEFAULT
    return name


def markdown_table() -> str:
    """The backends as the documentation's table shows them (docs/exact.md; a test holds it equal)."""
    rows = ["| backend | what it is | INFEASIBLE / OPTIMAL proves | objectives searched | weights | proof file |",
            "|---|---|---|---|---|---|"]
    for b in BACKENDS.values():
        cells = [f"`{b.name}`", b.summary, b.proves, ", ".join(b.objectives), ", ".join(b.weights),
                 "refutation" if b.writes_refutation else "network only"]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def deprecation(name: str) -> str:
    return f"backend {name!r} is now called {ALIASES[name]!r}; the old name will go"


def load(name: str):
    """The backend module ``name`` (``auto`` allowed), imported now."""
    return importlib.import_module(f"{__name__}.{resolve(name)}")
