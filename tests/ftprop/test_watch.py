"""Watching a solve: progress lines, the JSONL log, and the best network an UNKNOWN returns."""

from __future__ import annotations

import json

from ftprop import cli


def test_progress_lines_and_the_event_log(tmp_path, capsys):
    log = tmp_path / "events.jsonl"
    # without the decision list, which fits this width at once (no search to watch)
    code = cli.main(["solve", "--dataset", "circles", "--samples", "80", "--hidden", "3", "--time-limit", "4",
                     "--workers", "1", "--progress", "--log", str(log), "--no-decision-list"])
    assert code in (0, 3)
    err = capsys.readouterr().err.splitlines()
    lines = [line for line in err if line.startswith("[")]
    assert lines and lines[0].startswith("[   0.0 s] search started: 80 examples")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert events[0]["event"] == "start" and {e["event"] for e in events[1:]} <= {"master", "heuristic", "round"}
    assert all(e["examples"] == 80 and e["working_set"] <= 80 for e in events)
    assert len(events) >= len(lines)  # the log has every event, the lines at most one a second
    assert all(a["elapsed_s"] <= b["elapsed_s"] for a, b in zip(events, events[1:]))
    assert all(set(e) >= {"examples", "working_set", "incumbent_errors", "cuts", "iterations"} for e in events)


def test_quiet_prints_no_progress(capsys):
    assert cli.main(["solve", "--dataset", "xor", "--hidden", "2", "--workers", "1", "--quiet"]) == 0
    assert not [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]


def test_an_unwritable_log_is_one_line_and_exit_2(tmp_path, capsys):
    assert cli.main(["solve", "--dataset", "xor", "--hidden", "2", "--log", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: --log {tmp_path}")


def test_an_unknown_answer_carries_the_best_network_seen():
    from combinatorial import Status, solve
    from combinatorial.backends.lazy import LazyOptions
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("circles", DataOptions(samples=200))
    # without the decision list, which fits width 4 at once
    sol = solve(d.X, d.y, (4,), time_limit=4, workers=1, backend_options=LazyOptions(decision_list=False))
    if sol.status is Status.UNKNOWN:  # no fit within the limit: the incumbent, not a trivial network
        assert sol.layers is not None and sol.train_errors < 60, sol.train_errors
        assert "best network found" in sol.message
    else:
        assert sol.status is Status.FEASIBLE and sol.train_errors == 0


def test_the_error_sets_read_as_their_cuts_and_bound():
    from ftprop.cli.watch import line

    event = {"event": "errorsets", "elapsed_s": 1.1, "examples": 200, "working_set": 200, "incumbent_errors": 4,
             "lower_bound": 3, "cuts": 11, "heuristic_runs": 0}
    assert line(event) == "[   1.1 s] error sets: 200 examples, best 4 errors, bound 3, 11 cuts, 0 restarts"
