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
4. A min-errors optimum (``errors`` e, the network in ``layers``, no ``width``): the checker
   counts the network's errors in rationals and requires e. A network of the file's
   architecture that errs on the merged rows E (each with all its copies: they share input and
   label) still separates every pair outside E, so the pairs touching E weigh at least sum - H
   * M for H the first layer's width; they weigh at most the weights at the rows of E summed.
   That is a cut every error set meets; ``more`` holds further cuts (pairs and weights, each
   with its own M). The file is valid when no set of at most e - 1 errors meets every cut: the
   checker enumerates them (:class:`ErrorSets`, exact integers; a branch ends where the fractional
   knapsack of the rows' weights per error, in rationals, cannot reach a cut).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ftprop.checker.cnf import Invalid, integer
from ftprop.checker.lines import _signs
from ftprop.checker.wedges import plane_points

# The engine writes the bound on at most 2000 distinct inputs, with the Delaunay edges (fewer
# than three per point) as pairs; the caps keep a hostile file's enumeration to minutes.
MAX_POINTS = 2000
MAX_PAIRS = 3 * MAX_POINTS
MAX_WEIGHT = 2**24  # per pair; with at most MAX_PAIRS pairs every sum stays below 2^53
MAX_CUTS = 64  # further cuts of a min-errors bound (each a line enumeration)
CHECKED = ("the data's fingerprint, that every pair's labels differ, and the most weight one line separates (every line "
           "through two of the pairs' points enumerated, orientations exact)")


def check(body, Xu, Yu, hidden, shortcut, net) -> tuple[str, dict]:
    _applies(Xu, hidden, shortcut)
    width = integer(body.get("width"), "width", 2, 10**9)
    if hidden[0] >= width:
        raise Invalid(f"a bound of {width} units does not refute a first hidden layer of {hidden[0]}")
    A, B, w = _weighted_pairs(body, Yu)
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
            f"units to separate the {len(A)} pairs of examples with different labels in the file"), {
                "trusted": ["separation"], "checked": CHECKED, "pairs": len(A), "load": load, "weight": total}


def check_errors(body, Xu, Yu, hidden, shortcut, counts, net, forward) -> tuple[str, dict]:
    """A min-errors optimum: the network makes ``errors`` (``forward``: the exact forward pass),
    and every network with the architecture's first-layer width makes as many (the argument of
    steps 1-3 and 4 of the module's text)."""
    _applies(Xu, hidden, shortcut)
    counts = [int(c) for c in counts]
    errors = integer(body.get("errors"), "errors", 1, sum(counts))
    got = forward(body.get("layers"), Xu, Yu, hidden, shortcut, counts=counts)
    if got != errors:
        raise Invalid(f"the network in the file makes {got} training errors, not the {errors} it claims")
    P, where = plane_points(Xu)
    cuts, loads, work = [], [], 0
    for k, part in enumerate([body] + _more(body)):
        A, B, w = _weighted_pairs(part, Yu, f"cut {k}: " if k else "")
        work += len(np.unique(np.concatenate([where[A][w > 0], where[B][w > 0]]))) ** 2
        if work > MAX_POINTS**2:  # the lines of all cuts together: as many as one cut on MAX_POINTS points
            raise Invalid(f"the cuts have too many points together; this checker enumerates lines on at most "
                          f"{MAX_POINTS:,}^2 pairs of points in all")
        loads.append(most_separated(P, where[A], where[B], w))
        cuts.append((A, B, w, int(w.sum()) - hidden[0] * loads[-1]))
    sets = ErrorSets(cuts, counts, errors - 1)
    found = sets.first()
    if found is not None:
        raise Invalid(f"{hidden[0]} units leave pairs enough for errors at merged rows {found} alone, in every cut: "
                      f"fewer than {errors} errors are not ruled out")
    return (f"the {net} network in the file makes {errors} training errors, and no {net} network with real weights "
            f"makes fewer: its first hidden layer must separate the pairs of examples in the file that it gets "
            f"right"), {"trusted": ["separation", "pair-errors"], "checked": CHECKED + ", the network's errors "
                        "(forward pass in rationals) and every set of fewer errors against the cuts",
                        "pairs": len(cuts[0][0]), "load": loads[0], "weight": int(cuts[0][2].sum()),
                        "cuts": len(cuts), "error_sets_visited": sets.visited}


def _applies(Xu, hidden, shortcut) -> None:
    if shortcut or not hidden:
        raise Invalid("a separation bound is about the first hidden layer of a network without a shortcut")
    if Xu.shape[1] > 2:
        raise Invalid("separation bounds are enumerated for inputs in at most two dimensions")


class ErrorSets:
    """Every set of merged rows with at most ``budget`` errors (rows counted ``counts`` times)
    that meets each cut (A, B, w, need): the pairs (A[e], B[e]) touching it weigh at least need.
    Depth first: at a set that misses a cut, a set above it must add a row that touches one of
    that cut's untouched pairs, so each such row is a branch, the rows of the branches before it
    barred; a branch ends where the rows left, whole ones by their weight per error and the last
    in part (a fractional knapsack of what is left of the budget), cannot reach a missed cut's
    need. At most :data:`MAX_WORK` sets times cuts are visited (minutes)."""

    def __init__(self, cuts, counts, budget: int):
        self.cuts, self.counts, self.budget, self.visited = cuts, np.asarray(counts, dtype=np.int64), budget, 0

    def first(self) -> list[int] | None:
        """A set that meets every cut (its rows), or None: there is none."""
        m = len(self.counts)
        touched = [np.zeros(len(A), dtype=bool) for A, _, _, _ in self.cuts]
        return self._visit([], 0, np.zeros(m, dtype=bool), touched)

    def _visit(self, rows, cost, barred, touched):
        self.visited += 1
        if self.visited * len(self.cuts) > MAX_WORK:
            raise Invalid(f"more than {MAX_WORK // len(self.cuts):,} error sets to enumerate against {len(self.cuts)} "
                          "cuts; this checker does not go further")
        left, branch = self.budget - cost, None
        for (A, B, w, need), t in zip(self.cuts, touched):
            got = int(w[t].sum())
            if got >= need:
                continue
            gain = np.bincount(A[~t], w[~t], len(barred)) + np.bincount(B[~t], w[~t], len(barred))
            gain[barred] = 0
            open_ = np.flatnonzero((gain > 0) & (self.counts <= left))
            if left <= 0 or got + _knapsack(gain[open_], self.counts[open_], left) < need:
                return None
            if branch is None or len(open_) < len(branch[0]):
                branch = (open_[np.argsort(-gain[open_], kind="stable")], A, B)
        if branch is None:
            return sorted(rows)
        barred = barred.copy()
        for v in branch[0].tolist():
            now = [t | (A == v) | (B == v) for (A, B, _, _), t in zip(self.cuts, touched)]
            found = self._visit(rows + [v], cost + int(self.counts[v]), barred, now)
            if found is not None:
                return found
            barred[v] = True
        return None


MAX_WORK = 4_000_000


def _knapsack(gain: np.ndarray, counts: np.ndarray, left: int) -> Fraction:
    """The most ``gain`` rows within ``left`` errors can bring, relaxed: whole rows by their gain
    per error, the last one in part."""
    if (counts == 1).all():
        return Fraction(int(np.sort(gain)[::-1][:left].sum()))
    room, got = Fraction(left), Fraction(0)
    for k in sorted(range(len(gain)), key=lambda k: Fraction(int(gain[k]), int(counts[k])), reverse=True):
        if room <= 0:
            break
        take = min(room, Fraction(int(counts[k])))
        got += take * Fraction(int(gain[k]), int(counts[k]))
        room -= take
    return got


def _more(body) -> list:
    more = body.get("more", [])
    if not isinstance(more, list) or len(more) > MAX_CUTS or not all(isinstance(c, dict) for c in more):
        raise Invalid(f"more must be a list of at most {MAX_CUTS} cuts, each with pairs and weights")
    return more


def _weighted_pairs(body, Yu, where: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The file's pairs of merged rows (labels checked to differ) and their integer weights."""
    pairs, weights = body.get("pairs"), body.get("weights")
    if not isinstance(pairs, list) or not isinstance(weights, list) or len(pairs) != len(weights) \
            or not 0 < len(pairs) <= MAX_PAIRS:
        raise Invalid(f"{where}pairs and weights must be two lists of one length, 1 to {MAX_PAIRS:,}")
    m = len(Yu)
    A, B = np.zeros(len(pairs), np.int64), np.zeros(len(pairs), np.int64)
    for k, pair in enumerate(pairs):
        if not isinstance(pair, list) or len(pair) != 2:
            raise Invalid(f"{where}pair {k} is not two merged rows")
        A[k], B[k] = (integer(v, "merged row", 0, m - 1) for v in pair)
        if np.array_equal(Yu[A[k]], Yu[B[k]]):
            raise Invalid(f"{where}pair {k}: merged rows {A[k]} and {B[k]} have the same labels")
    return A, B, np.array([integer(v, "weight", 0, MAX_WEIGHT) for v in weights], dtype=np.int64)


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
