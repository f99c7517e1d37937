"""Per-unit LP checks of the lazy search, with their cache, and the min-errors repair."""

from __future__ import annotations

import time

import numpy as np

from ...problem import Problem
from ...separability import check_separable

# A failing unit is re-checked with its certificate's examples removed, for up to this many
# further disjoint certificates: more cuts per master solve, fewer master solves.
EXTRA_CERTIFICATES = 2
# min-errors: rounds of greedy repair (drop one example per failing unit) per candidate.
REPAIR_ROUNDS = 40


class Checker:
    """Per-unit LP checks with a cache keyed by (inputs, targets) bytes."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.cache: dict[tuple[bytes, bytes], list[np.ndarray]] = {}
        self.lp_checks = 0
        self.cache_hits = 0
        self.seconds = 0.0

    def certificates(self, U: np.ndarray, t: np.ndarray) -> tuple[list[np.ndarray], str | None]:
        """Disjoint inseparable subsets (row indices of U, with their exactly verified Farkas
        multipliers); empty when the unit is separable. The second item is the reason when floats
        could not settle the unit (then no subset is proved and the caller may not cut soundly)."""
        key = (U.tobytes(), t.tobytes())
        hit = self.cache.get(key)
        if hit is not None:
            self.cache_hits += 1
            return hit
        start = time.monotonic()
        found: list[tuple[np.ndarray, list]] = []
        undecided = None
        rows = np.arange(len(t))
        while len(found) <= EXTRA_CERTIFICATES and len(rows):
            self.lp_checks += 1
            r = check_separable(U[rows], t[rows])
            if r.separable is True:
                break
            if r.separable is None:
                undecided = None if found else r.reason
                break
            subset = rows[r.subset]
            found.append((subset, r.multipliers))
            rows = np.setdiff1d(rows, subset)
        self.seconds += time.monotonic() - start
        self.cache[key] = (found, undecided)
        return found, undecided

    def failures(self, targets: list[np.ndarray], kept: np.ndarray | None, *, first_only: bool = False):
        """(layer, unit, [(subset over merged examples, multipliers)], undecided reason) for every
        unit that is not proved separable; an undecided unit's one subset is all of its rows,
        without multipliers."""
        p = self.problem
        rows = np.arange(p.n_merged) if kept is None else np.flatnonzero(kept)
        out = []
        for layer in range(1, len(p.hidden) + 2):
            U = p.unit_inputs(targets, layer)[rows]
            T = p.unit_targets(targets, layer)[rows]
            for j in range(T.shape[1]):
                subsets, undecided = self.certificates(U, np.ascontiguousarray(T[:, j]))
                if undecided:
                    subsets = [(np.arange(len(rows)), None)]
                if subsets:
                    out.append((layer, j, [(rows[s], lam) for s, lam in subsets], undecided))
                    if first_only:
                        return out
        return out


def repair(checker: Checker, targets, keep, counts, deadline):
    """Drop the lightest example of each failing unit's certificate until every unit passes."""
    for _ in range(REPAIR_ROUNDS):
        if deadline is not None and time.monotonic() >= deadline:
            return None
        fails = checker.failures(targets, keep)
        if not fails:
            return keep
        for _, _, subsets, _ in fails:
            s = subsets[0][0]
            if keep[s].all():
                keep[s[np.argmin(counts[s])]] = False
    return None
