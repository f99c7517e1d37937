"""The few-shot benchmark: digits smoke run, the MNIST protocols on tiny files, splits, CLI errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "few_shot.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

from few_shot import disjoint_splits, first_per_class, main, per_class_sample, published_splits  # noqa: E402

KEYS = {"method", "k", "split", "seed", "train_acc", "test_acc", "all_good", "wall_time_s", "status", "protocol",
        "versions", "time_limit"}


def test_quick_smoke(tmp_path):
    """The CI smoke: rows, table and plot in a temporary directory; a rerun resumes."""
    cmd = [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    rows = [json.loads(line) for line in (tmp_path / "few_shot_quick.jsonl").read_text().splitlines()]
    assert {r["method"] for r in rows} == {"exact-real", "exact-ternary", "exact-l2", "ovo-l2", "bemi-ternary",
                                           "ftprop-mb", "sste", "logreg", "mlp"}
    for r in rows:
        assert KEYS <= r.keys() and r["protocol"] == "rest"
        if r["method"].startswith(("exact", "bemi", "ovo")):
            assert r["train_acc"] == 1.0 and r["status"] == "feasible"
        assert (r["all_good"] is not None) == (r["method"] in ("exact-real", "exact-ternary", "exact-l2"))
    md = (tmp_path / "few_shot_quick.md").read_text()
    assert "| exact-ternary |" in md and "| ovo-l2 |" in md
    assert (tmp_path / "few_shot_quick.png").stat().st_size > 0
    again = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    assert "k=2" not in again.stdout  # every row was already there: nothing reran
    assert len((tmp_path / "few_shot_quick.jsonl").read_text().splitlines()) == len(rows)


def test_disjoint_splits_and_test_sample():
    y = np.repeat(np.arange(3), 10)
    sets = disjoint_splits(y, 3, 3, seed=5)
    assert all(np.bincount(y[s], minlength=3).tolist() == [3, 3, 3] for s in sets)
    assert len(np.unique(np.concatenate(sets))) == 27  # disjoint
    assert [s.tolist() for s in sets] == [s.tolist() for s in disjoint_splits(y, 3, 3, seed=5)]
    assert [s.tolist() for s in sets] != [s.tolist() for s in disjoint_splits(y, 3, 3, seed=6)]
    with pytest.raises(ValueError, match="too few examples"):
        disjoint_splits(y, 4, 3, seed=0)
    idx = per_class_sample(np.repeat(np.arange(3), [5, 2, 9]), 4, seed=0)
    assert np.bincount(np.repeat(np.arange(3), [5, 2, 9])[idx]).tolist() == [4, 2, 4]


def test_published_splits_follow_bemis_index_function():
    y = np.tile(np.arange(3), 200)  # class c at positions c, c + 3, c + 6, ...
    ks, n = (2, 6, 10), 2
    # BeMi's index_function: first = sum(ks[:t]) * instances + k * instance
    for k, firsts in ((2, [0, 2]), (6, [4, 10]), (10, [16, 26])):
        sets = published_splits(y, ks, k, n)
        for i, train in enumerate(sets):
            for c in range(3):
                positions = np.flatnonzero(y == c)
                assert train[y[train] == c].tolist() == positions[firsts[i] : firsts[i] + k].tolist()
    every = np.concatenate([t for k in ks for t in published_splits(y, ks, k, n)])
    assert len(np.unique(every)) == len(every)  # no image shared between instances or k values
    with pytest.raises(ValueError, match="too few examples"):
        published_splits(y[:90], ks, 10, n)
    idx = first_per_class(np.array([1, 0, 1, 1, 0, 2]), 2)
    assert idx.tolist() == [0, 1, 2, 4, 5]


class _Pair:
    def __init__(self, z):
        self.z = np.asarray(z, float)

    def decision_function(self, X):
        return self.z


def test_published_vote_rule():
    from ftprop.estimators.ensemble import published_vote

    pairs = [(0, 1), (0, 2), (1, 2)]  # z >= 0 votes for the pair's second class
    # example 0: class 2 wins both its pairs; 1: a cycle 0 > 1 > 2 > 0; 2: the cycle reversed
    z = {(0, 1): [0, -1, 1], (0, 2): [1, 1, -1], (1, 2): [0, -1, 1]}
    nets = [_Pair(z[p]) for p in pairs]
    assert published_vote(pairs, nets, np.zeros((3, 1)), 3).tolist() == [2, -1, -1]
    # a two-way tie is decided by the tied pair's own network, sign(0) = +1 picking its second class
    four = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    votes_for = {(0, 1): 1, (0, 2): 0, (0, 3): 0, (1, 2): 1, (1, 3): 1, (2, 3): 2}  # 0: 2, 1: 2, 2: 1, 3: 0 votes
    nets = [_Pair([1.0 if votes_for[p] == p[1] else -1.0]) for p in four]
    assert published_vote(four, nets, np.zeros((1, 1)), 4).tolist() == [1]
    votes_for[(0, 1)] = 0  # now 0 has 3 votes: a strict winner
    nets = [_Pair([1.0 if votes_for[p] == p[1] else -1.0]) for p in four]
    assert published_vote(four, nets, np.zeros((1, 1)), 4).tolist() == [0]


def test_bemi_published_protocol_on_tiny_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = lambda n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)  # noqa: E731
    np.savez(tmp_path / "mnist.npz", x_train=x(300), y_train=np.arange(300) % 10, x_test=x(40),
             y_test=np.arange(40) % 10)
    code = main(["--dataset", "mnist", "--data-root", str(tmp_path), "--protocol", "bemi-published",
                 "--per-class", "6", "--splits", "2", "--method", "ovo-l2,logreg", "--json", "--out", str(tmp_path)])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert {(r["method"], r["split"], r["protocol"]) for r in rows} == {
        (m, s, "bemi-published") for m in ("ovo-l2", "logreg") for s in (0, 1)}
    # k = 6 comes after k = 2 in BeMi's list: 2 images x 2 instances are skipped first
    assert [r["positions"] for r in rows if r["method"] == "logreg"] == [[4, 9], [10, 15]]
    ovo = [r for r in rows if r["method"] == "ovo-l2"]
    assert all(r["vote_rule"] == "bemi" and 0 <= r["undecided"] <= 1 and r["n_test"] == 40 for r in ovo)
    assert all(r["test_acc"] <= 1 - r["undecided"] for r in ovo)
    assert "BeMi's released protocol" in (tmp_path / "few_shot_mnist.md").read_text()
    code = main(["--dataset", "mnist", "--data-root", str(tmp_path), "--protocol", "bemi-published",
                 "--per-class", "5", "--method", "logreg", "--out", str(tmp_path)])
    assert code == 2 and "k = 5 is not one of BeMi's" in capsys.readouterr().err


def _tiny_mnist(folder):
    rng = np.random.default_rng(0)
    x = lambda n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)  # noqa: E731
    np.savez(folder / "mnist.npz", x_train=x(60), y_train=np.arange(60) % 10, x_test=x(30), y_test=np.arange(30) % 10)


def test_mnist_protocols_on_tiny_files(tmp_path, capsys):
    _tiny_mnist(tmp_path)
    code = main(["--dataset", "mnist", "--data-root", str(tmp_path), "--per-class", "2", "--splits", "2",
                 "--method", "ovo-l2,logreg", "--json", "--out", str(tmp_path), "--seed", "3"])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(rows) == 2 * 2 * 2  # splits x methods x protocols
    assert {(r["protocol"], r["n_test"]) for r in rows} == {("bemi", 30), ("icarte", 30)}
    for r in rows:
        assert KEYS <= r.keys() and r["seed"] == 3 and r["n_train"] == 20 and r["dataset"] == "mnist"
    exact = [r for r in rows if r["method"] == "ovo-l2"]
    assert all(r["train_acc"] == 1.0 and r["members"] == {"feasible": 45} for r in exact)
    md = (tmp_path / "few_shot_mnist.md").read_text()
    assert "BeMi ensemble" in md and "(published)" in md and "Icarte HA" in md


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "mnist"], "error: mnist is read from local files: no data root was given"),
    (["--method", "exact-magic"], "error: --method: unknown method 'exact-magic'"),
    (["--per-class", "two"], "error: argument --per-class: expected a comma-separated list"),
])
def test_bad_input_is_one_line(argv, message, tmp_path, capsys):
    try:
        code = main(argv + ["--out", str(tmp_path)])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


_NO_TORCH = """
import sys
class NoTorch:  # a fresh interpreter in which torch is not installed
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
sys.path.insert(0, sys.argv[1])
from few_shot import main
sys.exit(main(sys.argv[2:]))
"""


def test_missing_torch_is_one_line(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-c", _NO_TORCH, str(ROOT / "benchmarks"), "--quick",  # noqa: E731
                                     "--out", str(tmp_path), *a], capture_output=True, text=True, timeout=120)
    out = run("--method", "ftprop-mb,logreg")
    assert out.returncode == 2 and out.stderr.startswith("error: methods ftprop-mb need PyTorch")
    assert out.stderr.count("\n") == 1
    assert run("--method", "ovo-l2").returncode == 0  # the exact ensemble never needs torch
