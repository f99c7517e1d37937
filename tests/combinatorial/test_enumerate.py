import numpy as np
import pytest

from combinatorial import ProblemError, SolveOptions, Status, solve
from combinatorial.backends import enumerate as enum
from combinatorial.problem import Problem
from instances import _cube


def _search(X, y, hidden=(1,), **kw):
    return enum._Search(Problem.from_data(X, y, hidden), SolveOptions(**kw), None)


def test_counts_of_threshold_functions():
    s = _search(_cube(3), np.arange(8) % 2)
    assert len(s.row_dichotomies(_cube(2))) == 14  # all 16 labellings of the square but XOR, XNOR
    assert len(s.row_dichotomies(_cube(3))) == 104  # threshold functions of 3 variables
    assert len(s.dichotomies(_cube(3))) == 52  # sign-fixed on example 0
    assert len(_search(_cube(3), np.arange(8) % 2, symmetry_breaking=False).dichotomies(_cube(3))) == 104


def test_known_answers():
    X = _cube(2)
    xor = (X[:, 0] != X[:, 1]).astype(int)
    assert solve(X, xor, hidden=(1,), backend="enumerate").status == Status.INFEASIBLE
    assert solve(X, xor, hidden=(2,), backend="enumerate").status == Status.FEASIBLE
    assert solve(X, xor, hidden=(1,), shortcut=True, backend="enumerate").status == Status.FEASIBLE
    sol = solve(X, xor, hidden=(1,), backend="enumerate", objective="min-errors")
    assert sol.status == Status.OPTIMAL and sol.train_errors == 1


def test_without_symmetry_breaking_same_answer():
    X = _cube(3)
    y = ((X > 0).sum(1) % 2).astype(int)
    assert solve(X, y, hidden=(2,), backend="enumerate", symmetry_breaking=False).status == Status.INFEASIBLE
    X, y = X[:4, 1:], y[:4]  # XOR on the last two coordinates
    assert solve(X, y, hidden=(2,), backend="enumerate", symmetry_breaking=False).status == Status.FEASIBLE


def test_refuses_large_instances():
    X = _cube(4)
    with pytest.raises(ProblemError, match="at most 12 distinct examples.*has 16"):
        solve(X, (X[:, 0] > 0).astype(int), hidden=(1,), backend="enumerate")


def test_deadline_gives_unknown():
    X = _cube(3)
    p = Problem.from_data(X, ((X > 0).sum(1) % 2).astype(int), (3,))
    r = enum.run(p, SolveOptions(), deadline=0.0)
    assert r.status == Status.UNKNOWN and "time limit" in r.message
