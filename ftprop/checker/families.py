"""The checker's own statement of the valid constraints: which clauses each family may contain.

Written from the validity arguments (the proof module's docstring), not from the solver's model
building: nothing here imports :mod:`combinatorial`. Clauses are frozensets of (variable name,
polarity); a variable ``t[l][j][i]`` is "hidden unit j of layer l is +1 on merged example i".
The auxiliary variables have the names the proof file gives them, and are tied to their meaning
by the clauses generated here:

* distinct codes, layer l: for merged examples a < b with different label rows,
  ``diff[l][j][a,b]`` => t_a != t_b (two clauses per unit) and OR_j diff[l][j][a,b];
* monotone output (last hidden layer, one output, no shortcut, symmetry breaking on): for a
  positive a and a negative b, ``above[l][j][a,b]`` => t_a and not t_b, and OR_j above[l][j][a,b];
* unateness (layer 1): for a, b that differ only in coordinate k with x_a,k < x_b,k,
  ``s[1][j][k]`` => (t_a => t_b) and not s => (t_b => t_a);
* equal inputs (layer 1): identical inputs get identical targets;
* symmetry breaking, every hidden layer: t[l][j][0] (sign; not on a monotone last layer) and
  the columns of consecutive units lexicographically non-increasing, through the prefix-equality
  variables ``lex[l][j][i]`` (i >= 1).

Pair families are generated per pair on demand (from the auxiliary names a clause mentions), so
the check stays linear in the proof even when there are many pairs.
"""

from __future__ import annotations

import re

import numpy as np

from ftprop.checker.cnf import KEEP

DISTINCT, MONOTONE, UNATE, EQUAL, SYMMETRY = "distinct-codes", "monotone-output", "unateness", "equal-inputs", "symmetry"
CONFLICT, AT_MOST = "conflicting-inputs", "at-most-errors"
_PAIR = re.compile(r"^(diff|above)\[(\d+)\]\[(\d+)\]\[(\d+),(\d+)\]$", re.ASCII)


# What the checker takes on the written argument (the proof module's docstring, steps 1-3): each
# family is regenerated from the data and matched clause by clause, but that the family holds for
# some network equivalent to any fitting one is an argument, not something checked. No-goods are
# not here: each is checked in exact arithmetic against its Farkas certificate, and neither are
# unateness and equal inputs, which ftprop.checker.certify turns into checked Farkas no-goods.
TRUSTED = {
    DISTINCT: "examples with different labels reach the output with different codes: the rest of the "
              "network is a function of the code",
    MONOTONE: "after negating hidden units the output unit's weights are >= 0, so the output is a "
              "monotone function of the code: a positive example's code is above a negative one's in some unit",
    CONFLICT: "a network gives one input one output, so it fits at most one of two examples with one input "
              "and two labels",
    AT_MOST: "Sinz's sequential counter: every fit with at most errors - 1 errors satisfies it, with card[p][j] "
             "meaning 'at least j of the first p + 1 examples (with multiplicity) dropped'",
    "lines": "with one hidden unit the network sends each side of its hyperplane to one label row (so the other "
             "rows' examples are wrong), and every "
             "dichotomy a line induces is induced by a line through two examples moved off them (points on "
             "it split into a prefix and a suffix); orientations by Shewchuk's float bound, else in rationals",
    "wedges": "with two hidden units and one output the output is a threshold function of two bits (not XOR, "
              "not XNOR), so one label gets the examples inside two half-planes and the other the rest; every "
              "half-plane dichotomy is induced by a line through two examples moved off them, and a dichotomy "
              "that holds every point of the inside label another holds, and none of the other's it lacks, is "
              "dominated (so of a line through just two points, one inside with the inside label, one outside with "
              "the other, is enough: turning a critical support line about one point dominates otherwise); orientations by Shewchuk's float bound, else in rationals",
    "trees": "with two hidden units and three one-vs-rest outputs each output is a threshold function of two "
             "bits, so every labelling of the four cells gets no more examples right than a constant, a tree (one "
             "class off a half-plane, a line between the other two on it) or a wedge; every half-plane dichotomy "
             "is induced by a line through two examples moved off them, dominated first half-planes are left out, "
             "and a line's errors on a subset S are at least its errors on S' minus the examples of S' not in S; "
             "orientations by Shewchuk's float bound, else in rationals",
    "triples": "with three hidden units and one output the output is a threshold function of three bits, so one "
               "label gets A n B n C, A n (B u C) or maj(A, B, C) of half-plane dichotomies and the other the rest; "
               "every half-plane dichotomy is induced by a line through two examples moved off them, a dominated "
               "dichotomy is left out, and a triple is skipped when a part of R's bound already reaches the claim; "
               "orientations by Shewchuk's float bound, else in rationals",
    "separation": "without a shortcut the rest of the network is a function of the first layer's code, so "
                  "examples with different labels need different codes; H units separate at most H times the most "
                  "weight one line separates, and every split of the inputs a unit makes is made by a line through "
                  "two of them moved off them (points on it split into a prefix and a suffix); orientations by "
                  "Shewchuk's float bound, else in rationals",
    "pair-errors": "a network that errs on some examples still gives different codes to every pair of the others "
                   "with different labels, so the pairs at its errors weigh at least what its first layer cannot "
                   "separate, in every cut; the sets of fewer errors are enumerated, a row added for each untouched "
                   "pair of a cut they miss, and a branch ends where the rows' pair weights per error, summed best "
                   "first, cannot reach that cut",
    SYMMETRY: "negating a hidden unit (with its outgoing weights) or permuting a layer's units keeps the "
              "network's function, so one representative per class is enough: signs fixed on example 0 "
              "(or by the output weights), columns in lexicographic order",
}


def t(l: int, j: int, i: int) -> str:
    return f"t[{l}][{j}][{i}]"


class Families:
    """Membership in each family of valid constraints, for one data set and architecture."""

    def __init__(self, Xu: np.ndarray, Yu: np.ndarray, hidden: list[int], shortcut: bool, symmetry: bool,
                 counts=None, errors: int | None = None):
        self.Xu, self.Yu, self.hidden, self.shortcut = Xu, Yu, list(hidden), shortcut
        # min-errors ("no network makes fewer than errors"): keep[i] says merged example i is fitted
        self.keep, self.counts, self.errors = errors is not None, counts, errors
        self.m = len(Xu)
        self.monotone = bool(symmetry and Yu.shape[1] == 1 and not shortcut and hidden)
        L = len(self.hidden)
        # the layers each family may speak about
        self.layers = {
            DISTINCT: set() if shortcut else {l for l in range(1, L + 1) if not (self.monotone and l == L)},
            MONOTONE: {L} if self.monotone else set(),
            UNATE: {1} if L else set(),
            EQUAL: {1} if L else set(),
            SYMMETRY: set(range(1, L + 1)) if symmetry else set(),
        }
        self.at_most = None  # the at-most-errors clauses, built on first use
        self._static: dict[str, set] = {}

    def contains(self, tag: str, clause: frozenset) -> bool:
        if tag == CONFLICT and self.keep:
            return self._conflict(clause)
        if tag == AT_MOST and self.keep:
            if self.at_most is None:
                self.at_most = at_most_errors(self.counts, self.errors - 1)
            return clause in self.at_most
        if tag in (DISTINCT, MONOTONE):
            return any(clause in self._pair(tag, name) for name, _ in clause if _PAIR.match(name))
        if tag in (UNATE, EQUAL, SYMMETRY):
            if tag not in self._static:
                self._static[tag] = {UNATE: self._unateness, EQUAL: self._equal, SYMMETRY: self._symmetry}[tag]()
            return clause in self._static[tag]
        return False

    def _pair(self, tag: str, name: str) -> set:
        kind, l, _, a, b = _PAIR.match(name).groups()
        l, a, b = int(l), int(a), int(b)
        want = "diff" if tag == DISTINCT else "above"
        if kind != want or l not in self.layers[tag] or not (0 <= a < self.m and 0 <= b < self.m):
            return set()
        width = self.hidden[l - 1]
        out = set()
        if tag == DISTINCT:
            if not a < b or np.array_equal(self.Yu[a], self.Yu[b]):
                return set()
            for j in range(width):
                d = f"diff[{l}][{j}][{a},{b}]"
                out.add(frozenset({(d, False), (t(l, j, a), True), (t(l, j, b), True)}))
                out.add(frozenset({(d, False), (t(l, j, a), False), (t(l, j, b), False)}))
            out.add(frozenset((f"diff[{l}][{j}][{a},{b}]", True) for j in range(width)) | self._unless_dropped(a, b))
        else:
            if not (self.Yu[a, 0] > 0 > self.Yu[b, 0]):
                return set()
            for j in range(width):
                g = f"above[{l}][{j}][{a},{b}]"
                out.add(frozenset({(g, False), (t(l, j, a), True)}))
                out.add(frozenset({(g, False), (t(l, j, b), False)}))
            out.add(frozenset((f"above[{l}][{j}][{a},{b}]", True) for j in range(width)) | self._unless_dropped(a, b))
        return out

    def _unless_dropped(self, a: int, b: int) -> frozenset:
        """min-errors: a pair's clause binds only when both examples are kept."""
        return frozenset({(f"keep[{a}]", False), (f"keep[{b}]", False)}) if self.keep else frozenset()

    def _conflict(self, clause: frozenset) -> bool:
        """not keep[a] or not keep[b], for two merged examples with one input (two labels)."""
        names = [name for name, positive in clause if not positive and KEEP.match(name)]
        if len(names) != 2 or len(clause) != 2:
            return False
        a, b = (int(KEEP.match(n).group(1)) for n in names)
        return a != b and max(a, b) < self.m and np.array_equal(self.Xu[a], self.Xu[b])

    def _unateness(self) -> set:
        if not self.hidden:
            return set()
        out = set()
        d = self.Xu.shape[1]
        for k in range(d):
            lines: dict[tuple, list[int]] = {}
            for i in range(self.m):
                rest = tuple(float(v) for c, v in enumerate(self.Xu[i]) if c != k)
                lines.setdefault(rest, []).append(i)
            for members in lines.values():
                for a in members:
                    for b in members:
                        if self.Xu[a, k] < self.Xu[b, k]:
                            for j in range(self.hidden[0]):
                                s = f"s[1][{j}][{k}]"
                                out.add(frozenset({(s, False), (t(1, j, a), False), (t(1, j, b), True)}))
                                out.add(frozenset({(s, True), (t(1, j, b), False), (t(1, j, a), True)}))
        return out

    def _equal(self) -> set:
        out = set()
        if not self.hidden:
            return out
        groups: dict[tuple, list[int]] = {}
        for i in range(self.m):
            groups.setdefault(tuple(self.Xu[i].tolist()), []).append(i)
        for members in groups.values():
            for a in members:
                for b in members:
                    if a != b:
                        for j in range(self.hidden[0]):
                            out.add(frozenset({(t(1, j, a), False), (t(1, j, b), True)}))
        return out

    def _symmetry(self) -> set:
        out = set()
        for l in sorted(self.layers[SYMMETRY]):
            width = self.hidden[l - 1]
            if not (self.monotone and l == len(self.hidden)):
                out |= {frozenset({(t(l, j, 0), True)}) for j in range(width)}
            for j in range(width - 1):
                for i in range(self.m):
                    cond = set() if i == 0 else {(f"lex[{l}][{j}][{i}]", False)}
                    a, b = t(l, j, i), t(l, j + 1, i)
                    out.add(frozenset(cond | {(a, True), (b, False)}))
                    if i + 1 < self.m:
                        e = (f"lex[{l}][{j}][{i + 1}]", True)
                        out.add(frozenset(cond | {(a, False), (b, False), e}))
                        out.add(frozenset(cond | {(a, True), (b, True), e}))
        return out


def at_most_errors(counts, errors: int) -> set:
    """Sinz's sequential counter for "at most ``errors`` examples dropped", written from its
    definition: literal p is "not keep[i]" for merged example i repeated counts[i] times, and
    card[p][j] means "at least j of the literals 0..p hold". Any keep assignment with at most
    ``errors`` dropped (weighted) extends to all of these clauses by that meaning."""
    xs = [(f"keep[{i}]", False) for i in range(len(counts)) for _ in range(int(counts[i]))]
    n, E = len(xs), int(errors)
    neg = lambda lit: (lit[0], not lit[1])  # noqa: E731
    s = lambda p, j: (f"card[{p}][{j}]", True)  # noqa: E731
    if E == 0:
        return {frozenset({neg(x)}) for x in xs}
    out = set()
    if n == 1:
        return out
    out.add(frozenset({neg(xs[0]), s(0, 1)}))
    out |= {frozenset({neg(s(0, j))}) for j in range(2, E + 1)}
    for p in range(1, n - 1):
        out |= {frozenset({neg(xs[p]), s(p, 1)}), frozenset({neg(s(p - 1, 1)), s(p, 1)})}
        for j in range(2, E + 1):
            out |= {frozenset({neg(xs[p]), neg(s(p - 1, j - 1)), s(p, j)}), frozenset({neg(s(p - 1, j)), s(p, j)})}
        out.add(frozenset({neg(xs[p]), neg(s(p - 1, E))}))
    out.add(frozenset({neg(xs[n - 1]), neg(s(n - 2, E))}))
    return out

