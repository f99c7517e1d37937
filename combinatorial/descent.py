"""A good network of one hidden layer of sign units on points in the plane, by coordinate descent
over half-planes: a heuristic that starts the exact enumerations and the general search.

Hold every hidden unit but one; the one left may take any half-plane dichotomy of the points
(:func:`combinatorial.wedges.dichotomies`, orientations exact), and for each the output layer's
best answer on the cells the units make is counted exactly: with two classes, the best threshold
function of the hidden bits; with three (one-vs-rest outputs, an example right when its class's
output alone is +1), the best labelling of the cells by classes that three threshold functions
realise (:func:`cell_labellings`; at four or five units, too many to list, the best labelling is found
for each dichotomy by :func:`combinatorial.outputs.best_labelling`). The unit takes the
dichotomy with the fewest errors, and the units take turns until none improves, from a few
random starts; the best network is kept. Each step is one matrix product per block of
dichotomies, in floats that hold the integer counts exactly. Every unit is a line moved off two points, which the caller realises by the exact LP.

On two spirals at 500 points it finds 182 errors with three units within seconds (the listing of
triples, which proves, had 197 after a minute), and on three blobs at 200 points 4 errors with
three units where the general search stops at 6, and 2 with four units. It proves nothing: its
count is an incumbent, a budget that the exact enumerations then only have to beat.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import deadline, outputs
from .halfplanes import _orient
from .wedges import _splits

WIDTHS = {2: (2, 3, 4), 3: (2, 3)}  # classes: the widths whose labellings are listed (three outputs of
# four bits would be 1882^3 triples)
SWAP_WIDTHS = {3: (4, 5)}  # classes: the widths whose output layer is searched per dichotomy instead
RESTARTS = 32
PATIENCE = 8  # starts in a row without a better network that end the descent
SWAP_PATIENCE = 32  # the same for the per-dichotomy search (blobs-200 at four units: 2 errors from the 28th start)
TOP = 128  # labellings scored per step, the best on the network so far (two classes at width 4: 1882)
MAX_TURNS = 20
BLOCK = 8192  # dichotomies scored at once
_EVERY = 2**62


@dataclass(frozen=True)
class Descent:
    errors: int
    H: np.ndarray  # bool, points x units: inside each unit's half-plane
    cells: np.ndarray  # the class of each cell (index: unit 0's bit first, inside = 0), -1: none

    def predicted(self) -> np.ndarray:
        """The class each point gets (-1: none)."""
        return self.cells[cell_index(self.H)]


def cell_index(H: np.ndarray) -> np.ndarray:
    """Each row's cell: the bits (outside = 1) of unit 0 first."""
    w = H.shape[1]
    return ((~H).astype(np.int64) * (1 << np.arange(w - 1, -1, -1))).sum(axis=1)


@lru_cache(maxsize=None)
def threshold_functions(width: int) -> np.ndarray:
    """Every threshold function of ``width`` bits (:func:`combinatorial.outputs.threshold_masks`):
    bool rows over the cells in :func:`cell_index` order (True: output +1), sorted."""
    return np.unique(outputs.threshold_bits(width).T, axis=0)


@lru_cache(maxsize=None)
def cell_labellings(width: int, classes: int) -> np.ndarray:
    """int8 rows over the cells: the class each cell predicts (-1: none) for every output layer;
    with three classes only those no other extends by one cell (a labelling that gains a class at
    a cell only gets more examples right)."""
    F = threshold_functions(width)
    if classes == 2:  # one output: class 1 (label +1) where it is +1
        return F.astype(np.int8)
    a, b, c = F[:, None, None, :], F[None, :, None, :], F[None, None, :, :]
    lab = np.full(np.broadcast_shapes(a.shape, b.shape, c.shape), -1, dtype=np.int8)
    lab[a & ~b & ~c], lab[~a & b & ~c], lab[~a & ~b & c] = 0, 1, 2
    base = 4 ** np.arange(F.shape[1], dtype=np.int64)
    code = np.unique((lab.reshape(-1, F.shape[1]).astype(np.int64) + 1) @ base)
    labs = ((code[:, None] // base) % 4 - 1).astype(np.int8)
    extended = np.zeros(len(labs), dtype=bool)
    for cell in range(F.shape[1]):
        free = labs[:, cell] < 0
        for k in range(classes):
            extended[free] |= np.isin(code[free] + (k + 1) * base[cell], code)
    return labs[~extended]


def every_dichotomy(X: np.ndarray) -> np.ndarray:
    """Every half-plane dichotomy of the distinct points ``X`` (two columns) that holds point 0,
    once (a complement is the same unit negated, which the output absorbs): bool rows. Each is a
    line through two points moved off them, each of the two either side; the points on a line
    through more split into a prefix and a suffix along it (:func:`combinatorial.wedges._splits`)."""
    n, rows, ones = len(X), [np.packbits(np.ones((1, len(X)), dtype=bool), axis=1)], np.ones(len(X))
    for i in range(n - 1):
        deadline.check()
        J = np.arange(i + 1, n)
        S = _orient(X, i, J)
        on = S == 0
        count = on.sum(axis=1)
        two, more = np.flatnonzero(count == 2), np.flatnonzero(count > 2)
        if len(more):  # each such line once, from its first two points
            more = more[np.cumsum(on[more], axis=1)[np.arange(len(more)), J[more]] == 2]
        found = [_splits(X, S[a] > 0, np.flatnonzero(on[a]), ones, _EVERY) for a in more]
        for with_i in (False, True):
            for with_j in (False, True):
                A = S[two] > 0
                A[:, i], A[np.arange(len(two)), J[two]] = with_i, with_j
                found.append([A])
        A = np.concatenate([a for f in found for a in f])
        rows.append(np.packbits(A ^ ~A[:, :1], axis=1))
    packed = np.concatenate(rows)
    packed = np.unique(packed.view(np.dtype((np.void, packed.shape[1])))).view(np.uint8).reshape(-1, packed.shape[1])
    return np.unpackbits(packed, axis=1, count=n).astype(bool)


def applies(classes: int, width: int) -> bool:
    """Whether the descent runs with ``width`` units and ``classes`` classes: their output layers
    are listed, or (three classes, four or five units) found per dichotomy
    (:func:`combinatorial.outputs.best_labelling`)."""
    return width in WIDTHS.get(classes, ()) or width in SWAP_WIDTHS.get(classes, ())


def descend(X: np.ndarray, C: np.ndarray, width: int, seed: int = 0, restarts: int = RESTARTS,
            floor: int = 0, tick=None, patience: int | None = None) -> Descent | None:
    """The best network found from ``restarts`` random starts on distinct points ``X`` (one or
    two columns), ``C[p, k]`` examples of class k at point p (two classes: column 1 is label +1);
    fewer starts under the deadline (None if not one finished), after ``patience`` in a row
    that found nothing better (default :data:`PATIENCE`, :data:`SWAP_PATIENCE` where the outputs
    are found per dichotomy), or once a network meets ``floor`` (a proved bound). ``tick``:
    told (starts done, best errors) after each start."""
    X = np.asarray(X, dtype=float)
    if X.shape[1] == 1:
        X = np.concatenate([X, np.zeros_like(X)], axis=1)
    C = np.asarray(C, dtype=np.int64)
    if not applies(C.shape[1], width):
        raise ValueError(f"no descent for {C.shape[1]} classes and {width} units")
    try:
        S = every_dichotomy(X)
    except deadline.TimeLimit:
        return None
    listed = width in WIDTHS.get(C.shape[1], ())
    scorer = _Scorer(S, C, cell_labellings(width, C.shape[1]), width) if listed else _Swapper(S, C, width)
    patience = patience or (PATIENCE if listed else SWAP_PATIENCE)
    rng, best, done, since = np.random.default_rng(seed), None, 0, 0
    try:
        while done < restarts and since < patience and (best is None or best[0] > floor):
            found = scorer.descend(list(rng.choice(len(S), size=width, replace=len(S) < width)))
            done, since = done + 1, since + 1
            if best is None or found[0] < best[0]:
                best, since = found, 0
            if tick is not None:
                tick(done, best[0])
    except deadline.TimeLimit:
        pass
    if best is None:
        return None
    errors, units, cells = best
    return Descent(errors, S[units].T.copy(), cells)


def _cells(S, C, units: list[int]) -> np.ndarray:
    """The examples of each class in each cell of the network ``units`` (cells x classes)."""
    table = np.zeros((1 << len(units), C.shape[1]), dtype=np.int64)
    np.add.at(table, cell_index(S[units].T), C)
    return table


def _held(S, C, others: list[int], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's examples by (the cell of the units ``others`` hold, class), a float32 row per
    point (the columns cell-major), and their sums."""
    q = cell_index(S[others].T) if others else np.zeros(S.shape[1], dtype=np.int64)
    QC = np.zeros((S.shape[1], 1 << (width - 1), C.shape[1]), dtype=np.float32)
    QC[np.arange(len(q)), q] = C
    QC = QC.reshape(len(q), -1)
    return QC, QC.sum(axis=0)


def _split(rows: np.ndarray, QC: np.ndarray, tot: np.ndarray, k: int) -> np.ndarray:
    """The examples of each dichotomy in ``rows`` by (the others' cell, inside or outside it,
    class): (rows, cells, 2, k) float32, exact for integer counts below 2**24."""
    inside = rows.astype(np.float32) @ QC
    return np.stack([inside.reshape(len(rows), -1, k), (tot - inside).reshape(len(rows), -1, k)], axis=2)


class _Scorer:
    """The dichotomies ``S`` (bool, rows) and the best output for each as one unit's half-plane."""

    def __init__(self, S, C, labs, width):
        self.S, self.C, self.width, self.total = S, C, width, int(C.sum())
        self.k = C.shape[1]
        onehot = np.zeros((len(labs), labs.shape[1], self.k), dtype=np.float32)
        r, c = np.nonzero(labs >= 0)
        onehot[r, c, labs[r, c]] = 1
        self.labs, self.onehot = labs, onehot
        # with unit j varied, cell (others' cell q, side s) is canonical cell perm[j][2q + s]
        cells = np.arange(1 << width)
        self.perm = []
        for j in range(width):
            bit = (cells >> (width - 1 - j)) & 1
            rest = [(cells >> (width - 1 - i)) & 1 for i in range(width) if i != j]
            q = sum(b << (width - 2 - t) for t, b in enumerate(rest)) if rest else np.zeros_like(cells)
            order = np.empty_like(cells)
            order[2 * q + bit] = cells
            self.perm.append(order)

    def descend(self, units: list[int]) -> tuple[int, list[int], np.ndarray]:
        errors, cells = self.total + 1, None
        for _ in range(MAX_TURNS):
            moved = False
            for j in range(self.width):
                got, row, lab = self.best_unit(units, j)
                if got < errors:
                    errors, units[j], cells, moved = got, row, lab, True
            if not moved:
                break
        return errors, units, cells

    def best_unit(self, units: list[int], j: int) -> tuple[int, int, np.ndarray]:
        """The fewest errors with unit ``j`` free and the others held: (errors, its row, the
        cells' classes)."""
        w, k = self.width, self.k
        others = [u for i, u in enumerate(units) if i != j]
        QC, tot = _held(self.S, self.C, others, w)
        top = self.top(units)
        M = self.onehot[top][:, self.perm[j], :].reshape(len(top), -1).T  # (cells k) x labellings
        best = (-1.0, 0, 0)
        for start in range(0, len(self.S), BLOCK):
            deadline.check()
            table = _split(self.S[start:start + BLOCK], QC, tot, k)
            score = table.reshape(len(table), -1) @ M
            r, c = np.unravel_index(int(np.argmax(score)), score.shape)
            if score[r, c] > best[0]:
                best = (float(score[r, c]), start + int(r), int(c))
        right, row, lab = best
        return self.total - int(round(right)), row, self.labs[top[lab]]

    def top(self, units: list[int]) -> np.ndarray:
        """The :data:`TOP` labellings with the most examples right on the network ``units`` (all
        of them when there are no more): a step keeps the network's own best labelling, so errors
        never grow, and the rest are the likeliest to gain."""
        if len(self.labs) <= TOP:
            return np.arange(len(self.labs))
        score = self.onehot.reshape(len(self.labs), -1) @ _cells(self.S, self.C, units).reshape(-1)
        return np.argsort(-score, kind="stable")[:TOP]


class _Swapper:
    """The dichotomies ``S`` (bool, rows), each tried as one unit's half-plane with the others
    held, and its cells' best labelling found exactly (:func:`combinatorial.outputs.best_labelling`)
    where the examples that share a cell with another class's do not already err as much as the
    best so far: where the labellings are too many to list (three classes, four or five units)."""

    def __init__(self, S, C, width):
        self.S, self.C, self.width, self.total = S, C, width, int(C.sum())

    def labelled(self, units: list[int]) -> tuple[int, np.ndarray]:
        """The errors of the network ``units`` and the class of each cell."""
        return outputs.best_labelling(_cells(self.S, self.C, units))

    def descend(self, units: list[int]) -> tuple[int, list[int], np.ndarray]:
        errors = self.labelled(units)[0]
        for _ in range(MAX_TURNS):
            moved = False
            for j in range(self.width):
                got, row = self.best_unit(units, j, errors)
                if got < errors:
                    errors, units[j], moved = got, row, True
            if not moved:
                break
        errors, cells = self.labelled(units)
        return errors, units, cells

    def best_unit(self, units: list[int], j: int, errors: int) -> tuple[int, int]:
        """The fewest errors below ``errors`` with unit ``j`` free and the others held, and its
        row (``errors`` and unit j's row when none errs less)."""
        w, k = self.width, self.C.shape[1]
        others = [u for i, u in enumerate(units) if i != j]
        (QC, tot), best = _held(self.S, self.C, others, w), (errors, units[j])
        for start in range(0, len(self.S), BLOCK):
            deadline.check()
            table = _split(self.S[start:start + BLOCK], QC, tot, k)
            table = table.reshape(len(table), -1, k)  # cell: 2 (the others' cell) + (outside)
            most = table[..., 0]
            for a in range(1, k):  # (an elementwise maximum: a reduction over k is slow)
                most = np.maximum(most, table[..., a])
            shared = np.rint(self.total - most.sum(axis=1))  # errors in any labelling
            for r in np.argsort(shared, kind="stable"):
                if shared[r] >= best[0]:
                    break
                got = outputs.best_labelling(np.rint(table[r]).astype(np.int64), beat=best[0])
                if got is not None:
                    best = (got[0], start + int(r))
        return best
