"""Min-errors with three hidden sign units and two classes in one or two input dimensions, settled
by enumerating triples of half-planes (:mod:`combinatorial.triples`).

The output is a threshold function of the three hidden bits, so one label gets A n B n C,
A n (B u C) or maj(A, B, C) of three half-planes and the other label the rest. The first
incumbent is the best single line (every unit that half-plane); the enumeration then only looks
below it. Each unit of the answer is realised by the exact LP, so the engine verifies the network
like any other. The enumeration gets :data:`SHARE` of the time left: where it does not finish,
its best network starts the general search, which has the rest. Where the pair bound proves many
errors certain on many points its pruning is too weak to finish (spirals-500: hours), but its
first rows still beat the general search (:func:`combinatorial.backends.lazy._three_units`).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ... import deadline, halfplanes, triples
from .oneunit import Found
from .twounits import _found, labelled

MAX_POINTS = 600  # distinct inputs; the undominated dichotomies grow as their square (circles-500: 15,000)
FEW_POINTS = 250  # distinct inputs on which the enumeration runs even with many errors certain
SHARE = 0.95  # of the time left, for the enumeration (its best network beats the search's where it stops)
START_SHARE = 0.4  # of the time left, for the triples that start a wider layer's search
METHOD = "every triple of undominated half-plane dichotomies, each through two examples (combinatorial.triples)"


def applies(problem) -> bool:
    """One hidden layer of three units, no shortcut, two classes, inputs in at most two
    dimensions, at most :data:`MAX_POINTS` distinct inputs."""
    return (len(problem.hidden) == 1 and problem.hidden[0] == 3 and not problem.shortcut
            and problem.n_outputs == 1 and problem.n_inputs <= 2
            and len(np.unique(problem.Xu, axis=0)) <= MAX_POINTS)


def starts(problem) -> bool:
    """One hidden layer of four units or more, no shortcut, two classes, inputs in at most two
    dimensions, at most :data:`MAX_POINTS` distinct inputs: its search may start from the best
    triple (:func:`wider_start`)."""
    return (len(problem.hidden) == 1 and problem.hidden[0] >= 4 and not problem.shortcut
            and problem.n_outputs == 1 and problem.n_inputs <= 2
            and len(np.unique(problem.Xu, axis=0)) <= MAX_POINTS)


def wider_start(problem, floor: int = 0, progress=None, share: float = START_SHARE) -> Found | None:
    """The best triple found in ``share`` of the time left, as the targets of a wider
    layer whose units past the third copy the first (the output gives them weight 0): a network
    of that width with as many errors. Its lower bound is ``floor`` (a bound proved for this
    width): the triple's own holds for three units only, unless the triple meets ``floor``."""
    left = deadline.remaining()
    with deadline.time_limit(None if left is None else time.monotonic() + share * left):
        found = best_triple(problem, floor, progress)
    if found is None:
        return None
    D = np.concatenate([found.D] + [found.D[:, :1]] * (problem.hidden[0] - 3), axis=1)
    if found.errors <= floor:
        return replace(found, D=D, lower_bound=found.errors, why="")
    why = f"the best of three units: {found.errors} errors; wider layers are not enumerated"
    return replace(found, D=D, lower_bound=floor, why=why)


def best_triple(problem, floor: int = 0, progress=None, share: float = SHARE) -> Found | None:
    """The fewest errors of a three-unit network on ``problem`` (see the module docstring); under
    the deadline, or past ``share`` of the time left, the best found, with bound ``floor`` (a
    bound proved before: the enumeration stops when it meets it; ``progress``:
    ``SolveOptions.progress``). None when a unit of the answer is not realised by the exact LP
    (floats and rationals undecided) or there was no time for the first line."""
    points, where = np.unique(problem.Xu, axis=0, return_inverse=True)
    where = where.reshape(-1)
    y, counts, pos, neg = labelled(problem, where, len(points))
    try:
        errors, line = halfplanes.best_dichotomy(points, neg, pos)
    except deadline.TimeLimit:
        return None
    left = deadline.remaining()
    with deadline.time_limit(None if left is None else time.monotonic() + share * left):
        report = None if progress is None else triples.Progress(progress, int(counts.sum()), floor)
        found = triples.best_triple(points, pos, neg, errors, floor, report)
    if found.rows is None:  # no triple beats the best line: every unit is that line
        rows, inside, R = (line > 0,) * 3, 1, line > 0
    else:
        rows, inside, R = found.rows, found.inside, found.region()
    return _found(points, where, rows, np.where(R, inside, -inside), y, counts, found.errors,
                  found.lower_bound, found.why, METHOD)
