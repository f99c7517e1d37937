"""Enumerate backend: brute force over separable dichotomies. The reference for tiny instances.

Every hidden target of a real network is that network's output, so it suffices to search over
outputs. For each hidden layer, list every linearly separable dichotomy of the layer's inputs
(over their distinct rows: equal inputs give equal outputs), pick ``width`` of them, and go up.
At the output layer:

* feasibility: every output unit must be separable against its labels;
* min-errors: each output unit takes one separable dichotomy of its inputs; an example is right
  when every unit agrees with its label row. The best choice over all of them is optimal.

Symmetry breaking (on by default) lists each dichotomy once, with +1 on merged example 0, and
takes width-tuples as multisets in lexicographically non-increasing order, which is exactly the
canonical form of :mod:`combinatorial.symmetry`. Dichotomies are built one row at a time: a set
of points is separable only if each of its subsets is, so a dichotomy of k + 1 rows extends a
separable one of k rows, and the parent's weights often settle the extension without an LP.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from ..deadline import TimeLimit, stop_now
from ..certificates import SolverWord
from ..problem import Problem, ProblemError
from ..exact import separates
from ..separability import check_separable
from ..solution import ALL_REAL_WEIGHTS, BackendResult, Status

MAX_EXAMPLES = 12  # merged examples; the search is exponential in this


class _Stop(Exception):
    pass


class _Search:
    def __init__(self, problem: Problem, options, deadline):
        self.p, self.options, self.deadline = problem, options, deadline
        self.min_errors = options.objective == "min-errors"
        self.total = int(problem.counts.sum())
        self.best_weight = -1
        self.best = None  # (targets, kept)
        self.lp_checks = 0
        self.combinations = 0
        self._dich_cache: dict[bytes, list[np.ndarray]] = {}
        self._sep_cache: dict[bytes, bool] = {}
        self.undecided: str | None = None  # reason, when some dichotomy could not be settled

    def _tick(self):
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise _Stop

    def dichotomies(self, U: np.ndarray) -> list[np.ndarray]:
        """Separable ±1 columns over the merged examples, given their input rows U.

        With symmetry breaking only those with +1 on example 0, sorted lexicographically
        non-increasing; otherwise all of them.
        """
        rows, inv = np.unique(U, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        cols = [c[inv] for c in self.row_dichotomies(rows)]
        if self.options.symmetry_breaking:
            cols = [c for c in cols if c[0] > 0]
        cols.sort(key=lambda c: tuple(c > 0), reverse=True)
        return cols

    def row_dichotomies(self, rows: np.ndarray) -> list[np.ndarray]:
        """Every separable ±1 labelling of distinct ``rows`` (both signs), cached by the rows."""
        key = rows.tobytes()
        if key in self._dich_cache:
            return self._dich_cache[key]
        # Grow labellings row by row; each partial one carries weights that separate it.
        partial = [(np.array([1], dtype=np.int8), None)]
        for k in range(1, len(rows)):
            grown = []
            for col, wb in partial:
                for v in (1, -1):
                    self._tick()
                    new = np.append(col, np.int8(v))
                    if wb is not None and separates(rows[k : k + 1], [v], *wb):
                        grown.append((new, wb))
                        continue
                    self.lp_checks += 1
                    r = check_separable(rows[: k + 1], new)
                    self._note(r)
                    if r.separable:
                        grown.append((new, (r.w, r.b)))
            partial = grown
        out = [col for col, _ in partial]
        out += [-c for c in out]
        self._dich_cache[key] = out
        return out

    def separable(self, U: np.ndarray, t: np.ndarray) -> bool:
        """One output unit: equal inputs need equal targets, then an LP (cached)."""
        rows, inv = np.unique(U, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        pattern = np.zeros(len(rows), dtype=np.int8)
        pattern[inv] = t
        if np.any(pattern[inv] != t):
            return False
        key = rows.tobytes() + pattern.tobytes()
        if key not in self._sep_cache:
            self.lp_checks += 1
            r = check_separable(rows, pattern)
            self._note(r)
            self._sep_cache[key] = bool(r.separable)
        return self._sep_cache[key]

    def _note(self, r) -> None:
        """Remember the first unit floats could not settle: it voids any proof by exhaustion."""
        if r.separable is None and self.undecided is None:
            self.undecided = r.reason

    def search(self, targets: list[np.ndarray]) -> bool:
        """Depth-first over hidden layers; True stops the search (an exact fit was found)."""
        layer = len(targets) + 1
        U = self.p.unit_inputs(targets, layer)
        if layer == len(self.p.hidden) + 1:
            self.combinations += 1
            return self.output(targets, U)
        cols = self.dichotomies(U)
        width = self.p.hidden[layer - 1]
        if self.options.symmetry_breaking:
            choices = itertools.combinations_with_replacement(range(len(cols)), width)
        else:
            choices = itertools.product(range(len(cols)), repeat=width)
        for idx in choices:
            self._tick()
            if self.search(targets + [np.stack([cols[i] for i in idx], axis=1)]):
                return True
        return False

    def output(self, targets, U) -> bool:
        p = self.p
        if not self.min_errors:
            for k in range(p.n_outputs):
                if not self.separable(U, p.Yu[:, k]):
                    return False
            self.best = (targets, None)
            return True
        # All separable dichotomies of the output's inputs, both signs, per output unit.
        rows, inv = np.unique(U, axis=0, return_inverse=True)
        cols = [c[inv.reshape(-1)] for c in self.row_dichotomies(rows)]
        per_unit = []
        for k in range(p.n_outputs):
            agree = {tuple(c == p.Yu[:, k]) for c in cols}
            per_unit.append([np.array(a) for a in agree])
        for combo in itertools.product(*per_unit):
            kept = np.logical_and.reduce(combo)
            weight = int(p.counts[kept].sum())
            if weight > self.best_weight:
                self.best_weight, self.best = weight, (targets, kept)
        return self.best_weight == self.total


def run(problem: Problem, options, deadline: float | None) -> BackendResult:
    if problem.n_merged > MAX_EXAMPLES:
        raise ProblemError(
            f"the enumerate backend handles at most {MAX_EXAMPLES} distinct examples, "
            f"this data set has {problem.n_merged}; use the lazy backend"
        )
    s = _Search(problem, options, deadline)
    interrupted = None
    try:
        s.search([])
    except (_Stop, TimeLimit):
        interrupted = "time limit reached"
    except KeyboardInterrupt:
        stop_now()
        interrupted = "interrupted"
    stats = {"lp_checks": s.lp_checks, "combinations": s.combinations}
    if interrupted:
        if s.min_errors and s.best is not None:
            return BackendResult(Status.FEASIBLE, hidden_targets=s.best[0], kept=s.best[1], stats=stats,
                                 message=f"{interrupted}: best found so far, not proved optimal")
        return BackendResult(Status.UNKNOWN, stats=stats, message=f"{interrupted} after {s.combinations} combinations")
    if s.undecided and (s.min_errors or s.best is None):
        targets, kept = s.best if s.best is not None else (None, None)
        return BackendResult(Status.FEASIBLE if s.min_errors else Status.UNKNOWN, hidden_targets=targets,
                             kept=kept, stats=stats, message=f"no proof by exhaustion: {s.undecided}")
    if s.min_errors:
        targets, kept = s.best
        return BackendResult(Status.OPTIMAL, hidden_targets=targets, kept=kept, proved_for=ALL_REAL_WEIGHTS,
                             lower_bound=float(s.total - s.best_weight), stats=stats)
    if s.best is not None:
        return BackendResult(Status.FEASIBLE, hidden_targets=s.best[0], stats=stats)
    return BackendResult(
        Status.INFEASIBLE, proved_for=ALL_REAL_WEIGHTS, stats=stats,
        certificate=SolverWord("exhaustive", f"all {s.combinations} combinations of separable hidden dichotomies "
                               "were tried and none makes the output units separable", {"combinations": s.combinations}),
    )
