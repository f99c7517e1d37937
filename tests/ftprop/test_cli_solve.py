import json

import numpy as np
import pytest

from ftprop.cli import main


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_json_fields(capsys):
    code, out, err = run(capsys, "solve", "--dataset", "xor", "--hidden", "2", "--json", "--seed", "3")
    assert code == 0
    d = json.loads(out)
    for key in ("status", "proved_for", "backend", "architecture", "layers", "hidden_targets",
                "train_errors", "wall_time_s", "seed", "dataset", "versions", "options"):
        assert key in d
    assert d["status"] == "feasible" and d["architecture"] == [2, 2, 1] and d["seed"] == 3
    assert d["backend"] == "enumerate" and d["train_errors"] == 0  # auto on a tiny problem
    assert np.array(d["layers"][0]["W"]).shape == (2, 2)


def test_auto_settles_tiny_problems_without_cp_sat():
    import subprocess
    import sys

    code = ("import sys; from combinatorial import solve; import numpy as np\n"
            "X = np.array([[-1,-1],[-1,1],[1,-1],[1,1]]); y = np.array([0,1,1,0])\n"
            "a, b = solve(X, y, hidden=(2,)), solve(X, y, hidden=(1,))\n"
            "print(a.status.value, a.backend, b.status.value, b.proved_for, any(m.startswith('ortools') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout.split()
    assert out == ["feasible", "enumerate", "infeasible", "all", "real", "weights", "False"]


def test_a_proof_file_keeps_tiny_problems_on_lazy(tmp_path, capsys):
    code, out, err = run(capsys, "solve", "--dataset", "xor", "--hidden", "1", "--proof", str(tmp_path / "x.proof"))
    assert code == 0 and out.splitlines()[0].endswith("[lazy]") and "certificate: drup" in out


def test_infeasible_text_and_save(capsys, tmp_path):
    path = tmp_path / "out" / "xor.json"
    code, out, err = run(capsys, "solve", "--dataset", "xor", "--hidden", "1", "--save", str(path))
    assert code == 0
    assert out.splitlines()[0].startswith("status: infeasible (all real weights) in ")
    assert out.splitlines()[0].endswith("[enumerate]")
    assert "proof:" in out
    saved = json.loads(path.read_text())
    assert saved["status"] == "infeasible" and saved["proved_for"] == "all real weights"


def test_min_errors_and_enumerate(capsys):
    code, out, _ = run(capsys, "solve", "--dataset", "xor", "--hidden", "1", "--objective", "min-errors",
                       "--backend", "enumerate", "--json")
    d = json.loads(out)
    assert code == 0 and d["status"] == "optimal" and d["train_errors"] == 1


def test_unknown_exit_code(capsys, monkeypatch):
    from combinatorial import BackendResult, Status
    from combinatorial.backends import lazy

    def give_up(problem, options, deadline):
        return BackendResult(Status.UNKNOWN, message="time limit reached")

    monkeypatch.setattr(lazy, "run", give_up)
    code, out, _ = run(capsys, "solve", "--dataset", "xor", "--hidden", "2", "--backend", "lazy", "--time-limit", "1")
    assert code == 3 and out.startswith("status: unknown")


def test_minwidth(capsys):
    code, out, _ = run(capsys, "minwidth", "--dataset", "parity-3", "--json")
    d = json.loads(out)
    assert code == 0 and d["min_width"] == 3 and d["proved_for"] == "all real weights"
    assert [a["status"] for a in d["attempts"]] == ["infeasible", "infeasible", "feasible"]
    assert d["network"]["architecture"] == [3, 3, 1] and d["proof"]["architecture"] == [3, 2, 1]
    code, out, _ = run(capsys, "minwidth", "--dataset", "xor")
    assert code == 0 and "minimum width 2" in out


def test_minwidth_max_width_reached(capsys):
    code, out, _ = run(capsys, "minwidth", "--dataset", "parity-3", "--max-width", "2")
    assert code == 3 and "--max-width 2" in out


def _csv(tmp_path, text):
    p = tmp_path / "d.csv"
    p.write_text(text)
    return str(p)


BAD = [
    (["--data", "/nonexistent/x.csv", "--hidden", "2"], "no such file"),
    ("CSV:a,b,y\n1,2,0\n1,x,1\n", "not a number"),
    ("CSV:1,nan,0\n2,3,1\n", "finite"),
    ("CSV:a,b,y\n", "empty"),
    ("CSV:1,2,1\n3,4,1\n", "two classes"),
    ("NPZ", "rows but y has"),
    (["--dataset", "xor", "--hidden", "0"], "positive integer"),
    (["--dataset", "xor", "--hidden", "-2"], "positive integer"),
    (["--dataset", "xor", "--hidden", "1.5"], "not an integer"),
    (["--dataset", "xor", "--hidden", "2", "--time-limit", "-1"], "positive number of seconds"),
    (["--dataset", "no-such-set", "--hidden", "2"], "unknown data set"),
    (["--dataset", "xor", "--hidden", "2", "--backend", "magic"], "unknown backend"),
    (["--dataset", "parity-4", "--hidden", "2", "--backend", "enumerate"], "at most 12"),
]


@pytest.mark.parametrize("case, needle", BAD, ids=[b[1] for b in BAD])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, case, needle):
    if case == "NPZ":
        p = tmp_path / "d.npz"
        np.savez(p, X=np.zeros((3, 2)), y=np.array([0, 1]))
        argv = ["--data", str(p), "--hidden", "2"]
    elif isinstance(case, str):
        argv = ["--data", _csv(tmp_path, case[4:]), "--hidden", "2"]
    else:
        argv = case
    code, out, err = run(capsys, "solve", *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and needle in lines[0], err
    assert "Traceback" not in err
