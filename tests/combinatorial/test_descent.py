"""The coordinate descent over half-planes (combinatorial.descent): its tables of output layers
against brute force, its dichotomies against the listing the exact enumerations use, each step
against every realised dichotomy, and its place in the lazy backend."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from combinatorial import descent, solve
from combinatorial.solution import Status
from combinatorial.wedges import dichotomies
from ftprop.checker import check
from instances import plane_points, realised_dichotomies


def test_the_threshold_functions_are_the_known_counts_and_each_is_lp_realised():
    from scipy.optimize import linprog

    assert [len(descent.threshold_functions(w)) for w in (1, 2, 3, 4)] == [4, 14, 104, 1882]
    cube = np.array(list(itertools.product([1, -1], repeat=3)))
    lp = set()  # every truth table on the 3-cube that an LP separates with margin 1
    for bits in itertools.product([1, -1], repeat=8):
        b = np.array(bits)
        r = linprog(np.zeros(4), A_ub=-(b[:, None] * np.hstack([cube, np.ones((8, 1))])), b_ub=-np.ones(8),
                    bounds=[(None, None)] * 4, method="highs")
        if r.status == 0:
            lp.add(tuple(b > 0))
    assert {tuple(f) for f in descent.threshold_functions(3)} == lp


def test_three_class_labellings_of_two_units_are_every_output_row_assignment_reduced():
    """Two hidden bits, three one-vs-rest outputs: each output is any function of two bits but
    XOR and XNOR. Every cell labelling those realise is extended by a listed one, and every
    listed one is realised."""
    cells = list(itertools.product([1, -1], repeat=2))
    xor = {tuple(a * b > 0 for a, b in cells), tuple(a * b < 0 for a, b in cells)}
    outputs = [f for f in itertools.product([False, True], repeat=4) if f not in xor]
    realised = set()
    for f in itertools.product(outputs, repeat=3):
        rows = np.array(f).T  # cells x outputs
        realised.add(tuple(int(np.argmax(r)) if r.sum() == 1 else -1 for r in rows))
    listed = {tuple(int(v) for v in row) for row in descent.cell_labellings(2, 3)}
    assert listed <= realised
    for lab in realised:
        assert any(all(a == -1 or a == b for a, b in zip(lab, row)) for row in listed), lab


@pytest.mark.parametrize("seed", range(2))
def test_every_dichotomy_is_the_listing_of_the_exact_enumerations_up_to_complement(seed):
    rng = np.random.default_rng(seed)
    for trial in range(8):
        P = plane_points(rng, trial)
        mine = {tuple(r) for r in descent.every_dichotomy(P)}
        theirs = dichotomies(P, np.ones(len(P)), 2**62)
        assert mine == {tuple(r if r[0] else ~r) for r in theirs}, P.tolist()


def _brute_step(P, C, held, labs):
    """The fewest errors over every realised dichotomy as the free unit (the last) and every
    labelling, the other units ``held``."""
    made, _ = realised_dichotomies(P)
    best = None
    for A in made:
        H = np.stack(list(held) + [np.asarray(A, bool)], axis=1)
        cell = descent.cell_index(H)
        for lab in labs:
            right = sum(C[p, lab[cell[p]]] for p in range(len(P)) if lab[cell[p]] >= 0)
            e = int(C.sum()) - right
            best = e if best is None else min(best, e)
    return best


@pytest.mark.parametrize("classes, width", [(2, 2), (2, 3), (3, 2)])
def test_a_step_finds_the_best_unit_with_the_others_held(classes, width):
    """Where all the labellings are scored (at most :data:`descent.TOP`) a step is exact: no
    realised dichotomy does better as the free unit, under any output layer."""
    rng = np.random.default_rng(classes * 10 + width)
    labs = descent.cell_labellings(width, classes)
    assert len(labs) <= descent.TOP
    for trial in range(6):
        P = plane_points(rng, trial) if trial % 4 != 2 else rng.normal(size=(6, 2))
        C = rng.integers(0, 3, size=(len(P), classes))
        S = descent.every_dichotomy(P)
        scorer = descent._Scorer(S, C, labs, width)
        units = list(rng.choice(len(S), size=width))
        got, row, lab = scorer.best_unit(units, width - 1)
        held = [S[u] for u in units[:-1]]
        assert got == _brute_step(P, C, held, labs)
        H = np.stack(held + [S[row]], axis=1)  # the step's answer recounts to what it says
        cell = descent.cell_index(H)
        right = sum(C[p, lab[cell[p]]] for p in range(len(P)) if lab[cell[p]] >= 0)
        assert int(C.sum()) - right == got


def test_three_units_on_three_blobs_make_fewer_errors_than_two():
    """Blobs at 200 points: two units make 6 errors at best (the trees' optimum); the descent's
    three make fewer, and its count is the network's."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("blobs", DataOptions(samples=200))
    C = np.eye(3, dtype=np.int64)[d.y]
    found = descent.descend(d.X, C, 3, seed=0, restarts=8)
    assert found.errors == int((found.predicted() != d.y).sum()) < 6


def test_three_classes_at_width_three_start_from_the_descent():
    """The lazy backend hands the descent's network to the search; the answer is a verified
    network no worse than it, with a true bound; a watched solve hears from the descent first."""
    from ftprop.cli.watch import line
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("blobs", DataOptions(samples=120))
    C = np.eye(3, dtype=np.int64)[d.y]
    own = descent.descend(d.X, C, 3, seed=0)
    events = []
    sol = solve(d.X, d.y, (3,), objective="min-errors", backend="lazy", time_limit=4, progress=events.append)
    assert sol.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert sol.lower_bound <= sol.train_errors <= own.errors
    assert sol.stats["exact_method"] == descent_method()
    heard = [e for e in events if e["event"] == "descent"]  # a watched solve hears from it at once
    assert heard and heard[0] is events[0] and heard[-1]["incumbent_errors"] >= sol.train_errors
    assert "coordinate descent, 1 of 32 starts" in line(heard[0])


def descent_method():
    from combinatorial.backends.lazy import threeunits

    return threeunits.DESCENT


def test_a_wider_start_keeps_the_descent_where_no_triple_beats_it():
    """Spirals at 100 points: the descent's four units make fewer errors than the best triple
    (32, the width-3 optimum), so the enumeration is asked to beat them, finds nothing, and the
    start is the descent's network, padded to the width asked."""
    from combinatorial.backends.lazy import threeunits
    from combinatorial.problem import Problem
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("spirals", DataOptions(samples=100))
    problem = Problem.from_data(d.X, d.y, (5,))
    found = threeunits.wider_start(problem, seed=0)
    assert found.method == threeunits.DESCENT and found.errors < 32
    assert found.D.shape == (problem.n_merged, 5) and int(problem.counts[~found.right].sum()) == found.errors


def test_widths_without_a_descent_are_refused():
    """Three classes at six units (15 million threshold functions per output) and two classes at
    five: refused, not tried; three classes at four and five units search their outputs."""
    assert descent.applies(2, 4) and descent.applies(3, 3) and descent.applies(3, 4) and descent.applies(3, 5)
    assert not descent.applies(3, 6) and not descent.applies(2, 5)
    with pytest.raises(ValueError, match="3 classes and 6 units"):
        descent.descend(np.zeros((3, 2)) + np.arange(3)[:, None] * [1.0, 2.0], np.eye(3, dtype=int), 6)


def test_four_units_on_three_blobs_meet_the_pairs_bound_and_the_proof_checks(tmp_path):
    """Blobs at 200 points, four units: the descent over four units (outputs found per
    dichotomy) makes 2 errors, where three units make 4 at best; the error sets prove 2, so the
    answer is optimal and its proof file VALID."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("blobs", DataOptions(samples=200))
    found = descent.descend(d.X, np.eye(3, dtype=np.int64)[d.y], 4, seed=0)
    assert found.errors == int((found.predicted() != d.y).sum()) < 4
    proof = tmp_path / "blobs.json"
    sol = solve(d.X, d.y, (4,), objective="min-errors", backend="lazy", time_limit=60, proof=str(proof))
    assert sol.status is Status.OPTIMAL and sol.train_errors == sol.lower_bound <= found.errors
    assert check(str(proof), d.X, d.y).valid


def test_a_fit_of_three_classes_comes_from_the_descent_where_the_list_is_wider(tmp_path):
    """Blobs at 80 points: the decision list needs five units; the descent's search for a fit
    finds four, which the engine realises and verifies; its weights file checks VALID. Min-errors
    at that width is then optimal with no errors, by the same fit."""
    from combinatorial.backends.lazy import threeunits
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("blobs", DataOptions(samples=80))
    proof = tmp_path / "fit.json"
    sol = solve(d.X, d.y, (4,), backend="lazy", time_limit=60, proof=str(proof))
    assert sol.status is Status.FEASIBLE and sol.train_errors == 0
    assert sol.stats["decision_list"] > 4 and sol.stats["incumbent_by"] == threeunits.DESCENT
    assert sol.stats["descent_fit_errors"] == 0
    assert check(str(proof), d.X, d.y).valid
    best = solve(d.X, d.y, (4,), objective="min-errors", backend="lazy", time_limit=60)
    assert best.status is Status.OPTIMAL and best.train_errors == 0 == best.lower_bound


def test_min_errors_keeps_the_fit_search_s_best_network_where_it_finds_no_fit(monkeypatch):
    """Blobs at 100 points, five units: the descent's search for a fit ends with errors; its
    network is an incumbent, so the answer errs no more, even with no other start (the wider
    layers' start switched off)."""
    from combinatorial.backends.lazy import threeunits
    from ftprop.data import DataOptions, load_dataset

    monkeypatch.setattr(threeunits, "wider_start", lambda *a, **k: None)
    d = load_dataset("blobs", DataOptions(samples=100))
    sol = solve(d.X, d.y, (5,), objective="min-errors", backend="lazy", time_limit=8)
    assert sol.stats["descent_fit_errors"] > 0 and sol.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert (sol.lower_bound or 0) <= sol.train_errors <= sol.stats["descent_fit_errors"]
