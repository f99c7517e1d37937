"""A fit by construction for one hidden layer on inputs in the plane: a decision list of
half-planes, each made a hidden unit, with output weights that let the first rule that fires
decide (Rivest's decision lists; any decision list of threshold units is a threshold network of
one hidden layer).

Greedily, while the examples not yet covered carry more than one label row, take the open
half-plane that holds the most of them and only examples of one label row (the others it holds
were covered by earlier rules and do not matter), over every line through two uncovered
examples: the examples strictly on one side, and, on a line through exactly those two, each of
them on either side. Its unit is an exact LP's line on the uncovered examples
(:func:`combinatorial.separability.check_separable`, verified in rationals), so the targets it
was chosen for are the ones it computes; the rule's examples are then covered. The last label
row is the default.

With hidden outputs h_i in {-1, +1} and rule i (of K, first i = 0) firing when h_i = +1, output
unit c computes sign(sum_i v_i h_i + sum_i v_i + d_c) with v_i = s_ci 2^(K-1-i), s_ci the
rule's label in output c and d_c the default's: the sum is twice the weights of the rules that
fire plus d_c = ±1, so the first rule that fires outweighs every later one, and with none the
default decides; the sum is odd, never 0. Every weight is an integer, exact in floats up to
:data:`MAX_RULES` rules. The engine verifies the network by its exact forward pass as always.

A threshold output is more than a decision list, so the list is then pruned: the last rules
first, a hidden unit is dropped while an exact LP still fits every output unit on the codes of
the others (:func:`combinatorial.separability.check_separable` per output unit, verified in
rationals); the output layer is then the LP's. The K units left are an upper bound on the
minimum width of one hidden layer (two spirals: 30, from a list of 32, where the pair bound of
:mod:`combinatorial.separation` proves 15); a first layer of width w >= K fits at once (the units
past K copy the first, with output weight 0).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import deadline
from .halfplanes import _collinear, _orient

MAX_RULES = 50  # 2^(K-1) and the sums stay exact in floats
MAX_POINTS = 1000  # distinct inputs: each rule enumerates the lines through two of them
_CACHE: OrderedDict = OrderedDict()
_CACHED = 4


@dataclass(frozen=True)
class HalfPlanes:
    """A one-hidden-layer network that fits the data: ``units`` (w, b) of the hidden layer, and
    the output layer ``W`` (outputs x units), ``b``; ``listed``: the decision list's length before
    pruning; ``inputs``: the input dimension."""

    units: tuple[tuple[np.ndarray, float], ...]
    W: np.ndarray
    b: np.ndarray
    listed: int
    inputs: int

    @property
    def width(self) -> int:
        return len(self.units)

    def layers(self, width: int):
        """The network with ``width`` >= :attr:`width` hidden units: the units past its own copy
        the first, with output weight 0."""
        from .network import LayerWeights

        K = self.width
        units = list(self.units) + [self.units[0] if K else (np.zeros(self.inputs), 1.0)] * (width - K)
        W1 = np.array([w for w, _ in units], dtype=float).reshape(width, self.inputs)
        W2 = np.zeros((len(self.b), width))
        W2[:, :K] = self.W
        return [LayerWeights(W1, np.array([b for _, b in units], dtype=float)), LayerWeights(W2, self.b.copy())]


def applies(problem) -> bool:
    return len(problem.hidden) == 1 and not problem.shortcut and problem.n_inputs <= 2 and problem.conflict is None \
        and 2 <= problem.n_merged <= MAX_POINTS


def build(problem) -> HalfPlanes | None:
    """The pruned decision list of the merged data (cached per data set), or None when the list
    needs more than :data:`MAX_RULES` rules or the deadline comes first (not cached then; a
    pruning cut short returns what it has)."""
    key = (problem.Xu.tobytes(), problem.Yu.tobytes())
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    rows, label = np.unique(problem.Yu, axis=0, return_inverse=True)
    try:
        listed = _greedy(problem.Xu, label.reshape(-1), rows)
    except deadline.TimeLimit:
        return None
    found, complete = (None, True) if listed is None else _pruned(problem, listed)
    if complete:
        _CACHE[key] = found
        while len(_CACHE) > _CACHED:
            _CACHE.popitem(last=False)
    return found


def _listed(units, labels, rows, inputs) -> HalfPlanes:
    """The decision list as a network: output c weighs rule i by s_ci 2^(K-1-i) (module text)."""
    K = len(units)
    signs = rows[list(labels)].astype(float)  # (K + 1, outputs): each rule's label, the default's
    W = signs[:K].T * 2.0 ** np.arange(K - 1, -1, -1)
    return HalfPlanes(tuple(units), W, W.sum(axis=1) + signs[K], K, inputs)


def _pruned(problem, net: HalfPlanes) -> tuple[HalfPlanes, bool]:
    """Drop hidden units, the last rules first, while an output layer on the others still fits
    (an exact LP per output unit on the codes); and whether it went to the end (no deadline)."""
    from .exact import signs
    from .separability import check_separable

    units = net.units
    H = signs(problem.Xu, np.array([w for w, _ in units]), [b for _, b in units]).astype(float)
    keep = list(range(net.width))
    try:
        dropped = True
        while dropped and len(keep) > 1:
            dropped = False
            for i in reversed(keep):
                deadline.check()
                rest = [k for k in keep if k != i]
                fits = [check_separable(H[:, rest], problem.Yu[:, c]) for c in range(problem.Yu.shape[1])]
                if all(f.separable is True for f in fits):
                    keep, dropped = rest, True
                    net = HalfPlanes(tuple(units[k] for k in rest), np.array([f.w for f in fits], dtype=float),
                                     np.array([f.b for f in fits], dtype=float), net.listed, net.inputs)
                    break
    except deadline.TimeLimit:
        return net, False
    return net, True


def _greedy(Xu: np.ndarray, label: np.ndarray, rows: np.ndarray) -> HalfPlanes | None:
    X = np.zeros((len(Xu), 2))
    X[:, :Xu.shape[1]] = Xu
    left = np.arange(len(X))
    units, labels = [], []
    while len(np.unique(label[left])) > 1:
        if len(units) >= MAX_RULES:
            return None
        found = _realised(Xu[left], _candidates(X[left], label[left]))
        if found is None:
            return None
        chosen, unit = found
        units.append(unit)
        labels.append(int(label[left][chosen][0]))
        left = left[~chosen]
    labels.append(int(label[left][0]))
    return _listed(units, labels, rows, Xu.shape[1])


TRIES = 20  # candidates per rule whose line the LP may fail to verify in floats


def _realised(U: np.ndarray, candidates):
    """The first candidate an LP's line realises, verified exactly: (mask, (w, b)), or None. On
    nearly collinear points the exact line may not survive rounding to floats; the next best
    candidate is tried then."""
    from .separability import check_separable

    for chosen in candidates:
        fit = check_separable(U, np.where(chosen, 1, -1))
        if fit.separable is True:
            return chosen, (np.asarray(fit.w, dtype=float), float(fit.b))
    return None


def _candidates(P: np.ndarray, label: np.ndarray):
    """Sets of points of one label that an open half-plane cuts off from the rest (boolean
    masks), the largest first: each pivot's best per side, at most :data:`TRIES`, then a vertex
    of the convex hull alone (never empty)."""
    n = len(P)
    if _collinear(P):  # the half-planes cut a prefix or a suffix off the line: the longer run of one label
        order = np.lexsort(P.T[::-1])
        ends = max(order, order[::-1], key=lambda seq: _run(label[seq]))
        chosen = np.zeros(n, bool)
        chosen[ends[:_run(label[ends])]] = True
        yield chosen
        return
    onehot = np.eye(label.max() + 1)[label]
    found = []
    for i in range(n - 1):
        deadline.check()
        J = np.arange(i + 1, n)
        S = _orient(P, i, J)
        pair = (S == 0).sum(axis=1) == 2  # lines through exactly P[i] and P[j]
        for side in (1, -1):
            counts = (S == side) @ onehot  # (lines, labels) strictly on this side
            kinds = (counts > 0).sum(axis=1)
            c = np.where(kinds == 0, label[i], counts.argmax(axis=1))
            got = counts[np.arange(len(J)), c] + pair * ((label[i] == c).astype(int) + (label[J] == c))
            got[kinds > 1] = 0
            r = int(got.argmax())
            if got[r] > 1:
                found.append((int(got[r]), side, int(c[r]), bool(pair[r]), S[r]))
    found.sort(key=lambda f: -f[0])
    for _, side, c, pair, srow in found[:TRIES]:
        chosen = (srow == side) & (label == c)
        if pair:
            on = np.flatnonzero(srow == 0)
            chosen[on] = label[on] == c
        yield chosen
    yield _alone(P)


def _run(labels: np.ndarray) -> int:
    """The length of the leading run of one label."""
    other = np.flatnonzero(labels != labels[0])
    return int(other[0]) if len(other) else len(labels)


def _alone(P: np.ndarray) -> np.ndarray:
    """A vertex of the convex hull: the lexicographically smallest point."""
    chosen = np.zeros(len(P), bool)
    chosen[np.lexsort(P.T[::-1])[0]] = True
    return chosen
