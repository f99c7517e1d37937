"""Width-2 min-errors in the plane (combinatorial.wedges, and the checker's own enumeration in
ftprop.checker.wedges) against every pair of dichotomies the exact LP realises."""

from __future__ import annotations

import numpy as np
import pytest

from combinatorial import solve
from combinatorial.solution import Status
from combinatorial.wedges import best_wedge, dichotomies
from instances import assert_tight, plane_points as _points, realised_dichotomies


def _reference(P, pos, neg):
    """(fewest errors over every pair of LP-realised dichotomies, how many dichotomies, whether
    the LP left one undecided)."""
    made, undecided = realised_dichotomies(P)
    best = min(int(wc[~(A & B)].sum() + wn[A & B].sum()) for A in made for B in made for wc, wn in ((pos, neg), (neg, pos)))
    return best, len(made), undecided


@pytest.mark.parametrize("seed", range(3))
def test_wedges_agree_with_every_pair_of_realised_dichotomies(seed):
    from ftprop.checker.wedges import fewer_errors

    rng, compared = np.random.default_rng(seed), 0
    for trial in range(24):
        P = _points(rng, trial)
        pos, neg = rng.integers(0, 3, size=len(P)), rng.integers(0, 2, size=len(P))
        if not (pos.sum() and neg.sum()):
            continue
        best, made, undecided = _reference(P, pos, neg)
        listed = len(dichotomies(P, np.ones(len(P), np.int64), len(P) + 1))
        found = best_wedge(P, pos, neg, int(pos.sum() + neg.sum()) + 1)
        assert found.errors == found.lower_bound <= best and listed >= made
        if undecided:  # the LP could not say; the enumeration still may not go above it
            continue
        compared += 1
        assert listed == made  # every dichotomy, once
        assert found.errors == best, (P.tolist(), pos.tolist(), neg.tolist())
        A, B = found.A, found.B
        wc, wn = (pos, neg) if found.inside > 0 else (neg, pos)
        assert int(wc[~(A & B)].sum() + wn[A & B].sum()) == best  # the pair makes what it says
        X = np.repeat(P, pos + neg, axis=0)
        Y = np.concatenate([np.r_[np.ones(p), -np.ones(q)] for p, q in zip(pos, neg)])[:, None]
        assert_tight(fewer_errors, X, Y, best)
    assert compared >= 12


@pytest.mark.parametrize("trial", range(6))
def test_two_unit_min_errors_agrees_with_the_enumerate_backend(trial):
    """The lazy backend's wedges against the enumerate backend (every hidden target assignment)
    on lattice points: the same optimum, proved for all real weights, the network verified."""
    rng = np.random.default_rng(40 + trial)
    X = rng.integers(-2, 3, size=(7, 2)).astype(float)
    y = rng.integers(0, 2, size=7)
    y[:2] = [0, 1]
    ours = solve(X, y, (2,), objective="min-errors", backend="lazy")
    ref = solve(X, y, (2,), objective="min-errors", backend="enumerate")
    assert ours.status is Status.OPTIMAL and ours.proved_for == "all real weights"
    assert "wedge" in ours.stats["exact_method"]
    assert ours.train_errors == ours.lower_bound == ref.train_errors, (X.tolist(), y.tolist())


def test_a_time_limit_keeps_a_true_bound_and_the_best_line():
    """Spirals-400 needs far more than 3 s: the answer is the best wedge so far, never worse than
    the best single line it starts from, with a bound no higher than its errors."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("spirals", DataOptions(samples=400))
    line = solve(d.X, d.y, (1,), objective="min-errors", backend="lazy")
    sol = solve(d.X, d.y, (2,), objective="min-errors", backend="lazy", time_limit=3.0)
    assert sol.status is Status.FEASIBLE and "time limit" in sol.message
    assert sol.lower_bound is not None and sol.lower_bound <= sol.train_errors <= line.train_errors


def test_cutting_the_list_to_its_front_as_it_grows_changes_no_answer(monkeypatch):
    """The listing keeps only its front whenever it grows long (the front of a union is the
    front of the fronts): forcing that after every line gives the same optimum as never."""
    from combinatorial import wedges
    from ftprop.checker import wedges as checker

    rng = np.random.default_rng(5)
    for trial in range(3):
        P = np.unique(np.round(rng.normal(size=(40, 2)), 1), axis=0)
        y = np.where(P[:, 0] * P[:, 1] + 0.3 * rng.normal(size=len(P)) > 0, 1, 0)
        pos, neg = y.astype(np.int64), 1 - y.astype(np.int64)
        whole = best_wedge(P, pos, neg, len(P))
        monkeypatch.setattr(wedges, "COMPACT_CELLS", 1)
        cut = best_wedge(P, pos, neg, len(P))
        monkeypatch.undo()
        assert cut.errors == cut.lower_bound == whole.errors == whole.lower_bound
        A, B = cut.A, cut.B
        wc, wn = (pos, neg) if cut.inside > 0 else (neg, pos)
        assert int(wc[~(A & B)].sum() + wn[A & B].sum()) == cut.errors
        monkeypatch.setattr(checker, "COMPACT_CELLS", 1)  # the checker's own listing, cut as often
        X, Y, counts = P, np.where(y > 0, 1, -1)[:, None], np.ones(len(P), dtype=np.int64)
        assert checker.fewer_errors(X, Y, counts, cut.errors) == ""
        assert "fewer than" in checker.fewer_errors(X, Y, counts, cut.errors + 1)
        monkeypatch.undo()


@pytest.mark.parametrize("dataset", ["circles", "moons", "spirals"])
def test_the_greedy_wedge_the_listing_starts_from_is_counted_right_and_no_worse_than_the_line(dataset):
    """The best line, then for either label inside it the best second line on its points: the
    count is that wedge's, both sides are half-plane dichotomies of every point, and on circles
    the greedy wedge is already the optimum the listing proves (87 of 500, where the line has 168)."""
    from combinatorial import halfplanes
    from combinatorial.backends.lazy.twounits import _greedy
    from combinatorial.separability import check_separable
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset(dataset, DataOptions(samples=500 if dataset == "circles" else 200))
    P, where = np.unique(d.X, axis=0, return_inverse=True)
    pos = np.bincount(where.reshape(-1), weights=d.y == 1, minlength=len(P)).astype(np.int64)
    neg = np.bincount(where.reshape(-1), weights=d.y != 1, minlength=len(P)).astype(np.int64)
    line_errors, line = halfplanes.best_dichotomy(P, neg, pos)
    errors, A, B, inside = _greedy(P, pos, neg, line_errors, line)
    c, n = (pos, neg) if inside == 1 else (neg, pos)
    R = A & B
    assert errors == int(c[~R].sum() + n[R].sum()) <= line_errors
    assert all(check_separable(P, np.where(S, 1, -1)).separable for S in (A, B) if 0 < S.sum() < len(S))
    if dataset == "circles":
        assert errors == best_wedge(P, pos, neg, line_errors).errors == 87 < line_errors
