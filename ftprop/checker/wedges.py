"""The bound of a two-hidden-unit min-errors optimum in the plane, by enumerated wedges.

A proof file of kind ``wedges`` claims: the network in it (inputs in one or two dimensions, one
hidden layer of two sign units, one output, two classes) makes e training errors, and no such
network makes fewer. The checker counts the network's errors exactly and then, on its own:

1. The output sign(a1 h1 + a2 h2 + c) of two ±1 bits is a threshold function: every Boolean
   function of two bits but XOR and XNOR. So the examples it labels y lie in A n B, where A and
   B are half-planes or the plane (h = a constant), and the other label's everywhere else, for
   one of the two labels y: a union of two half-planes is the complement of the intersection of
   their complements, and the complement of a half-plane dichotomy of finitely many points is
   another one.
2. Every half-plane dichotomy of finitely many points is made by a line through two of them
   moved off them, the points on the line split into a prefix and a suffix along it (the
   argument of :mod:`ftprop.checker.lines`).
3. errors(A, B) = y's examples outside A n B + the others' inside it, at least y's examples
   outside A. So a pair below e has both dichotomies among those that leave fewer than e of y's
   examples outside, and those are all listed.
4. Dominance: when A' holds every point with an example of y that A holds, and no point with an
   example of the other label that A lacks, errors(A', B) <= errors(A, B) for every B. A
   dominating dichotomy leaves no more of y's examples out, so it is listed too, and only the
   undominated ones are paired (the list is cut to its undominated rows as it grows: a row
   dominated in part of the list is dominated in all of it). A point a line runs through that
   has examples of one label only is dominated on the wrong side (inside for y, outside for the
   other), so that side is not listed. Of a line with only its own two points on it, only one
   inside and one outside is listed: a nonconstant dichotomy and its complement have a
   separating line through a point of each (a critical support line of their hulls), and if the
   inside point has no example of y, turning that line about the other point drops it, and if
   the outside point has none of the other label, turning it about the first adds it; each turn
   gives a dominating dichotomy, and turns end (each changes the points held), at one listed.
   Both constant dichotomies are listed.
5. Every pair of undominated dichotomies is scored in floats that hold their integer sums exactly
   (below 2^24); none may make fewer than e errors.

Orientations are exact (:func:`ftprop.checker.lines._signs`).
"""

from __future__ import annotations

import numpy as np

from ftprop.checker.lines import _signs

MAX_POINTS = 1000  # the engine writes wedges up to this many distinct inputs
MAX_CELLS = 60_000_000  # dichotomies times points listed: the engine proves nothing beyond it
COMPACT_CELLS = 15_000_000  # new entries listed before the list is cut to its undominated rows


def fewer_errors(Xu: np.ndarray, Yu: np.ndarray, counts, errors: int) -> str:
    """"" when no two-hidden-unit network makes fewer than ``errors`` training errors on the
    merged data; else why not, in words."""
    points = two_class_points(Xu, Yu, counts, "wedges")
    if isinstance(points, str):
        return points
    P, pos, neg = points
    got = fewest_wedge(P, pos, neg, errors)
    if isinstance(got, str):
        return got
    return "" if got[0] >= errors else (f"a wedge with label {got[1]} inside two half-planes makes {got[0]} "
                                        f"training errors, fewer than the {errors} claimed")


def two_class_points(Xu: np.ndarray, Yu: np.ndarray, counts, kind: str):
    """(the distinct inputs as points of the plane, the examples labelled +1 and -1 at each), or
    why an enumeration of ``kind`` does not apply, in words."""
    if Xu.shape[1] > 2 or Yu.shape[1] != 1:
        return f"{kind} bound two classes with inputs in at most two dimensions"
    P, where = plane_points(Xu)
    if len(P) > MAX_POINTS:
        return f"{kind} are enumerated on at most {MAX_POINTS} distinct inputs, not {len(P)}"
    counts = np.asarray(counts, dtype=np.int64)
    pos = np.bincount(where, weights=counts * (Yu[:, 0] > 0), minlength=len(P)).astype(np.int64)
    neg = np.bincount(where, weights=counts * (Yu[:, 0] < 0), minlength=len(P)).astype(np.int64)
    return P, pos, neg


def plane_points(Xu: np.ndarray):
    """The distinct inputs as points of the plane (one dimension: the line y = 0), and which
    point each merged example is."""
    X = np.zeros((len(Xu), 2))
    X[:, :Xu.shape[1]] = Xu
    P, where = np.unique(X, axis=0, return_inverse=True)
    return P, where.reshape(-1)


def fewest_wedge(P, pos, neg, errors: int):
    """Steps 2-5 on distinct points ``P`` (every one with an example): (the fewest errors of a
    wedge, or a count at least ``errors`` when none makes fewer; the label inside), or why the
    enumeration cannot be done, in words."""
    if int(pos.sum() + neg.sum()) >= 2**24:
        return "more than 2^24 examples: the pair scores would not be exact in float32"
    for label, y, other in ((1, pos, neg), (-1, neg, pos)):
        listed = _listed(P, y, other, errors)
        if isinstance(listed, str):
            return listed
        kept = _undominated(listed, y > 0, other > 0)
        got = _fewest_pair(kept, y, other)
        if got < errors:
            return got, label
    return errors, 0


def _listed(P, y, other, errors, compact=COMPACT_CELLS):
    """Step 2-4: the distinct dichotomies (bool rows) leaving fewer than ``errors`` of y out."""
    n = len(P)
    fy = y.astype(np.float32)  # the callers refuse 2^24 examples or more: sums exact
    # a point a line runs through goes inside only with an example of y, outside only with another
    can_in, can_out = y > 0, other > 0
    found = [np.ones((1, n), dtype=bool), np.zeros((1, n), dtype=bool)]
    for i in range(n - 1):
        J = np.arange(i + 1, n)
        S = _signs(P, i, J)
        on = S == 0
        count = on.sum(axis=1)
        first = np.cumsum(on, axis=1)[np.arange(len(J)), J] == 2  # no other point on it before J[a]
        two = np.flatnonzero(count == 2)
        for s in (1, -1):
            inside, outside = s * S > 0, s * S < 0
            lost = outside.astype(np.float32) @ fy
            for x in (True, False):  # i inside or not
                if not (can_in[i] if x else can_out[i]):
                    continue
                for z in (True, False):  # J[a] inside or not
                    if x == z:  # step 4: both inside or both outside is never undominated alone
                        continue
                    ok = two[can_in[J[two]]] if z else two[can_out[J[two]]]
                    ok = ok[lost[ok] + (0 if x else fy[i]) + np.where(z, 0, fy[J[ok]]) < errors]
                    rows = inside[ok]
                    rows[:, i], rows[np.arange(len(ok)), J[ok]] = x, z
                    found.append(rows)
            for a in np.flatnonzero((count > 2) & first & (lost < errors)):
                C = np.flatnonzero(on[a])
                line = C[np.lexsort((P[C, 1], P[C, 0]))]
                for cut in range(len(line) + 1):
                    for head in (True, False):
                        row = inside[a].copy()
                        row[line[:cut]], row[line[cut:]] = head, not head
                        if fy[~row].sum() < errors:
                            found.append(row[None])
        if sum(len(f) for f in found[1:]) * n > compact:  # keep the undominated ones so far
            found = [_undominated(_distinct(found, n), can_in, can_out)]
            if len(found[0]) * n > MAX_CELLS:
                return f"more than {MAX_CELLS // n:,} undominated dichotomies to pair: beyond what ftprop proves"
    return _distinct(found, n)


def _distinct(rows, n):
    """The distinct bool rows (compared packed, eight points a byte)."""
    packed = np.unique(np.packbits(np.concatenate(rows), axis=1), axis=0)
    return np.unpackbits(packed, axis=1, count=n).astype(bool)


def _undominated(rows, ymask, omask):
    """Step 4: the rows no earlier row dominates (or equals on every point with examples), in
    order of decreasing y-points held and increasing other-points held, so that a dominating row
    comes earlier; 1024 rows at a time against those kept and against each other. K dominates r
    when r . K over the y-points is r's count of them and over the other points K's count of
    those: neither dot can exceed its count, so one product with weights ymask + omask (a point
    of both labels weighs 2) equals the sum of the two counts exactly when both hold. A kept row
    with more other-points than r cannot dominate it, so the kept rows are held in increasing
    order of that count and each part of a block is compared with the prefix its largest count
    allows (a row some row dominates is dominated by a kept one: dominance is transitive)."""
    y, o = ymask.astype(np.float32), omask.astype(np.float32)
    all_rows = rows.astype(np.float32)
    hy, ho = all_rows @ y, all_rows @ o
    order = np.lexsort((ho, -hy))
    keep = []
    K, Ko = np.zeros((0, rows.shape[1]), np.float32), np.zeros(0, np.float32)  # kept, by increasing ho
    for start in range(0, len(order), 1024):
        idx = order[start:start + 1024]
        F = rows[idx].astype(np.float32)
        W, need, Fo = F * (y + o), hy[idx], ho[idx]
        beaten = np.zeros(len(idx), dtype=bool)
        for part in np.array_split(np.argsort(Fo, kind="stable"), max(1, len(idx) // 256)):
            m = int(np.searchsorted(Ko, Fo[part].max(), side="right"))
            if m:
                beaten[part] = (W[part] @ K[:m].T == need[part, None] + Ko[None, :m]).any(axis=1)
        inner = W @ F.T == need[:, None] + Fo[None, :]
        beaten |= (inner & (np.arange(len(idx))[None, :] < np.arange(len(idx))[:, None])).any(axis=1)
        new = np.flatnonzero(~beaten)
        keep.append(idx[new])
        new = new[np.argsort(Fo[new], kind="stable")]
        at = np.searchsorted(Ko, Fo[new], side="right")
        K, Ko = np.insert(K, at, F[new], axis=0), np.insert(Ko, at, Fo[new])
    return rows[np.concatenate(keep)] if keep else rows[:0]


def _fewest_pair(rows, y, other) -> int:
    """Step 5: the fewest errors over every pair of rows (a row with itself: one half-plane).
    errors(A, B) = |y| - (y - other) . (A n B) is symmetric in A and B, so each block of rows is
    scored against the rows from its first on only."""
    F = rows.astype(np.float32)
    V = F * (y - other).astype(np.float32)
    best = int(y.sum() + other.sum())
    for s in range(0, len(rows), 1024):
        G = float(y.sum()) - V[s:s + 1024] @ F[s:].T
        best = min(best, int(round(float(G.min()))))
    return best
