"""Width-2 min-errors with three classes in the plane (combinatorial.trees, and the checker's own
enumeration in ftprop.checker.trees) against every pair of dichotomies the exact LP realises and
every labelling of the four cells the output units can make."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from combinatorial import solve, trees
from combinatorial.solution import Status
from instances import assert_tight, plane_points, realised_dichotomies

CELLS = trees.CELLS


def _labellings(k: int) -> np.ndarray:
    """Every labelling of the cells by rows of k one-vs-rest outputs, each output a threshold
    function of the two bits (its +1 cells not two opposite ones): the class of each cell, k for
    a row of no class; each labelling once."""
    opposite = ({(1, 1), (-1, -1)}, {(1, -1), (-1, 1)})
    rows = list(itertools.product((1, -1), repeat=k))
    found = set()
    for assign in itertools.product(rows, repeat=4):
        if all({c for c, r in zip(CELLS, assign) if r[j] == 1} not in opposite for j in range(k)):
            found.add(tuple(r.index(1) if r.count(1) == 1 else k for r in assign))
    return np.array(sorted(found))


def _covers(k: int) -> list[dict]:
    """Trees, wedges and constants over k classes, in every orientation of the two units."""
    shapes = [(A, B, C, C) for C, A, B in itertools.product(range(k), repeat=3)]
    shapes += [(X, Y, Y, Y) for X, Y in itertools.product(range(k), repeat=2)]
    out = []
    for shape in shapes:
        cell = dict(zip(CELLS, shape))
        for swap, f, g in itertools.product((False, True), (1, -1), (1, -1)):
            out.append({c: cell[((c[1], c[0]) if swap else c)[0] * f, ((c[1], c[0]) if swap else c)[1] * g]
                        for c in CELLS})
    return out


@pytest.mark.parametrize("k", [3, 4])
def test_every_three_class_labelling_gets_no_more_right_than_a_tree_a_wedge_or_a_constant(k):
    """The argument the enumeration and the checker rest on, by brute force over the 8^4 row
    assignments; with four classes, four single cells is a labelling it does not cover (so the
    enumeration stops at three)."""
    covers = _covers(k)
    missed = [lab for lab in _labellings(k)
              if not any(all(lab[i] == k or lab[i] == q[c] for i, c in enumerate(CELLS)) for q in covers)]
    if k == 3:
        assert missed == []
    else:
        assert missed and all(sorted(lab) == [0, 1, 2, 3] for lab in missed)


def _reference(P, cnt):
    """(fewest errors over every pair of LP-realised dichotomies and every labelling, whether the
    LP left a dichotomy undecided)."""
    made, undecided = realised_dichotomies(P)
    labellings = _labellings(3)
    pad = np.concatenate([cnt, np.zeros((len(P), 1), dtype=np.int64)], axis=1)
    best = int(cnt.sum())
    for A, B in itertools.product(made, repeat=2):
        M = np.stack([pad[(A == (a > 0)) & (B == (b > 0))].sum(axis=0) for a, b in CELLS])  # (cell, class)
        best = min(best, int(cnt.sum() - M[np.arange(4), labellings].sum(axis=1).max()))
    return best, undecided


@pytest.mark.parametrize("seed", range(2))
def test_trees_agree_with_every_pair_of_realised_dichotomies_and_every_labelling(seed):
    from ftprop.checker.trees import fewer_errors

    rng, compared = np.random.default_rng(seed), 0
    for trial in range(16):
        P = plane_points(rng, trial)
        cnt = rng.integers(0, 2, size=(len(P), 3))
        cnt[np.arange(len(P)), rng.integers(0, 3, size=len(P))] += 1  # every point has an example
        best, undecided = _reference(P, cnt)
        found = trees.best_split(P, cnt)
        assert found.errors == found.lower_bound <= best
        if undecided:
            continue
        compared += 1
        assert found.errors == best, (P.tolist(), cnt.tolist())
        cell = dict(zip(CELLS, found.cells))  # the split makes what it says
        got = sum(int(cnt[k].sum() - cnt[k, cell[(1 if h else -1, 1 if g else -1)]])
                  for k, (h, g) in enumerate(zip(found.H, found.L)))
        assert got == best
        X = np.repeat(P, cnt.sum(axis=1), axis=0)
        Y = -np.ones((len(X), 3))
        Y[np.arange(len(X)), np.concatenate([np.repeat(np.arange(3), c) for c in cnt])] = 1
        assert_tight(fewer_errors, X, Y, best)
    assert compared >= 8


@pytest.mark.parametrize("trial", range(4))
def test_three_class_two_unit_min_errors_agrees_with_the_enumerate_backend(trial):
    rng = np.random.default_rng(70 + trial)
    X = rng.integers(-2, 3, size=(7, 2)).astype(float)
    y = rng.integers(0, 3, size=7)
    y[:3] = [0, 1, 2]
    ours = solve(X, y, (2,), objective="min-errors", backend="lazy")
    ref = solve(X, y, (2,), objective="min-errors", backend="enumerate")
    assert ours.status is Status.OPTIMAL and ours.proved_for == "all real weights"
    assert "tree" in ours.stats["exact_method"]
    assert ours.train_errors == ours.lower_bound == ref.train_errors, (X.tolist(), y.tolist())


def test_a_deadline_keeps_the_best_tree_found_so_far(monkeypatch):
    """Cut short at the listing's last line (noisy blobs: the greedy trees make 35 errors, the
    listing finds 34), the answer is the best tree found, with no bound."""
    from combinatorial import deadline, halfplanes
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("blobs", DataOptions(samples=100, seed=0, noise=2.5))
    P, where = np.unique(d.X, axis=0, return_inverse=True)
    cnt = np.zeros((len(P), 3), dtype=int)
    np.add.at(cnt, (where.reshape(-1), d.y), 1)
    greedy = min(trees._greedy(P, cnt, C, *(c for c in range(3) if c != C)).errors for C in range(3))
    lines, real = [0], halfplanes.best_dichotomy

    def counted(*args, cut=None):
        lines[0] += 1
        if cut is not None and lines[0] >= cut:
            raise deadline.TimeLimit
        return real(*args)

    monkeypatch.setattr(halfplanes, "best_dichotomy", counted)
    whole = trees.best_split(P, cnt)
    assert whole.errors < greedy and whole.lower_bound == whole.errors
    total, lines[0] = lines[0], 0
    monkeypatch.setattr(halfplanes, "best_dichotomy", lambda *args: counted(*args, cut=total))
    cut = trees.best_split(P, cnt)
    assert cut.why == "time limit reached" and cut.lower_bound == 0 and cut.errors == whole.errors
