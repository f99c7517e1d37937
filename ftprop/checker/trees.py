"""The bound of a two-hidden-unit min-errors optimum on three classes in the plane, by enumeration.

A proof file of kind ``trees`` claims: the network in it (inputs in one or two dimensions, one
hidden layer of two sign units, three one-vs-rest outputs) makes e training errors, and no such
network makes fewer. The checker counts the network's errors exactly and then, on its own:

1. Each output is a threshold function of the two hidden bits (not XOR, not XNOR), and an example
   is right when the output row is its class's. So each cell of (h1, h2) gets a class or a row of
   none, no class holding exactly two opposite cells; every such labelling gets no more examples
   right than a constant class, a tree or a wedge (the 8^4 row assignments, checked by brute
   force in the engine's tests):
   - a tree: class C off a half-plane H, and on H a line with class A on one side, B on the
     other (H or the line may be the plane);
   - a wedge: one class inside two half-planes, another outside, the third wrong.
2. Every half-plane dichotomy is made by a line through two points moved off them (the argument
   of :mod:`ftprop.checker.lines`). A tree's errors are at least its share of H: C's examples in
   H, A's and B's outside it. So a tree below e has an H whose A / B examples outside are fewer
   than e, and those H are all listed (:func:`ftprop.checker.wedges._listed`). Dominance as for
   wedges: an H' that holds every point with A / B examples H holds, and no point with C examples
   H lacks, makes a tree no worse (a point moved into H' was wrong outside and is wrong at most as
   often inside), so a point on the line with A / B examples only goes in H, one with C only
   outside, and the list may be cut to its undominated rows.
3. For each distinct set S of A / B points in a listed H with share below e, the fewest errors of
   a line between A and B on S (:func:`ftprop.checker.lines._fewest` on those points); a set is
   skipped when a set S' checked before bounds it: a line's errors on S are at least its errors
   on S' minus the A / B examples at the points of S' not in S.
4. Wedges: :func:`ftprop.checker.wedges.fewest_wedge` on the points of the two classes, against
   e minus the third class's examples.

Orientations are exact (:func:`ftprop.checker.lines._signs`).
"""

from __future__ import annotations

import itertools

import numpy as np

from ftprop.checker.lines import _fewest
from ftprop.checker.wedges import MAX_POINTS, _listed, fewest_wedge, plane_points


def fewer_errors(Xu: np.ndarray, Yu: np.ndarray, counts, errors: int) -> str:
    """"" when no two-hidden-unit network makes fewer than ``errors`` training errors on the
    merged three-class data; else why not, in words."""
    if Xu.shape[1] > 2 or Yu.shape[1] != 3 or not np.all((Yu > 0).sum(axis=1) == 1):
        return "trees bound three one-vs-rest classes with inputs in at most two dimensions"
    P, where = plane_points(Xu)
    if len(P) > MAX_POINTS:
        return f"trees are enumerated on at most {MAX_POINTS} distinct inputs, not {len(P)}"
    cnt = np.zeros((len(P), 3), dtype=np.int64)
    np.add.at(cnt, (where, np.argmax(Yu, axis=1)), np.asarray(counts, dtype=np.int64))
    total = int(cnt.sum())
    if total - int(cnt.sum(axis=0).max()) < errors:
        return f"a constant output makes {total - int(cnt.sum(axis=0).max())} training errors, fewer than the {errors} claimed"
    for C in range(3):
        A, B = (c for c in range(3) if c != C)
        why = _trees(P, cnt, C, A, B, errors)
        if why:
            return why
    for a, b in itertools.combinations(range(3), 2):
        rest = total - int(cnt[:, [a, b]].sum())
        if rest >= errors:
            continue
        mine = cnt[:, a] + cnt[:, b] > 0
        got = fewest_wedge(P[mine], cnt[mine, a], cnt[mine, b], errors - rest)
        if isinstance(got, str):
            return got
        if got[0] < errors - rest:
            inside = a if got[1] == 1 else b
            return (f"a wedge with class {inside} inside two half-planes makes {rest + got[0]} training errors, "
                    f"fewer than the {errors} claimed")
    return ""


def _trees(P, cnt, C, A, B, errors) -> str:
    """Steps 2-3 for class C off the first half-plane."""
    ab, c = cnt[:, A] + cnt[:, B], cnt[:, C]
    H = _listed(P, ab, c, errors)
    if isinstance(H, str):
        return H
    share = H.astype(np.int64) @ c + (~H).astype(np.int64) @ ab
    H = H[share < errors]
    share = share[share < errors]
    order = np.argsort(share, kind="stable")
    S, share = (H & (ab > 0))[order], share[order]
    _, first = np.unique(np.packbits(S, axis=1), axis=0, return_index=True)
    first = np.sort(first)  # each set once, at its smallest share
    S, share = S[first], share[first]
    seen, fewest = np.zeros((0, len(P)), dtype=bool), np.zeros(0, dtype=np.int64)
    for r in range(len(S)):
        if len(seen) and share[r] + max(0, int((fewest - (seen & ~S[r]).astype(np.int64) @ ab).max())) >= errors:
            continue
        idx = np.flatnonzero(S[r])
        got = _fewest(P[idx], cnt[idx, A], cnt[idx, B], int(errors - share[r]))
        if share[r] + got < errors:
            return (f"a tree with class {C} off a half-plane and a line between classes {A} and {B} on it "
                    f"makes {share[r] + got} training errors, fewer than the {errors} claimed")
        seen, fewest = np.vstack([seen, S[r]]), np.append(fewest, got)
    return ""
