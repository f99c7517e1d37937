import time

import numpy as np
import pytest

from combinatorial.backends.lazy import LazyOptions
from combinatorial import ALL_REAL_WEIGHTS, ProblemError, SolveOptions, Status, solve
from combinatorial.backends import lazy
from combinatorial.problem import Problem
from instances import _cube


def parity(n):
    X = _cube(n)
    return X, ((X > 0).sum(1) % 2).astype(int)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_parity_needs_exactly_n_units(n):
    X, y = parity(n)
    below = solve(X, y, hidden=(n - 1,), backend="lazy")
    assert below.status == Status.INFEASIBLE and below.proved_for == ALL_REAL_WEIGHTS
    assert solve(X, y, hidden=(n,), backend="lazy").status == Status.FEASIBLE


def test_parity3_without_symmetry_breaking():
    X, y = parity(3)
    assert solve(X, y, hidden=(2,), backend="lazy", symmetry_breaking=False).status == Status.INFEASIBLE
    assert solve(X, y, hidden=(3,), backend="lazy", symmetry_breaking=False).status == Status.FEASIBLE


def test_xor_widths_and_shortcut():
    X, y = parity(2)
    assert solve(X, y, hidden=(1,), backend="lazy").status == Status.INFEASIBLE
    assert solve(X, y, hidden=(1,), shortcut=True, backend="lazy").status == Status.FEASIBLE


def test_cuts_are_used_and_reported():
    # random points: no pre-constraint decides these, the LP cuts must
    rng = np.random.default_rng(3)
    X = rng.standard_normal((14, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    sol = solve(X, y, hidden=(2,), backend="lazy", symmetry_breaking=False)
    for key in ("iterations", "cuts", "lp_checks", "cache_hits", "master_conflicts"):
        assert key in sol.stats
    assert sol.status in (Status.FEASIBLE, Status.INFEASIBLE)


def test_warm_start_and_bad_warm_start():
    X, y = parity(3)
    first = solve(X, y, hidden=(3,), backend="lazy")
    # a complete fit, permuted and with one unit negated, is accepted by LP checks alone
    H = first.hidden_targets[0][:, ::-1].copy()
    H[:, 0] *= -1
    again = solve(X, y, hidden=(3,), backend="lazy", warm_start=(H,))
    assert again.status == Status.FEASIBLE and again.stats["iterations"] == 0
    assert "LP checks" in again.stats["warm_start"]
    # a broken hint is only a hint: the master search still runs and still finds a fit
    H[0, 1] *= -1
    H[3, 2] *= -1
    hinted = solve(X, y, hidden=(3,), backend="lazy", warm_start=(H,), backend_options=LazyOptions(heuristic=False))
    assert hinted.status == Status.FEASIBLE and hinted.stats["iterations"] >= 1
    assert hinted.stats["warm_start"] == "used as CP-SAT hint"
    with pytest.raises(ProblemError, match="warm_start"):
        solve(X, y, hidden=(3,), backend="lazy", warm_start=(np.ones((8, 2)),))


def test_expired_deadline_is_unknown():
    X, y = parity(3)
    r = lazy.run(Problem.from_data(X, y, (3,)), SolveOptions(), deadline=time.monotonic() - 1)
    assert r.status == Status.UNKNOWN


def test_ctrl_c_returns_best_so_far(monkeypatch):
    X, y = parity(4)
    calls = {"n": 0}
    real = lazy.Checker.failures

    def interrupted(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt
        return real(self, *a, **kw)

    monkeypatch.setattr(lazy.Checker, "failures", interrupted)
    sol = solve(X, y, hidden=(4,), backend="lazy", symmetry_breaking=False)
    assert sol.status in (Status.UNKNOWN, Status.FEASIBLE)
    if sol.status == Status.UNKNOWN:
        assert "interrupted" in sol.message and sol.layers is not None and sol.train_errors is not None


def test_min_errors_with_conflicting_inputs():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 1, 0])
    sol = solve(X, y, hidden=(1,), backend="lazy", objective="min-errors")
    ref = solve(X, y, hidden=(1,), backend="enumerate", objective="min-errors")
    assert sol.status == ref.status == Status.OPTIMAL
    assert sol.train_errors == ref.train_errors == sol.lower_bound
    # feasibility on conflicting data is refused before any backend runs
    assert solve(X, y, hidden=(3,), backend="lazy").certificate.kind == "conflict"


def test_min_errors_timeout_keeps_verified_network():
    X, y = parity(4)
    r = lazy.run(Problem.from_data(X, y, (2,)), SolveOptions(objective="min-errors"), deadline=time.monotonic() - 1)
    assert r.status == Status.FEASIBLE and r.kept is not None and r.kept.any()


def test_primal_heuristic_finds_teacher_fit_and_can_be_switched_off():
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("teacher", DataOptions(inputs=4, teacher_hidden=(4,), samples=60, seed=0))
    sol = solve(d.X, d.y, hidden=(4,), backend="lazy", time_limit=60)
    assert sol.status == Status.FEASIBLE and sol.train_errors == 0
    assert sol.stats["heuristic_runs"] >= 1 and sol.stats["found_by"].startswith("primal heuristic")
    pure = solve(d.X, d.y, hidden=(4,), backend="lazy", time_limit=1, backend_options=LazyOptions(heuristic=False))
    assert "heuristic_runs" not in pure.stats and "found_by" not in pure.stats


def test_min_width_is_a_library_call():
    from combinatorial import min_width
    from ftprop.data import load_dataset

    ds = load_dataset("parity-3")
    search = min_width(ds.X, ds.y, options=SolveOptions(workers=1))
    assert search.min_width == 3 and search.below.status == Status.INFEASIBLE
    assert [s.architecture[1] for s in search.attempts] == [1, 2, 3]
    assert search.message() == "minimum width 3; width 2 infeasible (all real weights)"
    short = min_width(ds.X, ds.y, max_width=2, options=SolveOptions(workers=1))
    assert short.found is None and short.min_width is None and "max width 2" in short.message()


def test_the_working_set_search_agrees_with_the_whole_set_search():
    """Example subsets on real-valued data: the same answers as the search on every example,
    a refutation on fewer examples, and a FEASIBLE network verified on all of them."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("moons", DataOptions(samples=120))
    # the pair bound and the decision list off: they settle width 1 and fit width 5 and up first
    for width, expected in ((1, Status.INFEASIBLE), (3, Status.FEASIBLE)):
        sub = solve(d.X, d.y, (width,), backend="lazy", workers=1, time_limit=60,
                    backend_options=LazyOptions(pair_bound=False, decision_list=False))
        full = solve(d.X, d.y, (width,), backend="lazy", workers=1, time_limit=60,
                     backend_options=LazyOptions(working_set=False, pair_bound=False, decision_list=False))
        assert sub.status == full.status == expected
        assert "working_set" in sub.stats and "working_set" not in full.stats
        if expected is Status.INFEASIBLE:
            assert sub.stats["working_set"] < 120 and sub.proved_for == ALL_REAL_WEIGHTS
            assert "of the 120 distinct examples" in sub.certificate.reason
        else:
            assert sub.train_errors == 0


def test_an_infeasible_master_needs_cadicals_word_too(monkeypatch):
    """CP-SAT's INFEASIBLE is re-solved by CaDiCaL on the same clauses; a disagreement (planted
    here) is UNKNOWN with the reason, never INFEASIBLE; the switch reports CP-SAT's word alone."""
    from combinatorial.backends.lazy.master import Master

    X = _cube(4)
    y = (np.sum(X > 0, axis=1) % 2).astype(int)
    sol = solve(X, y, hidden=(3,), backend="lazy")
    assert sol.status is Status.INFEASIBLE and sol.stats["confirmed_by"].startswith("CaDiCaL")
    monkeypatch.setattr(Master, "second_opinion", lambda self, deadline: "planted disagreement")
    doubted = solve(X, y, hidden=(3,), backend="lazy")
    assert doubted.status is Status.UNKNOWN and "planted disagreement" in doubted.message
    alone = solve(X, y, hidden=(3,), backend="lazy", backend_options=LazyOptions(confirm=False))
    assert alone.status is Status.INFEASIBLE and "confirmed_by" not in alone.stats


def test_cadical_beside_cpsat_gives_the_same_verdicts_and_leaves_no_thread(monkeypatch):
    """Started at once beside the first master solve (START_AFTER 0), CaDiCaL's answer is the
    one an INFEASIBLE rests on, a planted SAT verdict makes it UNKNOWN, and a feasible search
    stops it: no thread outlives a solve."""
    import threading

    from combinatorial.backends.lazy import confirm

    monkeypatch.setattr(confirm, "START_AFTER", 0.0)
    X = _cube(4)
    y = (np.sum(X > 0, axis=1) % 2).astype(int)
    before = threading.active_count()
    started = []
    real = confirm.cadical
    monkeypatch.setattr(confirm, "cadical", lambda clauses: started.append(len(clauses)) or real(clauses))
    sol = solve(X, y, hidden=(3,), backend="lazy")
    assert sol.status is Status.INFEASIBLE and sol.stats["confirmed_by"].startswith("CaDiCaL")
    assert len(started) == 1 and started[0] > 0  # one CaDiCaL run per refutation, never two
    fit = solve(X, y, hidden=(4,), backend="lazy")
    assert fit.status is Status.FEASIBLE and fit.train_errors == 0
    assert threading.active_count() == before

    class Contrary:  # CaDiCaL that finds an assignment: the refutation must not stand
        def __init__(self, clauses):
            pass

        def solve_limited(self, expect_interrupt):
            return True

        def interrupt(self):
            pass

        def delete(self):
            pass

    monkeypatch.setattr(confirm, "cadical", Contrary)
    doubted = solve(X, y, hidden=(3,), backend="lazy")
    assert doubted.status is Status.UNKNOWN and "CaDiCaL finds an assignment" in doubted.message
    assert threading.active_count() == before


def test_a_second_opinion_cancelled_before_it_starts_never_runs():
    from combinatorial.backends.lazy.confirm import SecondOpinion

    calls = []
    opinion = SecondOpinion(lambda: calls.append(1) or [[1], [-1]], delay=60.0)
    opinion.cancel()
    assert not opinion.started and calls == []
    assert SecondOpinion(lambda: [[1], [-1]], delay=0.0).answer(None) is False
    assert SecondOpinion(lambda: [[1, 2], [-1]], delay=0.0).answer(None) is True


def test_a_wider_min_errors_search_starts_from_the_best_half_plane():
    """Width 3 can copy the best single unit, or a unit of the best pair: the general search's
    incumbent is never worse than width 1's or width 2's proved optimum, even when the time limit
    stops it early (width 2 in the plane is settled by wedges instead)."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("circles", DataOptions(samples=100, noise=0.2))
    one = solve(d.X, d.y, (1,), objective="min-errors", workers=1)
    two = solve(d.X, d.y, (2,), objective="min-errors", workers=1)
    three = solve(d.X, d.y, (3,), objective="min-errors", workers=1, time_limit=3)
    assert one.status is Status.OPTIMAL and two.status is Status.OPTIMAL and two.train_errors < one.train_errors
    assert three.train_errors <= two.train_errors
    assert "exact_method" not in three.stats or "wedge" not in three.stats["exact_method"]
    assert three.lower_bound is None or three.lower_bound <= three.train_errors


def test_one_unit_min_errors_on_a_multiclass_set_is_settled():
    """One hidden unit sends its two sides to two label rows, so on iris (three classes of 50)
    at least one class is wrong; setosa against versicolor is separable, so 50 is the optimum,
    proved for all real weights, in four dimensions."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("iris", DataOptions())
    sol = solve(d.X, d.y, (1,), objective="min-errors", workers=1)
    assert sol.status is Status.OPTIMAL and sol.proved_for == "all real weights"
    assert sol.train_errors == sol.lower_bound == 50
    assert "Benders" in sol.stats["exact_method"]


def three_runs_and_one_outlier():
    """1-D: a run of 1s inside 0s and one lone 1 at the end. Two sign units switch the output
    twice at most, so width 2 cannot fit the three switches and makes one error at best."""
    x = np.arange(100, dtype=float)[:, None] / 10
    y = np.where((x[:, 0] >= 3) & (x[:, 0] < 6), 1, 0)
    y[99] = 1
    return x, y


def test_min_errors_opens_with_the_feasibility_search():
    """Many real-valued examples: a fit found by the feasibility search is the 0-error optimum,
    and a refutation of the width proves at least one error."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("moons", DataOptions(samples=200))
    # width 4: the feasibility search fits it in about 4 s here, well inside its 30 s share; a
    # third, nearly constant input, since in the plane the best triple of half-planes starts it
    X = np.column_stack([d.X, np.random.default_rng(0).normal(scale=0.01, size=len(d.X))])
    fit = solve(X, d.y, (4,), objective="min-errors", time_limit=120, workers=1,
                backend_options=LazyOptions(decision_list=False))
    assert fit.stats["fit_first"] == "feasible"
    assert fit.status is Status.OPTIMAL and fit.train_errors == fit.lower_bound == 0
    x, y = three_runs_and_one_outlier()
    x3 = np.column_stack([x, np.zeros_like(x), np.zeros_like(x)])  # three inputs: no wedge enumeration
    one = solve(x3, y, (2,), objective="min-errors", time_limit=60, workers=1)
    assert one.stats["fit_first"] == "infeasible"
    assert one.status is Status.OPTIMAL and one.train_errors == one.lower_bound == 1
    wedge = solve(x, y, (2,), objective="min-errors", time_limit=60, workers=1)  # in 1-D: the wedges
    assert "wedge" in wedge.stats["exact_method"] and "fit_first" not in wedge.stats
    assert wedge.status is Status.OPTIMAL and wedge.train_errors == wedge.lower_bound == 1


def test_errors_known_unavoidable_bound_and_close_the_min_errors_search():
    from combinatorial.backends.lazy.loop import Loop

    x, y = three_runs_and_one_outlier()
    problem = Problem.from_data(x, y, (2,))
    loop = Loop(problem, SolveOptions(objective="min-errors", backend_options=LazyOptions(errors_at_least=1)), None)
    goal = loop.goal
    assert goal.closed() is None and goal.incumbent_errors() > 1  # the best threshold misses a run
    assert goal.lower_bound() == 1
    at = problem.Xu[:, 0]
    targets = [np.column_stack([np.where(at >= 3, 1, -1), np.where(at >= 6, 1, -1)]).astype(np.int8)]
    assert goal.incumbent(targets, at < 9.9)  # every example right but the lone 1
    closed = goal.closed()
    assert closed.status is Status.OPTIMAL and closed.lower_bound == 1
    assert "refuted" in closed.stats["exact_method"]


@pytest.mark.parametrize("working_set", [True, False])
def test_a_warm_start_that_does_not_fit_bounds_the_unknown_answer(working_set):
    """The caller's hidden targets are the first hint of the working-set rounds as well, and,
    realised, a network the answer must not be worse than: here the two spirals' pruned decision
    list less one unit, whose output layer then misses a few examples."""
    from combinatorial import declist
    from combinatorial.backends.lazy.goals import realise
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("spirals", DataOptions(samples=194))
    problem = Problem.from_data(d.X, d.y, (1,))
    net = declist.build(problem)
    from combinatorial.network import forward

    codes = forward(net.layers(net.width), problem.Xu)[0][:, 1:]  # the first unit dropped
    narrow = Problem.from_data(d.X, d.y, (net.width - 1,))
    _, right = realise(narrow, [codes], None)
    given = int((~right).sum())
    assert 0 < given < 40
    sol = solve(d.X, d.y, (net.width - 1,), time_limit=5, workers=1, warm_start=(codes[problem.index],),
                backend_options=LazyOptions(working_set=working_set))
    assert sol.status in (Status.UNKNOWN, Status.FEASIBLE) and sol.train_errors <= given
