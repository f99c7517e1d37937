"""Lazy backend: a CP-SAT master over hidden targets, LP checks per unit, no-good cuts.

The paper's split of the problem, made exact. The master holds only Boolean targets
t[l][j][i] ("unit j of hidden layer l is +1 on merged example i"). Each candidate is checked
unit by unit by LP; an inseparable unit has a Farkas certificate on at most d + 2 examples S,
and the cut

    not (targets of the unit on S == current  and  the unit's inputs on S == current)

is valid for every network with real weights. It is added for every unit of the same layer
(they share inputs) and for negated targets (negate w, b). For first-layer units the inputs are
the fixed X, so the cut mentions targets only; from layer 2 up it also mentions the upstream
hidden targets of S (the shortcut's raw inputs are constants). When the master runs out of
candidates, no real-weight network exists (``ALL_REAL_WEIGHTS``).

Before the loop the master gets constraints from :mod:`combinatorial.cuts` (distinct codes,
monotone output, unateness on the first layer, equal inputs) and, unless switched off, symmetry
breaking per hidden layer.

Two shortcuts to a FEASIBLE, neither of which can produce an INFEASIBLE: a complete warm start
is LP-checked before the first master solve and returned if every unit fits; and (feasibility
objective, ``LazyOptions.heuristic``) after master iterations 4, 16, 64, ... a couple of restarts of
full-batch FTPROP (:mod:`combinatorial.backends.ftprop`) run as a primal heuristic, which finds
fits on real-valued data long before the master has cut away enough candidates.

min-errors: Boolean keep[i] per merged example, maximise sum counts[i] keep[i]; a cut only
binds when every example of its subset is kept. The master's optimum with all cuts is an upper
bound on what can be kept; when its candidate passes every check it is optimal.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from .. import cuts as pre
from ..problem import Problem
from ..separability import check_separable
from ..solution import ALL_REAL_WEIGHTS, BackendResult, Status
from ..symmetry import add_cpsat_symmetry_breaking, canonicalize
from ._cpsat import solve_keeping_sigint

# A failing unit is re-checked with its certificate's examples removed, for up to this many
# further disjoint certificates: more cuts per master solve, fewer master solves.
EXTRA_CERTIFICATES = 2
# Master iterations after which a short full-batch FTPROP run is tried (feasibility only).
HEURISTIC_AT = frozenset({4, 16, 64, 256, 1024})
HEURISTIC_RESTARTS = 2
# min-errors: rounds of greedy repair (drop one example per failing unit) per candidate.
REPAIR_ROUNDS = 40


@dataclass(frozen=True)
class LazyOptions:
    heuristic: bool = True  # interleave full-batch FTPROP restarts as a primal heuristic (feasibility)


class _Checker:
    """Per-unit LP checks with a cache keyed by (inputs, targets) bytes."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.cache: dict[tuple[bytes, bytes], list[np.ndarray]] = {}
        self.lp_checks = 0
        self.cache_hits = 0
        self.seconds = 0.0

    def certificates(self, U: np.ndarray, t: np.ndarray) -> tuple[list[np.ndarray], str | None]:
        """Disjoint inseparable subsets (row indices of U), each with an exactly verified Farkas
        certificate; empty when the unit is separable. The second item is the reason when floats
        could not settle the unit (then no subset is proved and the caller may not cut soundly)."""
        key = (U.tobytes(), t.tobytes())
        hit = self.cache.get(key)
        if hit is not None:
            self.cache_hits += 1
            return hit
        start = time.monotonic()
        found: list[np.ndarray] = []
        undecided = None
        rows = np.arange(len(t))
        while len(found) <= EXTRA_CERTIFICATES and len(rows):
            self.lp_checks += 1
            r = check_separable(U[rows], t[rows])
            if r.separable is True:
                break
            if r.separable is None:
                undecided = None if found else r.reason
                break
            subset = rows[r.subset]
            found.append(subset)
            rows = np.setdiff1d(rows, subset)
        self.seconds += time.monotonic() - start
        self.cache[key] = (found, undecided)
        return found, undecided

    def failures(self, targets: list[np.ndarray], kept: np.ndarray | None, *, first_only: bool = False):
        """(layer, unit, subsets over merged examples, undecided reason) for every unit that is
        not proved separable; an undecided unit's one subset is all of its rows."""
        p = self.problem
        rows = np.arange(p.n_merged) if kept is None else np.flatnonzero(kept)
        out = []
        for layer in range(1, len(p.hidden) + 2):
            U = p.unit_inputs(targets, layer)[rows]
            T = p.unit_targets(targets, layer)[rows]
            for j in range(T.shape[1]):
                subsets, undecided = self.certificates(U, np.ascontiguousarray(T[:, j]))
                if undecided:
                    subsets = [np.arange(len(rows))]
                if subsets:
                    out.append((layer, j, [rows[s] for s in subsets], undecided))
                    if first_only:
                        return out
        return out


class _Master:
    """The CP-SAT model over targets (and keep flags), grown by cuts between solves."""

    def __init__(self, problem: Problem, options, min_errors: bool):
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.problem, self.options = problem, options
        m = problem.n_merged
        model = self.model = cp_model.CpModel()
        self.t = [
            [[model.new_bool_var(f"t[{l + 1}][{j}][{i}]") for i in range(m)] for j in range(w)]
            for l, w in enumerate(problem.hidden)
        ]
        self.keep = [model.new_bool_var(f"keep[{i}]") for i in range(m)] if min_errors else None
        self.clauses: set[frozenset] = set()
        # Set when a cut rests on a unit floats could not settle: the master's INFEASIBLE (or
        # optimum) is then no proof, and the answer says so.
        self.tainted: str | None = None
        self.stats = {"distinct_code_pairs": 0, "unateness_clauses": 0, "symmetry_clauses": 0}
        self._preconstrain()
        if min_errors:
            model.maximize(sum(int(c) * k for c, k in zip(problem.counts, self.keep)))
        self.conflicts = 0
        self.seconds = 0.0

    def _preconstrain(self):
        p, model = self.problem, self.model
        if self.keep is not None:
            for group in pre.identical_input_groups(p.Xu):
                model.add_at_most_one([self.keep[i] for i in group])
        if p.hidden:
            self.stats["unateness_clauses"] = pre.add_unateness(model, self.t[0], p.Xu, name="[1]")
            pre.add_equal_inputs(model, self.t[0], p.Xu)
        # With one output unit the last layer's sign symmetry goes to non-negative outgoing
        # weights (monotone output) rather than to example 0: a much stronger constraint.
        self.monotone = self.options.symmetry_breaking and p.n_outputs == 1 and not p.shortcut
        self.stats["monotone_output"] = self.monotone
        if not p.shortcut:  # with the shortcut the output also sees x: codes may coincide
            for l, t in enumerate(self.t):
                add = pre.add_monotone_output if self.monotone and l == len(self.t) - 1 else pre.add_distinct_codes
                self.stats["distinct_code_pairs"] += add(model, t, p.Xu, p.Yu, keep=self.keep, name=f"[{l + 1}]")
        if self.options.symmetry_breaking:
            for l, t in enumerate(self.t):
                fix_sign = not (self.monotone and l == len(self.t) - 1)
                self.stats["symmetry_clauses"] += add_cpsat_symmetry_breaking(
                    model, t, name=f"[{l + 1}]", fix_sign=fix_sign
                )

    def add_cut(self, layer: int, unit: int, subset: np.ndarray, targets: list[np.ndarray]) -> int:
        """No-goods for an inseparable (layer, subset) under the current targets; returns # new."""
        p = self.problem
        base = []  # (variable, value) pairs; the literal is "variable != value"
        if layer >= 2:
            H = targets[layer - 2]
            base += [(self.t[layer - 2][k][i], int(H[i, k])) for i in subset for k in range(H.shape[1])]
        if self.keep is not None:
            base += [(self.keep[i], 1) for i in subset]
        if layer == len(p.hidden) + 1:
            variants = [base]
        else:
            cur = targets[layer - 1]
            # the failing unit's target column, on every unit of the layer, and negated
            col = [int(cur[i, unit]) for i in subset]
            variants = [
                base + [(self.t[layer - 1][j][i], s * v) for i, v in zip(subset, col)]
                for j in range(len(self.t[layer - 1]))
                for s in (1, -1)
            ]
        added = 0
        for lits in variants:
            key = frozenset((var.index, v) for var, v in lits)
            if key in self.clauses:
                continue
            self.clauses.add(key)
            self.model.add_bool_or([var.Not() if v > 0 else var for var, v in lits])
            added += 1
        return added

    def solve(self, deadline, hint, hint_keep):
        model = self.model
        model.clear_hints()
        if hint is not None:
            for t, T in zip(self.t, hint):
                for j, col in enumerate(t):
                    for i, var in enumerate(col):
                        model.add_hint(var, bool(T[i, j] > 0))
        if hint_keep is not None and self.keep is not None:
            for var, k in zip(self.keep, hint_keep):
                model.add_hint(var, bool(k))
        solver = self.cp.CpSolver()
        prm = solver.parameters
        prm.num_workers = self.options.resolved_workers()
        prm.random_seed = int(self.options.seed)
        if deadline is not None:
            prm.max_time_in_seconds = max(0.01, deadline - time.monotonic())
        status, interrupted = solve_keeping_sigint(solver, model, deadline=deadline)
        if interrupted and status != self.cp.OPTIMAL:
            raise KeyboardInterrupt
        self.conflicts += solver.num_conflicts
        self.seconds += solver.wall_time
        cp = self.cp
        if status == cp.MODEL_INVALID:
            raise RuntimeError(f"lazy master model invalid: {model.validate()}")
        if status == cp.INFEASIBLE:
            return "infeasible", None, None, None
        if status not in (cp.OPTIMAL, cp.FEASIBLE):
            return "unknown", None, None, _bound(solver, self.keep)
        targets = [
            np.array([[1 if solver.boolean_value(v) else -1 for v in col] for col in t], dtype=np.int8).T.reshape(
                self.problem.n_merged, len(t)
            )
            for t in self.t
        ]
        keep = None if self.keep is None else np.array([solver.boolean_value(k) for k in self.keep])
        return ("optimal" if status == cp.OPTIMAL else "feasible"), targets, keep, _bound(solver, self.keep)


def _bound(solver, keep):
    return None if keep is None else float(solver.best_objective_bound)


def _warm_targets(problem: Problem, options) -> list[np.ndarray] | None:
    """The warm-start targets mapped to merged examples, as given (not yet normalised)."""
    return None if options.warm_start is None else problem.merged_targets(options.warm_start)


def _normalise_hint(problem: Problem, targets: list[np.ndarray], monotone: bool) -> list[np.ndarray]:
    """Bring a hint into the master's symmetry-broken form, or CP-SAT would reject it at once.

    Every layer but a monotone last one: sign fixed on example 0, columns sorted (canonicalize).
    A monotone last layer: units flipped so that the output unit's LP weights are >= 0, then the
    columns sorted without the example-0 sign fix.
    """
    out = [canonicalize(T) for T in targets]
    if monotone and targets:
        T = targets[-1].copy()
        r = check_separable(T.astype(float), problem.Yu[:, 0])
        if r.separable:
            T = T * np.where(r.w < 0, -1, 1).astype(np.int8)
        keys = [tuple(col) for col in (T.T > 0).astype(int)]
        order = sorted(range(T.shape[1]), key=lambda j: keys[j], reverse=True)
        out[-1] = T[:, order]
    return out


def _primal_heuristic(problem: Problem, options, deadline, stats) -> list[np.ndarray] | None:
    """A few restarts of full-batch FTPROP (the ``ftprop`` backend) between master solves.

    Proofs still come only from the master; this finds fits sooner on real-valued data, where
    the master may need many cuts before a candidate survives. Its targets are verified like any
    other answer.
    """
    from . import load

    ftprop = load("ftprop")

    start = time.monotonic()
    runs = stats.get("heuristic_runs", 0)
    trace = ftprop.search(problem, seed=int(options.seed) + runs, deadline=deadline,
                          config=ftprop.FTPropConfig(max_restarts=HEURISTIC_RESTARTS))
    stats["heuristic_runs"] = runs + 1
    stats["heuristic_time_s"] = round(stats.get("heuristic_time_s", 0.0) + time.monotonic() - start, 4)
    if trace.found:
        stats["found_by"] = "primal heuristic (full-batch FTPROP)"
        return trace.hidden_targets
    return None


def _trivial(problem: Problem):
    """min-errors fallback that always verifies: constant hidden targets, keep one output row."""
    rows, inv = np.unique(problem.Yu, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    weight = np.bincount(inv, weights=problem.counts)
    keep = inv == int(np.argmax(weight))
    # the at-most-one constraint on identical inputs: they all carry different rows already
    targets = [np.ones((problem.n_merged, w), dtype=np.int8) for w in problem.hidden]
    return targets, keep


def run(problem: Problem, options, deadline: float | None) -> BackendResult:
    min_errors = options.objective == "min-errors"
    own = options.own(LazyOptions, "lazy")
    checker = _Checker(problem)
    master = _Master(problem, options, min_errors)
    counts = problem.counts
    total = int(counts.sum())
    stats = {"iterations": 0, "cuts": 0}
    hint, hint_keep = _warm_targets(problem, options), None
    if hint is not None:
        # A complete hint is LP-checked first: if every unit fits, there is nothing to search.
        if not checker.failures(hint, None, first_only=True):
            stats["warm_start"] = "hint fits every example: returned after LP checks"
            if min_errors:
                return BackendResult(Status.OPTIMAL, hidden_targets=hint, kept=np.ones(problem.n_merged, bool),
                                     proved_for=ALL_REAL_WEIGHTS, lower_bound=0.0, stats=stats)
            return BackendResult(Status.FEASIBLE, hidden_targets=hint, stats=stats)
        stats["warm_start"] = "used as CP-SAT hint"
        if options.symmetry_breaking:
            hint = _normalise_hint(problem, hint, master.monotone)
    best, best_fail = None, None  # feasibility: fewest failing units so far
    best_keep = None
    if min_errors:
        best, best_keep = _trivial(problem)
        hint_keep = best_keep
    bound = None

    def result(status, **kw):
        stats.update(master.stats, lp_checks=checker.lp_checks, cache_hits=checker.cache_hits,
                     master_conflicts=master.conflicts, master_time_s=round(master.seconds, 4),
                     lp_time_s=round(checker.seconds, 4))
        return BackendResult(status, stats=stats, **kw)

    def log(msg):
        if options.verbose:
            print(f"lazy: {msg}", file=sys.stderr, flush=True)

    try:
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError
            state, targets, keep, bound = master.solve(deadline, hint, hint_keep)
            stats["iterations"] += 1
            if state == "infeasible" and master.tainted:
                return result(Status.UNKNOWN, hidden_targets=best, message=(
                    f"numerically undecided at {master.tainted}; the search is exhausted only "
                    "if that unit is inseparable, which exact arithmetic could not confirm"))
            if state == "infeasible":
                # min-errors always has keep = 0 available, so this is feasibility only
                return result(
                    Status.INFEASIBLE, proved_for=ALL_REAL_WEIGHTS,
                    certificate={
                        "kind": "no-good cuts",
                        "cuts": stats["cuts"],
                        "iterations": stats["iterations"],
                        "reason": _reason(stats["cuts"], master),
                    },
                )
            if state == "unknown":
                raise TimeoutError
            fails = checker.failures(targets, keep)
            log(f"iteration {stats['iterations']}: {len(fails)} inseparable units, {stats['cuts']} cuts, "
                f"{checker.lp_checks} LPs" + (f", bound {bound:g}" if bound is not None else ""))
            if not fails:
                if not min_errors:
                    return result(Status.FEASIBLE, hidden_targets=targets)
                kept_w = int(counts[keep].sum())
                if state == "optimal" and not master.tainted:
                    return result(Status.OPTIMAL, hidden_targets=targets, kept=keep,
                                  proved_for=ALL_REAL_WEIGHTS, lower_bound=float(total - kept_w))
                best, best_keep = targets, keep  # the master stopped at the deadline
                raise TimeoutError
            for layer, unit, subsets, undecided in fails:
                if undecided and not master.tainted:
                    master.tainted = f"layer {layer} unit {unit} ({undecided})"
                for subset in subsets:
                    stats["cuts"] += master.add_cut(layer, unit, subset, targets)
            if not min_errors and own.heuristic and stats["iterations"] in HEURISTIC_AT:
                found = _primal_heuristic(problem, options, deadline, stats)
                if found is not None:
                    return result(Status.FEASIBLE, hidden_targets=found)
            if min_errors:
                repaired = _repair(checker, targets, keep.copy(), counts, deadline)
                if repaired is not None:
                    fixed, repaired = _realise(problem, targets, repaired)
                    if counts[repaired].sum() > counts[best_keep].sum():
                        best, best_keep = fixed, repaired
                hint_keep = keep
            elif best_fail is None or len(fails) < best_fail:
                best, best_fail = targets, len(fails)
            hint = targets
    except (TimeoutError, KeyboardInterrupt) as exc:
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "time limit reached"
        if min_errors:
            lb = None if bound is None or master.tainted else float(max(0, total - int(np.floor(bound + 1e-6))))
            return result(Status.FEASIBLE, hidden_targets=best, kept=best_keep, lower_bound=lb,
                          message=f"{why}: best network found, not proved optimal"
                          + (f" (at least {lb:g} training errors)" if lb is not None else ""))
        return result(Status.UNKNOWN, hidden_targets=best,
                      message=f"{why} after {stats['iterations']} master solves and {stats['cuts']} cuts")


def _realise(problem: Problem, targets, keep):
    """Fit the kept examples, then take the network's own outputs as targets and keep every
    example it gets right: still verified (targets are realised outputs), often more kept."""
    from ..network import forward
    from ..fitting import fit_network

    layers, _, _ = fit_network(problem, targets, keep)
    acts = forward(layers, problem.Xu, shortcut=problem.shortcut)
    right = np.all(acts[-1] == problem.Yu, axis=1)
    return [np.asarray(a, dtype=np.int8) for a in acts[:-1]], right | keep


def _reason(n_cuts: int, master: _Master) -> str:
    p = master.problem
    # with a monotone output, the last hidden layer gets monotone-output clauses instead
    distinct_layers = 0 if p.shortcut else len(p.hidden) - (1 if master.monotone else 0)
    used = ["distinct codes" if distinct_layers > 0 else None,
            "monotone output" if master.monotone else None,
            "first-layer unateness" if master.stats["unateness_clauses"] else None,
            "symmetry breaking" if master.options.symmetry_breaking else None]
    valid = ", ".join(u for u in used if u) or "no other constraints"
    cuts = (f"{n_cuts} no-good cuts, each resting on a Farkas certificate of an inseparable unit, "
            f"together with the valid constraints ({valid}),") if n_cuts else f"the valid constraints ({valid}) alone"
    return f"no assignment of hidden targets survives: {cuts} leave the CP-SAT master without a solution"


def _repair(checker: _Checker, targets, keep, counts, deadline):
    """Drop the lightest example of each failing unit's certificate until every unit passes."""
    for _ in range(REPAIR_ROUNDS):
        if deadline is not None and time.monotonic() >= deadline:
            return None
        fails = checker.failures(targets, keep)
        if not fails:
            return keep
        for _, _, subsets, _ in fails:
            s = subsets[0]
            if keep[s].all():
                keep[s[np.argmin(counts[s])]] = False
    return None
