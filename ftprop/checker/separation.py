"""The bound of a proof file of kind ``separation``: a first hidden layer too narrow for the pairs
of examples it must separate.

The file claims: no network without a shortcut whose first hidden layer has fewer than ``width``
sign units fits the data, whatever its depth and real weights. It holds ``pairs`` of merged rows
and integer ``weights``. The checker:

1. Without a shortcut everything after the first hidden layer is a function of its code, so two
   examples with different label rows (checked for every pair) get different codes: some unit
   of the first layer puts them on opposite sides of its line.
2. A unit sign(w . x + b) splits the inputs by a closed half-plane; with its bias moved by a
   little it is the split of a line off every input, and every such split of finitely many
   points is made by a line through two of them moved off them, the points on it split into a
   prefix and a suffix along it (the argument of :mod:`ftprop.checker.lines`). Only the points of
   pairs with weight matter, so it enumerates the lines through two of those.
3. M is the most weight one such split separates, computed here: orientations exact
   (:func:`ftprop.checker.lines._signs`), integer weights summed in floats below 2^53. H units
   separate at most H * M, each pair must be separated once, so H >= sum / M: the file is valid
   when ceil(sum / M) >= width and width exceeds the first hidden layer's width.
"""

from __future__ import annotations

import numpy as np

from ftprop.checker.cnf import Invalid, integer
from ftprop.checker.lines import _signs
from ftprop.checker.wedges import plane_points

# The engine writes the bound on at most 2000 distinct inputs, with the Delaunay edges (fewer
# than three per point) as pairs; the caps keep a hostile file's enumeration to minutes.
MAX_POINTS = 2000
MAX_PAIRS = 3 * MAX_POINTS
MAX_WEIGHT = 2**24  # per pair; with at most MAX_PAIRS pairs every sum stays below 2^53
CHECKED = ("the data's fingerprint, that every pair's labels differ, and the most weight one line separates (every line "
           "through two of the pairs' points enumerated, orientations exact)")


def check(body, Xu, Yu, hidden, shortcut, net) -> tuple[str, dict]:
    if shortcut or not hidden:
        raise Invalid("a separation bound is about the first hidden layer of a network without a shortcut")
    if Xu.shape[1] > 2:
        raise Invalid("separation bounds are enumerated for inputs in at most two dimensions")
    width = integer(body.get("width"), "width", 2, 10**9)
    if hidden[0] >= width:
        raise Invalid(f"a bound of {width} units does not refute a first hidden layer of {hidden[0]}")
    pairs, weights = body.get("pairs"), body.get("weights")
    if not isinstance(pairs, list) or not isinstance(weights, list) or len(pairs) != len(weights) \
            or not 0 < len(pairs) <= MAX_PAIRS:
        raise Invalid(f"pairs and weights must be two lists of one length, 1 to {MAX_PAIRS:,}")
    m = len(Xu)
    A, B = np.zeros(len(pairs), np.int64), np.zeros(len(pairs), np.int64)
    for k, pair in enumerate(pairs):
        if not isinstance(pair, list) or len(pair) != 2:
            raise Invalid(f"pair {k} is not two merged rows")
        A[k], B[k] = (integer(v, "merged row", 0, m - 1) for v in pair)
        if np.array_equal(Yu[A[k]], Yu[B[k]]):
            raise Invalid(f"pair {k}: merged rows {A[k]} and {B[k]} have the same labels")
    w = np.array([integer(v, "weight", 0, MAX_WEIGHT) for v in weights], dtype=np.int64)
    total = int(w.sum())
    P, where = plane_points(Xu)
    load = most_separated(P, where[A], where[B], w)
    if load == 0 and total > 0:  # no line separates a pair: no first layer of any width does
        return f"no {net} network fits the data: no line separates the pairs in the file", {"trusted": ["separation"],
                                                                                           "checked": CHECKED}
    if load == 0 or -(-total // load) < width:
        raise Invalid(f"the pairs' weights sum to {total} and a line separates up to {load} of it: "
                      f"a first layer needs only {-(-total // load) if load else 0} units, not {width}")
    return (f"no {net} network with real weights fits the data: its first hidden layer needs at least {width} "
            f"units to separate the {len(pairs)} pairs of examples with different labels in the file"), {
                "trusted": ["separation"], "checked": CHECKED, "pairs": len(pairs), "load": load, "weight": total}


def most_separated(P, A, B, w) -> int:
    """The most weight of pairs (P[A[e]], P[B[e]]) one split of step 2 separates."""
    keep = w > 0
    points, ends = np.unique(np.concatenate([A[keep], B[keep]]), return_inverse=True)
    if len(points) > MAX_POINTS:
        raise Invalid(f"the pairs have {len(points)} distinct points; this checker enumerates lines on at most {MAX_POINTS:,}")
    P, A, B, wf = P[points], ends[:keep.sum()], ends[keep.sum():], w[keep].astype(float)
    n, best = len(P), 0.0
    for i in range(n - 1):
        J = np.arange(i + 1, n)
        S = _signs(P, i, J)
        two = (S == 0).sum(axis=1) == 2
        rows = np.flatnonzero(two)
        for si in (1, -1):
            for sj in (1, -1):
                T = S[rows]
                T[:, i], T[np.arange(len(rows)), J[rows]] = si, sj
                if len(rows):
                    best = max(best, float(((T[:, A] != T[:, B]) @ wf).max()))
        for r in np.flatnonzero(~two):
            on = np.flatnonzero(S[r] == 0)
            if on[0] == i and on[1] == J[r]:  # each line once, from its first two points
                best = max(best, _best_split(P, S[r], on, A, B, wf))
    return int(best)


def _best_split(P, srow, on, A, B, wf) -> float:
    on = on[np.lexsort((P[on, 1], P[on, 0]))]  # along the line: exact float comparisons
    best = 0.0
    for cut in range(len(on) + 1):
        for side in (1, -1):
            T = srow.copy()
            T[on[:cut]], T[on[cut:]] = side, -side
            best = max(best, float((T[A] != T[B]) @ wf))
    return best
