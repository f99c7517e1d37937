"""The bound of a one-hidden-unit min-errors optimum, counted by label rows and enumerated lines.

A proof file of kind ``lines`` claims: the network in it makes e training errors, and no network
with one hidden sign unit makes fewer (inputs in at most two dimensions, or in any number when
every pair of label rows leaves e errors to the other rows). The checker counts the
network's errors exactly and then enumerates, on its own, every dichotomy that could beat e:

1. With one hidden unit h = sign(w . x + b), output unit j is sign(a_j h + c_j): h, -h or a
   constant. So the network sends the examples with h = +1 to one label row r+ and the others
   to one row r-. With r+ = r-, it makes total - count(r) errors; otherwise the examples of every
   third row are wrong, and the rest is a dichotomy of the points of rows r+ and r- by a line.
2. Every dichotomy of finitely many points by a (closed or open) half-plane, both sides
   non-empty, is also made by a line through two of the points moved off them: shift the
   boundary off the points, translate it until it meets a point p of the +1 side, rotate it
   about p until it meets a second point. The points strictly on either side kept theirs; on
   the line, the points met on one ray from p are of one side and those on the other ray of the
   other, so the points on the line split into a prefix and a suffix along it.
3. A pair of rows whose other rows alone make e errors needs nothing more (in any dimension).
   Otherwise, in at most two, the fewest errors of the pair is at least the minimum, over the
   lines through two distinct points, over both ways round and over every prefix / suffix split
   of the points on the line, of the errors they make. Checked against e minus the other rows'
   errors.

Orientations are exact: a float determinant decides when it exceeds Shewchuk's orient2d error
bound (which covers the rounded differences too), the rest are computed in rationals. One input
dimension is the line y = 0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

_EPS = 2.0**-53
_BOUND = (3.0 + 16.0 * _EPS) * _EPS  # |float det - det| <= _BOUND (|left| + |right|) (Shewchuk)
_TINY = 2.0**-1000  # more than any error underflow adds to the few products and sums


def fewer_errors(Xu: np.ndarray, Yu: np.ndarray, counts, errors: int) -> str:
    """"" when no one-hidden-unit network makes fewer than ``errors`` training errors on the
    merged data (``counts``: how many examples each row stands for); else why not, in words. In
    more than two dimensions only pairs of rows whose other rows alone make ``errors`` pass."""
    m, d = Xu.shape
    X = np.zeros((m, max(d, 2)))
    X[:, :d] = Xu
    counts = np.asarray(counts, dtype=np.int64)
    rows, label = np.unique(Yu, axis=0, return_inverse=True)
    label = label.reshape(-1)
    per_row = np.bincount(label, weights=counts, minlength=len(rows)).astype(np.int64)
    total = int(counts.sum())
    if total - int(per_row.max()) < errors:
        return f"a constant output makes {total - int(per_row.max())} training errors, fewer than the {errors} claimed"
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            others = total - int(per_row[a] + per_row[b])
            if others >= errors:
                continue
            if d > 2:
                return (f"label rows {rows[a].tolist()} and {rows[b].tolist()} leave {others} errors to the others, "
                        f"fewer than the {errors} claimed, and lines are enumerated in two dimensions only")
            mine = (label == a) | (label == b)
            points, where = np.unique(X[mine], axis=0, return_inverse=True)
            where, w = where.reshape(-1), counts[mine]
            plus = np.bincount(where, weights=w * (label[mine] == b), minlength=len(points)).astype(np.int64)
            minus = np.bincount(where, weights=w * (label[mine] == a), minlength=len(points)).astype(np.int64)
            got = _fewest(points, plus, minus, errors - others)
            if got < errors - others:
                return (f"a line between label rows {rows[a].tolist()} and {rows[b].tolist()} makes "
                        f"{others + got} training errors, fewer than the {errors} claimed")
    return ""


def _fewest(P, plus, minus, beat: int) -> int:
    """The fewest errors over the dichotomies of step 3 (``plus[k]`` / ``minus[k]``: the errors
    of point k on the +1 / -1 side), or the first count found below ``beat``."""
    n = len(P)
    best = min(int(plus.sum()), int(minus.sum()))
    own = np.minimum(plus, minus)
    # float sums of integers below 2^24 (float32) or 2^53: exact
    W = np.stack([plus, minus], axis=1).astype(np.float32 if plus.sum() + minus.sum() < 2**24 else float)
    for i in range(n - 1):
        if best < beat:
            break
        J = np.arange(i + 1, n)
        S = _signs(P, i, J)
        left, right = (S > 0).astype(W.dtype) @ W, (S < 0).astype(W.dtype) @ W  # (+, -) costs of each side
        strict = np.minimum(left[:, 0] + right[:, 1], left[:, 1] + right[:, 0]).astype(np.int64)
        on = S == 0
        two = on.sum(axis=1) == 2  # only the line's own two points: each takes its cheaper side
        if two.any():
            best = min(best, int((strict[two] + own[i] + own[J[two]]).min()))
        more = np.flatnonzero(~two & (strict < best))  # the others cannot do better
        if len(more):  # each such line once, from its first two points (no other on it comes before J[a])
            more = more[np.cumsum(on[more], axis=1)[np.arange(len(more)), J[more]] == 2]
        for a in more:
            C = np.flatnonzero(on[a])
            order = C[np.lexsort((P[C, 1], P[C, 0]))]  # along the line: exact float comparisons
            best = min(best, int(strict[a]) + _split(plus[order], minus[order]))
    return best


def _split(plus, minus) -> int:
    """The fewest errors of a prefix on one side and the suffix on the other, either way round."""
    zero = np.zeros(1, dtype=np.int64)
    pp, pm = np.concatenate([zero, np.cumsum(plus)]), np.concatenate([zero, np.cumsum(minus)])
    return int(min((pp + (pm[-1] - pm)).min(), (pm + (pp[-1] - pp)).min()))


def _signs(P, i: int, J) -> np.ndarray:
    """sign of cross(P[j] - P[i], P[k] - P[i]) for j in J and every k, exactly: (len(J), n).

    A float determinant decides where it exceeds Shewchuk's bound on its error, taken per row
    over the largest |dx| and |dy| (|dx_j dy_k| + |dy_j dx_k| <= |dx_j| max|dy| + |dy_j| max|dx|,
    so the row's bound is at least each entry's); the rest are decided in rationals."""
    dx, dy = P[:, 0] - P[i, 0], P[:, 1] - P[i, 1]  # a float difference is 0 only for equal floats
    ax, ay = np.abs(dx), np.abs(dy)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        bound = (ax[J] * ay.max() + ay[J] * ax.max()) * (_BOUND * (1.0 + 2.0**-20)) + _TINY
        if not (np.isfinite(bound).all() and np.isfinite(ax).all() and np.isfinite(ay).all()):
            return _signs_entrywise(P, i, J)  # products that may overflow: each entry's own bound
        det = np.multiply.outer(dx[J], dy)
        det -= np.multiply.outer(dy[J], dx)
    S = np.sign(det).astype(np.int8)
    np.abs(det, out=det)
    unsure = det <= bound[:, None]
    rows = np.arange(len(J))
    unsure[rows, J], unsure[:, i] = False, False
    S[rows, J], S[:, i] = 0, 0  # the two points that define each line lie on it
    if unsure.any():
        _exact(P, i, J, S, *np.nonzero(unsure))
    return S


def _signs_entrywise(P, i: int, J) -> np.ndarray:
    """:func:`_signs` with each entry's own error bound (for coordinates whose products overflow)."""
    dx, dy = P[:, 0] - P[i, 0], P[:, 1] - P[i, 1]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        left = dx[J][:, None] * dy[None, :]
        right = dy[J][:, None] * dx[None, :]
        det = left - right
        size = np.abs(left) + np.abs(right)
        sure = np.isfinite(det) & np.isfinite(size) & (np.abs(det) > _BOUND * size + _TINY)
    S = np.where(sure, np.sign(np.where(sure, det, 0.0)), 0).astype(np.int8)
    rows = np.arange(len(J))
    S[rows, J], S[:, i] = 0, 0  # the two points that define each line lie on it
    sure[rows, J], sure[:, i] = True, True
    if not sure.all():
        _exact(P, i, J, S, *np.nonzero(~sure))
    return S


def _exact(P, i: int, J, S, a, k) -> None:
    """S[a, k] for the entries (a, k) the floats leave undecided: 0 where both products have an
    exactly zero factor, else in rationals."""
    dx, dy = P[:, 0] - P[i, 0], P[:, 1] - P[i, 1]  # a float difference is 0 only for equal floats
    j = np.asarray(J)[a]
    zero = ((dx[j] == 0) | (dy[k] == 0)) & ((dy[j] == 0) | (dx[k] == 0))
    S[a[zero], k[zero]] = 0
    pi = [Fraction(v) for v in P[i].tolist()]
    for r, c in zip(a[~zero].tolist(), k[~zero].tolist()):
        pj, pk = [Fraction(v) for v in P[J[r]].tolist()], [Fraction(v) for v in P[c].tolist()]
        exact = (pj[0] - pi[0]) * (pk[1] - pi[1]) - (pj[1] - pi[1]) * (pk[0] - pi[0])
        S[r, c] = (exact > 0) - (exact < 0)
