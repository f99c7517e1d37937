"""The lazy backend's decision list of half-planes (:mod:`combinatorial.declist`): a fit by
construction where the layer is at least as wide as the list, the list's first units as the
feasibility search's warm start where it is narrower, and for min-errors the list narrowed to the
width (fewest errors first) as a first incumbent."""

from __future__ import annotations

import time

import numpy as np

from ... import declist
from ...deadline import TimeLimit, time_limit
from ...network import forward
from ...problem import Problem
from ...solution import ALL_REAL_WEIGHTS, BackendResult, Status
from . import subsets


# The decision list (combinatorial.declist) may use this share of the time left, and its
# narrowing to fewer units (min-errors) as much again.
DECISION_LIST_SHARE = 0.25


def _share(start: float, deadline: float | None) -> float | None:
    return None if deadline is None else start + DECISION_LIST_SHARE * max(0.0, deadline - start)


def _narrowed(problem: Problem, found, width: int, deadline: float | None, stats: dict):
    """The list narrowed to ``width`` units (:func:`declist.narrowed`) in its share of the time
    left, or None; with the stats."""
    start = time.monotonic()
    try:
        with time_limit(_share(start, deadline)):
            narrowed = declist.narrowed(problem, found, width)
    except TimeLimit:
        return None, {**stats, "narrowed_s": round(time.monotonic() - start, 4)}
    return narrowed, {**stats, "narrowed_errors": narrowed.errors, "narrowed_s": round(time.monotonic() - start, 4)}


def narrows(problem: Problem, options) -> bool:
    """min-errors on one hidden layer of at least :data:`declist.NARROW_FROM` units: the decision
    list narrowed to the width is a first incumbent (below it the descent's networks are)."""
    return options.objective == "min-errors" and len(problem.hidden) == 1 and problem.hidden[0] >= declist.NARROW_FROM


def decision_list(problem: Problem, options, deadline: float | None) -> tuple[BackendResult | declist.Narrowed | tuple | None, dict]:
    """A first layer at least as wide as the data's decision list of half-planes fits by
    construction (FEASIBLE, or OPTIMAL with no errors). A narrower one, in a feasibility search
    without a warm start, gets the list's first units as one (a tuple of hidden targets on the
    examples): they cover the most examples, and the search's answer is never worse (the two
    spirals at width 15: 46 errors, where the search alone ends with 72). None otherwise. With
    its stats (its length, when it was built). For min-errors from :data:`declist.NARROW_FROM`
    units on, a narrower layer gets the list narrowed to its width instead (a
    :class:`declist.Narrowed`, or None when its share of the time ran out)."""
    if not declist.applies(problem) or problem.n_merged < subsets.MIN_EXAMPLES:
        return None, {}
    start = time.monotonic()
    width = problem.hidden[0]
    with time_limit(_share(start, deadline)):
        found = declist.build(problem)
        if found is not None and found.width > width:
            found = declist.shrunk(problem, found, width)
    stats = {"decision_list_s": round(time.monotonic() - start, 4)}
    if found is None:
        return None, stats
    stats.update(decision_list=found.width, decision_list_rules=found.listed)
    if found.width > width:
        if narrows(problem, options):
            return _narrowed(problem, found, width, deadline, stats)
        if options.objective != "feasibility" or options.warm_start is not None:
            return None, stats
        first = forward(found.layers(found.width), problem.Xu)[0][:, :width]
        return (np.asarray(first, dtype=np.int8)[problem.index],), stats
    layers = found.layers(width)
    hidden = forward(layers, problem.Xu)[0]
    status = Status.FEASIBLE if options.objective == "feasibility" else Status.OPTIMAL
    return BackendResult(status, hidden_targets=[np.asarray(hidden, dtype=np.int8)], layers=layers,
                         proved_for=None if status is Status.FEASIBLE else ALL_REAL_WEIGHTS,
                         lower_bound=None if status is Status.FEASIBLE else 0.0,
                         stats={"incumbent_by": f"a decision list of {found.listed} half-planes, pruned and shrunk to "
                                                f"{found.width} (combinatorial.declist)"}), stats
