"""Per-unit objectives for fixed targets, checked against independent numpy forward passes."""

import numpy as np
import pytest

from combinatorial.domains import REAL, TERNARY, parse_weights
from combinatorial.objectives import fit_unit
from combinatorial.separability import check_separable


def _points(seed=0, n=16, d=3):
    rng = np.random.default_rng(seed)
    U = np.round(rng.uniform(-1, 1, (n, d)) * 8) / 8  # resolution 1/8
    w = np.array([1.0, -2.0, 0.5][:d])
    t = np.where(U @ w + 0.1 >= 0, 1, -1)
    return U, t


def _forward_ok(U, t, fit):
    return np.array_equal(np.where(U @ fit.w + fit.b >= 0, 1, -1), t)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_margin_beats_feasibility(seed):
    U, t = _points(seed)
    feas = fit_unit(U, t)
    mm = fit_unit(U, t, objective="max-margin")
    assert feas.status == mm.status == "optimal"
    assert _forward_ok(U, t, feas) and _forward_ok(U, t, mm)
    assert mm.margin >= feas.margin - 1e-9
    assert np.abs(mm.w).max() <= 1 + 1e-9  # the documented normalisation
    # the margin is recomputed from (w, b), not copied from the solver
    assert mm.margin == pytest.approx(np.min(t * (U @ mm.w + mm.b)) / np.abs(mm.w).max())


@pytest.mark.parametrize("seed", [0, 3])
def test_min_weight_not_denser_than_lp(seed):
    U, t = _points(seed, n=14, d=3)
    U = np.concatenate([U, np.random.default_rng(seed).uniform(-1, 1, (len(U), 2))], axis=1)  # noise columns
    lp = check_separable(U, t, sparse=False)
    mw = fit_unit(U, t, objective="min-weight")
    assert mw.status == "optimal" and _forward_ok(U, t, mw)
    assert mw.nonzeros <= np.count_nonzero(np.abs(lp.w) > 1e-9)
    assert mw.nonzeros <= 3
    assert "margin >=" in mw.scope  # real min-weight: the required margin is part of the claim


@pytest.mark.parametrize("spec", ["ternary", "integer:2", "integer:3"])
@pytest.mark.parametrize("objective", ["feasibility", "max-margin", "min-weight"])
def test_integer_domains_verified(spec, objective):
    U, t = _points(1, n=12, d=2)
    dom = parse_weights(spec)
    fit = fit_unit(U, t, objective=objective, domain=dom, time_limit=20)
    assert fit.ok and _forward_ok(U, t, fit)
    assert dom.contains(fit.w)
    assert fit.scope == f"integer weights |w| <= {dom.bound}"  # exact on inputs with a resolution


def _needs_slope_three():
    # separable only along x2 = 3 x1 (+ offset): no ternary direction works, |w| <= 3 does
    U = np.array([[1, 3.5], [2, 6.5], [1, 2.5], [2, 5.5]])
    t = np.array([1, 1, -1, -1])
    return U, t


def test_ternary_infeasible_integer_feasible():
    U, t = _needs_slope_three()
    assert fit_unit(U, t).ok
    tern = fit_unit(U, t, domain=TERNARY)
    assert tern.status == "infeasible" and tern.w is None
    assert tern.scope == "integer weights |w| <= 1"  # never "all real weights"
    three = fit_unit(U, t, domain=parse_weights("integer:3"), objective="max-margin")
    assert three.ok and _forward_ok(U, t, three) and parse_weights("integer:3").contains(three.w)


def test_dead_inputs_get_zero_weight():
    U, t = _points(1, n=12, d=2)
    U = np.concatenate([U[:, :1], np.full((len(U), 1), 0.75), U[:, 1:]], axis=1)
    for dom in (REAL, TERNARY):
        for objective in ("feasibility", "max-margin", "min-weight"):
            fit = fit_unit(U, t, objective=objective, domain=dom, time_limit=20)
            assert fit.dead == [1] and fit.w[1] == 0 and _forward_ok(U, t, fit)


def test_constant_targets():
    U, _ = _points(0)
    fit = fit_unit(U, -np.ones(len(U)), objective="max-margin", domain=TERNARY)
    assert fit.status == "optimal" and fit.nonzeros == 0 and fit.margin is None
    assert np.all(U @ fit.w + fit.b < 0)


# --- the refinement stages: stage reports, domains and dead inputs over a whole network ---------

def _refined(X, y, hidden, **kw):
    from combinatorial import solve

    return solve(X, y, hidden, **kw)


def _three_clusters():
    rng = np.random.default_rng(4)
    centres = np.array([[0.0, 0], [4, 0], [0, 4]])
    X = np.round(np.concatenate([c + rng.normal(0, 0.5, (5, 2)) for c in centres]) * 4) / 4
    X = np.concatenate([X, np.full((15, 1), 2.0)], axis=1)  # a dead input
    return X, np.repeat([0, 1, 2], 5)


@pytest.mark.parametrize("weights", ["real", "ternary"])
def test_staged_lexicographic(weights):
    from combinatorial.network import forward

    X, y = _three_clusters()
    sol = _refined(X, y, (4,), objective="lexicographic", weights=weights, time_limit=30)
    assert sol.status.value == "feasible" and sol.train_errors == 0
    stages = sol.stats["stages"]
    assert [s["stage"] for s in stages] == ["fit", "margin", "sparse"]
    assert all(s["optimal_for"] == "each unit, for the stage-1 targets" for s in stages)
    assert stages[2]["margin_sum"] >= stages[2]["margin_sum"] * 0 and stages[2]["nonzero_weights"] <= stages[1]["nonzero_weights"]
    assert sol.stats["dead_inputs"] == [2] and all(L.W[:, 2].tolist() == [0] * len(L.W) for L in sol.layers[:1])
    out = forward(sol.layers, X)[-1]
    assert np.array_equal(out, np.where(y[:, None] == np.arange(3)[None, :], 1, -1))
    if weights == "ternary":
        assert all(TERNARY.contains(L.W) for L in sol.layers)
        assert "integer weights |w| <= 1" in stages[0]["scope"]


def test_staged_max_margin_not_below_feasibility():
    X, y = _three_clusters()
    feas = _refined(X, y, (3,), objective="feasibility")
    mm = _refined(X, y, (3,), objective="max-margin")
    assert mm.stats["stages"][-1]["margin_sum"] >= feas.stats["stages"][0]["margin_sum"] - 1e-9


def test_staged_given_targets_first_then_linear_code():
    """Targets handed in as warm_start are tried first; targets that do not fit fall back."""
    X, y = _three_clusters()
    onehot = np.where(y[:, None] == np.arange(3)[None, :], 1, -1)
    sol = _refined(X, y, (3,), objective="max-margin", warm_start=[-onehot[:, [1, 2, 0]]])
    fit = sol.stats["stages"][0]
    assert fit["method"] == "given targets" and "not_separable" not in fit and sol.train_errors == 0
    assert np.array_equal(sol.hidden_targets[0], -onehot[:, [1, 2, 0]])
    from combinatorial.problem import Problem

    merged = Problem.from_data(X, y, (3,)).index  # equal inputs must get equal targets
    bad = np.tile(np.where(merged % 2 == 0, 1, -1)[:, None], (1, 3))  # splits every cluster
    sol = _refined(X, y, (3,), objective="max-margin", warm_start=[bad])
    fit = sol.stats["stages"][0]
    assert fit["method"] == "linear code" and fit["not_separable"][0].startswith("given targets")
    assert sol.train_errors == 0
    with pytest.raises(ValueError, match="warm_start layer 1 has shape"):
        _refined(X, y, (3,), objective="max-margin", warm_start=[np.ones((15, 2))])


def test_a_named_backend_searches_and_the_stages_follow():
    """``backend="lazy"`` with an integer domain: lazy searches (real weights), the stages fit
    its targets in the domain; the answer names lazy, and an INFEASIBLE keeps lazy's scope."""
    from combinatorial import solve
    from ftprop.data import load_dataset

    d = load_dataset("xor")
    sol = solve(d.X, d.y, (2,), backend="lazy", weights="ternary")
    assert sol.backend == "lazy" and sol.summary().endswith("[lazy]") and sol.train_errors == 0
    assert sol.stats["stages"][0]["method"] == "search (lazy)" and all(TERNARY.contains(L.W) for L in sol.layers)
    d = load_dataset("parity-4")
    sol = solve(d.X, d.y, (2,), backend="lazy", weights="ternary")
    assert sol.status.value == "infeasible" and sol.proved_for == "all real weights" and sol.backend == "lazy"
    auto = solve(d.X, d.y, (2,), weights="ternary")  # auto: cpsat for an integer domain
    assert auto.backend == "cpsat" and auto.status.value == "infeasible"


def test_the_old_staged_name_means_auto():
    from combinatorial import solve

    X, y = _three_clusters()
    with pytest.warns(DeprecationWarning, match="'staged' is now called 'auto'"):
        sol = solve(X, y, (3,), backend="staged", objective="max-margin")
    assert sol.backend == "lazy" and sol.summary().endswith("[linear code]")
    assert [s["stage"] for s in sol.stats["stages"]] == ["fit", "margin"]


def test_quieting_highs_in_two_threads_gives_stdout_back(tmp_path, monkeypatch):
    # Two threads inside the quiet block, the first one leaving first: the second must not
    # restore the /dev/null the first had put there (once: every later print of a Dask run lost).
    import os
    import sys
    import threading

    from combinatorial.objectives import _quiet_stderr

    out = open(tmp_path / "out.txt", "w")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", out)
    inode = os.fstat(out.fileno()).st_ino
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with _quiet_stderr():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second():
        a_in.wait(5)
        with _quiet_stderr():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert a_out.is_set()
    assert os.fstat(out.fileno()).st_ino == inode
    print("still here", file=out, flush=True)
    out.close()
    assert (tmp_path / "out.txt").read_text() == "still here\n"
