"""The pairs' bound on the errors raised by error sets (combinatorial.errorsets) and its check
(ftprop.checker.separation.ErrorSets): the checker's enumeration against every subset, the raised
bound against the enumerated fewest errors, blobs-200 at width 3 proved optimal with a file that
checks, and files that must not pass."""

from __future__ import annotations

import itertools
import json
import zipfile

import numpy as np
import pytest

from combinatorial import errorsets, solve
from combinatorial.problem import Problem
from combinatorial.solution import Status
from ftprop.checker import check
from ftprop.checker.separation import ErrorSets
from ftprop.data import DataOptions, load_dataset

from test_separation import _rewritten


def _meets(rows, cuts) -> bool:
    return all(int(w[np.isin(A, rows) | np.isin(B, rows)].sum()) >= need for A, B, w, need in cuts)


@pytest.mark.parametrize("trial", range(30))
def test_the_checkers_enumeration_finds_a_set_exactly_when_one_exists(trial):
    rng = np.random.default_rng(trial)
    m = int(rng.integers(4, 9))
    counts = rng.integers(1, 3, m) if trial % 3 == 0 else np.ones(m, dtype=np.int64)
    cuts = []
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.integers(2, 8))
        A, B = rng.integers(0, m, k), rng.integers(0, m, k)
        w = rng.integers(0, 6, k)
        cuts.append((A, B, w, int(rng.integers(1, max(2, int(w.sum()) + 1)))))
    budget = int(rng.integers(0, 4))
    found = ErrorSets(cuts, counts, budget).first()
    fits = [list(s) for r in range(m + 1) for s in itertools.combinations(range(m), r)
            if counts[list(s)].sum() <= budget and _meets(list(s), cuts)]
    assert (found is None) == (not fits)
    if found is not None:
        assert counts[found].sum() <= budget and _meets(found, cuts)


@pytest.mark.parametrize("trial", range(12))
def test_the_raised_bound_never_exceeds_the_enumerated_fewest_errors(trial):
    rng = np.random.default_rng(500 + trial)
    # random floats; a small grid (collinear points); and repeated examples (merged rows counted twice)
    P = rng.integers(0, 4, (11, 2)).astype(float) if trial % 3 == 1 else rng.random((11, 2))
    y = rng.integers(0, 2 + trial % 2, len(P))
    y[:3] = [0, 1, 0]
    if trial % 3 == 2:
        P, y = np.concatenate([P, P[:4]]), np.concatenate([y, y[:4]])
    problem = Problem.from_data(P, y, (1,))
    first = errorsets.errors_bound(problem, 1)
    fewest = solve(P, y, hidden=(1,), objective="min-errors", backend="enumerate")
    assert fewest.status == Status.OPTIMAL
    if first is None:
        pytest.skip("no pair bound to raise")
    raised = errorsets.raised(problem, first, fewest.train_errors)
    assert first.errors <= raised.errors <= fewest.train_errors
    for pairs, _ in raised.more:  # each further cut is on pairs of different labels
        assert all(not np.array_equal(problem.Yu[a], problem.Yu[b]) for a, b in pairs)


def _blobs():
    return load_dataset("blobs", DataOptions(samples=200, seed=0))


def test_blobs_at_width_three_is_proved_optimal_by_the_raised_bound(tmp_path):
    d = _blobs()
    path, events = tmp_path / "b.zip", []
    sol = solve(d.X, d.y, hidden=(3,), objective="min-errors", time_limit=60, seed=0, proof=str(path),
                progress=events.append)
    # the pairs' LP alone proves 3, the descent's network makes 4; the error sets close the gap
    assert sol.stats["pair_errors_bound"] == 3 and sol.stats["errors_raised"] == 4
    # a watched solve hears them after the descent: their first round, below the descent's 4 errors
    kinds = [e["event"] for e in events]
    assert kinds.index("descent") < kinds.index("errorsets")
    first = events[kinds.index("errorsets")]
    assert first["incumbent_errors"] == 4 and first["lower_bound"] == 3 and first["cuts"] == 1
    assert sol.status == Status.OPTIMAL and sol.train_errors == 4 == sol.lower_bound
    assert sol.proof_file.kind == "separation"
    verdict = check(path, d.X, d.y)
    assert verdict.valid, verdict.reason
    assert verdict.stats["cuts"] == sol.stats["errors_cuts"] > 1

    with zipfile.ZipFile(path) as z:
        assert len(json.loads(z.read("certificate.json"))["more"]) == sol.stats["errors_cuts"] - 1

    def first_cut_only(body):  # the LP's own cut allows three errors
        body.pop("more")

    def claims_more(body):
        body["errors"] += 1

    def same_labels(body):
        body["more"][0]["pairs"][0] = [body["more"][0]["pairs"][0][0]] * 2

    for change, words in ((first_cut_only, "are not ruled out"), (claims_more, "makes 4 training errors"),
                          (same_labels, "cut 1: pair 0")):
        bad = check(_rewritten(path, tmp_path, change), d.X, d.y)
        assert not bad.valid and words in bad.reason, bad.reason


def test_a_raise_that_cannot_meet_the_network_reports_its_bound(monkeypatch):
    from combinatorial.backends.lazy import threeunits

    d = _blobs()
    three = threeunits.descended_network  # the start held to three units' network, 4 errors (four units find 2)
    monkeypatch.setattr(threeunits, "descended_network", lambda problem, width, *a, **k: three(problem, min(width, 3), *a, **k))
    sol = solve(d.X, d.y, hidden=(4,), objective="min-errors", time_limit=20, seed=0)
    # at width four the pairs' LP proves 1 error and the error sets 2, short of the network's 4
    assert sol.stats["pair_errors_bound"] < sol.stats["errors_raised"] <= sol.lower_bound <= sol.train_errors
    assert sol.status == Status.FEASIBLE


def test_a_hostile_file_is_capped_not_enumerated_for_hours(tmp_path, monkeypatch):
    import ftprop.checker.separation as checker

    d = _blobs()
    path = tmp_path / "b.zip"
    sol = solve(d.X, d.y, hidden=(3,), objective="min-errors", time_limit=60, seed=0, proof=str(path))
    assert sol.status == Status.OPTIMAL

    def many_cuts(body):
        body["more"] = body["more"] * (checker.MAX_CUTS // len(body["more"]) + 1)

    bad = check(_rewritten(path, tmp_path, many_cuts), d.X, d.y)
    assert not bad.valid and f"at most {checker.MAX_CUTS} cuts" in bad.reason, bad.reason
    monkeypatch.setattr(checker, "MAX_WORK", 10 * sol.stats["errors_cuts"])  # ten sets: fewer than the proof needs
    bad = check(path, d.X, d.y)
    assert not bad.valid and "does not go further" in bad.reason, bad.reason
    monkeypatch.setattr(checker, "MAX_POINTS", 20)  # the cuts' points together exceed 20^2 pairs of points
    bad = check(path, d.X, d.y)
    assert not bad.valid and "too many points together" in bad.reason, bad.reason


def test_on_rounded_inputs_the_raised_optimum_checks_valid(tmp_path):
    # blobs rounded to a 0.1 grid: many collinear points, exact ties on lines through two of them
    d = load_dataset("blobs", DataOptions(samples=150, seed=4, noise=1.2))
    X = np.round(d.X * 10) / 10
    path = tmp_path / "g.zip"
    sol = solve(X, d.y, hidden=(3,), objective="min-errors", time_limit=30, seed=0, proof=str(path))
    assert sol.stats["pair_errors_bound"] < sol.stats["errors_raised"] == sol.train_errors
    assert sol.status == Status.OPTIMAL and sol.lower_bound == sol.train_errors
    verdict = check(path, X, d.y)
    assert verdict.valid, verdict.reason
