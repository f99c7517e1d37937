"""Lower bounds on the training errors of a first hidden layer of a given width, from the pairs
of examples it must separate (no shortcut, real weights, any depth; inputs in one or two
dimensions, as :mod:`combinatorial.separation`).

A network that errs on the merged rows E still gives every pair of rows outside E different
codes. So for any pairs of rows with different label rows, integer weights a and M the most
weight one line separates, the pairs touching E weigh at least need = sum(a) - width * M: a cut
that the error set of every network of that width meets.

* :func:`errors_bound`: one cut, the LP's, and the fewest rows whose weights can reach its need
  (the most weight per example first, :func:`fewest_errors`): a fractional bound.
* :func:`raised`: the error sets themselves. The fewest errors that meet every cut so far (a small
  integer program, CP-SAT) are a set F; the pairs of the rows outside F (their own Delaunay edges,
  some across where F was) get a cut of their own from the LP, which F misses; and so on until
  the fewest errors reach the network to beat, the LP finds no cut (as far as pairs can tell, a
  layer of that width may get only F wrong), :data:`MAX_CUTS`, or the deadline. Every cut is
  valid alone, so the bound is the fewest errors that meet the cuts so far, however the loop
  ends. Three blobs at 200 points, three units: 3 -> 4 errors with 17 cuts in 1.6 s, the
  coordinate descent's network, which is then optimal. The checker enumerates every error set
  one fewer than the claim itself (:mod:`ftprop.checker.separation`); hence :data:`MAX_ERRORS`.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from . import deadline
from .clauses import PairErrors
from .separation import MAX_ROUNDS, SCALE, _pairs, _search, plane, scan

MAX_CUTS = 64
MAX_ERRORS = 8  # raised only toward networks with at most this many errors (the checker's enumeration)


def wanted(bound: int, beat: int) -> bool:
    """Whether to raise a bound of ``bound`` errors toward a network making ``beat``."""
    return bound < beat <= MAX_ERRORS


def raised(problem, first: PairErrors, beat: int, tick=None) -> PairErrors:
    """``first`` (a cut from :func:`errors_bound` on every row) with the bound raised toward
    ``beat`` by the error sets the cuts allow (the module's text), its further cuts in ``more``;
    ``tick``: told (cuts, bound) after each round."""
    width = problem.hidden[0]
    sets, more, bound = _Fewest(problem.counts), [], first.errors
    sets.add(first, width)
    try:
        while bound < beat and len(more) < MAX_CUTS:
            found = sets.solve()
            if found is None:
                break
            bound, F = max(bound, found[0]), found[1]
            if tick is not None:
                tick(1 + len(more), bound)
            if bound >= beat:
                break
            cut = errors_bound(problem, width, np.setdiff1d(np.arange(problem.n_merged), F))
            if cut is None:
                break
            more.append(cut)
            sets.add(cut, width)
    except deadline.TimeLimit:
        pass
    return replace(first, errors=int(bound), more=tuple((c.pairs, c.weights) for c in more))


class _Fewest:
    """The fewest errors (rows counted ``counts`` times) that meet every cut added: one CP-SAT
    model, a cut's constraints added to it as the cut comes."""

    def __init__(self, counts):
        from ortools.sat.python import cp_model

        self.counts, self.model, self.x = np.asarray(counts, dtype=np.int64), cp_model.CpModel(), {}

    def add(self, cut: PairErrors, width: int) -> None:
        """Every error set meets the pairs of ``cut``: those touching it weigh at least sum - width * load."""
        A, B = (np.array(v, dtype=np.int64) for v in zip(*cut.pairs))
        w = np.asarray(cut.weights, dtype=np.int64)
        need, model, x = int(w.sum()) - width * int(cut.load), self.model, self.x
        for v in np.unique(np.concatenate([A, B])).tolist():
            if v not in x:
                x[v] = model.NewBoolVar(f"x{v}")
        touched = []
        for a, b in zip(A.tolist(), B.tolist()):
            z = model.NewBoolVar("")
            model.AddBoolOr([x[a], x[b]]).OnlyEnforceIf(z)
            model.AddBoolAnd([x[a].Not(), x[b].Not()]).OnlyEnforceIf(z.Not())
            touched.append(z)
        model.Add(sum(int(c) * z for c, z in zip(w, touched)) >= need)
        m = len(self.counts)
        degree = np.bincount(A, weights=w, minlength=m) + np.bincount(B, weights=w, minlength=m)
        model.Add(sum(int(degree[v]) * x[v] for v in np.flatnonzero(degree)) >= need)  # implied: CP-SAT's bound

    def solve(self) -> tuple[int, list[int]] | None:
        """The fewest errors and their rows; None when CP-SAT does not prove it before the deadline."""
        from ortools.sat.python import cp_model

        self.model.Minimize(sum(int(self.counts[v]) * self.x[v] for v in self.x))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers, solver.parameters.random_seed = 1, 0
        left = deadline.remaining()
        if left is not None:
            solver.parameters.max_time_in_seconds = max(0.01, left)
        if solver.Solve(self.model) != cp_model.OPTIMAL:
            deadline.check()
            return None
        return int(round(solver.ObjectiveValue())), [v for v in self.x if solver.Value(self.x[v])]


def _pairs_of(problem, rows):
    """The plane's points (two columns), the pairs as rows of the whole, and whether collinear."""
    if rows is None:
        search = _search(problem)  # the Delaunay edges between labels, computed once per data set
        return search.P, search.A, search.B, search.collinear
    P, rows = plane(problem.Xu), np.asarray(rows, dtype=np.int64)
    a, b, collinear = _pairs(P[rows], problem.Yu[rows])
    return P, rows[a], rows[b], collinear


def errors_bound(problem, width: int, rows=None) -> PairErrors | None:
    """A lower bound on the training errors of every network whose first hidden layer has
    ``width`` units (no shortcut, real weights, any depth), with its certificate; None when it is
    0 or no round finished before the deadline.

    A network that errs on the merged rows E still gives every pair of rows outside E different
    codes, so with pair weights a and M the most weight one line separates, the pairs touching E
    weigh at least sum(a) - width * M, and at most the weights at the rows of E summed (their
    degrees). The errors are at least the fewest examples whose degrees reach that (the best
    degree per example first, :func:`fewest_errors`). The weights are the LP's: maximise sum(a) -
    width * M with every line's separated weight at most M and each row's degree at most its
    count (every error then costs at least one unit of weight), over a growing set of lines as in
    :class:`~combinatorial.separation.Search`; every round's bound is valid and the best is kept.
    ``rows``: the pairs of those merged rows only (their own Delaunay edges), as rows of the whole.
    """
    P, A, B, collinear = _pairs_of(problem, rows)
    if len(A) == 0:
        return None
    counts, best = np.asarray(problem.counts, dtype=np.int64), None
    lp = _ErrorsLP(A, B, counts, width)
    try:
        for _ in range(MAX_ROUNDS):
            solved = lp.solve()
            if solved is None:
                break
            a, M = solved
            w = np.floor(a * SCALE + 1e-9).astype(np.int64)
            load, lines = scan(P, A, B, w, threshold=M * SCALE * (1 + 1e-7))
            degree = np.bincount(A, weights=w, minlength=len(P)) + np.bincount(B, weights=w, minlength=len(P))
            errors = fewest_errors(int(w.sum()) - width * load, degree.astype(np.int64), counts)
            if errors > 0 and (best is None or errors > best.errors):
                kept = np.flatnonzero(w > 0)
                best = PairErrors(errors, tuple(zip(A[kept].tolist(), B[kept].tolist())), tuple(w[kept].tolist()), int(load))
            if not lines or collinear:
                break
            for row in lines:  # the lines above M: the LP's next constraints
                lp.add(row)
    except deadline.TimeLimit:
        pass
    return best


def fewest_errors(need: int, degree: np.ndarray, counts: np.ndarray) -> int:
    """The fewest errors (rows counted ``counts`` times) whose ``degree`` sums reach ``need``, in
    the fractional relaxation (the most degree per error first): 0 when ``need`` <= 0."""
    if need <= 0:
        return 0
    rows = sorted(np.flatnonzero(degree > 0), key=lambda x: Fraction(int(degree[x]), int(counts[x])), reverse=True)
    got = errors = 0
    for x in rows:
        d, c = int(degree[x]), int(counts[x])
        if got + d >= need:
            return errors + -(-(need - got) * c // d)
        got, errors = got + d, errors + c
    return errors + 1  # unreachable: the degrees sum to twice the weight


class _ErrorsLP:
    """max sum(a) - width * M, 0 <= a <= 1, the weight at each row at most its count, each line's
    separated a at most M: HiGHS's interior point method, solved anew as lines are added (GLOP
    from its last basis: 2.5 times as long on spirals-500 at width 4, the same bound)."""

    def __init__(self, A: np.ndarray, B: np.ndarray, counts: np.ndarray, width: int):
        from scipy.sparse import csr_matrix

        self.pairs, self.width, self.lines = len(A), float(width), []
        rows, at = np.unique(np.concatenate([A, B]), return_inverse=True)
        self.degrees = csr_matrix((np.ones(2 * len(A)), (at.reshape(-1), np.tile(np.arange(len(A)), 2))),
                                  shape=(len(rows), len(A) + 1))
        self.counts = np.asarray(counts, dtype=float)[rows]

    def add(self, row) -> None:
        self.lines.append(np.asarray(row, dtype=np.int64))

    def solve(self) -> tuple[np.ndarray, float] | None:
        from scipy.optimize import linprog
        from scipy.sparse import csr_matrix, vstack

        from .separability import highs_limits

        m, k = self.pairs, len(self.lines)  # each line: the sum of its pairs' a, minus M, at most 0
        cols = np.concatenate([np.append(r, m) for r in self.lines] or [np.zeros(0, dtype=np.int64)])
        vals = np.concatenate([np.append(np.ones(len(r)), -1.0) for r in self.lines] or [np.zeros(0)])
        at = np.repeat(np.arange(k), [len(r) + 1 for r in self.lines]).astype(np.int64)
        A = vstack([self.degrees, csr_matrix((vals, (at, cols)), shape=(k, m + 1))]).tocsr()
        res = linprog(np.append(-np.ones(m), self.width), A_ub=A, b_ub=np.append(self.counts, np.zeros(k)),
                      bounds=[(0.0, 1.0)] * m + [(0.0, None)], method="highs-ipm", options=highs_limits())
        return None if res.status != 0 else (np.clip(res.x[:m], 0.0, 1.0), float(res.x[m]))  # status 1: the deadline
