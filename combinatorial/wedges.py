"""The fewest errors of two hidden sign units and one output unit on points in the plane,
settled by enumeration (:mod:`combinatorial.backends.lazy.twounits` reduces width-2 min-errors
with two classes to it).

With hidden units h1, h2 in {-1, +1} the output sign(a1 h1 + a2 h2 + c) is a threshold function
of two bits: any of the sixteen but XOR and XNOR. Its region labelled y is therefore empty, the
plane, a half-plane, or the intersection of two half-planes, or the complement of one of those
(a union of two half-planes is the complement of the intersection of their complements). So the
fewest errors is the minimum, over the label y put inside and over pairs (A, B) of half-plane
dichotomies of the points (a constant one included, and A = B for a single half-plane), of

    errors(A, B) = y's examples outside A n B + the other label's inside A n B.

Every half-plane dichotomy is made by a line through two points moved off them
(:mod:`combinatorial.halfplanes`): the points strictly on each side keep it, and those on the
line split into a prefix and a suffix along it. A pair with y's examples outside A alone as many
as the best so far cannot beat it, so only the dichotomies with fewer are listed, exactly (the
orientations of :func:`combinatorial.halfplanes._orient`), once each, and of those only the ones
no other dominates (:func:`front`: on moons-500, 48,000 of them become 600); the pairs are
scored by one matrix product per block, in floats that hold the integer sums exactly, rows in increasing order
of that count, so that a good wedge comes early and prunes the rest. Of a line with only its own
two points on it, only the sides with one inside, with an example of the inside label, and one
outside, with one of the other, are listed: a nonconstant undominated A and its complement have a
separating line through a point of each (a critical support line of their hulls), and were the
inside one without the inside label, turning the line about the other point would drop it from
A, and were the outside one without the other label, add it, either way a dominating dichotomy
(turns end: each changes the points held). The two constant dichotomies are listed too. Under the deadline the
answer keeps a true lower bound: a pair not yet scored has both its dichotomies at or after the
current row, so at least that row's count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import deadline
from .halfplanes import _orient

MAX_CELLS = 60_000_000  # undominated dichotomies x points kept (scored as float32 copies): beyond it, fewer
BLOCK_CELLS = 20_000_000  # pair scores computed at once
COMPACT_CELLS = 15_000_000  # listed entries that trigger keeping each dichotomy once, undominated
_FLOAT32_EXACT = 2**24  # integer sums below it are exact in float32


@dataclass(frozen=True)
class Wedge:
    errors: int  # of the best pair found (the beat it was asked for, with A None, when none beat it)
    lower_bound: int  # proved: no pair makes fewer (== errors when settled)
    A: np.ndarray | None  # bool per point: inside the first half-plane
    B: np.ndarray | None
    inside: int  # the label (+1 / -1) put on A n B; the other one everywhere else
    why: str = ""  # why lower_bound < errors


class TooLarge(Exception):
    """The dichotomies to score would not fit in memory."""


def best_wedge(X: np.ndarray, pos: np.ndarray, neg: np.ndarray, beat: int) -> Wedge:
    """The fewest errors below ``beat`` of a wedge on distinct points ``X`` (one or two columns);
    ``pos[k]`` / ``neg[k]``: the examples labelled +1 / -1 at point k. Under the deadline the
    best pair so far with a true bound; where the undominated dichotomies to score exceed
    :data:`MAX_CELLS`, fewer are listed (half the threshold each time), and the bound is that
    threshold."""
    X = np.asarray(X, dtype=float)
    if X.shape[1] == 1:
        X = np.concatenate([X, np.zeros_like(X)], axis=1)
    pos, neg = np.asarray(pos, dtype=np.int64), np.asarray(neg, dtype=np.int64)
    best, low, why = Wedge(int(beat), int(beat), None, None, 1), int(beat), ""
    for inside, wc, wn in ((1, pos, neg), (-1, neg, pos)):
        below = best.errors
        try:
            while True:
                try:
                    A = front(dichotomies(X, wc, below, wn), wc, wn)
                    break
                except TooLarge:  # fewer dichotomies: a bound of ``below`` for this label
                    below, why = below // 2, f"too many dichotomies to list (at most {MAX_CELLS // len(X):,})"
                    if below == 0:
                        A = np.ones((1, len(X)), dtype=bool)
                        break
        except deadline.TimeLimit:  # nothing of this label scored: no bound beyond 0
            return Wedge(best.errors, 0, best.A, best.B, best.inside, "time limit reached")
        found, low_here, stopped = _pairs(A, wc, wn, best.errors)
        if found is not None:
            best = Wedge(found[0], found[0], A[found[1]], A[found[2]], inside)
        low = min(low, low_here, below, best.errors)  # a pair below ``below`` would be scored
        if stopped:
            return Wedge(best.errors, low, best.A, best.B, best.inside, "time limit reached")
    return Wedge(best.errors, low, best.A, best.B, best.inside, why if low < best.errors else "")


def dichotomies(X: np.ndarray, wc: np.ndarray, below: int, wn: np.ndarray | None = None,
                compact: int = COMPACT_CELLS) -> np.ndarray:
    """Every half-plane dichotomy A of the points (bool rows, each once; the constant True one
    included) whose weight ``wc`` outside A is below ``below``. With ``wn``, only those
    :func:`front` keeps (the undominated ones, and maybe a few more), and the list is cut to its
    front whenever it grows long (the front of a union is the front of the fronts; ``compact``:
    the new entries times points that trigger it), and a line with only its two points on it puts
    one inside and one outside (see the module docstring)."""
    n = len(X)
    # the constant dichotomies (no line makes them once its points take sides)
    rows = [np.packbits(np.array([[True] * n] + ([[False] * n] if wn is not None else [])), axis=1)]
    held = len(rows[0])
    fw = wc.astype(np.float32 if wc.sum() < 2**24 else float)  # float sums of integers below 2^24 / 2^53: exact
    # the sides a point a line runs through may take: inside (True) and / or outside (False)
    ways = [(False, True)] * n if wn is None else [
        (True,) if wc[k] > 0 and wn[k] == 0 else (False,) if wc[k] == 0 else (False, True) for k in range(n)]
    for i in range(n - 1):
        deadline.check()
        J = np.arange(i + 1, n)
        S = _orient(X, i, J)
        on = S == 0
        two = np.flatnonzero(on.sum(axis=1) == 2)  # only the line's own points i and J[a] on it
        more = np.flatnonzero(on.sum(axis=1) > 2)
        if len(more):  # each such line once, from its first two points
            more = more[np.cumsum(on[more], axis=1)[np.arange(len(more)), J[more]] == 2]
        found = []
        for sign in (1, -1):
            inner = sign * S > 0
            out = (sign * S < 0).astype(fw.dtype) @ fw
            for with_i in ways[i]:
                for with_j in (False, True):
                    if wn is not None and with_i == with_j:  # see the docstring: never undominated alone
                        continue
                    mine = two if wn is None else two[[with_j in ways[k] for k in J[two]]]
                    cost = out[mine] + (0 if with_i else fw[i]) + (0 if with_j else fw[J[mine]])
                    keep = mine[cost < below]
                    if len(keep):
                        A = inner[keep]
                        A[:, i] = with_i
                        A[np.arange(len(keep)), J[keep]] = with_j
                        found.append(A)
            for a in more:
                found += _splits(X, inner[a], np.flatnonzero(on[a]), fw, below)
        if found:
            rows.append(np.packbits(np.concatenate(found), axis=1))
            held += len(rows[-1])
        if (held - len(rows[0])) * n > compact:  # most new ones repeat others' or are dominated
            if wn is None:
                packed = np.unique(np.concatenate(rows), axis=0)
            else:  # rows[0] is the front so far (distinct), the rest new; a repeat of a kept row goes
                packed = np.concatenate([rows[0], np.unique(np.concatenate(rows[1:]), axis=0)])
                packed = np.packbits(front(np.unpackbits(packed, axis=1, count=n).astype(bool), wc, wn), axis=1)
            rows, held = [packed], len(packed)
            if held * n > MAX_CELLS:
                raise TooLarge(f"more than {MAX_CELLS // n:,} dichotomies of {n} points to score")
    packed = np.unique(np.concatenate(rows), axis=0)
    return np.unpackbits(packed, axis=1, count=n).astype(bool)


def _splits(X, inner, C, fw, below) -> list[np.ndarray]:
    """The dichotomies of a line with the points ``C`` on it: every prefix on one side, the
    suffix on the other, either way round."""
    order = C[np.lexsort(X[C].T[::-1])]
    out = float(fw[~inner].sum() - fw[C].sum())  # strictly outside
    w = np.concatenate([[0.0], np.cumsum(fw[order])])  # weight of each prefix
    found = []
    for cut in range(len(order) + 1):
        for prefix_in in (True, False):
            outside = out + (w[-1] - w[cut] if prefix_in else w[cut])
            if outside < below:
                A = inner.copy()
                A[order[:cut]], A[order[cut:]] = prefix_in, not prefix_in
                found.append(A[None])
    return found


def front(A: np.ndarray, wc: np.ndarray, wn: np.ndarray) -> np.ndarray:
    """The rows of ``A`` no other row dominates (of equal rows, the first). A' dominates A when it
    holds every point of weight in ``wc`` that A holds and no point of weight in ``wn`` that A
    lacks: with any B, A' n B then makes no more errors than A n B. Rows go by decreasing count
    of such ``wc`` points and increasing count of ``wn`` points, so a dominating row comes first
    (two rows with both counts equal are one dichotomy): each block of rows is checked against
    the rows kept before it and against itself. A kept row dominates only with no more ``wn``
    points, so the kept rows are held by that count (:class:`_Kept`) and each part of a block is
    checked against the prefix its largest count allows (a dominated row's dominators include a
    kept one, since dominance is transitive)."""
    c, w = (wc > 0).astype(np.float32), (wn > 0).astype(np.float32)
    has_c, has_w = A[:, wc > 0].sum(axis=1), A[:, wn > 0].sum(axis=1)
    order = np.lexsort((has_w, -has_c))
    kept, K = [], _Kept(A.shape[1])
    for start in range(0, len(order), 1024):
        deadline.check()
        R = A[order[start:start + 1024]].astype(np.float32)
        # k dominates r iff r.k over the wc points is r's count of them and over the wn points
        # k's count of those; neither dot can exceed its count, so one product with a point of
        # both weighing 2 says both at once (counts below 2^24: exact in float32)
        Rm, need, Rw = R * (c + w), R @ c, R @ w
        out = np.zeros(len(R), dtype=bool)
        by_w = np.argsort(Rw, kind="stable")
        for part in np.array_split(by_w, max(1, len(R) // 256)):
            for rows, counts in K.up_to(Rw[part].max()):
                out[part] |= (Rm[part] @ rows.T == need[part, None] + counts[None, :]).any(axis=1)
        inner = Rm @ R.T == need[:, None] + Rw[None, :]
        out |= (inner & (np.arange(len(R))[None, :] < np.arange(len(R))[:, None])).any(axis=1)
        new = np.flatnonzero(~out)
        kept.append(order[start + new])
        K.add(R[new], Rw[new])
    return A[np.concatenate(kept)] if kept else A[:0]


class _Kept:
    """Rows (floats) with a count each, held as a large and a small array, each in increasing
    order of the count: a new block goes into the small one, which joins the large one once it
    holds an eighth as many rows (so a row is copied a few times, not once per block)."""

    def __init__(self, n: int):
        empty = (np.zeros((0, n), np.float32), np.zeros(0, np.float32))
        self.parts = [empty, empty]

    def up_to(self, count):
        """(rows, counts) of each array, cut to the rows with at most ``count``."""
        for rows, counts in self.parts:
            m = int(np.searchsorted(counts, count, side="right"))
            if m:
                yield rows[:m], counts[:m]

    def add(self, rows, counts) -> None:
        (big, big_c), (small, small_c) = self.parts
        order = np.argsort(counts, kind="stable")
        at = np.searchsorted(small_c, counts[order], side="right")
        small, small_c = np.insert(small, at, rows[order], axis=0), np.insert(small_c, at, counts[order])
        if len(small) * 8 > max(len(big), 32768):
            at = np.searchsorted(big_c, small_c, side="right")
            big, big_c = np.insert(big, at, small, axis=0), np.insert(big_c, at, small_c)
            small, small_c = small[:0], small_c[:0]
        self.parts = [(big, big_c), (small, small_c)]


def _pairs(A, wc, wn, beat):
    """((errors, i, j) of the best pair of rows of ``A`` below ``beat``, or None; a lower bound
    on every pair's errors that holds when it is below ``beat``: the best found when every pair
    was scored, else the first unscored row's count; whether the deadline stopped it)."""
    outside = (~A).astype(float) @ wc.astype(float)
    order = np.argsort(outside, kind="stable")
    A, outside = A[order], outside[order]
    dtype = np.float32 if int(wc.sum() + wn.sum()) < _FLOAT32_EXACT else np.float64
    F = A.astype(dtype)
    FV = F * (wc - wn).astype(dtype)
    total = float(wc.sum())
    best, found, start, block = beat, None, 0, 256
    while start < len(A) and outside[start] < best:
        end = int(np.searchsorted(outside, best, side="left"))  # a column at or above best cannot help
        try:
            deadline.check()
        except deadline.TimeLimit:
            return found, int(outside[start]), True
        block = max(1, min(block, BLOCK_CELLS // (end - start)))
        G = total - FV[start:start + block] @ F[start:end].T
        r, c = np.unravel_index(int(np.argmin(G)), G.shape)
        if G[r, c] < best:
            best = int(round(float(G[r, c])))
            found = (best, int(order[start + r]), int(order[start + c]))
        start += block
        block = min(4 * block, 4096)
    return found, best, False
