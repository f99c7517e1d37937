"""Refinement, the engine's step after the search: fit, then maximise margins, then fewest weights.

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
is not separable under the domain, the engine runs the search backend (the one the user named;
``auto``: ``lazy`` for real weights, ``cpsat`` with ``weight_bound = P`` for integer ones, whose
proofs cover "all real weights" and "integer weights |w| <= P"), warm-started from the first code
tried. Targets that a real-weight search found are re-checked unit by unit in the domain; a unit
without integer weights ends the run as UNKNOWN rather than being passed off.

The stage budget: stage 1 may use the whole time limit; what is left is shared evenly among the
units of stage 2 (half) and stage 3 (the rest). A unit whose MILP hits its share keeps its best
incumbent ("feasible") or, without one, the previous stage's weights ("kept").
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .domains import WeightDomain, dead_inputs
from .network import LayerWeights
from .objectives import fit_unit
from .options import COUNTING_OBJECTIVES, OBJECTIVES, STAGED_OBJECTIVES, STAGES, SolveOptions
from .solution import BackendResult, Status
from .symmetry import hint_targets, linear_code

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
        layers.append(LayerWeights(W, b))
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


def needed(options: SolveOptions, native_weights: tuple[str, ...]) -> bool:
    """Do the stages run? ``auto`` always (its targets come from the codes first); otherwise for
    the refined objectives, and for an integer domain the named backend does not search natively."""
    integer = options.weights.is_integer and "integer" not in native_weights
    return options.backend == "auto" or options.objective in STAGED_OBJECTIVES or integer


class Stages:
    """One solve's refinement: :meth:`from_codes`, else the engine's search and :meth:`after_search`,
    then :meth:`refine`. Keeps the stage-1 fits and the report the stages add to."""

    def __init__(self, problem, options: SolveOptions, deadline: float | None):
        self.problem, self.options, self.deadline, self.domain = problem, options, deadline, options.weights
        self.start = time.monotonic()
        given = hint_targets(problem, options.warm_start, canonical=False)
        self.candidates = [(c, m) for c, m in ((given, "given targets"),
                                               (linear_code(problem, narrow=False), "linear code")) if c is not None]
        self.report, self.fits, self.tried = [], None, []

    def from_codes(self) -> BackendResult | None:
        """Stage 1 without a search: the first code whose every unit fits in the domain, or None."""
        n_codes = len(self.candidates)
        for n, (code, method) in enumerate(self.candidates):
            # each candidate gets an equal share of what is left, keeping one share for the search
            share_deadline = None if self.deadline is None else (
                time.monotonic() + (self.deadline - time.monotonic()) / (n_codes - n + 1))
            fits = _Fitter(self.problem, code, None, self.domain).run("fit", share_deadline)
            if all(f.ok for f in fits.values()):
                self.fits = fits
                status = Status.OPTIMAL if self.options.objective == "min-errors" else Status.FEASIBLE
                self.report.append({**_summary("fit", fits, time.monotonic() - self.start), "method": method,
                                    "errors": 0, "proof": "0 training errors (no lower count exists)",
                                    **({"not_separable": self.tried} if self.tried else {})})
                # 0 errors: nothing lower, so an OPTIMAL min-errors covers the whole domain
                return BackendResult(status, hidden_targets=code, lower_bound=0.0,
                                     proved_for=self.domain.scope if status is Status.OPTIMAL else None,
                                     stats={"stage1": method})
            self.tried.append(f"{method}: {sum(not f.ok for f in fits.values())} unit(s)")
        return None

    def search_options(self, name: str, explicit: bool) -> SolveOptions:
        """The search's options: the stage-1 objective, the first code as its warm start, and the
        caller's backend options only for the backend they were meant for (``auto``: the default)."""
        code = self.candidates[0][0] if self.candidates else None
        warm = None if code is None else [np.asarray(T)[self.problem.index] for T in code]
        objective = "min-errors" if self.options.objective in COUNTING_OBJECTIVES else "feasibility"
        own = explicit or name == "lazy"
        return replace(self.options, backend=name, objective=objective, warm_start=warm or self.options.warm_start,
                       backend_options=self.options.backend_options if own else None)

    def after_search(self, result: BackendResult, name: str) -> BackendResult | None:
        """Stage 1 from the search's targets, fitted in the domain; a result when the run ends here."""
        if result.hidden_targets is None or result.status is Status.INFEASIBLE:
            result.stats = {**result.stats, "stages": [{"stage": "fit", "status": result.status.value,
                                                        "method": "search", "scope": result.proved_for}]}
            return result
        t0 = time.monotonic()
        self.fits = _Fitter(self.problem, result.hidden_targets, result.kept, self.domain).run("fit", self.deadline)
        entry = {**_summary("fit", self.fits, time.monotonic() - t0), "method": f"search ({name})",
                 "search_status": result.status.value}
        if result.status in (Status.OPTIMAL, Status.INFEASIBLE):  # only a proof has a scope to report
            entry["search_proof_scope"] = result.proved_for
        self.report.append(entry)
        if not all(f.ok for f in self.fits.values()):  # real-weight targets without domain weights
            bad = [k for k, f in self.fits.items() if not f.ok]
            return BackendResult(Status.UNKNOWN, hidden_targets=result.hidden_targets, kept=result.kept,
                                 stats={**result.stats, "stages": self.report},
                                 message=f"stage-1 targets have no {self.domain} weights for unit(s) {bad}")
        return None

    def refine(self, found: BackendResult) -> BackendResult:
        """Stages 2 and 3 from stage 1's fits; the network's layers and the stage report."""
        problem, domain, kept = self.problem, self.domain, found.kept
        fitter, previous = _Fitter(problem, found.hidden_targets, kept, domain), self.fits
        todo = OBJECTIVES[self.options.objective][1:]
        for n, stage in enumerate(todo):
            t0 = time.monotonic()
            previous = fitter.run(stage, self.deadline, previous, 0.5 if len(todo) - n > 1 else 1.0)
            self.report.append(_summary(stage, previous, time.monotonic() - t0))
        layers = _layers(problem, previous)
        if not all(domain.contains(L.W) for L in layers):
            raise RuntimeError(f"refinement produced weights outside the {domain} domain")
        rows = None if kept is None else np.asarray(kept, bool)
        stats = {**found.stats, "stages": self.report, "weights": str(domain), "bias": "real (not restricted)",
                 "dead_inputs": dead_inputs(problem.Xu, rows).tolist(),
                 "margin_sum": self.report[-1]["margin_sum"], "nonzero_weights": self.report[-1]["nonzero_weights"]}
        status, proved_for = found.status, found.proved_for
        if self.options.objective in STAGED_OBJECTIVES:  # optimal per unit, never for the network
            status = Status.FEASIBLE if status in (Status.OPTIMAL, Status.FEASIBLE) else status
            proved_for = None
        return replace(found, status=status, proved_for=proved_for, layers=layers, stats=stats)
