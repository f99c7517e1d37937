"""Min-errors with one hidden sign unit, settled exactly in any dimension and for any outputs.

With one hidden unit h = sign(w . x + b), output unit j computes sign(a_j h + c_j): h, -h or a
constant. So the network sends the examples with h = +1 to one label row r+ and the others to one
row r-, and every pair of rows is possible. An example is right exactly when its row is its
side's. With r+ = r- (a constant) the fewest errors is n minus the largest row count. With two
rows a != b, the examples of every other row are wrong whatever the unit does, and what is left is
the fewest errors of a half-space between the examples of a and those of b. Either row may take
the +1 side: on finitely many points the complement of a closed half-space is another one (shift
b), so each unordered pair is one question. Pairs go by decreasing count(a) + count(b), and a pair
whose other rows alone make the best errors so far is skipped: that settles most multi-class
sets at once (iris: setosa against versicolor is separable, and every other pair leaves 50).

The fewest errors of a half-space between two weighted point sets:

* 0 when they are separable (the exact LP of :mod:`combinatorial.separability`);
* in one or two dimensions, every line through two points (:mod:`combinatorial.halfplanes`);
* otherwise combinatorial Benders cuts. A CP-SAT master gives every distinct point a side at the
  least cost. An exact LP checks that dichotomy. If it cannot be realised, it has a Farkas
  certificate on at most d + 2 points (Kirchberger), checked in rationals, and the no-good "not
  these sides on these points", with its mirror, holds for every real (w, b); several disjoint
  ones are cut per turn. The master's optimum never exceeds the true one, so when its dichotomy
  is realisable, it is optimal. The first incumbent is a linear SVM's dichotomy, realised
  exactly. Under a time limit the answer is the best realised dichotomy with the master's bound.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ... import deadline, halfplanes
from ...separability import check_separable
from .._cpsat import solve_keeping_sigint

CUTS_PER_TURN = 8  # disjoint inseparable subsets cut after each master solve


@dataclass(frozen=True)
class Found:
    errors: int  # of the network that realises D
    D: np.ndarray  # the hidden unit's ±1 targets on the merged examples (exactly realisable)
    right: np.ndarray  # the merged examples that network gets right
    lower_bound: int  # proved: no one-unit network makes fewer errors (== errors when optimal)
    method: str
    why: str = ""  # why lower_bound < errors: the time limit, or a unit floats and rationals left undecided


def applies(problem) -> bool:
    """One hidden layer of one unit, no shortcut (any inputs, any outputs)."""
    return len(problem.hidden) == 1 and problem.hidden[0] == 1 and not problem.shortcut


def best_unit(problem, *, exact_up_to_2d_only: bool = False) -> Found | None:
    """The fewest errors of one hidden unit on ``problem`` (see the module docstring). Under the
    deadline (:mod:`combinatorial.deadline`) the best found so far, with a true lower bound;
    None with ``exact_up_to_2d_only`` when the inputs have more than two dimensions."""
    if exact_up_to_2d_only and problem.n_inputs > 2:
        return None
    rows, label, counts, per_row, total = _rows(problem)
    top = int(np.argmax(per_row))
    best = _realised(problem, label, top, top, np.ones(problem.n_merged, np.int8), total - int(per_row[top]), "a constant")
    bound, why = best.errors, ""  # the least lower bound over the candidates tried: the constants' is exact
    for a, b, others in _pairs(rows, per_row, total):
        if others >= best.errors:
            break  # sorted: no later pair can do better
        try:
            cost, low, D, method, why = _pair(problem, label, counts, a, b, best.errors - others)
        except deadline.TimeLimit:
            low, D, why = 0, None, "time limit reached"
        bound = min(bound, others + low)
        if D is not None and others + cost < best.errors:
            best = _realised(problem, label, a, b, D, others + cost, method)
        if why:
            break  # this pair is open; the later ones have more others, so their bound is at least this one's
    bound = min(bound, best.errors)
    return Found(best.errors, best.D, best.right, bound, best.method, why if bound < best.errors else "")


def _rows(problem):
    """The distinct label rows, each merged example's row, the counts, each row's count, the total."""
    rows, label = np.unique(problem.Yu, axis=0, return_inverse=True)
    label = label.reshape(-1)
    counts = problem.counts.astype(np.int64)
    per_row = np.bincount(label, weights=counts, minlength=len(rows)).astype(np.int64)
    return rows, label, counts, per_row, int(counts.sum())


def _pairs(rows, per_row, total):
    """(a, b, errors of the other rows) of every pair of rows, the others' errors increasing."""
    pairs = sorted(itertools.combinations(range(len(rows)), 2), key=lambda p: -(per_row[p[0]] + per_row[p[1]]))
    return [(a, b, total - int(per_row[a] + per_row[b])) for a, b in pairs]


def counted(problem, errors: int) -> bool:
    """Whether the label rows alone prove ``errors``: no pair of rows leaves fewer to the others
    (iris at width 1: every pair leaves 50)."""
    rows, _, _, per_row, total = _rows(problem)
    return all(others >= errors for _, _, others in _pairs(rows, per_row, total))


def proof_cuts(problem, errors: int) -> list[tuple[np.ndarray, np.ndarray, list]] | str:
    """No-goods that, with the master's constraints, refute every one-unit network making fewer
    than ``errors`` (the optimum): per pair of rows that could, the Benders cuts (in any
    dimension) until its bound reaches what the pair would need. Each is (merged examples, the
    hidden unit's targets on them, exact Farkas multipliers); a reason string when the bound
    stops short (the deadline, or an undecided unit). Meant for three or more dimensions: in
    two, such cuts rarely reach the bound the enumeration of lines proves (moons-200: not in two
    minutes), and the proof is that enumeration (:class:`combinatorial.clauses.Lines`)."""
    rows, label, counts, per_row, total = _rows(problem)
    found = []
    for a, b, others in _pairs(rows, per_row, total):
        if others >= errors:
            break  # the other rows alone make the optimum's errors: nothing to cut
        mine, points, where, plus, minus = _points(problem, label, counts, a, b)
        examples = np.flatnonzero(mine)
        first = np.full(len(points), -1)
        first[where[::-1]] = examples[::-1]  # each point's first merged example
        cuts = []
        _, low, _, why = benders(points, plus, minus, errors - others, cuts=cuts)
        if low < errors - others:
            return why or "the one-unit bound stopped short of the optimum"
        found += [(first[subset], sides, multipliers) for subset, sides, multipliers in cuts]
    return found


def _realised(problem, label, a, b, D, errors, method) -> Found:
    """The network: side +1 -> row a, side -1 -> row b; the examples it gets right."""
    right = ((D > 0) & (label == a)) | ((D < 0) & (label == b))
    got = int(problem.counts[~right].sum())
    assert got == errors, f"one-unit dichotomy: {got} errors, expected {errors}"
    return Found(errors, np.asarray(D, dtype=np.int8), right, errors, method)


def _points(problem, label, counts, a, b):
    """The examples of rows a and b (mask), their distinct points, each example's point, and each
    point's cost on the +1 side (its examples of row b) and on the -1 side (those of row a)."""
    mine = (label == a) | (label == b)
    points, where = np.unique(problem.Xu[mine], axis=0, return_inverse=True)
    where = where.reshape(-1)
    w = counts[mine]
    plus = np.bincount(where, weights=w * (label[mine] == b), minlength=len(points)).astype(np.int64)
    minus = np.bincount(where, weights=w * (label[mine] == a), minlength=len(points)).astype(np.int64)
    return mine, points, where, plus, minus


def _pair(problem, label, counts, a, b, beat):
    """(cost, lower bound, D on the merged examples or None, method, why open) of the best
    half-space with row a on its +1 side and row b on its -1 side, for a cost below ``beat``."""
    mine, points, where, plus, minus = _points(problem, label, counts, a, b)
    if problem.n_inputs <= 2:
        cost, side = halfplanes.best_dichotomy(points, plus, minus)
        method = "every dichotomy a line through two points induces (combinatorial.halfplanes)"
        low, why = cost, ""
    else:
        cost, low, side, why = benders(points, plus, minus, beat)
        method = "combinatorial Benders cuts over exact Farkas certificates (combinatorial.backends.lazy.oneunit)"
    if side is None or not _realisable(points, side):
        return cost, low, None, method, why
    D = np.ones(problem.n_merged, np.int8)
    D[np.flatnonzero(mine)] = side[where]
    D[~mine] = 1  # wrong on either side; units are fitted on the examples kept only
    return cost, low, D, method, why


def _realisable(X, D) -> bool:
    return bool(np.all(D == D[0]) or check_separable(X, D).separable)


def benders(X, plus, minus, beat: int | None = None, cuts: list | None = None):
    """(cost, lower bound, dichotomy, why open) of the best half-space on distinct points ``X``
    in any dimension; ``plus[k]`` / ``minus[k]``: the cost of putting point k on the +1 / -1
    side. Stops at once with (cost, cost, dichotomy, "") when nothing can beat ``beat``; at the
    deadline, or at a unit it cannot decide, with the best realised dichotomy, the bound so far
    and the reason. ``cuts`` collects (points, their sides, exact multipliers) of every cut."""
    best_cost, best = _svm_start(X, plus, minus)
    low = [0]
    try:
        return _benders_loop(X, plus, minus, beat, best_cost, best, low, [] if cuts is None else cuts)
    except deadline.TimeLimit:
        return best_cost, min(low[0], best_cost), best, "time limit reached"
    except Undecided as e:
        return best_cost, min(low[0], best_cost), best, str(e)


class Undecided(Exception):
    """A dichotomy neither floats nor rationals could decide: no cut is claimed."""


def _benders_loop(X, plus, minus, beat, best_cost, best, low, cuts):
    """The cut loop of :func:`benders`; ``low[0]`` holds the master's bound as it grows."""
    from ortools.sat.python import cp_model

    n = len(X)
    model = cp_model.CpModel()
    s = [model.new_bool_var(f"s{k}") for k in range(n)]  # point k on the +1 side
    model.minimize(sum(int(plus[k]) * s[k] + int(minus[k]) * (1 - s[k]) for k in range(n)))
    while True:
        deadline.check()
        if beat is not None and low[0] >= min(beat, best_cost):
            return best_cost, min(low[0], best_cost), best, ""
        model.clear_hints()
        for k in range(n):
            model.add_hint(s[k], bool(best[k] > 0))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        left = deadline.remaining()
        if left is not None:
            solver.parameters.max_time_in_seconds = max(0.01, left)
        status, interrupted = solve_keeping_sigint(solver, model)
        if status != cp_model.OPTIMAL:
            if status == cp_model.INFEASIBLE:  # cannot happen: a constant side is always realisable
                raise RuntimeError("one-unit master infeasible")
            if status == cp_model.FEASIBLE:  # CP-SAT's bound holds for the master, hence for the pair
                low[0] = max(low[0], math.ceil(solver.best_objective_bound - 1e-6))
            if interrupted:
                deadline.stop_now()
            raise deadline.TimeLimit
        low[0] = max(low[0], int(round(solver.objective_value)))
        D = np.array([1 if solver.boolean_value(v) else -1 for v in s], dtype=np.int8)
        found = _cuts(X, D)
        if not found:  # realisable: the master's optimum
            return low[0], low[0], D, ""
        cuts += [(subset, D[subset], multipliers) for subset, multipliers in found]
        for subset, _ in found:
            for sign in (1, -1):  # the pattern and its mirror
                model.add_bool_or([~s[k] if sign * D[k] > 0 else s[k] for k in subset])


def _cuts(X, D) -> list[tuple[np.ndarray, list]]:
    """Disjoint inseparable subsets of (X, D), each with its Farkas multipliers, checked exactly;
    [] when D is realisable."""
    found, alive = [], np.arange(len(X))
    while len(found) < CUTS_PER_TURN and len(alive) and not np.all(D[alive] == D[alive[0]]):
        result = check_separable(X[alive], D[alive])
        if result.separable:
            break
        if result.separable is None:
            raise Undecided("a one-unit dichotomy was numerically undecided (floats and rationals)")
        subset = alive[result.subset]
        found.append((subset, result.multipliers))
        alive = np.setdiff1d(alive, subset)
    return found


def _svm_start(X, plus, minus):
    """A first realisable dichotomy and its cost: a weighted linear SVM's, else a constant."""
    const = (int(minus.sum()), np.ones(len(X), np.int8)) if minus.sum() <= plus.sum() else (int(plus.sum()), -np.ones(len(X), np.int8))
    y = np.where(minus >= plus, 1, -1)  # each point's cheaper side
    weight = np.abs(minus - plus).astype(float)
    if np.all(y == y[0]) or not weight.any():
        return const
    from sklearn.svm import LinearSVC

    scale = np.max(np.abs(X), axis=0)
    scale[scale == 0] = 1
    svm = LinearSVC(C=10.0, max_iter=5000, dual="auto").fit(X / scale, y, sample_weight=weight)
    D = np.where((X / scale) @ svm.coef_[0] + svm.intercept_[0] >= 0, 1, -1).astype(np.int8)
    cost = int(plus[D > 0].sum() + minus[D < 0].sum())
    if cost < const[0] and _realisable(X, D):
        return cost, D
    return const
