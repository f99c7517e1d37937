"""Min-errors with two hidden sign units and two classes in one or two input dimensions, settled
exactly by enumerating wedges (:mod:`combinatorial.wedges`).

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

from ... import deadline, halfplanes, wedges
from .oneunit import Found, _realisable

MAX_POINTS = 1000  # distinct inputs; listing grows as their cube (1000 points: moons 27 s, circles 170 s)
RESERVE = 0.9  # of the time left, for the listing and the pairs
METHOD = "every wedge of two half-planes whose lines run through two examples (combinatorial.wedges)"


def applies(problem) -> bool:
    """One hidden layer of two units, no shortcut, one output, inputs in at most two dimensions."""
    return (len(problem.hidden) == 1 and problem.hidden[0] == 2 and not problem.shortcut and problem.n_outputs == 1
            and problem.n_inputs <= 2 and len(np.unique(problem.Xu, axis=0)) <= MAX_POINTS)


def best_pair(problem) -> Found | None:
    """The fewest errors of a two-unit network on ``problem`` (see the module docstring); under
    the deadline the best found with a true bound. None when a unit of the best pair is not
    realised by the exact LP (floats and rationals undecided): the general search then runs."""
    points, where = np.unique(problem.Xu, axis=0, return_inverse=True)
    where = where.reshape(-1)
    y, counts = problem.Yu[:, 0], problem.counts.astype(np.int64)
    pos = np.bincount(where, weights=counts * (y > 0), minlength=len(points)).astype(np.int64)
    neg = np.bincount(where, weights=counts * (y < 0), minlength=len(points)).astype(np.int64)
    try:
        errors, line = halfplanes.best_dichotomy(points, neg, pos)
    except deadline.TimeLimit:
        return None
    left = deadline.remaining()
    # the listing stops early enough for the exact LPs and the engine's fit of the answer
    with deadline.time_limit(None if left is None else time.monotonic() + RESERVE * left):
        found = wedges.best_wedge(points, pos, neg, errors)
    if found.A is None:  # no wedge beats the best line: both units are that line
        A = B = line > 0
        inside = 1
    else:
        errors, A, B, inside = found.errors, found.A, found.B, found.inside
    sides = np.stack([np.where(A, 1, -1), np.where(B, 1, -1)], axis=1).astype(np.int8)
    if not (_realisable(points, sides[:, 0]) and _realisable(points, sides[:, 1])):
        return None
    D = sides[where]
    predicted = np.where(A & B, inside, -inside)[where]
    right = predicted == y
    got = int(counts[~right].sum())
    assert got == errors, f"two-unit wedge: {got} errors, expected {errors}"
    low = min(found.lower_bound, errors)
    return Found(errors, D, right, low, METHOD, found.why if low < errors else "")

