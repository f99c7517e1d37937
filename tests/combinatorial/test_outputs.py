"""The best three-class output layer for fixed hidden codes (combinatorial.outputs): its threshold
functions against the known counts and the LP, its branch and bound against every triple of
threshold functions, and the descent step built on it against every realised dichotomy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from combinatorial import descent, outputs
from instances import plane_points, realised_dichotomies


def _bools(masks, width):
    return (masks[:, None] >> np.arange(1 << width)) & 1 == 1


def test_the_threshold_masks_are_the_known_counts_and_the_lp_realised_functions():
    known = (4, 14, 104, 1882, 94572)  # OEIS A000609, n = 1..5
    assert [len(outputs.threshold_masks(w)) for w in outputs.WIDTHS] == list(known)
    for w in (3, 4):  # descent.threshold_functions(3) is checked against the LP itself
        assert {tuple(r) for r in _bools(outputs.threshold_masks(w), w)} == \
            {tuple(r) for r in descent.threshold_functions(w)}
    with pytest.raises(ValueError, match="6 bits"):
        outputs.threshold_masks(6)


def _brute_errors(table):
    """The fewest errors over every triple of threshold functions as the three outputs."""
    width = len(table).bit_length() - 1
    F = _bools(outputs.threshold_masks(width), width)
    a, b, c = F[:, None, None, :], F[None, :, None, :], F[None, None, :, :]
    right = ((a & ~b & ~c) * table[:, 0] + (~a & b & ~c) * table[:, 1] + (~a & ~b & c) * table[:, 2]).sum(axis=-1)
    return int(table.sum() - right.max())


def _realised(labels, width):
    """Whether each class's cells and the other classes' cells are split by a threshold function."""
    F = _bools(outputs.threshold_masks(width), width)
    return all(np.any((F[:, labels == k]).all(axis=1) & ~(F[:, (labels >= 0) & (labels != k)]).any(axis=1))
               for k in range(3))


@pytest.mark.parametrize("width", [2, 3])
def test_the_best_labelling_is_the_best_of_every_triple_of_outputs(width):
    rng = np.random.default_rng(width)
    for trial in range(12):
        table = rng.integers(0, 4, size=(1 << width, 3)) * (rng.random((1 << width, 1)) < 0.8)
        errors, labels = outputs.best_labelling(table)
        assert errors == _brute_errors(table)
        assert errors == table.sum() - sum(table[c, k] for c, k in enumerate(labels) if k >= 0)
        assert _realised(labels, width)
        assert outputs.best_labelling(table, beat=errors) is None
        assert outputs.best_labelling(table, beat=errors + 1)[0] == errors


def test_four_cells_of_xor_cannot_all_be_right_with_two_classes_at_two_bits():
    """Class 0 on the cells of XOR and class 1 on the others: no threshold function of two bits
    splits them, so one cell's examples are wrong, the fewest there are."""
    table = np.array([[5, 0, 0], [0, 4, 0], [0, 3, 0], [6, 0, 0]])
    errors, labels = outputs.best_labelling(table)
    assert errors == 3 and labels[2] == -1


def test_a_swap_step_finds_the_best_unit_with_the_others_held():
    """Three classes, four units: with three held, no realised dichotomy as the fourth gets more
    right under any output layer than the step's unit, and its count is its network's."""
    rng = np.random.default_rng(4)
    for trial in range(6):
        P = plane_points(rng, trial) if trial % 4 != 2 else rng.normal(size=(6, 2))
        C = rng.integers(0, 3, size=(len(P), 3))
        S = descent.every_dichotomy(P)
        swapper = descent._Swapper(S, C, 4)
        units = list(rng.choice(len(S), size=4))
        got, row = swapper.best_unit(units, 3, int(C.sum()) + 1)
        held = [S[u] for u in units[:-1]]
        brute = []
        for A in realised_dichotomies(P)[0]:
            table = np.zeros((16, 3), dtype=np.int64)
            np.add.at(table, descent.cell_index(np.stack(held + [np.asarray(A, bool)], axis=1)), C)
            brute.append(outputs.best_labelling(table)[0])
        assert got == min(brute)
        assert swapper.labelled(units[:-1] + [row])[0] == got
