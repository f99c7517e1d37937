"""``--plot FILE.png`` of solve, minwidth and compare (ftprop/cli/plot.py)."""

from __future__ import annotations

import numpy as np
import pytest

from combinatorial import LayerWeights, Solution, Status
from ftprop.cli.plot import grid_outputs, plus_side, segment, title

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    data = path.read_bytes()
    return len(data) > len(PNG) and data.startswith(PNG)


def test_solve_plots_moons(cli_run, tmp_path):
    path = tmp_path / "pictures" / "moons.png"
    code, out, err = cli_run("solve", "--dataset", "moons", "--samples", "40", "--hidden", "3", "--workers", "1",
                             "--plot", path)
    assert code == 0, err
    assert _is_png(path) and f"plot: {path}" in out


def test_an_infeasible_answer_plots_the_examples(cli_run, tmp_path):
    path = tmp_path / "xor.png"
    code, out, err = cli_run("solve", "--dataset", "xor", "--hidden", "none", "--workers", "1", "--plot", path)
    assert code == 0, err
    assert out.startswith("status: infeasible") and _is_png(path)


def test_minwidth_plots_the_network_at_the_minimum_width(cli_run, tmp_path):
    path = tmp_path / "xor-minwidth.png"
    code, out, err = cli_run("minwidth", "--dataset", "xor", "--workers", "1", "--plot", path)
    assert code == 0, err
    assert "minimum width 2" in out and _is_png(path)


def test_compare_plots_the_exact_answer(cli_run, tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "compare.png"
    code, out, err = cli_run("compare", "--dataset", "xor", "--hidden", "2", "--seeds", "1", "--rules", "sste",
                             "--epochs", "5", "--no-ftprop", "--workers", "1", "--plot", path)
    assert code == 0, err
    assert _is_png(path)


@pytest.mark.parametrize("command", [
    ["solve", "--dataset", "parity-3", "--hidden", "2"],
    ["minwidth", "--dataset", "parity-3"],
    ["compare", "--dataset", "parity-3", "--hidden", "2"],
])
def test_plot_needs_two_dimensional_inputs_before_any_work(cli_run, tmp_path, command):
    path = tmp_path / "p.png"
    code, out, err = cli_run(*command, "--plot", path)
    assert code == 2
    assert err.splitlines() == ["error: --plot needs 2-D inputs, the data have 3-D inputs"]
    assert "status" not in out and "width 1" not in out and not path.exists()


def test_plot_into_a_directory_is_refused_before_solving(cli_run, tmp_path):
    code, out, err = cli_run("solve", "--dataset", "xor", "--hidden", "2", "--plot", tmp_path)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"error: --plot {tmp_path}: ")


def test_the_grid_uses_sign_zero_plus_one_and_the_shortcut():
    G = np.array([[0.0, 5.0], [-0.0, -1.0], [-1e-300, 0.0], [2.0, 0.0]])
    out = grid_outputs([LayerWeights([[1.0, 0.0]], [0.0])], G, False)
    assert out[:, 0].tolist() == [1, 1, -1, 1]
    # shortcut: the output sees [h, x0, x1] and computes sign(h - x0), h = sign(x0)
    layers = [LayerWeights([[1.0, 0.0]], [0.0]), LayerWeights([[1.0, -1.0, 0.0]], [0.0])]
    assert grid_outputs(layers, G, True)[:, 0].tolist() == [1, 1, -1, -1]


def test_segment_is_the_line_inside_the_box():
    box = ((-1.0, 1.0), (-2.0, 2.0))
    p, q = segment(np.array([1.0, 0.0]), 0.5, box)  # x = -0.5
    assert {tuple(p), tuple(q)} == {(-0.5, -2.0), (-0.5, 2.0)}
    p, q = segment(np.array([1.0, 1.0]), 0.0, box)  # y = -x: corners' diagonal, clipped by x
    assert sorted([tuple(p), tuple(q)]) == [(-1.0, 1.0), (1.0, -1.0)]
    assert segment(np.array([1.0, 0.0]), 5.0, box) is None  # x = -5: outside
    assert segment(np.array([0.0, 0.0]), 1.0, box) is None  # no line at all


@pytest.mark.parametrize("w", [(1.0, 0.0), (-3.0, 0.5), (0.0, -2.0), (21.6, -3.8), (-170.0, -278.0)])
def test_the_arrow_points_into_the_plus_one_side(w):
    box = ((-1.2, 2.2), (-0.7, 1.3))
    step = plus_side(np.array(w), box)
    assert np.dot(w, step) > 0
    # 7% of the axes long, each axis measured in its own range
    assert np.isclose(np.hypot(step[0] / 3.4, step[1] / 2.0), 0.07)
    assert plus_side(np.array([0.0, 0.0]), box) is None


def test_the_title_says_status_scope_and_errors():
    sol = Solution(Status.INFEASIBLE, "all real weights", "lazy", "feasibility", [2, 1], False, None, None, None, 4,
                   0.1, 0)
    text = title(sol, "xor, 4 examples")
    assert "infeasible (all real weights)" in text and "network 2-1" in text and "no network" in text
    sol = Solution(Status.FEASIBLE, None, "lazy", "min-errors", [2, 1], False, [LayerWeights([[1.0, 0.0]], [0.0])],
                   None, 3, 40, 0.1, 0)
    text = title(sol)
    assert "feasible (nothing proved), 3/40 training errors" in text
