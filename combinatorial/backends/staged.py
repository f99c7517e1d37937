"""Staged backend: fit the most examples, then maximise margins, then minimise non-zero weights.

    stage 1  fit     hidden targets that fit every example (feasibility) or the most examples
                     (min-errors, for ``lexicographic``), under the weight domain
    stage 2  margin  every unit's max-margin weights for the stage-1 targets (LP / MILP)
    stage 3  sparse  every unit's fewest non-zero weights keeping its stage-2 margin (MILP)

Each stage starts from the last one's answer and reports its own status and scope. Stages 2 and
3 are optimal *per unit for the stage-1 targets*: the targets are not searched jointly with the
margin or the weight count, so the network as a whole is only FEASIBLE for those objectives.

Stage 1 first tries targets handed in as ``SolveOptions.warm_start`` (e.g. the hidden codes of a
gradient-trained sign network), then the *linear code*: every hidden layer repeats the output code (one-vs-rest
columns for k classes, the label for two), cycling through it when the layer is wider. Then only
the first layer's units are real problems (each class against the rest, on the raw inputs), every
later unit copies one input, and one fit per distinct column suffices. When a first-layer unit
is not separable under the domain, the first code tried goes to the search backend as a warm start: ``lazy``
for real weights, ``cpsat`` with ``weight_bound = P`` for integer ones (their proofs then cover
"all real weights" and "integer weights |w| <= P"). Targets that the lazy search found for real
weights are re-checked unit by unit in the domain; a unit without integer weights ends the run as
UNKNOWN rather than being passed off.

The stage budget: stage 1 may use the whole time limit; what is left is shared evenly among the
units of stage 2 (half) and stage 3 (the rest). A unit whose MILP hits its share keeps its best
incumbent ("feasible") or, without one, the previous stage's weights ("kept").
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..domains import WeightDomain, dead_inputs
from ..objectives import fit_unit
from ..options import COUNTING_OBJECTIVES, OBJECTIVES, STAGED_OBJECTIVES, STAGES
from ..solution import BackendResult, Status
from ..symmetry import hint_targets, linear_code
from . import load

# stage 3 of a lexicographic run keeps the stage-2 margin up to this relative tolerance
MARGIN_KEEP = 1.0 - 1e-6


class _Fitter:
    """Per-unit fits of one stage, cached by (layer, target column): copies are fitted once."""

    def __init__(self, problem, targets, kept, domain: WeightDomain):
        self.problem, self.targets, self.domain = problem, targets, domain
        self.rows = np.arange(problem.n_merged) if kept is None else np.flatnonzero(kept)

    def units(self):
        for layer in range(1, len(self.problem.hidden) + 2):
            U = self.problem.unit_inputs(self.targets, layer)[self.rows]
            T = self.problem.unit_targets(self.targets, layer)[self.rows]
            for j in range(T.shape[1]):
                yield layer, j, U, T[:, j]

    def n_units(self) -> int:
        return sum(self.problem.sizes[1:])

    def run(self, stage: str, deadline, previous=None, share: float = 1.0) -> dict:
        """Fit every unit for ``stage``; returns {(layer, j): UnitFit}."""
        objective = STAGES[stage]
        fits, cache = {}, {}
        todo = list(self.units())
        keys = [(layer, t.tobytes()) for layer, _, _, t in todo]
        # units fed real-valued inputs are the slow MILPs; units fed ±1 codes solve in milliseconds
        slow = {key for key, (_, _, U, _) in zip(keys, todo) if not np.all(np.abs(U) == 1)}
        for pos, (layer, j, U, t) in enumerate(todo):
            key = keys[pos]
            if key in cache:
                fits[(layer, j)] = cache[key]
                continue
            limit = None
            if deadline is not None:  # share what is left among the distinct slow units still to fit
                left = (deadline - time.monotonic()) * share
                distinct = len((set(keys[pos:]) & slow) - cache.keys())
                limit = max(left / max(distinct, 1), 0.05)
            mm = None
            if stage == "sparse" and previous is not None:
                prev = previous[(layer, j)]
                mm = None if prev.margin is None or prev.objective != "max-margin" else prev.margin * MARGIN_KEEP
            fit = fit_unit(U, t, objective=objective, domain=self.domain, min_margin=mm, time_limit=limit)
            if mm is not None:  # one readable scope instead of one per unit's margin value
                base = self.domain.scope if self.domain.is_integer else "real weights with ||w||_inf <= 1"
                fit.scope = f"{base}, each unit keeping its stage-2 margin"
            if not fit.ok and previous is not None:  # keep the previous stage's weights, say so
                fit = replace(previous[(layer, j)], status="kept", time_s=fit.time_s)
            fits[(layer, j)] = cache[key] = fit
        return fits


def _layers(problem, fits) -> list[dict]:
    layers = []
    for layer, size in enumerate(problem.sizes[1:], start=1):
        d = problem.fan_in(layer)
        W, b = np.zeros((size, d)), np.zeros(size)
        for j in range(size):
            W[j], b[j] = fits[(layer, j)].w, fits[(layer, j)].b
        layers.append({"W": W, "b": b})
    return layers


def _summary(stage: str, fits: dict, seconds: float) -> dict:
    statuses = [f.status for f in fits.values()]
    margins = [f.margin for f in fits.values() if f.margin is not None]
    scopes = sorted({f.scope for f in fits.values() if f.scope})
    worst = next((s for s in ("unknown", "kept", "feasible", "infeasible") if s in statuses), "optimal")
    return {
        "stage": stage,
        "status": worst,  # optimal only when every unit's problem was solved to optimality
        "optimal_for": "each unit, for the stage-1 targets",
        "scope": "; ".join(scopes),
        "units": {s: statuses.count(s) for s in sorted(set(statuses))},
        "margin_sum": float(sum(margins)),
        "margin_min": float(min(margins)) if margins else None,
        "nonzero_weights": int(sum(f.nonzeros or 0 for f in fits.values())),
        "seconds": round(seconds, 4),
    }


def _search(problem, options, domain, code, deadline) -> BackendResult:
    """Stage 1 by exact search: lazy (real weights) or cpsat (integer weights), code as hint."""
    inner = options.backend if options.backend not in ("auto", "staged") else ("cpsat" if domain.is_integer else "lazy")
    objective = "min-errors" if options.objective in COUNTING_OBJECTIVES else "feasibility"
    warm = None if code is None else [np.asarray(T)[problem.index] for T in code]
    # the caller's backend options belong to the backend it named (auto: lazy), not to another
    named = "lazy" if options.backend in ("auto", "staged") else options.backend
    inner_opts = replace(options, backend=inner, objective=objective, warm_start=warm or options.warm_start,
                         weights=domain, backend_options=options.backend_options if inner == named else None)
    result = load(inner).run(problem, inner_opts, deadline)
    result.stats = {**result.stats, "stage1_backend": inner}
    return result


def run(problem, options, deadline: float | None) -> BackendResult:
    domain = options.weights
    stages = OBJECTIVES.get(options.objective)
    if stages is None:
        raise ValueError(f"staged backend: unknown objective {options.objective!r}")
    start = time.monotonic()
    given = hint_targets(problem, options.warm_start, canonical=False)
    candidates = [(c, m) for c, m in ((given, "given targets"), (linear_code(problem, narrow=False), "linear code"))
                  if c is not None]
    report, targets, kept, status, proved_for, lower = [], None, None, None, None, None
    fits, tried = None, []
    for n, (code, method) in enumerate(candidates):  # the first code whose every unit fits in the domain
        # each candidate gets an equal share of what is left, keeping one share for the search
        share_deadline = None if deadline is None else (
            time.monotonic() + (deadline - time.monotonic()) / (len(candidates) - n + 1))
        fits = _Fitter(problem, code, None, domain).run("fit", share_deadline)
        if all(f.ok for f in fits.values()):
            targets, status = code, Status.OPTIMAL if options.objective == "min-errors" else Status.FEASIBLE
            proved_for = domain.scope if status is Status.OPTIMAL else None  # 0 errors: nothing lower
            lower = 0.0
            report.append({**_summary("fit", fits, time.monotonic() - start), "method": method,
                           "errors": 0, "proof": "0 training errors (no lower count exists)",
                           **({"not_separable": tried} if tried else {})})
            break
        tried.append(f"{method}: {sum(not f.ok for f in fits.values())} unit(s)")
    code = candidates[0][0] if candidates else None  # the search's warm start
    inner = None
    if targets is None:
        t0 = time.monotonic()
        inner = _search(problem, options, domain, code, deadline)
        if inner.hidden_targets is None or inner.status in (Status.INFEASIBLE,):
            inner.stats = {**inner.stats, "stages": [{"stage": "fit", "status": inner.status.value,
                                                       "method": "search", "scope": inner.proved_for}]}
            return inner
        targets, kept, status = inner.hidden_targets, inner.kept, inner.status
        proved_for, lower = inner.proved_for, inner.lower_bound
        fits = _Fitter(problem, targets, kept, domain).run("fit", deadline)
        entry = {**_summary("fit", fits, time.monotonic() - t0), "method": f"search ({inner.stats.get('stage1_backend')})",
                 "search_status": inner.status.value}
        if inner.status in (Status.OPTIMAL, Status.INFEASIBLE):  # only a proof has a scope to report
            entry["search_proof_scope"] = inner.proved_for
        report.append(entry)
        if not all(f.ok for f in fits.values()):  # real-weight targets without domain weights
            bad = [k for k, f in fits.items() if not f.ok]
            return BackendResult(Status.UNKNOWN, hidden_targets=targets, kept=kept, stats={**inner.stats, "stages": report},
                                 message=f"stage-1 targets have no {domain} weights for unit(s) {bad}")
    fitter = _Fitter(problem, targets, kept, domain)
    previous = fits
    todo = [s for s in stages[1:]]
    for n, stage in enumerate(todo):
        t0 = time.monotonic()
        share = 0.5 if len(todo) - n > 1 else 1.0
        fits = fitter.run(stage, deadline, previous, share)
        report.append(_summary(stage, fits, time.monotonic() - t0))
        previous = fits
    layers = _layers(problem, previous)
    for L in layers:
        if not domain.contains(L["W"]):
            raise RuntimeError(f"staged backend produced weights outside the {domain} domain")
    rows = None if kept is None else np.asarray(kept, bool)
    stats = dict(inner.stats) if inner is not None else {}
    stats.update({
        "stages": report,
        "weights": str(domain),
        "bias": "real (not restricted)",
        "dead_inputs": dead_inputs(problem.Xu, rows).tolist(),
        "margin_sum": report[-1]["margin_sum"],
        "nonzero_weights": report[-1]["nonzero_weights"],
    })
    if options.objective in STAGED_OBJECTIVES:
        status = Status.FEASIBLE if status in (Status.OPTIMAL, Status.FEASIBLE) else status
        proved_for = None
    return BackendResult(status, hidden_targets=targets, kept=kept, proved_for=proved_for, layers=layers,
                         lower_bound=lower, stats=stats)
