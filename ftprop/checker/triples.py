"""The bound of a three-hidden-unit min-errors optimum in the plane, by enumerated triples.

A proof file of kind ``triples`` claims: the network in it (inputs in one or two dimensions, one
hidden layer of three sign units, one output, two classes) makes e training errors, and no such
network makes fewer. The checker counts the network's errors exactly and then, on its own:

1. The output sign(a . h + c) of three ±1 bits is a threshold function. Every threshold function
   of three bits is, after negating some inputs, permuting them and perhaps negating the output,
   a constant, one bit, x1 x2, x1 x2 x3, x1 (x2 + x3) or maj(x1, x2, x3) (the six classes of
   linearly separable functions of three variables). Negating a hidden bit swaps a half-plane for
   its complement, another half-plane dichotomy; negating the output swaps the labels. So one
   label y gets R = A n B n C, A n (B u C) or maj(A, B, C) for half-plane dichotomies A, B, C
   (repeats allowed, which give the smaller classes), the other label the rest, and maj of the
   complements is the complement of maj. Errors: y's examples outside R plus the other's inside.
2. Every half-plane dichotomy of finitely many points is made by a line through two of them
   moved off them, the points on the line split into a prefix and a suffix along it (the
   argument of :mod:`ftprop.checker.lines`); all are listed.
3. Dominance: each R only gains points of y and loses points of the other label when one of A,
   B, C does. So a dichotomy dominated by another (:mod:`ftprop.checker.wedges`, step 4) is left
   out; for the other label the undominated dichotomies are the complements of y's.
4. Every triple of undominated dichotomies is scored, except those a necessary condition rules
   out, each by errors it cannot avoid: R lies in A, B and C for ``and`` (y's examples outside
   any one of them, or outside two's intersection, are errors); for ``and-or`` R lies in A and
   holds A n B and A n C (y's examples outside A and the other label's inside A n B are errors,
   on disjoint sets); for ``maj`` R holds the intersection of any two and lies in their union
   (the other label's examples in the one and y's outside the other are errors, on disjoint
   sets). Only triples whose unavoidable errors stay below e are scored. ``and`` and ``maj``
   are symmetric in A, B and C, so each triple is scored once, from whichever member comes
   first in an order fixed beforehand (``and``: fewest partners below e first; ``maj``: the
   list); ``and-or`` is symmetric in B and C. Scores are float sums of integers below 2^24,
   exact; none may be below e.

Orientations are exact (:func:`ftprop.checker.lines._signs`).
"""

from __future__ import annotations

import numpy as np

from ftprop.checker.wedges import _listed, _undominated, two_class_points

EVERY = 2**62  # a count no dichotomy reaches: every one listed
COMPACT = 40_000_000  # new entries times points listed before the list is cut to its undominated rows


def fewer_errors(Xu: np.ndarray, Yu: np.ndarray, counts, errors: int) -> str:
    """"" when no three-hidden-unit network makes fewer than ``errors`` training errors on the
    merged data; else why not, in words."""
    points = two_class_points(Xu, Yu, counts, "triples")
    if isinstance(points, str):
        return points
    P, pos, neg = points
    if int(pos.sum() + neg.sum()) >= 2**24:
        return "more than 2^24 examples: the triple scores would not be exact in float32"
    listed = _listed(P, pos, neg, EVERY, compact=COMPACT)
    if isinstance(listed, str):
        return listed
    front = _undominated(listed, pos > 0, neg > 0)
    for shape, label in (("and", 1), ("and", -1), ("and-or", 1), ("and-or", -1), ("maj", 1)):
        y, other, rows = (pos, neg, front) if label == 1 else (neg, pos, ~front)
        got = _fewest(shape, rows.astype(np.float32), y.astype(np.float32), other.astype(np.float32), errors)
        if got < errors:
            return (f"three half-planes ({shape}, label {label} inside) make {got} training errors, fewer than "
                    f"the {errors} claimed")
    return ""


def _fewest(shape, F, y, other, errors) -> int:
    """Step 4 for one shape: the fewest errors of the triples not ruled out, or ``errors`` when
    every one makes at least that many."""
    total, v = float(y.sum()), y - other
    out = (1 - F) @ y  # y's examples each row leaves out
    firsts = np.flatnonzero(out < errors) if shape != "maj" else np.arange(len(F))
    if shape == "and":  # a triple is scored from its earliest row: the one with fewest partners first
        Ff = F[firsts]
        K = Ff * y
        partners = np.concatenate([((total - K[t:t + 256] @ Ff.T) < errors).sum(axis=1)
                                   for t in range(0, len(firsts), 256)] or [np.zeros(0, int)])
        firsts = firsts[np.argsort(partners, kind="stable")]
    best = errors
    for s in range(0, len(firsts), 256):
        block = firsts[s:s + 256]
        # the other label inside a n b: for every b (and-or), from the block's first on (maj,
        # which pairs a with later rows only)
        inter_in = (F[block] * other) @ F[0 if shape == "and-or" else block[0]:].T if shape != "and" else None
        # y outside a n b, for b among the firsts from the block's first on (and)
        inter_out = total - (F[block] * y) @ F[firsts[s:]].T if shape == "and" else None
        # y outside a u b, for b from the block's first on
        union_out = ((1 - F[block]) * y) @ (1 - F[block[0]:]).T if shape == "maj" else None
        for r, i in enumerate(block):
            a = F[i]
            if shape == "and":  # R lies in a: only a's points count
                later = firsts[s + r:]
                J, pts = later[inter_out[r, r:] < errors], a > 0
                B = F[J][:, pts]
                base, Q = np.zeros(len(J), np.float32), B * v[pts]
            elif shape == "and-or":
                J, pts = np.flatnonzero(out[i] + inter_in[r] < errors), a > 0
                B = F[J][:, pts]
                base, Q = B @ v[pts], (1 - B) * v[pts]
            else:
                J = block[0] + np.flatnonzero(inter_in[r] + union_out[r] < errors)
                J = J[J >= i]
                B = F[J]
                base, Q = (B * a) @ v, (B + a - 2 * B * a) * v
            best = min(best, _pairs(B, base, Q, total))
    return best


def _pairs(B, base, Q, total) -> int:
    """The fewest of total - base[j] - Q[j] . B[k] over the rows j, k of ``B`` (symmetric in j
    and k: each 256 rows against the rows from their first on); an empty B scores nothing."""
    best = 2**62
    for t in range(0, len(B), 256):
        scores = total - base[t:t + 256, None] - Q[t:t + 256] @ B[t:].T
        best = min(best, int(round(float(scores.min()))))
    return best
