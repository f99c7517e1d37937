"""Networks that travel: Solution.save / load (combinatorial/saved.py), ftprop.export and
``ftprop export``: every copy of a network computes what the exact forward pass computes."""

from __future__ import annotations

import io
import json
import sys
from fractions import Fraction

import numpy as np
import pytest

from combinatorial import LayerWeights, ProblemError, Solution, SolveOptions, Status, forward, solve
from ftprop.data import DataOptions, load_dataset


def _hand(layers, *, shortcut=False, status=Status.FEASIBLE) -> Solution:
    layers = [LayerWeights(W, b) for W, b in layers]
    arch = [layers[0].W.shape[1], *(L.W.shape[0] for L in layers)]
    return Solution(status, None, "hand", "feasibility", arch, shortcut, layers, None, None, 0, 0.0, 0)


# on unit boundaries: z = 0 exactly (sign +1), a negative zero, the smallest subnormals either side
BOUNDARY = np.array([[0.0, 5.0], [-0.0, -3.0], [5e-324, 0.0], [-5e-324, 0.0], [0.0, 0.0], [1.0, -1.0]])


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", DataOptions(samples=40))


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "shortcut"])
def fitted(request, moons):
    """(solution, X): a 2-3-1 network on 40 moons, with and without the shortcut; X is the
    training examples and the boundary points."""
    sol = solve(moons.X, moons.y, hidden=(3,), shortcut=request.param, options=SolveOptions(workers=1))
    assert sol.status == Status.FEASIBLE and sol.train_errors == 0
    assert sol.shortcut == request.param and sol.layers[1].W.shape == (1, 3 + 2 * request.param)
    return sol, np.concatenate([moons.X, BOUNDARY])


def _cases(fitted):
    sol, X = fitted
    hand = _hand([([[1.0, 0.0]], [0.0])])  # sign(x0): x0 = 0 gives +1
    # hidden h = (sign(x0), sign(x1)), output sign(h0 + h1 - 2): z = 0 exactly when both fire
    deep = _hand([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [-2.0])])
    return [(sol, X), (hand, BOUNDARY), (deep, BOUNDARY)]


def test_save_load_is_exact(fitted, tmp_path):
    sol, _ = fitted
    path = tmp_path / "sol.json"
    sol.save(path)
    back = Solution.load(path)
    for a, b in zip(sol.layers, back.layers, strict=True):
        assert a.W.tobytes() == b.W.tobytes() and a.b.tobytes() == b.b.tobytes()
    for key in ("status", "proved_for", "backend", "objective", "architecture", "shortcut", "train_errors",
                "n_examples", "seed", "stats", "message"):
        assert getattr(back, key) == getattr(sol, key), key
    assert all(np.array_equal(s, t) for s, t in zip(sol.hidden_targets, back.hidden_targets, strict=True))
    saved = json.loads(path.read_text())
    assert saved["format"] == "ftprop-solution-1"
    assert [Fraction(v) for v in saved["layers"][0]["W_exact"][0]] == [Fraction(v) for v in sol.layers[0].W[0]]


def test_awkward_floats_survive_bit_for_bit(tmp_path):
    W = [[0.1, -0.0, 1e-300, 5e-324, 1 / 3, -2.0**70, 1.7976931348623157e308]]
    sol = _hand([(W, [-0.0])])
    sol.save(tmp_path / "w.json")
    back = Solution.load(tmp_path / "w.json")
    assert back.layers[0].W.tobytes() == sol.layers[0].W.tobytes()
    assert back.layers[0].b.tobytes() == sol.layers[0].b.tobytes()
    exact = json.loads((tmp_path / "w.json").read_text())["layers"][0]["W_exact"][0]
    assert exact[1] == "-0" and exact[0] == str(Fraction(0.1))


def test_an_infeasible_answer_keeps_its_certificate(tmp_path):
    xor = load_dataset("xor")
    sol = solve(xor.X, xor.y, hidden=(), options=SolveOptions(workers=1))
    sol.save(tmp_path / "xor.json")
    back = Solution.load(tmp_path / "xor.json")
    assert back.status == Status.INFEASIBLE and back.proved_for == "all real weights" and back.layers is None
    assert back.certificate == sol.certificate


def test_load_reads_what_solve_save_writes(cli_run, tmp_path, moons):
    path = tmp_path / "moons.json"
    code, _, err = cli_run("solve", "--dataset", "moons", "--samples", "40", "--hidden", "3", "--workers", "1",
                           "--save", path)
    assert code == 0, err
    sol = Solution.load(path)
    assert sol.status == Status.FEASIBLE and sol.architecture == [2, 3, 1]
    assert [L.W.tolist() for L in sol.layers] == [L["W"] for L in json.loads(path.read_text())["layers"]]
    out = forward(sol.layers, moons.X)[-1][:, 0]
    assert np.array_equal(np.where(out > 0, moons.y.max(), moons.y.min()), moons.y)


def _layer(W, b, **extra):
    return {"W": W, "b": b, **extra}


@pytest.mark.parametrize("content, says", [
    ("not json", "not a JSON file"),
    ("[1, 2]", "expected a JSON object"),
    ('{"architecture": [2, 1]}', "no 'status'"),
    ('{"status": "maybe", "architecture": [2, 1]}', "status 'maybe' is not one of"),
    ('{"status": "feasible", "architecture": [2, 0]}', "architecture"),
    (json.dumps({"status": "feasible", "architecture": [2, 1], "layers": [_layer([[1, 2, 3]], [0])]}),
     "layer 1 W has shape (1, 3), expected (1, 2)"),
    (json.dumps({"status": "feasible", "architecture": [2, 1],
                 "layers": [_layer([[1, 2]], [0], W_exact=[["1", "3"]])]}), "disagrees with its exact value"),
    (json.dumps({"status": "feasible", "architecture": [2, 1], "layers": [{"W_exact": [["1/3", "1"]], "b": [0]}]}),
     "is not a binary64 float"),
    (json.dumps({"status": "feasible", "architecture": [2, 1], "format": "other"}), "unknown format"),
    (json.dumps({"status": "feasible", "architecture": [2, 2, 1], "hidden_targets": [[[1, 0]]]}), "hidden_targets"),
])
def test_bad_files_are_one_line_problem_errors(tmp_path, content, says):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ProblemError) as info:
        Solution.load(path)
    message = str(info.value)
    assert says in message and message.startswith(str(path)) and "\n" not in message


def test_a_missing_file_is_a_problem_error(tmp_path):
    with pytest.raises(ProblemError, match="No such file"):
        Solution.load(tmp_path / "nothing.json")


def test_to_torch_is_the_exact_forward_pass(fitted, one_torch_thread):
    torch = pytest.importorskip("torch")
    from ftprop.export import to_torch

    for sol, X in _cases(fitted):
        module = to_torch(sol)
        assert isinstance(module, torch.nn.Module) and all(p.dtype == torch.float64 for p in module.parameters())
        got = module(torch.from_numpy(X)).numpy()
        assert np.array_equal(got, forward(sol.layers, X, shortcut=sol.shortcut)[-1])
    hand_out = to_torch(_cases(fitted)[1][0])(torch.from_numpy(BOUNDARY)).numpy()[:, 0]
    assert hand_out.tolist() == [1, 1, 1, -1, 1, 1]  # x0 = 0 and x0 = -0.0 are on the +1 side


def test_the_torch_file_loads_without_ftprop(fitted, one_torch_thread):
    torch = pytest.importorskip("torch")
    from ftprop.export import torch_bytes

    sol, X = fitted
    module = torch.export.load(io.BytesIO(torch_bytes(sol))).module()
    assert np.array_equal(module(torch.from_numpy(X)).numpy(), forward(sol.layers, X, shortcut=sol.shortcut)[-1])


def test_onnx_runs_the_exact_forward_pass(fitted):
    pytest.importorskip("onnx", reason="ONNX export needs pip install 'ftprop[export]'")
    ort = pytest.importorskip("onnxruntime", reason="running the ONNX file needs pip install 'ftprop[export]'")
    from ftprop.export import onnx_bytes

    for sol, X in _cases(fitted):
        session = ort.InferenceSession(onnx_bytes(sol), providers=["CPUExecutionProvider"])
        (got,) = session.run(["y"], {"x": X})
        assert got.dtype == np.float64
        assert np.array_equal(got, forward(sol.layers, X, shortcut=sol.shortcut)[-1])


def test_export_command_writes_both_formats(cli_run, tmp_path, fitted):
    sol, _ = fitted
    sol.save(tmp_path / "sol.json")
    formats = [f for f, module in (("onnx", "onnx"), ("torch", "torch")) if _installed(module)]
    for fmt in formats:
        out_path = tmp_path / f"net.{fmt}"
        code, out, err = cli_run("export", tmp_path / "sol.json", "--format", fmt, "--out", out_path)
        assert code == 0, err
        assert out.startswith("exported: network 2-3-1") and out_path.stat().st_size > 0


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_export_errors_are_one_line(cli_run, tmp_path, monkeypatch):
    infeasible = _hand([([[1.0, 0.0]], [0.0])], status=Status.INFEASIBLE)
    infeasible.layers, infeasible.proved_for = None, "all real weights"
    infeasible.save(tmp_path / "inf.json")
    (tmp_path / "bad.json").write_text("{}")
    _hand([([[1.0, 0.0]], [0.0])]).save(tmp_path / "ok.json")
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if onnx were not installed
    cases = [
        (["export", tmp_path / "inf.json", "--out", tmp_path / "n.onnx"], "error: the solution has no network"),
        (["export", tmp_path / "bad.json", "--out", tmp_path / "n.onnx"], f"error: {tmp_path / 'bad.json'}: no 'status'"),
        (["export", tmp_path / "ok.json", "--out", tmp_path / "n.bin"], "error: --format onnx|torch is needed"),
        (["export", tmp_path / "ok.json", "--out", tmp_path / "n.onnx"], "error: ftprop export needs the onnx package"),
    ]
    for argv, says in cases:
        code, out, err = cli_run(*argv)
        assert code == 2 and out == ""
        assert len(err.splitlines()) == 1 and err.startswith(says), err
    assert "ftprop[export]" in err
