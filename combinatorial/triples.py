"""The fewest errors of three hidden sign units and one output unit on points in the plane,
settled by enumeration (:mod:`combinatorial.backends.lazy.threeunits` reduces width-3 min-errors
with two classes to it).

With hidden bits h1, h2, h3 the output sign(a . h + c) is a threshold function of three bits.
Up to negating inputs, permuting them and negating the output, every such function is a constant,
one bit, AND of two, AND of three, x1 AND (x2 OR x3), or the majority of three. A negated input
is the complement half-plane, which is another half-plane dichotomy; a negated output swaps the
labels. So the region R that one label y gets (the other label everywhere else) is, for one of the
two labels, A n B n C (``and``), A n (B u C) (``and-or``) or maj(A, B, C) (``maj``, which is its
own complement's shape), with A, B, C half-plane dichotomies of the points; the constant, one
half-plane and two are these shapes with repeated or constant dichotomies. Its errors are

    errors(R) = y's examples outside R + the other label's inside R = |y| - (y - other) . R.

Each shape only grows when a dichotomy gains a point of y or loses a point of the other label, so
only the undominated dichotomies of :func:`combinatorial.wedges.front` are needed; for the other
label they are the complements of y's (dominance is symmetric under complement). Every triple is
scored by its first dichotomy (in the order below) against all pairs of the rest that it admits:
one matrix product per first dichotomy, in floats that hold the integer sums exactly. What a
first dichotomy admits, below the best so far:

* ``and``: every one of A, B, C leaves fewer of y out (A n B n C lies in each); the first is the
  earliest of the three in increasing order of that count, so the enumeration stops at the first
  one whose count reaches the best; a second one needs y outside A n B below the best;
* ``and-or``: A as for ``and``; with each of B and C, y's examples outside A and the other
  label's inside A n B (which lies in R) are errors, fewer than the best together;
* ``maj``: the first is the earliest of the three in the list (repeats allowed), and with each
  of the others the other label's examples in their intersection and y's outside their union (R
  lies between the two) are errors, fewer than the best together.

Under the deadline the answer keeps the best triple found; its bound is only the one the caller
had, as an interrupted listing proves nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import deadline
from .wedges import TooLarge, dichotomies, front

SHAPES = ("and", "and-or", "maj")
_EVERY = 2**62  # a bound no count reaches: every dichotomy listed
_COMPACT_EVERY = 60_000_000  # every dichotomy listed, most of them new: cut to the front rarely (circles-500: never)
_BLOCK = 256  # first dichotomies whose filters are computed at once
_SEED = 300  # the best single half-planes a first pass takes triples of
_ROWS = 256  # pairs' rows scored at once (against the columns from the block's first on)
_FLOAT32_EXACT = 2**24


@dataclass(frozen=True)
class Triple:
    errors: int  # of the best triple found (the beat it was asked for, with rows None, when none beat it)
    lower_bound: int  # proved: no network of three units makes fewer (== errors when settled)
    rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # A, B, C: bool per point
    shape: str  # one of SHAPES
    inside: int  # the label (+1 / -1) put on R
    why: str = ""  # why lower_bound < errors

    def region(self) -> np.ndarray:
        """R, bool per point."""
        return region(self.shape, *self.rows)


def region(shape: str, A: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
    if shape == "and":
        return A & B & C
    if shape == "and-or":
        return A & (B | C)
    return (A.astype(int) + B + C) >= 2


def best_triple(X: np.ndarray, pos: np.ndarray, neg: np.ndarray, beat: int, floor: int = 0,
                report=None) -> Triple:
    """The fewest errors below ``beat`` of three half-planes and a threshold output on distinct
    points ``X`` (one or two columns); ``pos[k]`` / ``neg[k]``: the examples labelled +1 / -1 at
    point k. It stops once a triple meets ``floor`` (a proved bound); ``report``: a
    :class:`Progress`, told where the enumeration is. Under the deadline, or with
    more undominated dichotomies than :mod:`combinatorial.wedges` lists, the best found with
    bound ``floor``."""
    X = np.asarray(X, dtype=float)
    if X.shape[1] == 1:
        X = np.concatenate([X, np.zeros_like(X)], axis=1)
    pos, neg = np.asarray(pos, dtype=np.int64), np.asarray(neg, dtype=np.int64)
    if int(pos.sum() + neg.sum()) >= _FLOAT32_EXACT:
        return Triple(int(beat), int(floor), None, "and", 1, "more than 2^24 examples")
    best = Triple(int(beat), int(beat), None, "and", 1)
    try:
        if report is not None:
            report.listing(best.errors)
        F = front(dichotomies(X, pos, _EVERY, neg, compact=_COMPACT_EVERY), pos, neg)
        single = (~F) @ pos + F @ neg  # each dichotomy's errors as one half-plane (label +1 inside)
        for few in (True, False):  # a first incumbent from the best single half-planes, then all
            for shape in SHAPES:
                for inside in ((1,) if shape == "maj" else (1, -1)):
                    if best.errors <= floor:
                        return best
                    c, n, G = (pos, neg, F) if inside == 1 else (neg, pos, ~F)
                    if few:
                        G = G[np.argsort(single, kind="stable")[:_SEED]]  # a complement errs alike, labels swapped
                    tick = None if report is None else report.shape(shape, inside, len(G), few)
                    found = _SEARCH[shape](G.astype(np.float32), c.astype(np.float32), n.astype(np.float32), best.errors, tick)
                    if found is not None:
                        best = Triple(found[0], found[0], tuple(G[i] for i in found[1:]), shape, inside)
    except TooLarge as e:
        return Triple(best.errors, min(best.errors, floor), best.rows, best.shape, best.inside, str(e))
    except deadline.TimeLimit:
        return Triple(best.errors, min(best.errors, floor), best.rows, best.shape, best.inside, "time limit reached")
    return best


class Progress:
    """Where the enumeration is, for ``SolveOptions.progress``: one event at most a second (the
    first always), in the lazy backend's format, with the shape and the first dichotomy reached."""

    def __init__(self, callback, examples: int, floor: int):
        self.callback, self.examples, self.floor = callback, examples, floor
        self.start, self.last = time.monotonic(), None

    def _event(self, event: str, best: int | None, **more) -> None:
        now = time.monotonic()
        if self.last is None or now - self.last >= 1.0:
            self.last = now
            self.callback({"event": event, "elapsed_s": round(now - self.start, 3), "examples": self.examples,
                           "working_set": self.examples, "incumbent_errors": best, "lower_bound": self.floor,
                           "cuts": 0, "iterations": 0, "heuristic_runs": 0, **more})

    def listing(self, best: int) -> None:
        self._event("listing", best)

    def shape(self, shape: str, inside: int, rows: int, few: bool):
        """The tick of one shape's search: (first dichotomies done, of how many, best so far)."""
        def tick(done, total, best):
            self._event("triples", int(best), iterations=int(done), rows=int(total), shape=shape, inside=inside,
                        first_pass=few)
        return tick


def _and(G, c, n, best, tick=None):
    """A n B n C: (errors, a, b, c) of the best triple below ``best``, or None."""
    first = _by_count_out(G, c, best)
    found, total = None, float(c.sum())
    v = c - n
    for s in range(0, len(first), _BLOCK):
        block = first[s:s + _BLOCK]
        later = first[s:]
        lost = total - (G[block] * c) @ G[later].T  # y outside A n B
        for r, i in enumerate(block):
            if _out(G[i], c) >= best:
                return found
            deadline.check()
            if tick is not None:
                tick(s + r, len(first), best)
            inside = G[i] > 0  # R lies in A: only A's points count
            J = later[r:][lost[r, r:] < best]
            GJ = G[J][:, inside]
            got = _scored(J, GJ, total, np.zeros(len(J), np.float32), GJ * v[inside], best)
            if got is not None:
                best, found = got[0], (got[0], i, *got[1:])
    return found


def _and_or(G, c, n, best, tick=None):
    """A n (B u C): R = A B + A (1 - B) C."""
    first = _by_count_out(G, c, best)
    found, total = None, float(c.sum())
    v = c - n
    for s in range(0, len(first), _BLOCK):
        block = first[s:s + _BLOCK]
        wrong = (G[block] * n) @ G.T  # the other label inside A n B
        for r, i in enumerate(block):
            if _out(G[i], c) >= best:
                return found
            deadline.check()
            if tick is not None:
                tick(s + r, len(first), best)
            inside = G[i] > 0  # R lies in A: only A's points count
            # y outside A and the other label inside A n B are errors, on disjoint sets
            J = np.flatnonzero(_out(G[i], c) + wrong[r] < best)
            GJ = G[J][:, inside]
            got = _scored(J, GJ, total, GJ @ v[inside], (1 - GJ) * v[inside], best)
            if got is not None:
                best, found = got[0], (got[0], i, *got[1:])
    return found


def _maj(G, c, n, best, tick=None):
    """maj(A, B, C): R = A B + (A xor B) C."""
    found, total = None, float(c.sum())
    v = c - n
    m = len(G)
    for s in range(0, m, _BLOCK):
        block = np.arange(s, min(s + _BLOCK, m))
        wrong = (G[block] * n) @ G[s:].T  # the other label inside A n B, B from the block on
        lost = ((1 - G[block]) * c) @ (1 - G[s:]).T  # y outside A u B
        for r, i in enumerate(block):
            deadline.check()
            if tick is not None:
                tick(i, m, best)
            J = s + np.flatnonzero(wrong[r] + lost[r] < best)  # inside A n B and outside A u B: disjoint
            J = J[J >= i]
            A, GJ = G[i], G[J]
            AB = GJ * A
            got = _scored(J, GJ, total, AB @ v, (GJ + A - 2 * AB) * v, best)
            if got is not None:
                best, found = got[0], (got[0], i, *got[1:])
    return found


_SEARCH = {"and": _and, "and-or": _and_or, "maj": _maj}


def _by_count_out(G, c, best) -> np.ndarray:
    """The dichotomies leaving fewer than ``best`` of y out, in increasing order of that count."""
    out = (1 - G) @ c
    keep = np.flatnonzero(out < best)
    return keep[np.argsort(out[keep], kind="stable")]


def _out(row, c) -> float:
    return float((1 - row) @ c)


def _scored(J, GJ, total, base, Q, best):
    """The best (errors, j, k) below ``best`` of errors = total - base[j] - Q[j] . GJ[k] over j, k
    in ``J`` (``GJ``: their rows, on the points that count; ``base``, ``Q`` indexed like J), or
    None. Every shape's score is symmetric in j and k, so each block of rows is scored against
    the columns from its first row on only."""
    if len(J) == 0:
        return None
    GJ = GJ.T
    found = None
    for s in range(0, len(J), _ROWS):
        S = total - base[s:s + _ROWS, None] - Q[s:s + _ROWS] @ GJ[:, s:]
        r, k = np.unravel_index(int(np.argmin(S)), S.shape)
        if S[r, k] < best - 0.5:
            best = int(round(float(S[r, k])))
            found = (best, int(J[s + r]), int(J[s + k]))
    return found
