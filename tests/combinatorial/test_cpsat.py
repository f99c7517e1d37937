"""cpsat backend: statuses against known answers, forward-pass checks, proof scopes.

Known answers: XOR needs 2 hidden units, parity-3 needs 3 (one hidden layer of sign units needs
n units for parity-n); AND and majority-3 are threshold functions (1 unit is enough). Every
network returned is re-checked here with the engine's numpy forward pass.
"""

import itertools
import os
import signal
import threading

import numpy as np
import pytest

from combinatorial.backends.cpsat import CpsatOptions
from combinatorial import ALL_REAL_WEIGHTS, ProblemError, Status, integer_scope, solve
from combinatorial.backends.cpsat import (
    DEFAULT_WEIGHT_BOUND_REAL,
    SUFFICIENT_WEIGHT_BOUND,
    feature_scale,
    proof_scope,
)
from combinatorial.network import forward
from combinatorial.problem import Problem

from instances import C3, SQ  # noqa: E402
from instances import KNOWN as CASES  # noqa: E402
from instances import forward_errors  # noqa: E402


def fits(sol, X, y, kept=None):
    """Independent check: the returned layers reproduce every (kept) label."""
    out = forward(sol.layers, X, shortcut=sol.shortcut)[-1][:, 0]
    want = np.where(y == np.max(y), 1, -1)
    ok = out == want
    return bool(ok.all() if kept is None else ok[kept].all())


@pytest.mark.parametrize("symmetry", [True, False])
@pytest.mark.parametrize("name", list(CASES))
def test_known_answers(name, symmetry):
    X, y, hidden, feasible = CASES[name]
    sol = solve(X, y, hidden=hidden, backend="cpsat", symmetry_breaking=symmetry, workers=1, seed=3)
    if feasible:
        assert sol.status == Status.FEASIBLE
        assert fits(sol, X, y) and sol.train_errors == 0
    else:
        assert sol.status == Status.INFEASIBLE
        assert sol.proved_for == ALL_REAL_WEIGHTS  # ±1 data, default K covers every fan-in here
        assert sol.certificate.kind == "cpsat"


def test_small_bound_narrows_scope():
    X, y, hidden, _ = CASES["parity3-2"]
    sol = solve(X, y, hidden=hidden, backend="cpsat", backend_options=CpsatOptions(weight_bound=1), workers=1)
    assert sol.status == Status.INFEASIBLE
    assert sol.proved_for == integer_scope(1)  # K(3) = 2 > 1: not all threshold functions


def test_integer_weights_returned_and_verified():
    X, y, hidden, _ = CASES["parity3-3"]
    sol = solve(X, y, hidden=hidden, backend="cpsat", weights="integer:2", workers=1)
    assert sol.status == Status.FEASIBLE and fits(sol, X, y)
    K = sol.stats["weight_bound"]
    for layer in sol.layers:
        W = layer.W
        assert np.array_equal(W, np.round(W)) and np.abs(W).max() <= K


def test_real_points_integer_scope():
    # XOR layout on real coordinates: one hidden unit cannot do it (for any weights).
    X = np.array([[0.5, 0.25], [-0.5, -0.25], [0.5, -0.25], [-0.5, 0.25]])
    y = np.array([0, 0, 1, 1])
    sol = solve(X, y, hidden=(1,), backend="cpsat", workers=1)
    assert sol.status == Status.INFEASIBLE
    assert sol.proved_for == integer_scope(DEFAULT_WEIGHT_BOUND_REAL)
    assert sol.stats["feature_scale"] == 4 and sol.stats["feature_scale_exact"]
    sol = solve(X, y, hidden=(2,), backend="cpsat", workers=1)
    assert sol.status == Status.FEASIBLE and fits(sol, X, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_points_feasible_are_verified(seed):
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((8, 2)), 2)
    y = rng.integers(0, 2, 8)
    y[:2] = [0, 1]
    sol = solve(X, y, hidden=(2,), backend="cpsat", workers=1, time_limit=20)
    assert sol.status in (Status.FEASIBLE, Status.INFEASIBLE)
    if sol.status == Status.FEASIBLE:
        assert fits(sol, X, y)
    else:
        assert sol.proved_for == integer_scope(sol.stats["weight_bound"])


def test_rounded_features_never_prove_infeasible():
    X = np.array([[np.pi, np.e], [-np.pi, -np.e], [np.pi, -np.e], [-np.pi, np.e]]) / 7
    y = np.array([0, 0, 1, 1])
    sol = solve(X, y, hidden=(1,), backend="cpsat", workers=1)
    assert not sol.stats["feature_scale_exact"]
    assert sol.status == Status.UNKNOWN and "rounded" in sol.message


def test_min_errors_xor():
    X, y, _, _ = CASES["xor-1"]
    sol = solve(X, y, hidden=(1,), backend="cpsat", objective="min-errors", workers=1)
    assert sol.status == Status.OPTIMAL and sol.proved_for == ALL_REAL_WEIGHTS
    assert sol.train_errors == 1 and sol.lower_bound == 1
    out = forward(sol.layers, X)[-1][:, 0]
    assert int((out != np.where(y > 0, 1, -1)).sum()) == 1


def test_min_errors_counts_duplicates():
    # XOR with the point (1, 1) given three times: the optimum drops one of the single points.
    X = np.concatenate([SQ, SQ[[3, 3]]])
    y = np.array([0, 1, 1, 0, 0, 0])
    sol = solve(X, y, hidden=(1,), backend="cpsat", objective="min-errors", workers=1)
    assert sol.status == Status.OPTIMAL and sol.train_errors == 1


def test_warm_start_and_time_limit():
    X, y, hidden, _ = CASES["parity3-3"]
    first = solve(X, y, hidden=hidden, backend="cpsat", workers=1)
    again = solve(X, y, hidden=hidden, backend="cpsat", workers=1, warm_start=tuple(first.hidden_targets))
    assert again.status == Status.FEASIBLE and fits(again, X, y)
    with pytest.raises(ProblemError):
        solve(X, y, hidden=hidden, backend="cpsat", warm_start=(first.hidden_targets[0][:, :2],))
    # A hard instance on a tiny limit: any valid answer, returned promptly.
    X5 = np.array(list(itertools.product([-1, 1], repeat=5)), dtype=float)
    sol = solve(X5, np.prod(X5, axis=1), hidden=(4,), backend="cpsat", workers=1, time_limit=0.5)
    assert sol.status in (Status.UNKNOWN, Status.INFEASIBLE)
    assert sol.wall_time_s < 30


def test_bad_options():
    X, y, hidden, _ = CASES["xor-2"]
    with pytest.raises(ProblemError, match="weight_bound"):
        solve(X, y, hidden=hidden, backend="cpsat", backend_options=CpsatOptions(weight_bound=0))
    with pytest.raises(ProblemError, match="weight_bound"):
        solve(X, y, hidden=hidden, backend="cpsat", backend_options=CpsatOptions(weight_bound=2.5))


def test_scope_rules():
    pm1 = Problem.from_data(C3, np.prod(C3, axis=1), (3,))
    assert proof_scope(pm1, SUFFICIENT_WEIGHT_BOUND[3]) == ALL_REAL_WEIGHTS
    assert proof_scope(pm1, SUFFICIENT_WEIGHT_BOUND[3] - 1) == integer_scope(1)
    X6 = np.array(list(itertools.product([-1, 1], repeat=6)), dtype=float)
    wide = Problem.from_data(X6, np.prod(X6, axis=1), (2,))  # fan-in 6: no proved bound
    assert proof_scope(wide, 100) == integer_scope(100)
    real = Problem.from_data(SQ * 0.5, np.array([0, 1, 1, 0]), (2,))
    assert proof_scope(real, 100) == integer_scope(100)
    assert feature_scale(np.array([[0.25, -1.5]])) == (4.0, True)
    assert feature_scale(np.array([[0.0625, 0.375]])) == (16.0, True)  # lcm(16, 8)
    # the float 0.3 is not 3/10: no S <= 10^4 makes it an exact integer, so it is rounded
    assert feature_scale(np.array([[0.0625, 0.3]]))[1] is False
    assert feature_scale(np.array([[3.0, -2.0]])) == (1.0, True)
    assert feature_scale(np.array([[np.pi]]))[1] is False


def test_ctrl_c_gives_unknown(ctrl_c_raises):
    X5 = np.array(list(itertools.product([-1, 1], repeat=5)), dtype=float)
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        sol = solve(X5, np.prod(X5, axis=1), hidden=(3,), backend="cpsat", objective="min-errors",
                    workers=1, time_limit=30)
    finally:
        timer.cancel()
    assert sol.status == Status.UNKNOWN and "interrupted" in sol.message
    if sol.layers is not None:  # the best assignment so far comes with its (refitted) network
        assert sol.train_errors == forward_errors(sol, X5, np.prod(X5, axis=1))
