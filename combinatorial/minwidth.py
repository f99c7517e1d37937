"""`min_width`: the smallest single hidden layer that fits the data exactly, with the proof that
one unit less does not.

Widths 1, 2, ... are solved in turn (:func:`combinatorial.solve`); where a pair bound
(:mod:`combinatorial.separation`) refutes a width, the search goes on at the last width it
refutes (one solve, with the same certificate, for all of them). The answer is the first
FEASIBLE width w; the INFEASIBLE answer for w - 1 (when there is one) is its lower bound. A
``time_limit`` covers the whole search, ``per_width`` each width. By default the search stops at
the first width that stays UNKNOWN, since a minimum above it would not be proved; with
``keep_going`` it goes on to larger widths (the first fit is then only an upper bound). Where
the width left unknown is below the length of the data's decision list of half-planes
(:mod:`combinatorial.declist`, one hidden layer in the plane), that width is solved too: it
fits by construction, and the minimum is known to lie between the two.
Printing is the caller's: ``after_each(solution) -> solution`` sees every width as it ends (the
CLI checks its proof file there and prints a line).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

from .certificates import Separation
from .options import SolveOptions
from .solution import Solution, Status


@dataclass
class WidthSearch:
    """What :func:`min_width` found: ``found`` fits at the smallest feasible width tried,
    ``below`` is the INFEASIBLE answer for one unit less (None when not proved)."""

    found: Solution | None
    below: Solution | None
    attempts: list[Solution] = field(default_factory=list)
    wall_time_s: float = 0.0
    max_width: int = 0
    unknown_at: int | None = None  # a fit above a width left unknown (the decision list's): the minimum lies between

    @property
    def min_width(self) -> int | None:
        """The minimum width, when the fit and the proof below it meet (or the fit is width 1)."""
        if self.found is None:
            return None
        w = self.found.architecture[1]
        return w if w == 1 or (self.below is not None and self.below.architecture[1] == w - 1) else None

    def message(self) -> str:
        """One line that says what is settled."""
        tried = self.attempts[-1].architecture[1] if self.attempts else 0
        if self.found is not None:
            w = self.found.architecture[1]
            if self.min_width is not None:
                return f"minimum width {w}" + (f"; width {w - 1} infeasible ({self.below.proved_for})"
                                               if self.below is not None else "")
            if self.unknown_at is not None:
                return (f"width {w} fits (a decision list of half-planes); the minimum is {self.unknown_at} to {w}: "
                        f"width {self.unknown_at} is unknown (limit reached), narrower ones are infeasible")
            return f"width {w} fits; width {w - 1} is not proved infeasible"
        if self.attempts and self.attempts[-1].status != Status.INFEASIBLE:
            return f"width {tried} is unknown (limit reached); widths below it are infeasible"
        if tried >= self.max_width:
            bound = self.attempts[-1].stats.get("pair_bound") if self.attempts else None
            more = f" (the pair bound needs at least {bound})" if bound and bound > tried else ""
            listed = self.attempts[-1].stats.get("decision_list") if self.attempts else None
            more += f"; a decision list of half-planes fits at width {listed}" if listed and listed > tried else ""
            return f"no width up to max width {self.max_width} fits{more}; try a larger one"
        return f"time limit reached before width {tried + 1}; widths up to {tried} are infeasible"


def min_width(X, y, *, max_width: int = 8, shortcut: bool = False, options: SolveOptions | None = None,
              time_limit: float | None = None, per_width: float | None = None, keep_going: bool = False,
              proof: Callable[[int], str | None] | None = None,
              after_each: Callable[[Solution], Solution] | None = None) -> WidthSearch:
    """Search widths 1..max_width (see the module docstring); ``proof(width)`` names the proof
    file of each width (None: none)."""
    from .engine import solve

    options = replace(options or SolveOptions(), time_limit=None)
    start = time.monotonic()
    search = WidthSearch(None, None, max_width=max_width)
    listed = _listed(X, y, shortcut, options, None if time_limit is None else start + DECISION_LIST_SHARE * time_limit)
    reserve = 0.0 if listed is None or time_limit is None else RESERVE_SHARE * time_limit

    def attempt(width: int, limit: float | None) -> Solution:
        sol = solve(X, y, hidden=(width,), shortcut=shortcut, options=options, time_limit=limit,
                    proof=proof(width) if proof else None)
        sol = after_each(sol) if after_each is not None else sol
        search.attempts.append(sol)
        return sol

    width = 0
    while width < max_width:
        width += 1
        limit = per_width
        if time_limit is not None:
            left = time_limit - reserve - (time.monotonic() - start)
            if left <= 0:
                break
            limit = left if limit is None else min(limit, left)
        sol = attempt(width, limit)
        if sol.status == Status.FEASIBLE:
            search.found = sol
            break
        search.below = sol if sol.status == Status.INFEASIBLE else None
        if sol.status != Status.INFEASIBLE and not keep_going:
            break
        bound = sol.certificate.width if isinstance(sol.certificate, Separation) else None
        if bound is not None and bound - 1 > width:  # the same pair bound refutes every width below it:
            width = min(bound - 1, max_width) - 1  # the next one tried is the last it refutes
    if listed is not None:  # the searches may have shrunk the list further: its narrowest so far, no more work
        listed = _listed(X, y, shortcut, options, time.monotonic())
    if search.found is None and search.attempts and search.attempts[-1].status == Status.UNKNOWN and not keep_going \
            and listed is not None and width < listed <= max_width:  # the decision list's width fits by construction
        left = None if time_limit is None else time_limit - (time.monotonic() - start)
        if (left is None or left > 0) and attempt(listed, left).status == Status.FEASIBLE:
            search.found, search.unknown_at = search.attempts[-1], width
    search.wall_time_s = time.monotonic() - start
    return search


DECISION_LIST_SHARE = 0.25  # of the time limit, for building the decision list before the widths
RESERVE_SHARE = 0.05  # of the time limit, kept for solving the decision list's width at the end


def _listed(X, y, shortcut: bool, options: SolveOptions, deadline: float | None) -> int | None:
    """The length of the data's decision list of half-planes, where the search would fit that
    width by construction (the lazy backend with real weights, one hidden layer in the plane);
    None otherwise, or when it is not built before ``deadline``."""
    from . import declist
    from .backends import resolve
    from .backends.lazy import LazyOptions
    from .backends.lazy.subsets import MIN_EXAMPLES
    from .deadline import time_limit
    from .problem import Problem

    if resolve(options.backend, options.weights) != "lazy" or not options.own(LazyOptions, "lazy").decision_list:
        return None
    problem = Problem.from_data(X, y, (1,), shortcut=shortcut)
    if not declist.applies(problem) or problem.n_merged < MIN_EXAMPLES:
        return None
    with time_limit(deadline):
        found = declist.build(problem)
        found = None if found is None else declist.shrunk(problem, found)
    return None if found is None else found.width
