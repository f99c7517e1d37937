"""A lower bound on the first hidden layer's width from the pairs of examples it must separate.

Without a shortcut, everything after the first hidden layer is a function of its code, so two
examples with different label rows must get different codes: some first-layer unit puts them on
opposite sides of its line. Take pairs e of such examples with weights a_e >= 0, and let M be the
most weight one line separates (over every dichotomy a line induces on the inputs). H units
separate at most H * M, and every pair must be separated once, so H >= sum(a) / M: every width
below ceil(sum(a) / M) is infeasible for all real weights, at any depth.

Inputs in one or two dimensions. The pairs are the Delaunay edges between examples with different
labels (one dimension, or collinear inputs: neighbours along the line, each weight 1, and the
bound is the number of label changes). The weights are the fractional covering LP's (maximise
sum(a) with every line's separated weight at most 1), solved by GLOP on a growing set of lines:
each round scores every line dichotomy against a point between the best weights so far and the
LP's optimum (rounded to integers, so the score is exact) and adds the lines above 1. M is the
exact maximum of the rounded weights; the bound of each round is valid on its own, the best is
kept. Lines are enumerated as in :mod:`combinatorial.halfplanes` (a line through two inputs
moved off them; the inputs on it split into a prefix and a suffix along it), orientations
exact. The checker redoes M in its own code (:mod:`ftprop.checker.separation`).

The same pairs bound the errors of a first layer of a given width (:mod:`combinatorial.errorsets`).

The search is kept per data set (a few of them), so that :func:`combinatorial.min_width` asking
width after width pays for one search.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import deadline
from .certificates import Separation
from .halfplanes import _orient

SCALE = 2**20  # the LP's weights as integers: below 2^20 each, so every load is an exact float
KEEP_PER_PIVOT = 3  # lines added per pivot and round
MAX_ROUNDS = 200
ALPHA = 0.5  # in-out separation: the point scored is this much of the way to the feasible one
_CACHE: OrderedDict = OrderedDict()
_CACHED = 4


MAX_POINTS = 2000  # distinct inputs, as ftprop.checker.separation enumerates them


def applies(problem) -> bool:
    return bool(problem.hidden) and not problem.shortcut and problem.n_inputs <= 2 and problem.conflict is None \
        and 2 <= problem.n_merged <= MAX_POINTS


def refute(problem, width: int) -> tuple[Separation | None, "Search"]:
    """A certificate that ``width`` first-layer units are too few, or None (none found before the
    deadline, or the LP's bound does not exceed ``width``); and the data set's search."""
    search = _search(problem)
    return search.run(width), search


def plane(Xu: np.ndarray) -> np.ndarray:
    """The inputs (one or two columns) as points of the plane: two columns, the second 0 for one."""
    P = np.zeros((len(Xu), 2))
    P[:, :Xu.shape[1]] = Xu
    return P


def _search(problem) -> "Search":  # the data set's search (its pairs and covering LP), cached
    key = (problem.Xu.tobytes(), problem.Yu.tobytes())
    search = _CACHE.get(key)
    if search is None:
        search = _CACHE[key] = Search(problem.Xu, problem.Yu)
        while len(_CACHE) > _CACHED:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return search


@dataclass
class Search:
    """The covering LP of one data set, resumable: its lines so far and its best certificate."""

    Xu: np.ndarray
    Yu: np.ndarray
    lp: object = None  # the covering LP over the lines so far (:class:`_LP`)
    best: Separation | None = None
    upper: float = float("inf")  # the LP value on the lines so far: no bound above it exists
    done: bool = False
    rounds: int = 0

    def __post_init__(self):
        self.P = plane(self.Xu)
        self.A, self.B, self.collinear = _pairs(self.P, self.Yu)
        self.point = self.inside = None  # the LP's optimum; the best point every line allows
        self.direct = False  # score the optimum itself next (the last mixed point was inside)
        self.done = len(self.A) == 0  # one label row: nothing to separate

    def run(self, width: int | None) -> Separation | None:
        """Rounds until ``width`` is refuted or cannot be (None: until the LP is solved); the
        certificate refuting ``width``, if any."""
        try:
            while not self._enough(width):
                self._round()
        except deadline.TimeLimit:
            pass
        return self.best if self.best is not None and self.best.width > (width or 0) else None

    def _enough(self, width: int | None) -> bool:
        if width is None:
            return self.done
        return self.done or self.upper <= width + 1e-9 or (self.best is not None and self.best.width > width)

    def _round(self) -> None:
        """Score a point, keep its bound, add the lines it violates and re-solve the LP. The point
        is halfway between the best feasible point and the LP's optimum (in-out separation: a line
        it violates cuts the optimum off too, and its bound improves much faster than the
        optimum's); when that point violates nothing, the optimum itself next."""
        out, inside = self.point, self.inside
        mixed = out is not None and inside is not None and not self.direct
        y = np.ones(len(self.A)) if out is None else (ALPHA * inside + (1 - ALPHA) * out if mixed else out)
        a = np.floor(y * SCALE + 1e-9).astype(np.int64)
        load, lines = scan(self.P, self.A, self.B, a, threshold=None if out is None else SCALE * (1 + 1e-7))
        self.rounds += 1
        total = int(a.sum())
        if load > 0:
            self.inside = a / load
            if self.best is None or total * self.best.load > sum(self.best.weights) * load:
                kept = np.flatnonzero(a > 0)
                self.best = Separation(-(-total // load), tuple((int(self.A[k]), int(self.B[k])) for k in kept),
                                       tuple(int(a[k]) for k in kept), int(load))
        self.direct = mixed and not lines
        if self.collinear or self.rounds >= MAX_ROUNDS or (not lines and not mixed and out is not None):
            self.done = True
            return
        if not lines:
            return
        if self.lp is None:
            self.lp = _LP(len(self.A))
        for row in lines:
            self.lp.add(row)
        solved = self.lp.solve()
        if solved is None:  # no optimum within the time limit: the bounds so far stand
            self.done = True
            return
        self.point, self.upper = solved


def _solved(solver) -> bool:  # GLOP solved to optimality within the deadline
    from ortools.linear_solver import pywraplp

    left = deadline.remaining()
    if left is not None:
        solver.SetTimeLimit(max(10, int(left * 1000)))
    return solver.Solve() == pywraplp.Solver.OPTIMAL


def _pairs(P: np.ndarray, Yu: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The pairs to separate (row indices a < b with different label rows) and whether the inputs
    are collinear (then neighbours along the line, whose count is the bound itself)."""
    other = np.flatnonzero(np.any(P != P[0], axis=1))
    flat = len(other) == 0 or not _orient(P, 0, other[:1]).any()
    if flat:
        order = np.lexsort(P.T[::-1])
        a, b = order[:-1], order[1:]
    else:
        edges = _neighbours(P)
        edges = np.unique(np.sort(edges, axis=1), axis=0)
        a, b = edges[:, 0], edges[:, 1]
    differ = np.any(Yu[a] != Yu[b], axis=1)
    a, b = np.minimum(a, b)[differ], np.maximum(a, b)[differ]
    return a.astype(np.int64), b.astype(np.int64), flat


def _neighbours(P: np.ndarray) -> np.ndarray:
    """The Delaunay triangulation's edges (Qhull); should Qhull fail on nearly degenerate
    inputs, each point's eight nearest neighbours. Any pairs give a valid bound."""
    from scipy.spatial import Delaunay, QhullError, cKDTree

    try:
        simplices = Delaunay(P).simplices
        return np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    except (QhullError, ValueError):
        k = min(9, len(P))
        _, near = cKDTree(P).query(P, k=k)
        return np.stack([np.repeat(np.arange(len(P)), k - 1), near[:, 1:].reshape(-1)], axis=1)


class _LP:
    """max sum(y), 0 <= y <= 1, each line's separated y at most 1: GLOP (OR-Tools), whose re-solve
    after lines are added starts from the last basis."""

    def __init__(self, n: int):
        from ortools.linear_solver import pywraplp

        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.y = [self.solver.NumVar(0.0, 1.0, f"y{e}") for e in range(n)]
        objective = self.solver.Objective()
        for v in self.y:
            objective.SetCoefficient(v, 1.0)
        objective.SetMaximization()
        self.lines = 0

    def add(self, row) -> None:
        c = self.solver.Constraint(-self.solver.infinity(), 1.0)
        for e in row:
            c.SetCoefficient(self.y[int(e)], 1.0)
        self.lines += 1

    def solve(self) -> tuple[np.ndarray, float] | None:
        """y and the value (an upper bound of the bound: any set of lines gives one), or None."""
        if not _solved(self.solver):
            return None
        return np.clip([v.solution_value() for v in self.y], 0.0, 1.0), self.solver.Objective().Value()


def scan(P, A, B, w, threshold=None) -> tuple[int, list]:
    """The most weight ``w`` (integers) one line dichotomy separates among the pairs of points
    (P[A[e]], P[B[e]]), exactly; and the pairs (indices e of weight > 0) separated by up to
    :data:`KEEP_PER_PIVOT` dichotomies per pivot point whose load exceeds ``threshold`` (with
    None: each pivot's best). Only the points of pairs with weight matter: every dichotomy of
    them is made by a line through two of them."""
    full = (P, A, B)
    keep = np.flatnonzero(np.asarray(w) > 0)
    points, ends = np.unique(np.concatenate([A[keep], B[keep]]), return_inverse=True)
    P, A, B, w = P[points], ends[:len(keep)], ends[len(keep):], np.asarray(w)[keep]
    n = len(P)
    U, V, W = np.concatenate([A, B]), np.concatenate([B, A]), np.concatenate([w, w]).astype(float)
    order = np.argsort(U, kind="stable")
    U, V, W = U[order], V[order], W[order]
    start = np.searchsorted(U, np.arange(n + 1))
    wf = w.astype(float)
    best, lines = 0.0, []
    for i in range(n - 1):
        deadline.check()
        J = np.arange(i + 1, n)
        S = _orient(P, i, J)
        loads = _loads(S, i, J, A, B, wf, U, V, W, start)
        found = [(load, J[r], _moved(S[r], i, J[r], v)) for load, r, v in _top(loads)]
        found += [(load, J[r], signs) for r in _through_three(S, i, J) for load, signs in [_best_split(P, S[r], A, B, wf)]]
        found.sort(key=lambda c: -c[0])
        best = max(best, found[0][0])
        chosen = found[:1] if threshold is None else [c for c in found[:KEEP_PER_PIVOT] if c[0] > threshold]
        lines.extend(_row(full, points[i], points[j], points, signs) for _, j, signs in chosen)
    return int(round(best)), lines


def _row(full, i: int, j: int, points, signs) -> np.ndarray:
    """The pairs (of all, any weight) the line through P[i] and P[j] separates, the points of
    pairs with weight on the sides ``signs`` gives them: a row of the covering LP. Other points
    on the line count as separating nothing (the row only steers the LP)."""
    P, A, B = full
    side = _orient(P, i, np.array([j]))[0]
    side[points] = signs
    return np.flatnonzero(side[A] * side[B] < 0)


VARIANTS = ((1, 1), (1, -1), (-1, 1), (-1, -1))  # the sides of a line's two points, moved off them


def _loads(S, i, J, A, B, wf, U, V, W, start) -> np.ndarray:
    """(lines through P[i] and P[J[r]], 4): each line's load for the four ways its two points go
    off it; -1 for lines through three or more points (:func:`_best_split` scores those)."""
    m = len(J)
    base = ((S[:, A] * S[:, B]) < 0) @ wf  # pairs off the line (a point on it has sign 0)
    Ki, Wi = V[start[i]:start[i + 1]], W[start[i]:start[i + 1]]  # pairs at P[i]
    Si = S[:, Ki]
    at_i = {1: (Si < 0) @ Wi, -1: (Si > 0) @ Wi}
    own = np.zeros(m)  # the pair (i, J[r]) itself
    np.add.at(own, Ki[Ki > i] - i - 1, Wi[Ki > i])
    lo = start[i + 1]  # pairs at P[J[r]], every r at once
    r, wj = U[lo:] - i - 1, W[lo:]
    s = S[r, V[lo:]]
    at_j = {1: np.bincount(r, weights=wj * (s < 0), minlength=m), -1: np.bincount(r, weights=wj * (s > 0), minlength=m)}
    loads = np.stack([base + at_i[si] + at_j[sj] + (own if si != sj else 0.0) for si, sj in VARIANTS], axis=1)
    loads[(S == 0).sum(axis=1) > 2] = -1.0
    return loads


def _top(loads: np.ndarray):
    flat = np.argsort(loads, axis=None)[::-1][:KEEP_PER_PIVOT]
    for r, v in zip(*np.unravel_index(flat, loads.shape)):
        yield float(loads[r, v]), int(r), int(v)


def _moved(srow: np.ndarray, i: int, j: int, variant: int) -> np.ndarray:
    signs = srow.copy()
    signs[i], signs[j] = VARIANTS[variant]
    return signs


def _through_three(S: np.ndarray, i: int, J: np.ndarray):
    """The rows of lines through three or more points, each line once (from its first two)."""
    for r in np.flatnonzero((S == 0).sum(axis=1) > 2):
        on = np.flatnonzero(S[r] == 0)
        if on[0] == i and on[1] == J[r]:
            yield r


def _best_split(P, srow, A, B, wf) -> tuple[float, np.ndarray]:
    """(load, signs) of the best way the points on a line go off it: a prefix along the line to
    one side and the suffix to the other, either way round (all to one side included)."""
    on = np.flatnonzero(srow == 0)
    on = on[np.lexsort((P[on, 1], P[on, 0]))]  # along the line (exact float comparisons)
    best = (-1.0, srow)
    for cut in range(len(on) + 1):
        for side in (1, -1):
            signs = srow.copy()
            signs[on[:cut]], signs[on[cut:]] = side, -side
            load = float((signs[A] != signs[B]) @ wf)
            if load > best[0]:
                best = (load, signs)
    return best
