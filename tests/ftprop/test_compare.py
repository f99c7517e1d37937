"""ftprop compare: symmetry-aware distance, the report's fields, the CLI, the study's smoke run."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ftprop.cli import main
from ftprop.studies.compare import CompareConfig, compare, symmetric_distance, target_distance
from ftprop.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_distance_is_zero_for_a_permuted_and_flipped_copy():
    rng = np.random.default_rng(0)
    A = rng.choice([-1, 1], size=(12, 4))
    B = -A[:, [2, 0, 3, 1]]
    B[:, 1] *= -1  # flip one unit back: mixed signs
    assert symmetric_distance(A, B) == 0.0
    assert target_distance([A, A[:, :2]], [B, -A[:, :2][:, ::-1]])[0] == 0.0


def test_distance_on_a_hand_example():
    A = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
    # B's first column is A's second with one bit wrong; B's second is -A's first.
    B = np.array([[1, -1], [-1, -1], [1, 1], [1, 1]])
    # Matching: A0 <-> B1 flipped (0 mismatches), A1 <-> B0 (1 mismatch): 1 / (4 * 2).
    assert symmetric_distance(A, B) == pytest.approx(1 / 8)
    # With flips forbidden it would be larger; a complement counts as identical.
    assert symmetric_distance(A, -A) == 0.0
    assert symmetric_distance(np.ones((4, 1)), np.array([[1], [1], [-1], [-1]])) == pytest.approx(0.5)


def test_compare_report_has_the_fields():
    X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    cfg = CompareConfig(hidden=(2,), rules=("soft-hinge", "sste"), seeds=1, epochs=60, time_limit=10, workers=1)
    rep = compare(X, y, cfg)
    json.dumps(rep)  # JSON-ready
    assert rep["exact"]["status"] == "feasible" and rep["exact"]["fit_exists"] is True
    assert {"versions", "wall_time_s", "config", "data", "summary"} <= set(rep)
    assert len(rep["runs"]) == 1 + 2 * 1
    for r in rep["runs"]:
        for key in ("method", "rule", "seed", "train_errors", "success", "reached_zero_where_fit_exists",
                    "activations_separable_share", "sign_targets_separable_share", "output_separable",
                    "target_distance", "units", "time_s"):
            assert key in r
        assert r["activations_separable_share"] == 1.0  # a network's own activations always are
        assert 0.0 <= r["target_distance"] <= 0.5
        assert len(r["units"]) == 2
    assert [s["method"] for s in rep["summary"]] == ["fullbatch", "minibatch", "minibatch"]


def test_compare_config_rejects_bad_input():
    with pytest.raises(InputError, match="hidden layer"):
        CompareConfig(hidden=())
    with pytest.raises(InputError, match="unknown rule"):
        CompareConfig(hidden=(2,), rules=("relu",))


def test_cli_json_and_errors(capsys, tmp_path):
    save = tmp_path / "rep.json"
    rc = main(["compare", "--dataset", "xor", "--hidden", "2", "--rules", "sste", "--seeds", "1", "--epochs", "30",
               "--time-limit", "10", "--workers", "1", "--json", "--save", str(save)])
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["dataset"] == "xor" and json.loads(save.read_text())["summary"] == rep["summary"]
    rc = main(["compare", "--dataset", "xor", "--hidden", "2", "--rules", "sste", "--seeds", "1", "--epochs", "30",
               "--time-limit", "10", "--workers", "1", "--no-ftprop"])
    out = capsys.readouterr().out
    assert rc == 0 and "minibatch sste" in out and "exact: feasible" in out
    assert main(["compare", "--dataset", "xor", "--hidden", "none"]) == 2
    assert "error: compare needs at least one hidden layer" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--dataset", "xor", "--hidden", "0"])
    assert exc.value.code == 2 and "width must be a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--dataset", "xor", "--hidden", "2", "--batch-size", "zero"])
    assert exc.value.code == 2


def test_study_quick_mode_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "exact_vs_heuristic.py"), "--quick",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in (tmp_path / "exact_vs_heuristic.jsonl").read_text().splitlines()]
    kinds = {r["kind"] for r in rows}
    assert {"exact", "heuristic", "warm"} <= kinds
    assert all("versions" in r and "seed" in r for r in rows)
    assert (tmp_path / "exact_vs_heuristic.md").read_text().startswith("# Exact vs heuristic")
    assert (tmp_path / "exact_vs_heuristic.png").stat().st_size > 0
