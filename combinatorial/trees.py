"""The fewest errors of two hidden sign units on three classes in the plane, by enumeration
(:mod:`combinatorial.backends.lazy.twounits` reduces width-2 min-errors with three classes to it).

Three classes have three one-vs-rest output units; each is a threshold function of the two hidden
bits (any but XOR and XNOR), and an example is right when the output row is its class's. So the
four cells of (h1, h2) get a class each (or a row of no class), and no class may hold exactly two
opposite cells. Every such labelling gets no more examples right than one of (checked by brute
force over all 8^4 row assignments in ``tests/combinatorial/test_trees.py``):

* a tree: class C on one side of the first line; on the other side the second line puts class A
  on one side and B on the other (a constant line or side included: one line, or no line);
* a wedge: one class inside two half-planes, another outside (:mod:`combinatorial.wedges`), the
  third class wrong everywhere.

With four or more classes four single cells is a fifth kind, which this module does not cover.

Trees are enumerated from the first line: a tree's errors are at least its first line's share
(C's examples on the A/B side, A's and B's on the other), so only the dichotomies of
:func:`combinatorial.wedges.dichotomies` with a share below the best so far are listed (exact
orientations); the second line's fewest errors on the A/B side's points is
:func:`combinatorial.halfplanes.best_dichotomy`. Sides with the same A/B points are one
question, asked once, in increasing order of the share, and a side is skipped when a side asked
before bounds it: its fewest errors is at least that side's minus the A/B examples at the points
it lacks. The first incumbent is the greedy tree (the best first line, then the best second).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from . import deadline, halfplanes, wedges

CLASSES = 3
# the cells (h1, h2) in this order: ++, +-, -+, --
CELLS = ((1, 1), (1, -1), (-1, 1), (-1, -1))


@dataclass(frozen=True)
class Split:
    errors: int
    lower_bound: int  # proved: no network of two hidden units makes fewer (== errors when settled)
    H: np.ndarray  # bool per point: the first unit's +1 side
    L: np.ndarray  # bool per point: the second unit's +1 side
    cells: tuple[int, int, int, int]  # the class of each cell of CELLS
    why: str = ""  # why lower_bound < errors


def best_split(X: np.ndarray, cnt: np.ndarray) -> Split:
    """The fewest errors of a two-unit network on distinct points ``X`` (one or two columns),
    ``cnt[k, c]`` the examples of class c at point k; under the deadline the best found with a
    true bound (the greedy tree's, with bound 0, if none was finished)."""
    X = np.asarray(X, dtype=float)
    if X.shape[1] == 1:
        X = np.concatenate([X, np.zeros_like(X)], axis=1)
    cnt = np.asarray(cnt, dtype=np.int64)
    roles = [(C, *(c for c in range(CLASSES) if c != C)) for C in range(CLASSES)]
    best = min((_greedy(X, cnt, *r) for r in roles), key=lambda s: s.errors)
    low, why = best.errors, ""
    try:
        def keep(found: Split) -> None:  # at once: a deadline may cut the listing
            nonlocal best
            best = found
        for r in roles:
            bound = _trees(X, cnt, *r, best.errors, keep)
            if bound < best.errors:
                low, why = min(low, bound), f"too many first lines to list at {bound} errors"
        for a, b in itertools.combinations(range(CLASSES), 2):
            best, low = _wedge(X, cnt, a, b, best, low)
    except deadline.TimeLimit:
        return Split(best.errors, 0, best.H, best.L, best.cells, "time limit reached")
    low = min(low, best.errors)
    return Split(best.errors, low, best.H, best.L, best.cells, why if low < best.errors else "")


def _tree(X, cnt, C, A, B, H, S) -> Split:
    """The tree with first line H (A and B on its +1 side) and the best second line there."""
    errors, L = halfplanes.best_dichotomy(X, np.where(S, cnt[:, B], 0), np.where(S, cnt[:, A], 0))
    first = int(cnt[H, C].sum() + cnt[~H][:, [A, B]].sum())
    return Split(first + errors + _rest(cnt, (A, B, C)), 0, H, L > 0, (A, B, C, C))


def _rest(cnt, kept) -> int:
    return int(cnt.sum() - cnt[:, list(kept)].sum())


def _greedy(X, cnt, C, A, B) -> Split:
    ab = cnt[:, A] + cnt[:, B]
    _, H = halfplanes.best_dichotomy(X, cnt[:, C], ab)
    return _tree(X, cnt, C, A, B, H > 0, (H > 0) & (ab > 0))


def _trees(X, cnt, C, A, B, beat: int, keep) -> int:
    """The best tree of these roles below ``beat``, each one better than the last handed to
    ``keep`` when found (a deadline may end the listing); a bound on the trees not enumerated
    (``beat`` when all were)."""
    ab, c, rest = cnt[:, A] + cnt[:, B], cnt[:, C], _rest(cnt, (A, B, C))
    below, bound = beat - rest, beat
    if below <= 0:
        return beat
    while True:
        try:
            H = wedges.dichotomies(X, ab, below)
            break
        except wedges.TooLarge:  # the trees with more A/B outside stay unlisted
            below //= 2
            bound = rest + below
            if below == 0:
                return bound
    share = H.astype(np.int64) @ c + (~H).astype(np.int64) @ ab + rest
    order = np.argsort(share, kind="stable")
    H, share = H[order][share[order] < beat], share[order][share[order] < beat]
    S = H & (ab > 0)
    _, first = np.unique(np.packbits(S, axis=1), axis=0, return_index=True)
    first = np.sort(first)  # each A/B side once, at its smallest share
    H, S, share = H[first], S[first], share[first]
    asked, fewest = [], []
    for r in range(len(H)):
        if share[r] >= beat:
            break
        if asked:  # the second line's fewest errors here is at least an asked side's minus what it lacks
            lost = (np.array(asked) & ~S[r]).astype(np.int64) @ ab
            if share[r] + max(0, int((np.array(fewest) - lost).max())) >= beat:
                continue
        idx = np.flatnonzero(S[r])
        errors, _ = halfplanes.best_dichotomy(X[idx], cnt[idx, B], cnt[idx, A])
        asked.append(S[r])
        fewest.append(errors)
        if share[r] + errors < beat:
            best = _tree(X, cnt, C, A, B, H[r], S[r])
            assert best.errors == share[r] + errors, "tree: the extended second line lost its errors"
            beat = best.errors
            keep(best)
    return min(bound, beat)


def _wedge(X, cnt, a, b, best: Split, low: int) -> tuple[Split, int]:
    """One of classes ``a``, ``b`` in a wedge, the other elsewhere, the third wrong: the better
    of it and ``best``, and the bound updated."""
    rest = _rest(cnt, (a, b))
    if rest >= best.errors:
        return best, low
    w = wedges.best_wedge(X, cnt[:, a], cnt[:, b], best.errors - rest)
    low = min(low, rest + w.lower_bound)
    if w.A is None:
        return best, low
    inside, outside = (a, b) if w.inside == 1 else (b, a)
    return Split(rest + w.errors, 0, w.A, w.B, (inside, outside, outside, outside)), low
