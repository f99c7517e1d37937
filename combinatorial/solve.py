"""`solve`: validate -> run one backend -> fit and verify every unit -> :class:`Solution`.

A backend (``combinatorial.backends.<name>``, imported only when used) searches hidden targets
over the merged examples and returns a :class:`BackendResult`. This module then fits each unit's
weights from those targets by LP (margin 1, minimal L1 norm), re-checks the whole network with an
independent numpy forward pass against every training label, and raises :class:`VerificationError`
on a mismatch: a FEASIBLE that does not verify is a bug, never an answer.
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass, replace

import numpy as np

from .network import forward
from .problem import Problem, ProblemError
from .separability import check_separable, verify_farkas
from .solution import ALL_REAL_WEIGHTS, BackendResult, Solution, Status

BACKENDS = {
    "lazy": "combinatorial.backends.lazy",
    "cpsat": "combinatorial.backends.cpsat",
    "mip": "combinatorial.backends.mip",
    "enumerate": "combinatorial.backends.enumerate",
    "ftprop": "combinatorial.backends.ftprop",
    "staged": "combinatorial.backends.staged",
}
OBJECTIVES = ("feasibility", "min-errors", "max-margin", "min-weight", "lexicographic")
# objectives refined per unit after the target search (combinatorial.objectives), run by ``staged``
STAGED_OBJECTIVES = ("max-margin", "min-weight", "lexicographic")


class VerificationError(RuntimeError):
    """A backend's answer failed the independent forward-pass check (a bug, not bad input)."""


@dataclass(frozen=True)
class SolveOptions:
    backend: str = "auto"  # auto = lazy: its INFEASIBLE covers all real weights
    objective: str = "feasibility"  # or min-errors: fit as many examples as possible
    time_limit: float | None = None  # seconds of wall time; None = no limit
    workers: int = 0  # CP-SAT / MIP threads; 0 = every core of this machine
    seed: int = 0  # seeds every solver and every random choice
    symmetry_breaking: bool = True  # fix each hidden unit's sign and order units lexicographically
    warm_start: tuple | None = None  # hidden targets (per layer, n x width ±1) used as solver hints
    weights: str = "real"  # weight domain: real; backends may add integer domains
    weight_bound: int | None = None  # cpsat: |w| <= K (None: the backend's own choice)
    big_m: float | None = None  # mip: bound on |w| and |b| after scaling (None: backend default)
    verbose: bool = False  # print the backend's progress lines to stderr
    heuristic: bool = True  # lazy: interleave full-batch FTPROP restarts as a primal heuristic

    def resolved_workers(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)


def resolve_backend(name: str) -> str:
    if name == "auto":
        return "lazy"
    if name not in BACKENDS:
        raise ProblemError(f"unknown backend {name!r}; valid: auto, {', '.join(BACKENDS)}")
    return name


def _backend_module(name: str):
    try:
        return importlib.import_module(BACKENDS[name])
    except ModuleNotFoundError as exc:
        if exc.name == BACKENDS[name]:
            raise ProblemError(f"backend {name!r} is not available in this build") from None
        raise


def solve(X, y=None, hidden=(), *, shortcut: bool = False, options: SolveOptions | None = None, **kw) -> Solution:
    """Find hidden targets (and weights) that fit (X, y) exactly, or prove none exist.

    ``solve(problem, options=...)`` or ``solve(X, y, hidden=(3,), backend="lazy", ...)``; any
    :class:`SolveOptions` field may be passed as a keyword.
    """
    start = time.monotonic()
    problem = X if isinstance(X, Problem) else Problem.from_data(X, y, hidden, shortcut=shortcut)
    options = replace(options or SolveOptions(), **kw)
    if options.objective not in OBJECTIVES:
        raise ProblemError(f"unknown objective {options.objective!r}; valid: {', '.join(OBJECTIVES)}")
    if options.time_limit is not None and not options.time_limit > 0:
        raise ProblemError(f"time_limit must be a positive number of seconds, got {options.time_limit}")
    name = resolve_backend(options.backend)
    options, staged = _route(options)
    if staged:
        name = "staged"
    deadline = None if options.time_limit is None else start + options.time_limit

    if problem.conflict is not None and options.objective in ("feasibility", "max-margin", "min-weight"):
        i, j = problem.conflict
        result = BackendResult(
            Status.INFEASIBLE,
            proved_for=ALL_REAL_WEIGHTS,
            certificate={"kind": "conflict", "examples": [i, j],
                         "reason": f"examples {i} and {j} have the same input but different labels"},
        )
    elif not problem.hidden and options.objective == "feasibility" and not staged:
        result = _single_layer(problem)
    else:
        result = _backend_module(name).run(problem, options, deadline)
    return finish(problem, result, name, options, start)


def _route(options: SolveOptions) -> tuple[SolveOptions, bool]:
    """Validate ``weights``; staged objectives and integer domains go through the staged backend.

    ``weights="integer"`` is cpsat's native mode (|w| <= weight_bound) and stays with it for the
    plain objectives; the staged backend reads it as ``integer:<weight_bound>``.
    """
    from .domains import parse_weights

    weights = options.weights
    if weights == "integer":
        if options.objective not in STAGED_OBJECTIVES and options.backend != "staged":
            return options, False
        if options.weight_bound is None:
            raise ProblemError("weights='integer' needs weight_bound; or say integer:P or ternary")
        weights = f"integer:{int(options.weight_bound)}"
    domain = parse_weights(weights)
    options = replace(options, weights=str(domain))
    staged = options.objective in STAGED_OBJECTIVES or domain.is_integer or options.backend == "staged"
    return options, staged


def _single_layer(problem: Problem) -> BackendResult:
    """Depth 0: every output unit is one LP; an infeasible one carries its Farkas certificate."""
    for k in range(problem.n_outputs):
        r = check_separable(problem.Xu, problem.Yu[:, k])
        if r.separable is False:
            return BackendResult(
                Status.INFEASIBLE,
                proved_for=ALL_REAL_WEIGHTS,
                certificate=_farkas_certificate(problem, problem.Xu, problem.Yu[:, k], r, layer=1, unit=k),
            )
        if r.separable is None:
            return BackendResult(Status.UNKNOWN, message=f"output unit {k}: {r.reason}")
    return BackendResult(Status.FEASIBLE, hidden_targets=[])


def _farkas_certificate(problem, U, t, r, *, layer, unit) -> dict:
    """The certificate as a reader gets it: original example indices, exact multipliers."""
    if not verify_farkas(U, t, r.subset, r.multipliers):
        raise VerificationError("Farkas certificate failed its exact re-check")
    originals = [int(np.flatnonzero(problem.index == m)[0]) for m in r.subset]
    return {"kind": "farkas", "layer": layer, "unit": unit, "examples": originals,
            "multipliers": [str(v) for v in r.multipliers], "checked": "exact rational arithmetic"}


def unit_inputs(problem: Problem, hidden_targets: list[np.ndarray], layer: int) -> np.ndarray:
    """Input matrix (merged examples) of the units of ``layer`` (1-based) given hidden targets."""
    U = problem.Xu if layer == 1 else np.asarray(hidden_targets[layer - 2], dtype=float)
    if problem.shortcut and layer == len(problem.hidden) + 1:
        U = np.concatenate([U, problem.Xu], axis=1)
    return U


def unit_targets(problem: Problem, hidden_targets: list[np.ndarray], layer: int) -> np.ndarray:
    """Target matrix (merged examples x units) of ``layer``: hidden targets or the labels."""
    return problem.Yu if layer == len(problem.hidden) + 1 else np.asarray(hidden_targets[layer - 1])


def fit_network(problem: Problem, hidden_targets, kept=None, *, strict: bool = True):
    """Fit every unit to its targets on the ``kept`` merged examples.

    Returns (layers, n_unfit_units, undecided): ``undecided`` names the first unit whose
    separability floats could not settle (None when there is none). With ``strict`` a unit
    proved inseparable raises :class:`VerificationError` (the backend promised separable
    targets); every unit that is not fitted exactly gets the LP that minimises its total hinge
    slack, the best-effort weights of an UNKNOWN answer.
    """
    m = problem.n_merged
    kept = np.ones(m, dtype=bool) if kept is None else np.asarray(kept, dtype=bool)
    layers, unfit, undecided = [], 0, None
    for layer in range(1, len(problem.hidden) + 2):
        U = unit_inputs(problem, hidden_targets, layer)[kept]
        T = unit_targets(problem, hidden_targets, layer)[kept]
        W, b = np.zeros((T.shape[1], U.shape[1])), np.zeros(T.shape[1])
        for j in range(T.shape[1]):
            r = check_separable(U, T[:, j], sparse=True)
            if r.separable is True:
                W[j], b[j] = r.w, r.b
                continue
            if r.separable is False and strict:
                raise VerificationError(f"layer {layer} unit {j}: targets from the backend are not separable")
            if r.separable is None and undecided is None:
                undecided = f"layer {layer} unit {j}: {r.reason}"
            unfit += 1
            W[j], b[j] = _min_slack(U, T[:, j])
        layers.append({"W": W, "b": b})
    return layers, unfit, undecided


def _min_slack(U, t):
    """LP: minimise sum of hinge slacks s_i with t_i (w.u_i + b) >= 1 - s_i, s >= 0."""
    from scipy.optimize import linprog

    n, d = U.shape
    if n == 0:
        return np.zeros(d), 1.0
    scale = np.max(np.abs(U), axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Us = U / scale
    A = -(t[:, None] * np.concatenate([Us, np.ones((n, 1))], axis=1))
    A_ub = np.concatenate([A, -np.eye(n)], axis=1)
    c = np.concatenate([np.zeros(d + 1), np.ones(n)])
    bounds = [(None, None)] * (d + 1) + [(0, None)] * n
    res = linprog(c, A_ub=A_ub, b_ub=-np.ones(n), bounds=bounds, method="highs")
    if res.status != 0:
        return np.zeros(d), 1.0
    return res.x[:d] / scale, float(res.x[d])


def training_errors(problem: Problem, layers) -> np.ndarray:
    """Boolean mask over the original examples: does the network's output row miss the target row?"""
    out = forward(layers, problem.X, shortcut=problem.shortcut)[-1]
    return np.any(out != problem.Y, axis=1)


def finish(problem: Problem, result: BackendResult, backend: str, options: SolveOptions, start: float) -> Solution:
    """Fit weights from the backend's targets, verify them, and package a :class:`Solution`."""
    status = result.status
    layers, errors, targets = result.layers, None, None
    stats = dict(result.stats)
    if result.hidden_targets is not None:
        definite = status in (Status.FEASIBLE, Status.OPTIMAL)
        if layers is None:
            layers, unfit, undecided = fit_network(problem, result.hidden_targets, result.kept, strict=definite)
            if unfit:
                stats["units_not_separable"] = unfit
            if undecided and definite:  # floats could not settle a unit: no claim, say why
                status, definite = Status.UNKNOWN, False
                message = f"{result.message}; " if result.message else ""
                result = replace(result, status=status, proved_for=None, message=f"{message}{undecided}")
        miss = training_errors(problem, layers)
        if definite:
            kept = np.ones(problem.n_merged, bool) if result.kept is None else np.asarray(result.kept, bool)
            if np.any(miss & kept[problem.index]):
                bad = int(np.flatnonzero(miss & kept[problem.index])[0])
                raise VerificationError(
                    f"backend {backend!r} returned {status.value} but the forward pass misses example {bad}"
                )
        errors = int(miss.sum())
        targets = [np.asarray(T, dtype=np.int8)[problem.index] for T in result.hidden_targets]
    return Solution(
        status=status,
        proved_for=result.proved_for if status in (Status.INFEASIBLE, Status.OPTIMAL) else None,
        backend=backend,
        objective=options.objective,
        architecture=problem.sizes,
        shortcut=problem.shortcut,
        layers=layers,
        hidden_targets=targets,
        train_errors=errors,
        n_examples=problem.n_examples,
        wall_time_s=time.monotonic() - start,
        seed=options.seed,
        stats=stats,
        certificate=result.certificate,
        lower_bound=result.lower_bound,
        message=result.message,
        versions=_versions(),
    )


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("numpy", "scipy", "scikit-learn", "ortools"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out
