"""The best output layer for hidden units held fixed, with three classes: which class each cell of
the hidden units' codes predicts, so that one-vs-rest threshold outputs realise it and the most
examples are right. Exact, by branch and bound over the cells that hold examples.

An example is right when its class's output alone is +1. A labelling of cells by classes (or by
none) is realised exactly when, for each class, some threshold function of the hidden bits is +1
on the class's cells and -1 on the other classes' cells (cells of none are free): the outputs
are independent given the labelling. So the search assigns cells one at a time, the larger
first, each to its classes in order of their examples there and last to none, and keeps an
assignment only while every class has a threshold function that extends it; it cuts a branch
once the examples it can still get right do not beat the best labelling found. The threshold
functions are listed once as bit masks over the cells (:func:`threshold_masks`: 1882 of four
bits, 94,572 of five); each class carries the functions that still extend it, so a cell
assigned costs one lookup per function left.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from . import deadline

WIDTHS = (1, 2, 3, 4, 5)  # six bits would have 15 million threshold functions
WEIGHT = {1: 1, 2: 1, 3: 2, 4: 3, 5: 5}  # integer weights |v| <= this realise every threshold function


@lru_cache(maxsize=None)
def threshold_masks(width: int) -> np.ndarray:
    """Every threshold function of ``width`` bits as an int64 mask over the 2**width cells
    (:func:`combinatorial.descent.cell_index` order; bit c set: +1 at cell c). For each integer
    weight vector the functions are the prefixes of its cells sorted by score, cut between
    distinct scores."""
    if width not in WIDTHS:
        raise ValueError(f"threshold functions of {width} bits are not listed (only {WIDTHS})")
    cells = np.array(list(itertools.product([1, -1], repeat=width)))
    V = np.array(list(itertools.product(range(-WEIGHT[width], WEIGHT[width] + 1), repeat=width)))
    score = V @ cells.T
    order = np.argsort(-score, axis=1, kind="stable")
    ranked = np.take_along_axis(score, order, axis=1)
    prefix = np.cumsum(np.left_shift(np.int64(1), order), axis=1)
    cut = np.concatenate([ranked[:, :-1] > ranked[:, 1:], np.ones((len(V), 1), dtype=bool)], axis=1)
    return np.unique(np.concatenate([[0], prefix[cut]]))


@lru_cache(maxsize=None)
def threshold_bits(width: int) -> np.ndarray:
    """bool (cells x threshold functions): whether each function is +1 at each cell."""
    return (threshold_masks(width)[None, :] >> np.arange(1 << width)[:, None]) & 1 == 1


def best_labelling(table: np.ndarray, beat: int | None = None) -> tuple[int, np.ndarray] | None:
    """The labelling of cells that gets the most examples right: ``table[c, k]`` examples of
    class k at cell c (2**width rows, at most three classes). (Errors, the class of each cell,
    -1: none), or None when none errs less than ``beat``. Each class keeps the indices of the
    threshold functions that extend its cells so far; a cell given to a class keeps that class's
    functions that are +1 there and the other classes' that are -1."""
    table = np.asarray(table, dtype=np.int64)
    bits, classes = threshold_bits(int(table.shape[0]).bit_length() - 1), table.shape[1]
    total = int(table.sum())
    cells = [int(c) for c in np.argsort(-table.sum(axis=1), kind="stable") if table[c].sum() > 0]
    most = table.max(axis=1)[cells]
    left = np.concatenate([np.cumsum(most[::-1])[::-1], [0]])  # the most still to get right
    best = [total - (total + 1 if beat is None else beat), None]
    labels = np.full(len(table), -1, dtype=np.int64)

    def branch(i: int, right: int, kept: list) -> None:
        if right + left[i] <= best[0]:
            return
        if i == len(cells):
            best[0], best[1] = right, labels.copy()
            return
        deadline.check()
        c = cells[i]
        for k in np.argsort(-table[c], kind="stable"):
            if table[c, k] == 0:
                break
            narrowed = [f[bits[c, f] == (a == k)] for a, f in enumerate(kept)]
            if all(len(f) for f in narrowed):
                labels[c] = k
                branch(i + 1, right + int(table[c, k]), narrowed)
                labels[c] = -1
        branch(i + 1, right, kept)

    branch(0, 0, [np.arange(bits.shape[1])] * classes)
    return None if best[1] is None else (total - best[0], best[1])
