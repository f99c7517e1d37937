"""`solve`: validate -> search (the backend named) -> refine (stages) -> fit and verify -> :class:`Solution`.

A backend (``combinatorial.backends.<name>``, from the registry, imported only when used)
searches hidden targets over the merged examples and returns a :class:`BackendResult`; ``auto``
is ``lazy`` for real weights and ``cpsat`` for integer ones, after two cheap codes (the given
targets, the linear code) have been tried. Objectives beyond fitting (max-margin, min-weight,
lexicographic) and weight domains the backend does not search natively go through the
per-unit refinement stages (:mod:`combinatorial.stages`) after the search. This module then fits each unit's weights from those targets (:mod:`combinatorial.fitting`: LP,
margin 1, minimal L1 norm, every unit checked exactly), re-checks the whole network with the
exact forward pass against every training label, and raises :class:`VerificationError` on a
mismatch: a FEASIBLE that does not verify is a bug, never an answer. A unit that floats cannot
settle turns the answer into UNKNOWN with the reason.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from . import backends, stages
from . import deadline as limits
from .certificates import Conflict, Farkas, ProofFile
from .options import COUNTING_OBJECTIVES, STAGED_OBJECTIVES, SolveOptions
from .fitting import fit_network, training_errors
from .problem import Problem, ProblemError
from .separability import check_separable, verify_farkas
from .solution import ALL_REAL_WEIGHTS, BackendResult, Solution, Status, VerificationError, versions

def solve(X, y=None, hidden=(), *, shortcut: bool = False, options: SolveOptions | None = None, **kw) -> Solution:
    """Find hidden targets (and weights) that fit (X, y) exactly, or prove none exist.

    ``solve(problem, options=...)`` or ``solve(X, y, hidden=(3,), backend="lazy", ...)``; any
    :class:`SolveOptions` field may be passed as a keyword.
    """
    start = time.monotonic()
    problem = X if isinstance(X, Problem) else Problem.from_data(X, y, hidden, shortcut=shortcut)
    options = replace(options or SolveOptions(), **kw)
    options = replace(options, backend=backends.canonical(options.backend))  # old names -> new, with a note
    name = "enumerate" if backends.tiny(problem, options) else backends.resolve(options.backend, options.weights)
    deadline = None if options.time_limit is None else start + options.time_limit

    with limits.time_limit(deadline):  # model building, the unit LPs and the exact LPs see it too
        result = _search(problem, options, name, deadline)
        end = limits.get()  # the deadline, or the moment Ctrl-C stopped the search
    with limits.time_limit(_grace(end, options.time_limit)):  # fitting the answer's network
        solution = finish(problem, result, name, options, start)
    return solution if options.proof is None else _with_proof(problem, solution, options)


def _grace(end: float | None, time_limit: float | None) -> float | None:
    """The deadline of the final fit: the best network found is fitted and verified even when the
    search used all the time (or was stopped by Ctrl-C), within 10 % of the limit more (1 s to 10 s)."""
    if end is None:
        return None
    return max(end, time.monotonic()) + (min(10.0, max(1.0, 0.1 * time_limit)) if time_limit else 1.0)


def _search(problem: Problem, options: SolveOptions, name: str, deadline: float | None) -> BackendResult:
    """The conflict short-cut, one LP per output unit at depth 0, or the backend's search."""
    if problem.conflict is not None and options.objective not in COUNTING_OBJECTIVES:
        i, j = problem.conflict
        return BackendResult(Status.INFEASIBLE, proved_for=ALL_REAL_WEIGHTS, certificate=Conflict((int(i), int(j))))
    if not problem.hidden and options.objective == "feasibility" and not options.weights.is_integer:
        return _single_layer(problem)
    staged = stages.needed(options, backends.BACKENDS[name].weights)
    try:
        return _staged(problem, options, name, deadline) if staged else backends.load(name).run(problem, options, deadline)
    except limits.TimeLimit:  # a backend that keeps nothing partial met the deadline in a long loop
        return BackendResult(Status.UNKNOWN, message="time limit reached")


def _staged(problem: Problem, options: SolveOptions, name: str, deadline: float | None) -> BackendResult:
    """The codes first, else the search; then the refinement stages. ``auto`` with real weights and
    a fitting objective hands the search's targets straight to the final fit (nothing to refine)."""
    run = stages.Stages(problem, options, deadline)
    found = run.from_codes()
    if found is None:
        explicit = options.backend != "auto"
        if not explicit and not options.weights.is_integer and options.objective not in STAGED_OBJECTIVES:
            return backends.load(name).run(problem, options, deadline)
        found = backends.load(name).run(problem, run.search_options(name, explicit), deadline)
        ended = run.after_search(found, name)
        if ended is not None:
            return ended
    return run.refine(found)


def _with_proof(problem: Problem, solution: Solution, options: SolveOptions) -> Solution:
    """Write the proof file and say so in ``proof_file``; where the answer has no certificate
    (limits, optimality, backends that keep no log) say that instead, never nothing."""
    from .errors import ProofError
    from .proof import NO_CERTIFICATE, write

    try:
        written = write(options.proof, problem, solution, options)
    except ProofError as exc:
        written = ProofFile("none", note=f"{NO_CERTIFICATE}: {exc}")
    except OSError as exc:  # the answer stands, but the file asked for cannot be written
        raise ProblemError(f"cannot write the proof file {options.proof}: {exc.strerror or exc}") from None
    return replace(solution, proof_file=written)


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


def _farkas_certificate(problem, U, t, r, *, layer, unit) -> Farkas:
    """The certificate as a reader gets it: original example indices, exact multipliers."""
    if not verify_farkas(U, t, r.subset, r.multipliers):
        raise VerificationError("Farkas certificate failed its exact re-check")
    originals = tuple(int(np.flatnonzero(problem.index == m)[0]) for m in r.subset)
    return Farkas(layer, unit, originals, tuple(r.multipliers))


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
        versions=versions(),
        trace=result.trace,
        refutation=result.refutation,
    )
