"""What a solve is asked: the objectives (one definition) and the options every backend shares."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .domains import WeightDomain, parse_weights
from .problem import ProblemError

# refinement stage (combinatorial.stages) -> the per-unit objective it fits (combinatorial.objectives)
STAGES = {"fit": "feasibility", "margin": "max-margin", "sparse": "min-weight"}
# objective -> the stages the engine runs for it: fit (hidden targets that fit every
# example, or the most for min-errors), margin (per-unit max-margin), sparse (fewest weights)
OBJECTIVES = {
    "feasibility": ("fit",),
    "min-errors": ("fit",),
    "max-margin": ("fit", "margin"),
    "min-weight": ("fit", "sparse"),
    "lexicographic": ("fit", "margin", "sparse"),
}
# objectives refined per unit after the target search (combinatorial.objectives), by combinatorial.stages
STAGED_OBJECTIVES = tuple(name for name, stages in OBJECTIVES.items() if len(stages) > 1)
# objectives whose search fits as many examples as possible rather than all of them
COUNTING_OBJECTIVES = ("min-errors", "lexicographic")


def check_seconds(name: str, value, error: type[Exception] = ProblemError) -> None:
    """A time limit is None or a finite positive number of seconds (never a bool); the one check
    of it, for the engine and the application layer (which passes its own exception type)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise error(f"{name} must be a positive number of seconds or None, got {value!r}")


@dataclass(frozen=True)
class SolveOptions:
    backend: str = "auto"  # auto = lazy: its INFEASIBLE covers all real weights
    objective: str = "feasibility"  # or min-errors: fit as many examples as possible
    time_limit: float | None = None  # seconds of wall time; None = no limit
    workers: int = 0  # CP-SAT / MIP threads; 0 = every core of this machine
    seed: int = 0  # seeds every solver and every random choice
    symmetry_breaking: bool = True  # fix each hidden unit's sign and order units lexicographically
    warm_start: tuple | None = None  # hidden targets (per layer, n x width ±1) used as solver hints
    weights: WeightDomain = parse_weights("real")  # real, ternary or integer:P; a string is parsed once
    verbose: bool = False  # print the backend's progress lines to stderr
    # called with one dict per search event (lazy: each master turn and heuristic slice): elapsed_s,
    # event, examples, working_set, incumbent_errors, lower_bound, cuts, iterations, heuristic_runs
    progress: object | None = None
    # write a proof file here (combinatorial.proof): the network for a FEASIBLE, a refutation
    # anyone can check for an INFEASIBLE; None: no file
    proof: str | None = None
    # the backend's own option type (LazyOptions, CpsatOptions, MipOptions, FTPropConfig), checked
    # by that backend; None: its defaults
    backend_options: object | None = None

    def __post_init__(self):
        object.__setattr__(self, "weights", parse_weights(self.weights))
        check_seconds("time_limit", self.time_limit)
        if self.objective not in OBJECTIVES:
            raise ProblemError(f"unknown objective {self.objective!r}; valid: {', '.join(OBJECTIVES)}")

    def own(self, cls, backend: str):
        """``backend_options`` if it is a ``cls`` (the calling backend's option type), else the
        defaults; options meant for another backend are misuse."""
        opts = self.backend_options
        if opts is None:
            return cls()
        if not isinstance(opts, cls):
            raise ProblemError(f"backend {backend!r} takes {cls.__name__} options, got {type(opts).__name__}")
        return opts

    def resolved_workers(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)
