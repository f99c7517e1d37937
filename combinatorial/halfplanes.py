"""The fewest errors of a half-plane between two weighted point sets in one or two dimensions,
settled by enumeration (:mod:`combinatorial.backends.lazy.oneunit` reduces one-hidden-unit min-errors to it).

Every dichotomy a line induces on finitely many points in the plane
is induced by a line through two of them, moved off them: the points strictly on each side keep
their side, and the points on the line (collinear with the two) split into a prefix and a suffix
along it, either way round (rotating about a point between them), or all go to one side. So the
fewest errors of a half-plane is the minimum, over the lines through two points and both
labellings of their sides, of the errors strictly off the line plus the best prefix split of the
points on it; and the constant classifiers. Orientations are decided exactly: Shewchuk's error
bound settles most in floats, and the rest are computed in rationals. One input dimension is the
collinear case (thresholds on a sorted line).

The caller realises the best dichotomy found by an exact LP (:func:`combinatorial.separability.check_separable`),
so the answer is a network the engine verifies, and its error count the proved optimum.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from . import deadline

# Shewchuk's orient2d bound: |float det - det| <= CCW_BOUND (|detleft| + |detright|)
_EPS = 2.0**-53
CCW_BOUND = (3.0 + 16.0 * _EPS) * _EPS
_UNDERFLOW = 2.0**-1000  # more than underflow adds to the few products and sums


def best_dichotomy(X: np.ndarray, plus: np.ndarray, minus: np.ndarray) -> tuple[int, np.ndarray]:
    """(fewest errors of a half-plane or constant classifier, a ±1 dichotomy achieving it) on
    distinct points ``X``; ``plus[k]`` / ``minus[k]``: the errors of putting point k on the +1 /
    -1 side (the counts of its examples labelled -1 / +1)."""
    X = np.asarray(X, dtype=float)
    plus, minus = np.asarray(plus, dtype=np.int64), np.asarray(minus, dtype=np.int64)
    n = len(X)
    best = (int(min(plus.sum(), minus.sum())), np.full(n, 1 if plus.sum() <= minus.sum() else -1, dtype=np.int8))
    if n < 2:
        return best
    if X.shape[1] == 1 or _collinear(X):
        order = np.lexsort(X.T[::-1])
        return min(best, _prefix_split(order, plus, minus), key=lambda c: c[0])
    # a split of the weighted points by a line is made by one through two of them (the argument
    # above, on those points alone), so the points that weigh nothing pivot no line
    weighted = np.flatnonzero((plus + minus) > 0)
    for i in weighted[:-1].tolist():
        deadline.check()
        best = min(best, _lines_through(X, plus, minus, i, weighted[weighted > i]), key=lambda c: c[0])
    return best


def _orient(X: np.ndarray, i: int, J: np.ndarray) -> np.ndarray:
    """sign of cross(X[j] - X[i], X[k] - X[i]) for j in J and every k: (len(J), n) in {-1, 0, 1},
    exact. The float determinant decides where it exceeds Shewchuk's bound taken per row over the
    largest |dx| and |dy| (at least each entry's own bound), plus 2^-1000 for underflow."""
    dx, dy = X[:, 0] - X[i, 0], X[:, 1] - X[i, 1]
    ax, ay = np.abs(dx), np.abs(dy)
    with np.errstate(over="ignore", invalid="ignore"):
        bound = (ax[J] * ay.max() + ay[J] * ax.max()) * (CCW_BOUND * (1.0 + 2.0**-20)) + _UNDERFLOW
    if not np.isfinite(bound).all():  # products that may overflow: each entry's own bound
        return _orient_entrywise(X, i, J)
    det = np.multiply.outer(dx[J], dy)
    det -= np.multiply.outer(dy[J], dx)
    sign = (det > 0).view(np.int8) - (det < 0).view(np.int8)
    np.abs(det, out=det)
    return _settled(X, i, J, sign, det <= bound[:, None])


def _orient_entrywise(X: np.ndarray, i: int, J: np.ndarray) -> np.ndarray:
    """:func:`_orient` with each entry's own bound (coordinates whose products overflow)."""
    dx, dy = X[:, 0] - X[i, 0], X[:, 1] - X[i, 1]
    with np.errstate(over="ignore", invalid="ignore"):
        left = dx[J][:, None] * dy[None, :]
        right = dy[J][:, None] * dx[None, :]
        det = left - right
        sign = (det > 0).view(np.int8) - (det < 0).view(np.int8)  # NaN: 0, and unsure below
        unsure = ~(np.abs(det) > CCW_BOUND * (np.abs(left) + np.abs(right)) + _UNDERFLOW)  # NaN, inf: unsure
    return _settled(X, i, J, sign, unsure)


def _settled(X, i, J, sign, unsure) -> np.ndarray:
    """``sign`` with the two points of each line on it and the ``unsure`` entries in rationals."""
    rows = np.arange(len(J))
    sign[rows, J], sign[:, i] = 0, 0  # the two points that define each line lie on it
    unsure[rows, J], unsure[:, i] = False, False
    if unsure.any():
        pi = [Fraction(v) for v in X[i]]
        for a, k in zip(*np.nonzero(unsure)):
            pj, pk = X[J[a]], X[k]
            exact = (Fraction(pj[0]) - pi[0]) * (Fraction(pk[1]) - pi[1]) - (Fraction(pj[1]) - pi[1]) * (Fraction(pk[0]) - pi[0])
            sign[a, k] = (exact > 0) - (exact < 0)
    return sign


def _collinear(X: np.ndarray) -> bool:
    other = np.flatnonzero(np.any(X != X[0], axis=1))
    return len(other) == 0 or not _orient(X, 0, other[:1]).any()


def _lines_through(X, plus, minus, i, J) -> tuple[int, np.ndarray]:
    """The best dichotomy of the lines through point i and one of ``J``."""
    S = _orient(X, i, J)  # (len(J), n): side of every point of the line through i and J[a]
    P, M = (S > 0).astype(float), (S < 0).astype(float)  # float sums of integer counts: exact
    left_plus = (P @ plus + M @ minus).astype(np.int64)  # left side +1, right side -1
    left_minus = (P @ minus + M @ plus).astype(np.int64)
    on = (S == 0).sum(axis=1)
    own = np.minimum(plus, minus)  # a point alone on the line takes its cheaper side
    pair = own[i] + own[J]
    best = (np.iinfo(np.int64).max, None)
    for a in np.argsort(np.minimum(left_plus, left_minus), kind="stable"):
        strict = min(left_plus[a], left_minus[a])
        if strict >= best[0]:
            break  # sorted: no later line can do better
        sides = S[a]
        if on[a] == 2:  # only i and J[a] on the line: each takes its cheaper side
            cost, split = strict + pair[a], None
        else:
            C = np.flatnonzero(sides == 0)
            cost_c, split = _prefix_split(C[np.lexsort(X[C].T[::-1])], plus, minus, labels_only=True)
            cost = strict + cost_c
        if cost < best[0]:
            s = 1 if left_plus[a] <= left_minus[a] else -1
            D = np.where(sides > 0, s, -s).astype(np.int8)
            if split is None:
                for k in (i, J[a]):
                    D[k] = 1 if plus[k] <= minus[k] else -1
            else:
                D[split[0]] = split[1]
            best = (int(cost), D)
    return best


def _prefix_split(order, plus, minus, labels_only: bool = False):
    """The best split of points in ``order`` (along a line) into a prefix and a suffix with
    opposite labels, either way round (a constant split included): (cost, dichotomy)."""
    bad_plus, bad_minus = plus[order], minus[order]
    zero = np.zeros(1, dtype=np.int64)
    pre_plus, pre_minus = np.concatenate([zero, np.cumsum(bad_plus)]), np.concatenate([zero, np.cumsum(bad_minus)])
    a = pre_plus + (pre_minus[-1] - pre_minus)  # prefix +1, suffix -1
    b = pre_minus + (pre_plus[-1] - pre_plus)  # prefix -1, suffix +1
    s_a, s_b = int(np.argmin(a)), int(np.argmin(b))
    if a[s_a] <= b[s_b]:
        cost, labels = int(a[s_a]), np.where(np.arange(len(order)) < s_a, 1, -1)
    else:
        cost, labels = int(b[s_b]), np.where(np.arange(len(order)) < s_b, -1, 1)
    if labels_only:
        return cost, (order, labels.astype(np.int8))
    D = np.zeros(len(plus), dtype=np.int8)
    D[order] = labels
    return cost, D
