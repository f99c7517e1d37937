"""Weight domains: parsing, scopes, membership, dead inputs and input resolution."""

import numpy as np
import pytest

from combinatorial.domains import REAL, TERNARY, WeightDomain, dead_inputs, input_resolution, parse_weights
from combinatorial.problem import ProblemError


def test_parse_and_scope():
    assert parse_weights("real") is REAL and REAL.scope == "all real weights"
    assert parse_weights("ternary") == TERNARY == WeightDomain(1)
    d = parse_weights("integer:3")
    assert d.bound == 3 and str(d) == "integer:3" and d.scope == "integer weights |w| <= 3"
    assert TERNARY.scope == "integer weights |w| <= 1" and str(TERNARY) == "ternary"
    assert parse_weights(d) is d and parse_weights(None) is REAL


@pytest.mark.parametrize("bad", ["integer", "integer:0", "integer:-2", "integer:x", "binary", "", "int:3"])
def test_parse_rejects_with_one_line(bad):
    with pytest.raises(ProblemError, match="weights must be real, ternary or integer:P") as exc:
        parse_weights(bad)
    assert "\n" not in str(exc.value)


def test_contains():
    assert TERNARY.contains([[1, 0, -1]]) and not TERNARY.contains([[2, 0]]) and not TERNARY.contains([[0.5]])
    assert parse_weights("integer:2").contains([-2, 2, 1]) and REAL.contains([0.3, -7.1])
    assert not REAL.contains([np.nan])


def test_dead_inputs():
    U = np.array([[0.0, 1, 5], [0, 2, 5], [0, 3, 5]])
    assert dead_inputs(U).tolist() == [0, 2]
    assert dead_inputs(U, [0]).tolist() == [0, 1, 2]  # one row: everything is constant


def test_input_resolution():
    assert input_resolution(np.array([[1.0, -1], [3, 0]])) == 1.0
    assert input_resolution(np.arange(17)[:, None] / 16.0) == 1 / 16
    assert input_resolution(np.array([[np.pi]])) is None


# --- through solve() and the CLI ------------------------------------------------------------

def _slope_three():
    return np.array([[1, 3.5], [2, 6.5], [1, 2.5], [2, 5.5]]), np.array([1, 1, 0, 0])


def test_solve_scopes_for_integer_domains():
    from combinatorial import Status, solve

    X, y = _slope_three()
    tern = solve(X, y, (), weights="ternary", time_limit=30)
    assert tern.status == Status.INFEASIBLE and tern.proved_for == "integer weights |w| <= 1"
    assert "all real weights" not in tern.summary()
    three = solve(X, y, (), weights="integer:3", objective="max-margin", time_limit=30)
    assert three.status == Status.FEASIBLE and three.train_errors == 0
    assert parse_weights("integer:3").contains(three.layers[0].W)
    assert solve(X, y, ()).status == Status.FEASIBLE  # real weights: fine
    with pytest.raises(ProblemError, match="weights must be"):
        solve(X, y, (), weights="ternery")
    with pytest.raises(ProblemError, match="unknown objective"):
        solve(X, y, (), objective="max-fun")


def test_cli_objective_and_weights(capsys):
    import json

    from ftprop.cli import main

    code = main(["solve", "--dataset", "xor", "--hidden", "2", "--objective", "lexicographic",
                 "--weights", "ternary", "--time-limit", "30", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "feasible" and out["train_errors"] == 0
    assert [s["stage"] for s in out["stats"]["stages"]] == ["fit", "margin", "sparse"]
    assert all(abs(v) in (0, 1) for L in out["layers"] for row in L["W"] for v in row)
    for flag, value in (("--weights", "integer:0"), ("--objective", "max-fun")):
        with pytest.raises(SystemExit) as exc:
            main(["solve", "--dataset", "xor", "--hidden", "2", flag, value])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.count("\n") == 1 and "error" in err
