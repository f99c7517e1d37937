"""The checker's forward pass (ftprop.checker.forward), decided in floats under an error bound and
in rationals elsewhere, against a forward pass in rationals alone: on pre-activations exactly 0,
within an ulp of 0, at huge and tiny scales, with a shortcut, and through ftprop check."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ftprop.checker.forward import _layer, outputs


def _rational(parsed, Xu, shortcut):
    out = []
    for row in Xu.tolist():
        x = [Fraction(v) for v in row]
        h = x
        for l, (W, b) in enumerate(parsed):
            inp = h + x if shortcut and l == len(parsed) - 1 else h
            h = [1 if sum((w * u for w, u in zip(r, inp)), c) >= 0 else -1 for r, c in zip(W, b)]
        out.append(h)
    return np.array(out, dtype=np.int8)


def _through(rng, X, k):
    """k units whose hyperplanes run exactly through rows of X (rational weights: z = 0 there),
    or a hair off them (z a few ulps from 0)."""
    W, b = [], []
    for j in range(k):
        w = [Fraction(int(v), int(rng.integers(1, 7))) for v in rng.integers(-9, 10, size=X.shape[1])]
        p = [Fraction(v) for v in X[rng.integers(len(X))].tolist()]
        off = 0 if j % 2 == 0 else Fraction(int(rng.choice([-1, 1])), 2**60)
        W.append(w)
        b.append(-sum(wi * pi for wi, pi in zip(w, p)) + off)
    return W, b


@pytest.mark.parametrize("scale", [1.0, 1e-12, 1e12, 1e200, 1e-300])
def test_the_float_filter_agrees_with_rationals_on_near_degenerate_units(scale):
    rng = np.random.default_rng(int(abs(np.log10(scale))))
    X = rng.normal(size=(40, 3)) * scale
    X[10:20] = X[:10] + X[20:30] * 1e-15  # rows within an ulp or so of others
    for trial in range(6):
        parsed = [_through(rng, X, 4), _through(rng, np.array([[1.0, -1, 1, -1]]), 2)]
        for shortcut in (False, True):
            if shortcut:
                W2, b2 = parsed[1]
                parsed = [parsed[0], ([r + [Fraction(int(v)) for v in rng.integers(-2, 3, size=3)] for r in W2], b2)]
            assert np.array_equal(outputs(parsed, X, shortcut), _rational(parsed, X, shortcut)), (scale, trial, shortcut)


def test_a_zero_pre_activation_is_plus_one_and_ulps_decide_in_rationals():
    X = np.array([[0.1, 0.2], [0.3, 0.6], [1.0, 2.0 + 2.0**-51]])
    # w . x + b = x2 - 2 x1 in rationals: exactly 0 on the first two rows (as floats 0.1 and 0.2
    # are not a tenth and a fifth, but 0.2 is 2 * 0.1 exactly), 2^-51 on the third
    W, b = [[Fraction(-2), Fraction(1)]], [Fraction(0)]
    assert _layer(W, b, X).ravel().tolist() == [1, 1 if 0.6 - 2 * 0.3 >= 0 else -1, 1]
    W, b = [[Fraction(2), Fraction(-1)]], [Fraction(0)]
    got = _layer(W, b, X).ravel().tolist()
    assert got == _rational([(W, b)], X, False).ravel().tolist() and got[0] == 1 and got[2] == -1
    # a third: fl(1/3) * 3 rounds to 1, and the floats alone would call 1 - 3 * (1/3) zero
    W, b = [[Fraction(1, 3)]], [Fraction(-1, 3)]
    assert _layer(W, b, np.array([[1.0], [1.0 + 2.0**-52], [1.0 - 2.0**-53]])).ravel().tolist() == [1, 1, -1]


def test_extreme_weights_fall_back_to_rationals():
    X = np.array([[1.0, 1.0], [1e-300, -1e-300]])
    W, b = [[Fraction(1, 2**1100), Fraction(-1, 2**1100)]], [Fraction(0)]
    assert _layer(W, b, X).ravel().tolist() == _rational([(W, b)], X, False).ravel().tolist() == [1, 1]
    W, b = [[Fraction(2**1100), Fraction(1)]], [Fraction(-(2**1100))]
    assert _layer(W, b, X).ravel().tolist() == [1, -1]
