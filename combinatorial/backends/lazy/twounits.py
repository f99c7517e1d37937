"""Min-errors with two hidden sign units and two or three classes in one or two input dimensions,
settled exactly by enumerating wedges (:mod:`combinatorial.wedges`) and, for three classes, trees
of two lines (:mod:`combinatorial.trees`).

The output is a threshold function of the two hidden bits, so the examples one label gets are
those in the intersection of two half-planes, or those outside it. The first incumbent is the
best single line (both units one half-plane); the enumeration then lists only the half-plane
dichotomies that leave fewer of the inside label's examples out than the best so far. Each unit
of the answer is realised by the exact LP, so it is a network the engine verifies. Above
:data:`MAX_POINTS` distinct inputs the lists grow too long and the general search runs instead.
"""

from __future__ import annotations

import time

import numpy as np

from ... import deadline, halfplanes, trees, wedges
from .oneunit import Found, _realisable

MAX_POINTS = 1000  # distinct inputs; listing grows as their cube (1000 points: moons 27 s, circles 170 s)
RESERVE = 0.9  # of the time left, for the listing and the pairs
METHOD = "every wedge of two half-planes whose lines run through two examples (combinatorial.wedges)"
METHOD_3 = "every tree of two lines and every wedge through two examples (combinatorial.trees)"


def applies(problem, width: int = 2) -> bool:
    """One hidden layer of two units (``width``: of that many, for a wider search's start), no
    shortcut, two or three classes, inputs in at most two dimensions."""
    return (len(problem.hidden) == 1 and problem.hidden[0] == width and not problem.shortcut
            and problem.n_outputs in (1, trees.CLASSES) and problem.n_inputs <= 2
            and len(np.unique(problem.Xu, axis=0)) <= MAX_POINTS)


def best_pair(problem) -> Found | None:
    """The fewest errors of a two-unit network on ``problem`` (see the module docstring); under
    the deadline the best found with a true bound. None when a unit of the best pair is not
    realised by the exact LP (floats and rationals undecided): the general search then runs."""
    points, where = np.unique(problem.Xu, axis=0, return_inverse=True)
    where = where.reshape(-1)
    if problem.n_outputs > 1:
        return _three_classes(problem, points, where)
    y, counts, pos, neg = labelled(problem, where, len(points))
    try:
        errors, line = halfplanes.best_dichotomy(points, neg, pos)
    except deadline.TimeLimit:
        return None
    left = deadline.remaining()
    # the listing stops early enough for the exact LPs and the engine's fit of the answer
    with deadline.time_limit(None if left is None else time.monotonic() + RESERVE * left):
        errors, A, B, inside = _greedy(points, pos, neg, errors, line)
        found = wedges.best_wedge(points, pos, neg, errors)
    if found.A is not None:  # else no wedge beats the greedy one (or the best line: both units that line)
        errors, A, B, inside = found.errors, found.A, found.B, found.inside
    return _found(points, where, (A, B), np.where(A & B, inside, -inside), y, counts, errors,
                  found.lower_bound, found.why, METHOD)


def _greedy(points, pos, neg, errors, line) -> tuple[int, np.ndarray, np.ndarray, int]:
    """The better of the best line (``errors``, ``line``: +1 inside) and, for either label inside
    it, the best second line on its points alone (their wedge): (errors, A, B, the label inside
    A n B). The enumeration then lists against that count (circles-1000: the greedy wedge is the
    optimum, 180 errors where the line makes 339, and the listing takes 29 s instead of 50 s)."""
    best = (errors, line > 0, line > 0, 1)
    try:
        for inside, c, n, A in ((1, pos, neg, line > 0), (-1, neg, pos, ~(line > 0))):
            # the other points weigh nothing, so this line is the best on A's and cuts them all
            second, L = halfplanes.best_dichotomy(points, np.where(A, n, 0), np.where(A, c, 0))
            total = int(c[~A].sum()) + second  # y outside A, and the second line's errors in it
            if total < best[0]:
                best = (total, A, L > 0, inside)
    except deadline.TimeLimit:
        pass
    return best


def labelled(problem, where, m):
    """Two classes on ``m`` distinct points (``where``: each merged example's): the label and
    count of each merged example, and the examples labelled +1 and -1 at each point."""
    y, counts = problem.Yu[:, 0], problem.counts.astype(np.int64)
    pos = np.bincount(where, weights=counts * (y > 0), minlength=m).astype(np.int64)
    neg = np.bincount(where, weights=counts * (y < 0), minlength=m).astype(np.int64)
    return y, counts, pos, neg


def _found(points, where, units, predicted, truth, counts, errors, lower_bound, why, method) -> Found | None:
    """The answer on the merged examples: ``units`` (bool per point each), each realised by the
    exact LP (None if one is not), and ``predicted`` per point checked to make ``errors``."""
    sides = np.stack([np.where(u, 1, -1) for u in units], axis=1).astype(np.int8)
    if not all(_realisable(points, sides[:, k]) for k in range(sides.shape[1])):
        return None
    right = predicted[where] == truth
    got = int(counts[~right].sum())
    assert got == errors, f"{len(units)}-unit network: {got} errors, expected {errors}"
    low = min(lower_bound, errors)
    return Found(errors, sides[where], right, low, method, why if low < errors else "")


def _three_classes(problem, points, where) -> Found | None:
    """Three classes (one-vs-rest rows): the best tree or wedge of :mod:`combinatorial.trees`."""
    counts, label = problem.counts.astype(np.int64), np.argmax(problem.Yu, axis=1)
    cnt = np.zeros((len(points), trees.CLASSES), dtype=np.int64)
    np.add.at(cnt, (where, label), counts)
    left = deadline.remaining()
    try:
        with deadline.time_limit(None if left is None else time.monotonic() + RESERVE * left):
            found = trees.best_split(points, cnt)
    except deadline.TimeLimit:  # not even the greedy tree in time
        return None
    cell = dict(zip(trees.CELLS, found.cells))
    predicted = np.array([cell[(1 if h else -1, 1 if g else -1)] for h, g in zip(found.H, found.L)])
    return _found(points, where, (found.H, found.L), predicted, label, counts, found.errors,
                  found.lower_bound, found.why, METHOD_3)
