"""The lazy backend's master: a CP-SAT model over hidden targets (and keep flags), grown by cuts.

It holds Boolean targets t[l][j][i] and, for min-errors, keep[i]; before the first solve the
valid constraints of :mod:`combinatorial.cuts` and symmetry breaking; after each failed candidate
the no-good cuts the loop in :mod:`combinatorial.backends.lazy` hands it. ``solve`` answers one of
"optimal", "feasible", "infeasible", "unknown" (limit, no solution) or "interrupted".
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from ... import cuts as pre
from ...clauses import AT_MOST, CONFLICT, CUBE, CNF, ClauseModel, Refutation, at_most_errors, nogood_tag
from ...errors import ProofError
from ... import deadline
from ...problem import Problem
from ...separability import check_separable
from ...symmetry import add_cpsat_symmetry_breaking, canonicalize
from .._cpsat import solve_keeping_sigint
from .confirm import SecondOpinion
from .portfolio import LazyOptions


# Above this many (pair, unit) literals in a layer, pair constraints are added lazily.
LAZY_PAIRS_ABOVE = 20_000


def _targets(cm: ClauseModel, l: int, j: int, m: int) -> list:
    """The target variables t[l + 1][j][i] of one unit (wide layers see the deadline here)."""
    deadline.check()
    return [cm.bool_var(f"t[{l + 1}][{j}][{i}]") for i in range(m)]


@dataclass(frozen=True)
class Answer:
    """One master solve: ``state`` is "optimal" / "feasible" (a candidate: ``targets``, and
    ``keep`` for min-errors), "infeasible" (no candidate left), "unknown" (none in the time
    given) or "interrupted" (Ctrl-C). ``bound``: min-errors' CP-SAT bound on what can be kept."""

    state: str
    targets: list[np.ndarray] | None = None
    keep: np.ndarray | None = None
    bound: float | None = None

    @property
    def candidate(self) -> bool:
        return self.state in ("optimal", "feasible")


class Master:
    """The CP-SAT model over targets (and keep flags), grown by cuts between solves."""

    def __init__(self, problem: Problem, options, min_errors: bool):
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.problem, self.options = problem, options
        m = problem.n_merged
        self.cm = ClauseModel(cp_model.CpModel())  # every clause logged with its family
        model = self.model = self.cm.model
        self.t = [[_targets(self.cm, l, j, m) for j in range(w)] for l, w in enumerate(problem.hidden)]
        self.keep = [self.cm.bool_var(f"keep[{i}]") for i in range(m)] if min_errors else None
        self.clauses: set[frozenset] = set()
        self.nogoods: list[dict] = []  # every add_cut, with its certificate (see add_cut)
        # Set when a cut rests on a unit floats could not settle: the master's INFEASIBLE (or
        # optimum) is then no proof, and the answer says so.
        self.tainted: str | None = None
        self.stats = {"distinct_code_pairs": 0, "unateness_clauses": 0, "symmetry_clauses": 0}
        self._preconstrain()
        if min_errors:
            model.maximize(sum(int(c) * k for c, k in zip(problem.counts, self.keep)))
        self.conflicts = 0
        self.seconds = 0.0
        self.opinion: SecondOpinion | None = None  # CaDiCaL beside the last solve, if it refuted

    def _preconstrain(self):
        p = self.problem
        if self.keep is not None:  # one input, two labels: at most one of them is fitted
            for group in pre.identical_input_groups(p.Xu):
                for a, b in itertools.combinations(group, 2):
                    self.cm.clause(CONFLICT, [self.keep[a].Not(), self.keep[b].Not()])
        if p.hidden:
            self.stats["unateness_clauses"] = pre.add_unateness(self.cm, self.t[0], p.Xu, name="[1]")
            pre.add_equal_inputs(self.cm, self.t[0], p.Xu)
        # With one output unit the last layer's sign symmetry goes to non-negative outgoing
        # weights (monotone output) rather than to example 0: a much stronger constraint.
        self.monotone = self.options.symmetry_breaking and p.n_outputs == 1 and not p.shortcut
        self.stats["monotone_output"] = self.monotone
        # Pair constraints (distinct codes, monotone output) are added all at once while few;
        # beyond that, only those the master's candidates break (add_violated_pairs).
        self.pending: dict[int, tuple[np.ndarray, np.ndarray, bool]] = {}
        if not p.shortcut:  # with the shortcut the output also sees x: codes may coincide
            for l, t in enumerate(self.t):
                monotone = self.monotone and l == len(self.t) - 1
                a, b = pre.all_differing_pairs(p.Yu, oriented=monotone)
                if len(a) * len(t) > LAZY_PAIRS_ABOVE:  # near neighbours now, the rest when broken
                    near = pre.nearest_pairs(p.Xu, a, b)
                    self.pending[l] = (a[~near], b[~near], monotone)
                    a, b = a[near], b[near]
                self.stats["distinct_code_pairs"] += self._add_pairs(l, a, b, monotone)
        if self.options.symmetry_breaking:
            for l, t in enumerate(self.t):
                fix_sign = not (self.monotone and l == len(self.t) - 1)
                self.stats["symmetry_clauses"] += add_cpsat_symmetry_breaking(
                    self.cm, t, name=f"[{l + 1}]", fix_sign=fix_sign
                )
        cube = self.options.own(LazyOptions, "lazy").cube
        for name, value in cube:
            self.cm.fix(CUBE, self.target(name), value > 0)
        if cube:
            self.stats["cube"] = [[name, int(value)] for name, value in cube]

    def target(self, name: str):
        """The master's variable t[l][j][i] by name (ProblemError when there is none)."""
        from ...errors import ProblemError

        try:
            l, j, i = (int(v) for v in name.removeprefix("t[").removesuffix("]").split("]["))
            if l < 1 or j < 0 or i < 0:
                raise IndexError
            return self.t[l - 1][j][i]
        except (ValueError, IndexError):
            raise ProblemError(f"{name!r} is no hidden target of this master") from None

    def add_violated_pairs(self, targets: list[np.ndarray], keep) -> int:
        """Add the pending pair constraints that the candidate ``targets`` break (both examples
        kept, for min-errors); returns how many. Each is valid on its own (see cuts)."""
        added = 0
        for l, (a, b, monotone) in list(self.pending.items()):
            bad = pre.violated_pairs(targets[l], a, b, monotone=monotone)
            if keep is not None:
                bad &= keep[a] & keep[b]
            if not bad.any():
                continue
            added += self._add_pairs(l, a[bad], b[bad], monotone)
            self.stats["late_pairs"] = self.stats.get("late_pairs", 0) + int(bad.sum())  # added after the start
            self.pending[l] = (a[~bad], b[~bad], monotone)
        self.stats["distinct_code_pairs"] += added
        return added

    def add_pairs(self) -> int:
        """Add every pending pair constraint (a proof's master needs them all); returns how many."""
        added = sum(self._add_pairs(l, a, b, monotone) for l, (a, b, monotone) in self.pending.items())
        self.pending.clear()
        self.stats["distinct_code_pairs"] += added
        return added

    def _add_pairs(self, l: int, a: np.ndarray, b: np.ndarray, monotone: bool) -> int:
        """The pair constraints (distinct codes, or monotone output) of pairs (a, b) on hidden layer l."""
        add = pre.add_monotone_output if monotone else pre.add_distinct_codes
        p = self.problem
        return add(self.cm, self.t[l], p.Xu, p.Yu, keep=self.keep, name=f"[{l + 1}]",
                   pairs=list(zip(a.tolist(), b.tolist())))

    def add_cut(self, layer: int, unit: int, subset: np.ndarray, targets: list[np.ndarray], multipliers=None,
                *, keep: bool = True) -> int:
        """No-goods for an inseparable (layer, subset) under the current targets; returns # new.

        Each call is logged in ``nogoods`` (layer, unit, merged examples, the exact Farkas
        multipliers that justify it, and every clause added as (variable name, value) pairs,
        meaning "not all of these variables take these values"): what a proof file needs.
        min-errors cuts bind only when the subset is kept, unless ``keep`` is False: the
        targets are the network's outputs on every example, fitted or not, so the cut holds
        either way (the stronger form, for cuts that rank dichotomies of all examples)."""
        p = self.problem
        base = []  # (variable, value) pairs; the literal is "variable != value"
        if layer >= 2:
            H = targets[layer - 2]
            base += [(self.t[layer - 2][k][i], int(H[i, k])) for i in subset for k in range(H.shape[1])]
        if self.keep is not None and keep:
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
        added, clauses, tag = 0, [], nogood_tag(len(self.nogoods))
        for lits in variants:
            key = frozenset((var.index, v) for var, v in lits)
            if key in self.clauses:
                continue
            self.clauses.add(key)
            self.cm.clause(tag, [var.Not() if v > 0 else var for var, v in lits])
            clauses.append([(var.name, v) for var, v in lits])
            added += 1
        self.nogoods.append({"layer": layer, "unit": unit, "examples": [int(i) for i in subset],
                             "multipliers": multipliers, "clauses": clauses})
        return added

    def refutation(self, errors: int | None = None) -> Refutation:
        """The record of an exhausted master, for a proof file (:class:`ProofError` when its
        INFEASIBLE cannot be certified). min-errors: ``errors``, the optimum's; the record
        refutes "at most errors - 1", its clauses those of the master (the linear constraints
        on keep left out: the optimum's bound implies them) and :func:`at_most_errors`."""
        if (self.keep is None) != (errors is None):
            raise ProofError("a min-errors refutation needs the optimum's errors, a feasibility one none")
        if self.tainted:
            raise ProofError(f"a cut rests on a numerically undecided unit ({self.tainted})")
        if not self.cm.complete():
            raise ProofError("the master holds a constraint outside the logged families")
        for record in self.nogoods:
            if record["multipliers"] is None:
                raise ProofError(f"no-good on layer {record['layer']} has no Farkas certificate")
        cnf = self.cm.record()
        if errors is not None:
            if errors < 1:
                raise ProofError("an optimum with no errors is proved by its network alone")
            keep = [k.index + 1 for k in self.keep]
            names, clauses = at_most_errors(keep, self.problem.counts, errors - 1, len(cnf.names) + 1)
            cnf = CNF(cnf.names + tuple(names), cnf.clauses + tuple(clauses), cnf.tags + (AT_MOST,) * len(clauses))
        return Refutation(cnf, tuple(self.nogoods), bool(self.monotone), round(self.seconds, 4), errors=errors)

    def second_opinion(self, deadline: float | None) -> str | None:
        """CaDiCaL (python-sat) on the logged master, after CP-SAT called it infeasible: None when
        it agrees (UNSAT), else why the INFEASIBLE cannot stand on CP-SAT's word alone. The
        answer of the CaDiCaL run started beside that CP-SAT solve, if it started."""
        opinion, self.opinion = self.opinion, None
        if not self.cm.complete():
            return "the master holds a constraint outside the logged families, so no second solver can read it"
        if opinion is None or not opinion.started:
            if opinion is not None:
                opinion.cancel()
            opinion = SecondOpinion(self._clause_lists, delay=0.0)
        answer = opinion.answer(deadline)
        if answer is None:
            return "the time limit was reached while CaDiCaL re-checked CP-SAT's infeasible master"
        return "CaDiCaL finds an assignment of the master that CP-SAT called infeasible" if answer else None

    def drop_opinion(self) -> None:
        """The refutation will not be reported: CaDiCaL beside it is stopped."""
        if self.opinion is not None:
            self.opinion.cancel()
            self.opinion = None

    def _clause_lists(self) -> list[list[int]]:
        return [list(c) for c in self.cm.record().clauses]

    def require_more_than(self, kept: int) -> None:
        """min-errors: only candidates that keep more than ``kept`` (the incumbent's count). The
        master running out of candidates then proves the incumbent optimal."""
        self.cm.linear(lambda model: model.add(sum(int(c) * k for c, k in zip(self.problem.counts, self.keep)) >= kept + 1))

    def solve(self, deadline, hint, hint_keep, cap: float | None = None, confirm: bool = False):
        """One CP-SAT solve, stopped at the deadline or after ``cap`` seconds (a portfolio's
        turn); "unknown" then means no candidate in that time, and says nothing else. With
        ``confirm``, a long solve has CaDiCaL beside it (see :mod:`.confirm`) for
        :meth:`second_opinion`, and CP-SAT one worker fewer."""
        if cap is not None:
            deadline = time.monotonic() + cap if deadline is None else min(deadline, time.monotonic() + cap)
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
        prm.num_workers = max(1, self.options.resolved_workers() - confirm)  # CaDiCaL takes a core
        prm.random_seed = int(self.options.seed)
        if deadline is not None:
            prm.max_time_in_seconds = max(0.01, deadline - time.monotonic())
        opinion = SecondOpinion(self._clause_lists) if confirm and self.cm.complete() else None
        status, interrupted = None, False
        try:
            status, interrupted = solve_keeping_sigint(solver, model)
        finally:  # kept only for a refutation; stopped otherwise, even on an exception
            self.opinion = opinion if status == self.cp.INFEASIBLE and not interrupted else None
            if opinion is not None and self.opinion is None:
                opinion.cancel()
        if interrupted and status != self.cp.OPTIMAL:
            return Answer("interrupted")
        self.conflicts += solver.num_conflicts
        self.seconds += solver.wall_time
        cp = self.cp
        if status == cp.MODEL_INVALID:
            raise RuntimeError(f"lazy master model invalid: {model.validate()}")
        if status == cp.INFEASIBLE:
            return Answer("infeasible")
        if status not in (cp.OPTIMAL, cp.FEASIBLE):  # no solution: CP-SAT's bound means nothing here
            return Answer("unknown")
        targets = [
            np.array([[1 if solver.boolean_value(v) else -1 for v in col] for col in t], dtype=np.int8).T.reshape(
                self.problem.n_merged, len(t)
            )
            for t in self.t
        ]
        keep = None if self.keep is None else np.array([solver.boolean_value(k) for k in self.keep])
        return Answer("optimal" if status == cp.OPTIMAL else "feasible", targets, keep, _bound(solver, self.keep))


def _bound(solver, keep):
    return None if keep is None else float(solver.best_objective_bound)


def normalise_hint(problem: Problem, targets: list[np.ndarray], monotone: bool) -> list[np.ndarray]:
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


def reason(n_cuts: int, master: Master) -> str:
    """The INFEASIBLE proof in words: the constraint families actually in the model."""
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
