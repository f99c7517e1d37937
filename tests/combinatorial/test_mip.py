"""mip backend: statuses against known answers, forward-pass checks, its (bounded) proof scope.

Known answers: XOR needs 2 hidden units, parity-3 needs 3; AND and majority-3 need one. The mip
backend's INFEASIBLE is about weights bounded by M after scaling inputs to [-1, 1], never about
all real weights.
"""

import itertools
import os
import signal
import threading

import numpy as np
import pytest

from combinatorial import ALL_REAL_WEIGHTS, ProblemError, Status, solve
from combinatorial.backends.mip import DEFAULT_BIG_M, MipOptions, scope
from combinatorial.network import forward

from instances import C3, SQ  # noqa: E402
from instances import KNOWN as CASES  # noqa: E402
from instances import forward_errors as errors  # noqa: E402


@pytest.mark.parametrize("symmetry", [True, False])
@pytest.mark.parametrize("name", list(CASES))
def test_known_answers(name, symmetry):
    X, y, hidden, feasible = CASES[name]
    sol = solve(X, y, hidden=hidden, backend="mip", symmetry_breaking=symmetry, seed=2, time_limit=30)
    if feasible:
        assert sol.status == Status.FEASIBLE and errors(sol, X, y) == 0
    else:
        assert sol.status == Status.INFEASIBLE
        assert sol.proved_for == scope(DEFAULT_BIG_M) != ALL_REAL_WEIGHTS
        assert sol.certificate.kind == "mip"


def test_big_m_sets_scope_and_scaling():
    # XOR layout on coordinates of very different sizes: the scaled problem is plain XOR.
    X = np.array([[500.0, 0.25], [-500.0, -0.25], [500.0, -0.25], [-500.0, 0.25]])
    y = np.array([0, 0, 1, 1])
    sol = solve(X, y, hidden=(1,), backend="mip", backend_options=MipOptions(big_m=3))
    assert sol.status == Status.INFEASIBLE
    assert sol.proved_for == "weights |w| <= 3, biases in [-4, 3] after scaling inputs to [-1, 1], with z <= -1 on -1 targets"
    assert sol.stats["input_scale"] == [500.0, 0.25]
    sol = solve(X, y, hidden=(2,), backend="mip", backend_options=MipOptions(big_m=3))
    assert sol.status == Status.FEASIBLE and errors(sol, X, y) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_points(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, 2))
    y = rng.integers(0, 2, 8)
    y[:2] = [0, 1]
    sol = solve(X, y, hidden=(2,), backend="mip", time_limit=20)
    assert sol.status in (Status.FEASIBLE, Status.INFEASIBLE)
    if sol.status == Status.FEASIBLE:
        assert errors(sol, X, y) == 0
    else:
        assert sol.proved_for == scope(DEFAULT_BIG_M)
    ref = solve(X, y, hidden=(2,), backend="enumerate")
    if ref.status == Status.INFEASIBLE:  # nothing exists for any weights, so nothing for bounded ones
        assert sol.status == Status.INFEASIBLE


def test_min_errors_xor():
    X, y, _, _ = CASES["xor-1"]
    sol = solve(X, y, hidden=(1,), backend="mip", objective="min-errors")
    assert sol.status == Status.OPTIMAL and sol.proved_for == scope(DEFAULT_BIG_M)
    assert sol.train_errors == 1 == errors(sol, X, y)
    assert sol.lower_bound == pytest.approx(1)


def test_warm_start_and_time_limit():
    X, y, hidden, _ = CASES["parity3-3"]
    first = solve(X, y, hidden=hidden, backend="mip")
    again = solve(X, y, hidden=hidden, backend="mip", warm_start=tuple(first.hidden_targets))
    assert again.status == Status.FEASIBLE and errors(again, X, y) == 0
    X5 = np.array(list(itertools.product([-1, 1], repeat=5)), dtype=float)
    sol = solve(X5, np.prod(X5, axis=1), hidden=(4,), backend="mip", time_limit=0.5)
    assert sol.status in (Status.UNKNOWN, Status.INFEASIBLE)
    assert sol.wall_time_s < 30


def test_bad_options():
    X, y, hidden, _ = CASES["xor-2"]
    with pytest.raises(ProblemError, match="big_m"):
        solve(X, y, hidden=hidden, backend="mip", backend_options=MipOptions(big_m=-1))
    with pytest.raises(ProblemError, match="weights"):
        solve(X, y, hidden=hidden, backend="mip", weights="integer:3")


def test_ctrl_c_gives_unknown(monkeypatch, ctrl_c_raises):
    from combinatorial.backends import mip

    X5 = np.array(list(itertools.product([-1, 1], repeat=5)), dtype=float)
    real = mip._solve_interruptibly

    def ctrl_c_during_the_solve(solver):  # not during model building on a loaded machine
        timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            return real(solver)
        finally:
            timer.cancel()

    monkeypatch.setattr(mip, "_solve_interruptibly", ctrl_c_during_the_solve)
    sol = solve(X5, np.prod(X5, axis=1), hidden=(3,), backend="mip", objective="min-errors",
                workers=1, time_limit=30)
    assert sol.status == Status.UNKNOWN and "interrupted" in sol.message
    if sol.layers is not None:  # the best assignment so far comes with its (refitted) network
        assert sol.train_errors == errors(sol, X5, np.prod(X5, axis=1))
