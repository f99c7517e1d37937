"""`min_width`: the smallest single hidden layer that fits the data exactly, with the proof that
one unit less does not.

Widths 1, 2, ... are solved in turn (:func:`combinatorial.solve`); where a pair bound
(:mod:`combinatorial.separation`) refutes a width, the search goes on at the last width it
refutes (one solve, with the same certificate, for all of them). The answer is the first
FEASIBLE width w; the INFEASIBLE answer for w - 1 (when there is one) is its lower bound. A
``time_limit`` covers the whole search, ``per_width`` each width. By default the search stops at
the first width that stays UNKNOWN, since a minimum above it would not be proved; with
``keep_going`` it goes on to larger widths (the first fit is then only an upper bound).
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
            return f"width {w} fits; width {w - 1} is not proved infeasible"
        if self.attempts and self.attempts[-1].status != Status.INFEASIBLE:
            return f"width {tried} is unknown (limit reached); widths below it are infeasible"
        if tried >= self.max_width:
            bound = self.attempts[-1].stats.get("pair_bound") if self.attempts else None
            more = f" (the pair bound needs at least {bound})" if bound and bound > tried else ""
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
    width = 0
    while width < max_width:
        width += 1
        limit = per_width
        if time_limit is not None:
            left = time_limit - (time.monotonic() - start)
            if left <= 0:
                break
            limit = left if limit is None else min(limit, left)
        sol = solve(X, y, hidden=(width,), shortcut=shortcut, options=options, time_limit=limit,
                    proof=proof(width) if proof else None)
        if after_each is not None:
            sol = after_each(sol)
        search.attempts.append(sol)
        if sol.status == Status.FEASIBLE:
            search.found = sol
            break
        search.below = sol if sol.status == Status.INFEASIBLE else None
        if sol.status != Status.INFEASIBLE and not keep_going:
            break
        bound = sol.certificate.width if isinstance(sol.certificate, Separation) else None
        if bound is not None and bound - 1 > width:  # the same pair bound refutes every width below it:
            width = min(bound - 1, max_width) - 1  # the next one tried is the last it refutes
    search.wall_time_s = time.monotonic() - start
    return search
