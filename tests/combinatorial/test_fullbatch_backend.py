"""The ``fullbatch`` backend (full-batch FTPROP): finds easy fits, never claims infeasibility."""

import numpy as np
import pytest

from combinatorial import Problem, Status, solve
from combinatorial.backends import fullbatch as backend
from ftprop.data import DataOptions, load_dataset


def _xor():
    X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=float)
    return X, np.array([0, 1, 1, 0])


def test_xor_width_two_is_found_and_verified():
    X, y = _xor()
    sol = solve(X, y, hidden=(2,), backend="fullbatch", seed=0, time_limit=20)
    assert sol.status is Status.FEASIBLE  # solve() refitted the targets and verified every label
    assert sol.train_errors == 0
    assert sol.proved_for is None
    assert sol.hidden_targets[0].shape == (4, 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_teacher_data_is_fitted(seed):
    ds = load_dataset("teacher", DataOptions(inputs=4, teacher_hidden=(3,), samples=30, seed=seed))
    sol = solve(ds.X, ds.y, hidden=(3,), backend="fullbatch", seed=seed, time_limit=20)
    assert sol.status is Status.FEASIBLE
    assert sol.train_errors == 0


def test_two_hidden_layers():
    ds = load_dataset("teacher", DataOptions(inputs=3, teacher_hidden=(2,), samples=16, seed=0))
    sol = solve(ds.X, ds.y, hidden=(3, 2), backend="fullbatch", seed=0, time_limit=20)
    assert sol.status is Status.FEASIBLE
    assert sol.train_errors == 0


def test_infeasible_instance_is_unknown_never_infeasible():
    # parity-3 needs more than one hidden sign unit: no 3-1-1 network exists.
    ds = load_dataset("parity-3")
    sol = solve(ds.X, ds.y, hidden=(1,), backend="fullbatch", seed=0, time_limit=1.0)
    assert sol.status is Status.UNKNOWN
    assert sol.proved_for is None
    assert sol.hidden_targets is not None and sol.train_errors > 0  # best effort is reported


def test_restart_budget_without_time_limit_ends_unknown():
    ds = load_dataset("parity-3")
    problem = Problem.from_data(ds.X, ds.y, (1,))
    trace = backend.search(problem, seed=0, config=backend.FTPropConfig(max_restarts=2, layer_budget=3))
    assert not trace.found and trace.restarts == 2
    assert backend.result_from_trace(trace).status is Status.UNKNOWN


def test_seeded_runs_repeat():
    X, y = _xor()
    p = Problem.from_data(X, y, (2,))
    cfg = backend.FTPropConfig(max_restarts=3)
    a, b = backend.search(p, seed=4, config=cfg), backend.search(p, seed=4, config=cfg)
    assert a.found == b.found and a.steps == b.steps
    assert all(np.array_equal(s, t) for s, t in zip(a.hidden_targets, b.hidden_targets))


def test_the_old_backend_name_still_works_with_one_note(capsys):
    import warnings

    from ftprop import cli

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = solve(*_xor(), hidden=(2,), backend="ftprop", seed=0, time_limit=20)
    assert sol.backend == "fullbatch" and any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert cli.main(["solve", "--dataset", "xor", "--hidden", "2", "--backend", "ftprop"]) == 0
    out, err = capsys.readouterr()
    assert "[fullbatch]" in out and err.strip() == "note: backend 'ftprop' is now called 'fullbatch'; the old name will go"
