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

* ``and``: every one of A, B, C leaves fewer of y out (A n B n C lies in each), and each pair of
  them leaves fewer of y outside their intersection; the first is the earliest of the three in
  increasing order of how many such partners it has (:func:`_by_degree`), and a second one needs
  y outside A n B below the best;
* ``and-or``: A leaves fewer of y out, and the first is the earliest in increasing order of that
  count, so the enumeration stops at the first one whose count reaches the best; with each of B
  and C, y's examples outside A and the other
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

SHAPES = ("and-or", "and", "maj")
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

                    def keep(found, G=G, shape=shape, inside=inside):  # at once: a deadline may cut the search
                        nonlocal best
                        best = Triple(found[0], found[0], tuple(G[i] for i in found[1:]), shape, inside)
                    _search(shape, G.astype(np.float32), c.astype(np.float32), n.astype(np.float32), best.errors,
                            keep, tick)
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

    def starts(self, total: int):
        """The tick of the coordinate descent (:mod:`combinatorial.descent`): (starts done, best so far)."""
        def tick(done, best):
            self._event("descent", int(best), iterations=int(done), rows=int(total))
        return tick

    def cuts(self, best: int):
        """The tick of the error sets (:func:`combinatorial.errorsets.raised`) below a network
        making ``best`` errors: (cuts, bound so far)."""
        def tick(cuts, bound):
            self._event("errorsets", int(best), cuts=int(cuts), lower_bound=int(bound))
        return tick

    def shape(self, shape: str, inside: int, rows: int, few: bool):
        """The tick of one shape's search: (first dichotomies done, of how many, best so far)."""
        def tick(done, total, best):
            self._event("triples", int(best), iterations=int(done), rows=int(total), shape=shape, inside=inside,
                        first_pass=few)
        return tick


def _search(shape, G, c, n, best, keep, tick=None) -> None:
    """The best triple of ``shape`` below ``best``, each one better than the last handed to
    ``keep`` as (errors, a, b, c) when found (a deadline may end the search). Each first
    dichotomy A (by count of y outside for ``and`` and ``and-or``, which stop where it reaches the
    best; every one for ``maj``) is paired with the rows whose unavoidable errors with it stay
    below the best (:func:`_unavoidable`), and those pairs are scored (:func:`_scores`)."""
    total = float(c.sum())
    v = c - n
    first = np.arange(len(G)) if shape == "maj" else _by_degree(G, c, best) if shape == "and" \
        else _by_count_out(G, c, best)
    for s in range(0, len(first), _BLOCK):
        block = first[s:s + _BLOCK]
        cols, unavoidable = _unavoidable(shape, G, c, n, total, first, s, block)
        for r, i in enumerate(block):
            if shape != "maj" and _out(G[i], c) >= best:
                if shape == "and":  # by degree, not by count: another may still be below the best
                    continue
                return
            deadline.check()
            if tick is not None:
                tick(s + r, len(first), best)
            # and, maj: the others come at or after A (A the earliest of the three)
            J = cols[unavoidable[r] < best] if shape == "and-or" else cols[r:][unavoidable[r, r:] < best]
            got = _scored(J, *_scores(shape, G[i], G[J], v), total, best)
            if got is not None:
                best = got[0]
                keep((got[0], i, *got[1:]))


def _unavoidable(shape, G, c, n, total, first, s, block):
    """(the rows B a block of first dichotomies A may pair with, the errors each A, B makes
    certain: y outside A n B for ``and``; y outside A plus the other label inside A n B for
    ``and-or`` (disjoint); the other label inside A n B plus y outside A u B for ``maj``)."""
    if shape == "and":
        later = first[s:]
        return later, total - (G[block] * c) @ G[later].T
    if shape == "and-or":
        return np.arange(len(G)), ((1 - G[block]) @ c)[:, None] + (G[block] * n) @ G.T
    later = np.arange(s, len(G))  # maj: B from the block's first on
    return later, (G[block] * n) @ G[later].T + ((1 - G[block]) * c) @ (1 - G[later]).T


def _scores(shape, A, B, v):
    """(the rows B on the points that count, base, Q) with errors = total - base[j] - Q[j] . B[k]:
    R = A B C (only A's points count), A B + A (1 - B) C (the same), A B + (A xor B) C."""
    if shape == "maj":
        AB = B * A
        return B, AB @ v, (B + A - 2 * AB) * v
    inside = A > 0
    B = B[:, inside]
    if shape == "and":
        return B, np.zeros(len(B), np.float32), B * v[inside]
    return B, B @ v[inside], (1 - B) * v[inside]




def _by_count_out(G, c, best) -> np.ndarray:
    """The dichotomies leaving fewer than ``best`` of y out, in increasing order of that count."""
    out = (1 - G) @ c
    keep = np.flatnonzero(out < best)
    return keep[np.argsort(out[keep], kind="stable")]


def _by_degree(G, c, best) -> np.ndarray:
    """For ``and``: the dichotomies leaving fewer than ``best`` of y out (all three of a triple
    below the best do), in increasing order of how many of them leave, with it, fewer than
    ``best`` of y outside both. Each triple is scored from its earliest member in any order; in
    this one the earliest has the fewest partners, as in listing the triangles of a graph
    (spirals-200: 40 % fewer pairs than by count)."""
    keep = np.flatnonzero((1 - G) @ c < best)
    Gk = G[keep]
    K = Gk * c
    degree = np.zeros(len(keep), dtype=np.int64)
    for s in range(0, len(keep), _ROWS):
        degree[s:s + _ROWS] = (float(c.sum()) - K[s:s + _ROWS] @ Gk.T < best).sum(axis=1)
    return keep[np.argsort(degree, kind="stable")]


def _out(row, c) -> float:
    return float((1 - row) @ c)


def _scored(J, GJ, base, Q, total, best):
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
