"""Regression tests for answers that once claimed more than was true (near-degenerate data).

Every check here uses its own tiny rational reference (``fractions``), not the engine's code.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from combinatorial import Status, solve
from combinatorial.exact import farkas_multipliers, signs, verify_farkas
from combinatorial.network import LayerWeights
from combinatorial.separability import check_separable


def rational_forward(layers, X):
    """Reference forward pass in rational arithmetic, sign(0) = +1."""
    h = [[Fraction(float(v)) for v in row] for row in np.asarray(X, dtype=float)]
    for L in layers:
        W, b = L.W, L.b
        h = [[1 if sum((Fraction(float(w)) * x for w, x in zip(W[j], row)), Fraction(float(b[j]))) >= 0 else -1
              for j in range(len(b))] for row in h]
    return np.array(h)


def fits_exactly(sol, X, y) -> bool:
    out = rational_forward(sol.layers, X)[:, 0]
    return bool(np.all(out == np.where(np.asarray(y) == max(y), 1, -1)))


TINY_GAP = (np.array([[0.0], [1e-9], [1.0], [-1.0]]), np.array([0, 1, 1, 0]))
WIDE_RANGE = (np.array([[0.0], [0.001], [1e6], [-1e6]]), np.array([0, 1, 1, 0]))


@pytest.mark.parametrize("hidden", [(), (1,)])
def test_tiny_gap_is_feasible_not_infeasible(hidden):
    X, y = TINY_GAP
    sol = solve(X, y, hidden=hidden)
    assert sol.status == Status.FEASIBLE and sol.train_errors == 0
    assert fits_exactly(sol, X, y)


def test_wide_column_range_with_two_hidden_units():
    X, y = WIDE_RANGE
    sol = solve(X, y, hidden=(2,))
    assert sol.status == Status.FEASIBLE and fits_exactly(sol, X, y)


def test_float_multipliers_on_a_separable_pair_are_rejected():
    # {x = 0 -> -1, x = 1e-6 -> +1} is separable; (0.5, 0.5) once passed a 1e-6 tolerance
    U, t = np.array([[0.0], [1e-6]]), np.array([-1, 1])
    assert not verify_farkas(U, t, [0, 1], [0.5, 0.5])
    assert farkas_multipliers(U, t, [0, 1]) is None
    assert check_separable(U, t).separable is True


def test_certificates_are_exact_and_reported_as_fractions():
    X = np.array([[0.0], [1e-300], [1.0]])  # +1 strictly between two -1 points, at a 1e-300 gap
    r = check_separable(X, [-1, 1, -1])
    assert r.separable is False
    assert all(isinstance(v, Fraction) for v in r.multipliers) and sum(r.multipliers) == 1
    assert verify_farkas(X, [-1, 1, -1], r.subset, r.multipliers)
    sol = solve(X, [0, 1, 0], hidden=())
    assert sol.status == Status.INFEASIBLE
    lam = list(sol.certificate.multipliers)
    assert verify_farkas(X, [-1, 1, -1], list(sol.certificate.examples), lam)


def test_exact_signs_settle_ties_and_near_ties():
    U = np.array([[0.1, 0.2], [1.0, -1.0], [1e-17, 0.0]])
    W = np.array([[1.0, 1.0], [1.0, 1.0]])
    b = np.array([-0.30000000000000004, 0.0])
    # 0.1 + 0.2 - 0.30000000000000004 is negative in exact rationals, 0 in floats
    exact_first = Fraction(0.1) + Fraction(0.2) - Fraction(0.30000000000000004)
    out = signs(U, W, b)
    assert out[0, 0] == (1 if exact_first >= 0 else -1)
    assert out[1, 1] == 1  # exact tie: sign(0) = +1
    assert out[2, 1] == 1 and out[2, 0] == -1


def test_cpsat_does_not_merge_nearly_equal_features():
    X = np.array([[0.0], [0.3333333333], [1 / 3], [1.0]])
    sol = solve(X, np.array([0, 0, 1, 1]), hidden=(1,), backend="cpsat")
    assert sol.status != Status.INFEASIBLE
    assert sol.stats["feature_scale_exact"] is False


def test_mip_symmetry_breaking_keeps_solutions_inside_its_scope():
    X = np.array([[1.0, 1 / 16], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1, 1])
    sol = solve(X, y, hidden=(1,), backend="mip")
    assert sol.status == Status.FEASIBLE and fits_exactly(sol, X, y)
    best = solve(X, y, hidden=(1,), backend="mip", objective="min-errors")
    assert best.train_errors == 0


def test_mip_scope_states_its_margin():
    X, y = np.array([[-1.0], [0.0], [0.01], [1.0]]), np.array([0, 0, 1, 1])
    sol = solve(X, y, hidden=(1,), backend="mip")
    assert sol.status == Status.INFEASIBLE
    assert "z <= -1 on -1 targets" in sol.proved_for and "[-17, 16]" in sol.proved_for
    assert "z <= -1" in sol.summary()
    assert solve(X, y, hidden=(1,)).status == Status.FEASIBLE  # lazy: all real weights


def test_cpsat_integer_weights_stay_in_their_domain():
    X = np.array([[0.0], [0.5], [1.0], [1.5]])  # feature scale 2
    y = np.array([0, 0, 1, 1])
    sol = solve(X, y, hidden=(1,), backend="cpsat", weights="integer:1")
    assert sol.status == Status.FEASIBLE and sol.stats["feature_scale"] == 2.0
    assert all(np.all(np.abs(L.W) <= 1) for L in sol.layers)
    assert fits_exactly(sol, X, y)


def test_lazy_proof_lists_the_families_in_its_model():
    X = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], dtype=float)
    sol = solve(X, np.prod(X, axis=1), hidden=(2,))
    assert sol.status == Status.INFEASIBLE
    reason = sol.certificate.reason
    assert "monotone output" in reason and "distinct codes" not in reason
    deep = solve(X, np.prod(X, axis=1), hidden=(2, 2))
    if deep.status == Status.INFEASIBLE:
        assert "distinct codes" in deep.certificate.reason


def test_ftprop_backend_conflict_proof_comes_from_the_front_end():
    X, y = np.array([[0.0], [0.0], [1.0]]), np.array([0, 1, 1])
    sol = solve(X, y, hidden=(1,), backend="fullbatch")
    assert sol.status == Status.INFEASIBLE and sol.certificate.kind == "conflict"


@st.composite
def near_degenerate(draw):
    """Points in near pairs (relative gaps 1e-12 .. 1e-3, column scales up to 1e9) labelled by
    a random threshold network computed in rational arithmetic, so a fit certainly exists."""
    d = draw(st.integers(1, 2))
    n_base = draw(st.integers(2, 4))
    scales = [10.0 ** draw(st.integers(0, 9)) for _ in range(d)]
    gap = 10.0 ** -draw(st.integers(3, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    base = rng.uniform(-1, 1, size=(n_base, d)) * scales
    near = base + gap * np.array(scales) * rng.choice([-1.0, 1.0], size=(n_base, d))
    X = np.concatenate([base, near])
    hidden = draw(st.sampled_from([(), (1,), (2,)]))
    layers, width_in = [], d
    for width in (*hidden, 1):
        W = rng.normal(size=(width, width_in)) / (np.array(scales) if width_in == d and not layers else 1.0)
        if not layers:  # put the first layer's boundary through the middle of a near pair
            mid = (base[0] + near[0]) / 2
            b = -(W @ mid)
        else:
            b = rng.normal(size=width) * 0.5
        layers.append(LayerWeights(W, b))
        width_in = width
    y = rational_forward(layers, X)[:, 0]
    return X, y, hidden


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_degenerate())
def test_no_false_infeasible_on_near_degenerate_data(case):
    X, y, hidden = case
    if len(np.unique(y)) < 2:
        return
    sol = solve(X, y, hidden=hidden, time_limit=20, seed=0)
    assert sol.status != Status.INFEASIBLE, (X.tolist(), y.tolist(), hidden, sol.certificate)
    if sol.status == Status.FEASIBLE:
        assert fits_exactly(sol, X, y)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_an_inseparable_set_shrinks_to_at_most_d_plus_2_examples_with_an_exact_certificate(d):
    """Kirchberger: deletion filtering keeps an inseparable subset of at most d + 2 examples, on
    which the exact multipliers are found and verified in rational arithmetic."""
    from combinatorial.exact import farkas_multipliers, verify_farkas
    from combinatorial.separability import irreducible

    rng = np.random.default_rng(d)
    U = np.round(rng.normal(size=(60, d)), 2)
    U = np.concatenate([U, -U])  # antipodal pairs with one label: degenerate and inseparable
    t = np.concatenate([np.ones(60), np.ones(60)]).astype(int)
    t[rng.choice(120, 30, replace=False)] *= -1
    scale = np.abs(U).max(axis=0)
    small = irreducible(U / scale, t, np.arange(120))
    assert small is not None and 2 <= len(small) <= d + 2
    subset, lam = farkas_multipliers(U, t, small)
    assert verify_farkas(U, t, subset, lam)
    assert irreducible(U / scale, t, small[:-1]) is None  # irreducible: one fewer is separable


@pytest.mark.parametrize("d, classes, points, trials", [(1, 2, 10, 12), (2, 2, 10, 12), (2, 3, 9, 8), (3, 2, 8, 8), (3, 3, 8, 6)])
def test_one_unit_min_errors_agrees_with_the_reference(d, classes, points, trials):
    """Width-1 min-errors (combinatorial.backends.lazy.oneunit: lines in one or two dimensions, Benders cuts
    over exact Farkas certificates in three; any number of classes) on lattice points with many
    collinear and coplanar subsets, against the enumerate backend: the same optimum, proved for
    all real weights, with a verified network making exactly that many errors."""
    rng = np.random.default_rng(11 + 10 * d + classes)
    compared = 0
    for trial in range(trials):
        X = rng.integers(-2, 3, size=(points, d)).astype(float)
        y = rng.integers(0, classes, size=points)
        if len(np.unique(y)) < 2:
            continue
        ours = solve(X, y, (1,), objective="min-errors", backend="lazy")
        ref = solve(X, y, (1,), objective="min-errors", backend="enumerate")
        if ref.status is Status.INFEASIBLE:  # an input with both labels: min-errors still counts
            continue
        assert ours.status is Status.OPTIMAL and ours.proved_for == "all real weights", (X.tolist(), y.tolist())
        assert "exact_method" in ours.stats
        assert ours.train_errors == ours.lower_bound == ref.train_errors, (X.tolist(), y.tolist())
        compared += 1
    assert compared >= trials // 2
