"""Warm starts: targets from a saved solution round-trip; heuristic sources produce valid hints."""

import json

import numpy as np
import pytest

from combinatorial import Problem, Status, solve
from ftprop.errors import InputError
from ftprop.studies.heuristics import MBConfig, load_targets, warm_start_targets


def _teacher():
    from ftprop.data import DataOptions, load_dataset

    ds = load_dataset("teacher", DataOptions(inputs=3, teacher_hidden=(2,), samples=20, seed=0))
    return ds.X, ds.y


def test_saved_solution_round_trips_as_warm_start(tmp_path):
    X, y = _teacher()
    sol = solve(X, y, hidden=(2,), time_limit=30, workers=1)
    assert sol.status is Status.FEASIBLE
    path = tmp_path / "sol.json"
    path.write_text(json.dumps(sol.to_dict()))  # what `ftprop solve --save` writes
    problem = Problem.from_data(X, y, (2,))
    targets, info = warm_start_targets(str(path), problem)
    assert info["source"] == str(path)
    assert len(targets) == 1 and np.array_equal(targets[0], sol.hidden_targets[0])
    warm = solve(problem, time_limit=30, workers=1, warm_start=targets)
    assert warm.status is Status.FEASIBLE and warm.train_errors == 0


def test_bad_warm_start_files_are_input_errors(tmp_path):
    X, y = _teacher()
    problem = Problem.from_data(X, y, (2,))
    with pytest.raises(InputError, match="no such file"):
        load_targets(tmp_path / "missing.json", problem)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not a JSON file"):
        load_targets(bad, problem)
    bad.write_text(json.dumps({"hidden_targets": [[[1, 1]] * 5]}))
    with pytest.raises(InputError, match="shape"):
        load_targets(bad, problem)
    bad.write_text(json.dumps({"hidden_targets": [[[1, 0]] * len(y)]}))
    with pytest.raises(InputError, match="-1 or \\+1"):
        load_targets(bad, problem)
    bad.write_text(json.dumps({"hidden_targets": [[[1, 1]] * len(y)] * 2}))
    with pytest.raises(InputError, match="2 hidden layers"):
        load_targets(bad, problem)


@pytest.mark.parametrize("source", ["fullbatch", "ftprop", "minibatch"])
def test_heuristic_sources_give_hints_the_exact_engine_accepts(source):
    X, y = _teacher()
    problem = Problem.from_data(X, y, (2,))
    targets, info = warm_start_targets(source, problem, seed=0, time_limit=10,
                                       mb_config=MBConfig(epochs=50) if source == "minibatch" else None)
    assert info["source"] == {"ftprop": "fullbatch"}.get(source, source) and info["time_s"] >= 0
    assert targets[0].shape == (len(y), 2) and set(np.unique(targets[0])) <= {-1, 1}
    sol = solve(problem, time_limit=30, workers=1, warm_start=targets)
    assert sol.status is Status.FEASIBLE


def test_cli_warm_start_from_a_saved_solution(tmp_path, capsys):
    from ftprop.cli import main

    data = ["--dataset", "teacher", "--inputs", "3", "--teacher-hidden", "2", "--samples", "20", "--hidden", "2",
            "--workers", "1"]
    saved = tmp_path / "sol.json"
    assert main(["solve", *data, "--save", str(saved)]) == 0
    capsys.readouterr()
    assert main(["solve", *data, "--warm-start", str(saved), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "feasible" and out["warm_start"]["source"] == str(saved)
    assert main(["solve", "--dataset", "xor", "--hidden", "3", "--warm-start", str(saved)]) == 2
    assert "expected (4, 3)" in capsys.readouterr().err
