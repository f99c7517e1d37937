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

:func:`shrunk` then makes the fit narrower by a local search: drop two units, add one. The two
dropped are tried in order of the errors their loss leaves for an output layer fitted by the L1
hinge LP (HiGHS); where that layer gets few examples wrong, a new unit must give each of them a
code apart from the examples of other label rows that share it, so only the line dichotomies
(:func:`combinatorial.descent.every_dichotomy`) splitting those pairs are tried, and the first
whose codes fit an exact LP per output unit (verified in rationals, as is its own line) is
taken. Every step is a fit again. The two spirals at 200 points: 27 -> 23 units (3.3 s); the
classic 194: 30 -> 27; three blobs at 200 / 500 points: 8 -> 6, 28 -> 22.

Below the fit's width, min-errors starts from the fit narrowed (:func:`narrowed`): a unit at a
time, the one whose loss leaves the fewest errors under the same LP output layer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import deadline
from .halfplanes import _collinear, _orient
from .separation import plane

MAX_RULES = 50  # 2^(K-1) and the sums stay exact in floats
NARROW_FROM = 5  # min-errors below the list's width from this many units on (fewer: the descent's networks)
MAX_POINTS = 1000  # distinct inputs: each rule enumerates the lines through two of them
_CACHE: OrderedDict = OrderedDict()
_CHAINS: OrderedDict = OrderedDict()  # per data set: the units kept at each width narrowed so far
_SHRUNK: OrderedDict = OrderedDict()  # per data set: (the narrowest fit shrunk so far, whether the last step found none)
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
    from .separability import check_separable

    units = net.units
    H = _codes(problem, units).astype(float)
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


SHRINK_TRIES = 8  # units tried as the first and as the second dropped, per step (fewest errors first)
SHRINK_CANDIDATES = 50  # new units tried per pair dropped
SHRINK_MAX_ERRORS = 8  # one new unit is tried only where the LP's output layer gets at most this many wrong
SHRINK_MAX_POINTS = 500  # every dichotomy of the points is listed: 125,000 rows at 500


def shrunk(problem, net: HalfPlanes, down_to: int = 1) -> HalfPlanes:
    """The list made narrower while it fits, down to ``down_to`` units at most: drop two hidden
    units and add one (module text). Each step's network is kept per data set, so a later call
    goes on from it (not past a step that found nothing); under the deadline, the narrowest so far."""
    from .descent import every_dichotomy

    key = (problem.Xu.tobytes(), problem.Yu.tobytes())
    net, stuck = _SHRUNK.get(key, (net, False))
    if stuck or problem.n_merged > SHRINK_MAX_POINTS or net.width <= max(down_to, 2):
        return net
    try:
        lines = every_dichotomy(plane(problem.Xu))
        while net.width > max(down_to, 2):
            units = list(net.units)
            H = _codes(problem, units)
            found = _drop_two_add_one(problem, H, lines)
            if found is None:
                stuck = True
                break
            keep, unit, fits = found
            units = [units[k] for k in keep] + ([unit] if unit is not None else [])
            net = HalfPlanes(tuple(units), np.array([f.w for f in fits], dtype=float),
                             np.array([f.b for f in fits], dtype=float), net.listed, net.inputs)
            _SHRUNK[key] = (net, False)
    except deadline.TimeLimit:
        pass
    _SHRUNK[key] = (net, stuck)
    _SHRUNK.move_to_end(key)
    while len(_SHRUNK) > _CACHED:
        _SHRUNK.popitem(last=False)
    return net


def _drop_two_add_one(problem, H: np.ndarray, lines: np.ndarray):
    """(the units kept, the new unit (w, b) or None, the output layer's fits) of a layer one unit
    narrower that fits, or None."""
    w = H.shape[1]
    for j in _by_loss(problem, H)[:SHRINK_TRIES]:
        A = np.delete(H, j, 1)
        for k in _by_loss(problem, A)[:SHRINK_TRIES]:
            keep = [c for c in range(w) if c != j]
            keep.pop(k)
            added = _add_one(problem, np.delete(A, k, 1), lines)
            if added is not None:
                return (keep, *added)
    return None


def _codes(problem, units) -> np.ndarray:
    """The hidden units' ±1 outputs (int8) on the merged examples, exactly."""
    from .exact import signs

    return signs(problem.Xu, np.array([w for w, _ in units]), [b for _, b in units]).astype(np.int8)


def _by_loss(problem, H: np.ndarray) -> list[int]:
    """The columns of ``H`` in increasing order of the errors their loss leaves (the LP's output layer)."""
    return sorted(range(H.shape[1]), key=lambda j: _output_errors(np.delete(H, j, 1).astype(float), problem)[0])


def _add_one(problem, B: np.ndarray, lines: np.ndarray):
    """(a new unit (w, b), or None when ``B`` fits as it is; the output layer's fits) that makes
    the codes ``B`` fit, among :data:`SHRINK_CANDIDATES` lines, or None."""
    from .separability import check_separable

    errors, right = _output_errors(B.astype(float), problem)
    if errors == 0:
        fits = [check_separable(B.astype(float), problem.Yu[:, c]) for c in range(problem.Yu.shape[1])]
        return (None, fits) if all(f.separable is True for f in fits) else None
    if errors > SHRINK_MAX_ERRORS:
        return None
    ok = np.ones(len(lines), bool)
    for x in np.flatnonzero(~right):  # the new unit must split x from the other labels sharing its code
        for o in np.flatnonzero((B == B[x]).all(axis=1) & (problem.Yu != problem.Yu[x]).any(axis=1)):
            ok &= lines[:, x] != lines[:, o]
    for r in np.flatnonzero(ok)[:SHRINK_CANDIDATES]:
        deadline.check()
        D = np.where(lines[r], 1, -1)
        codes = np.hstack([B, D[:, None]]).astype(float)
        fits = [check_separable(codes, problem.Yu[:, c]) for c in range(problem.Yu.shape[1])]
        if all(f.separable is True for f in fits):
            line = check_separable(problem.Xu, D)
            if line.separable is True:
                return (np.asarray(line.w, dtype=float), float(line.b)), fits
    return None


def _greedy(Xu: np.ndarray, label: np.ndarray, rows: np.ndarray) -> HalfPlanes | None:
    X = plane(Xu)
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


@dataclass(frozen=True)
class Narrowed:
    """``width`` units of the list: their codes on the merged examples (int8), the examples an
    output layer on them gets right, and how many errors it makes (counted with repeats)."""

    codes: np.ndarray
    right: np.ndarray
    errors: int
    listed: int

    @property
    def method(self) -> str:
        return (f"the decision list of half-planes narrowed from {self.listed} units, fewest errors first "
                "(combinatorial.declist)")


def narrowed(problem, net: HalfPlanes, width: int) -> Narrowed:
    """Min-errors below the list's width: drop its units one at a time, each time the one whose
    loss leaves the fewest errors, counted for an output layer fitted by the L1 hinge LP (HiGHS);
    an incumbent, not a bound (spirals-200 at width 20: 14 errors in 1 s, where the search started
    from four units made 67). Each drop is kept per data set, so a narrower width continues the
    chain. Raises :class:`deadline.TimeLimit` when the deadline comes first."""
    H = _codes(problem, net.units).astype(float)
    key = (problem.Xu.tobytes(), problem.Yu.tobytes(), net.width)
    chain = _CHAINS.setdefault(key, [list(range(net.width))])
    _CHAINS.move_to_end(key)
    while len(_CHAINS) > _CACHED:
        _CHAINS.popitem(last=False)
    while len(chain[-1]) > width:
        keep = chain[-1]
        dropped = keep[_by_loss(problem, H[:, keep])[0]]
        chain.append([k for k in keep if k != dropped])
    keep = next(k for k in chain if len(k) == width)
    errors, right = _output_errors(H[:, keep], problem)
    return Narrowed(H[:, keep].astype(np.int8), right, errors, net.width)


def _output_errors(H: np.ndarray, problem) -> tuple[int, np.ndarray]:
    """(errors, the examples right) of the output layer on the codes ``H`` that the L1 hinge LP
    gives, one LP per output unit (an example is right when every output is)."""
    from scipy.optimize import linprog
    from scipy.sparse import hstack, identity, csr_matrix

    deadline.check()
    m, k = H.shape
    right = np.ones(m, bool)
    for c in range(problem.Yu.shape[1]):
        y = problem.Yu[:, c].astype(float)
        A = hstack([csr_matrix(-y[:, None] * np.hstack([H, np.ones((m, 1))])), -identity(m)])
        cost = np.concatenate([np.zeros(k + 1), problem.counts.astype(float)])
        fit = linprog(cost, A_ub=A, b_ub=-np.ones(m), bounds=[(None, None)] * (k + 1) + [(0, None)] * m,
                      method="highs")
        if fit.x is None:
            return int(problem.counts.sum()), np.zeros(m, bool)
        right &= np.where(H @ fit.x[:k] + fit.x[k] >= 0, 1, -1) == y
    return int(problem.counts[~right].sum()), right
