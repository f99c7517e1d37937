"""The decision list of half-planes (combinatorial.declist): a one-hidden-layer network that fits
by construction, its place in the lazy search (a first layer at least that wide fits at once) and
in min_width (an upper bound where a narrower width stays unknown)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from combinatorial import declist, min_width, solve
from combinatorial.fitting import training_errors
from combinatorial.problem import Problem
from combinatorial.solution import Status
from ftprop.checker import check


def _plane(rng, trial, n=60):
    """Gaussian points, a lattice (many collinear triples and lines through more than two
    points), or points on one line, with two to four classes."""
    kind = trial % 3
    if kind == 0:
        X = rng.normal(size=(n, 2))
    elif kind == 1:
        X = np.unique(rng.integers(0, 6, size=(n, 2)).astype(float), axis=0)
    else:
        X = np.column_stack([rng.permutation(n).astype(float), np.zeros(n)])
    y = rng.integers(0, 2 + trial % 3, len(X))
    return X, y


@pytest.mark.parametrize("trial", range(12))
def test_the_network_fits_every_example_at_its_width_and_wider(trial):
    rng = np.random.default_rng(trial)
    X, y = _plane(rng, trial)
    problem = Problem.from_data(X, y, (1,))
    found = declist.build(problem)
    assert found is not None and 1 <= found.width <= found.listed
    for width in (found.width, found.width + 2):
        wide = Problem.from_data(X, y, (width,))
        assert not training_errors(wide, found.layers(width)).any()
    if trial % 3 == 2:  # on a line the list peels a run of one label off either end: one unit per
        # label change, which the pair bound shows is the fewest
        order = np.argsort(X[:, 0])
        assert found.width == found.listed == int((y[order][1:] != y[order][:-1]).sum())


def test_a_first_layer_as_wide_as_the_list_fits_at_once_and_its_file_checks(tmp_path):
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("spirals", DataOptions(samples=200))
    problem = Problem.from_data(d.X, d.y, (1,))
    width = declist.build(problem).width
    path = tmp_path / "s.zip"
    sol = solve(d.X, d.y, hidden=(width,), time_limit=60, proof=str(path))
    assert sol.status == Status.FEASIBLE and sol.train_errors == 0
    assert sol.stats["decision_list"] == width and "decision list" in sol.stats["incumbent_by"]
    assert check(path, d.X, d.y).valid
    best = solve(d.X, d.y, hidden=(width + 1,), objective="min-errors", time_limit=60)
    assert best.status == Status.OPTIMAL and best.train_errors == 0 and best.lower_bound == 0
    off = solve(d.X, d.y, hidden=(width,), time_limit=3, backend_options=_no_list())
    assert "decision_list" not in off.stats


def _no_list():
    from combinatorial.backends.lazy import LazyOptions

    return LazyOptions(decision_list=False)


def test_min_width_ends_with_the_list_s_width_above_a_width_left_unknown():
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("spirals", DataOptions(samples=194))
    search = min_width(d.X, d.y, max_width=40, time_limit=20)  # 12 s left no time for width 15 on a busy machine
    assert search.found is not None and search.found.status == Status.FEASIBLE
    listed = search.found.stats["decision_list"]
    assert search.found.architecture[1] == listed and search.unknown_at is not None and search.unknown_at < listed
    assert search.min_width is None and f"the minimum is {search.unknown_at} to {listed}" in search.message()
    below = [s for s in search.attempts if s.architecture[1] < search.unknown_at]
    assert below and all(s.status == Status.INFEASIBLE for s in below)


def test_a_narrower_search_starts_from_the_list_s_first_units():
    from combinatorial.backends.lazy.goals import realise
    from combinatorial.network import forward
    from ftprop.data import DataOptions, load_dataset

    from combinatorial.deadline import time_limit

    d = load_dataset("spirals", DataOptions(samples=194))
    problem = Problem.from_data(d.X, d.y, (1,))
    pruned = declist.build(problem)  # kept: the solve's list
    sol = solve(d.X, d.y, hidden=(15,), time_limit=6, workers=1)
    with time_limit(time.monotonic()):  # the list the solve used: shrunk as far as its share went
        net = declist.shrunk(problem, pruned, 15)
    first = forward(net.layers(net.width), problem.Xu)[0][:, :15]
    _, right = realise(Problem.from_data(d.X, d.y, (15,)), [first], None)
    given = int((~right).sum())  # what the first 15 units and an output LP get wrong
    assert sol.status is Status.UNKNOWN and sol.stats["decision_list"] == net.width
    assert sol.train_errors <= given < 60
    off = solve(d.X, d.y, hidden=(15,), time_limit=6, workers=1, backend_options=_no_list())
    assert "decision_list" not in off.stats and off.train_errors > given  # the search alone: 72 errors after 105 s


def _spirals(samples, width):
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("spirals", DataOptions(samples=samples))
    return d, Problem.from_data(d.X, d.y, (width,))


def test_narrowing_drops_the_unit_whose_loss_costs_least_and_keeps_the_list_s_units():
    from combinatorial.exact import signs

    d, problem = _spirals(100, 1)
    net = declist.build(problem)
    codes = signs(problem.Xu, np.array([w for w, _ in net.units]), [b for _, b in net.units])
    declist._CHAINS.clear()
    previous = None
    for width in range(net.width - 1, net.width - 4, -1):
        found = declist.narrowed(problem, net, width)
        assert found.codes.shape == (problem.n_merged, width) and found.listed == net.width
        # every column is one of the list's units, each at most once
        columns = [int(np.flatnonzero((codes == found.codes[:, [k]]).all(axis=0))[0]) for k in range(width)]
        assert len(set(columns)) == width
        assert found.errors == int(problem.counts[~found.right].sum())
        # the greedy drop is the best single drop, so no worse than dropping the list's last units
        last, _ = declist._output_errors(codes[:, :width].astype(float), problem)
        assert found.errors <= last
        if previous is not None:  # the chain: a narrower width drops one more of the same units
            assert set(columns) < set(previous)
        previous = columns
    declist._CHAINS.clear()  # the chain built afresh is the same
    assert np.array_equal(declist.narrowed(problem, net, net.width - 3).codes, found.codes)


def test_min_errors_below_the_list_s_width_starts_from_the_narrowed_list():
    d, problem = _spirals(200, 20)
    net = declist.shrunk(problem, declist.build(problem), 20)
    narrowed = declist.narrowed(problem, net, 20)
    assert 0 < narrowed.errors < 30  # 11: far below the 67 of the four-unit start it replaces
    sol = solve(d.X, d.y, hidden=(20,), objective="min-errors", time_limit=8, workers=1)
    assert sol.stats["narrowed_errors"] == narrowed.errors
    assert sol.train_errors <= narrowed.errors and (sol.lower_bound or 0) <= sol.train_errors
    off = solve(d.X, d.y, hidden=(20,), objective="min-errors", time_limit=8, workers=1,
                backend_options=_no_list())
    assert "narrowed_errors" not in off.stats and off.train_errors > narrowed.errors


def test_narrowing_is_left_to_the_descent_below_five_units():
    d, _ = _spirals(100, 4)
    sol = solve(d.X, d.y, hidden=(4,), objective="min-errors", time_limit=4, workers=1)
    assert "narrowed_errors" not in sol.stats and "narrowed_s" not in sol.stats


@pytest.mark.parametrize("name, samples", [("spirals", 200), ("blobs", 200)])
def test_shrinking_ends_narrower_with_a_fit_that_checks(name, samples, tmp_path):
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset(name, DataOptions(samples=samples))
    problem = Problem.from_data(d.X, d.y, (1,))
    pruned = declist.build(problem)
    declist._SHRUNK.clear()
    net = declist.shrunk(problem, pruned)
    assert net.width < pruned.width  # 27 -> 23 and 8 -> 6
    wide = Problem.from_data(d.X, d.y, (net.width,))
    assert not training_errors(wide, net.layers(net.width)).any()
    assert declist.shrunk(problem, pruned) is net  # kept: a second call goes on from it (it found no further step)
    # the lazy search fits that width at once, from the same network, and its file checks
    proof = tmp_path / "fit.json"
    sol = solve(d.X, d.y, hidden=(net.width,), workers=1, proof=str(proof))
    assert sol.status is Status.FEASIBLE and "shrunk" in sol.stats["incumbent_by"]
    assert check(str(proof), d.X, d.y).valid


def test_shrinking_stops_at_the_width_asked_for():
    d, problem = _spirals(200, 1)
    pruned = declist.build(problem)
    declist._SHRUNK.clear()
    assert declist.shrunk(problem, pruned, 25).width == 25
    assert declist.shrunk(problem, pruned, 24).width == 24  # goes on from 25
