"""Orientations decided by one float error bound per line (``combinatorial.halfplanes._orient``,
and the checker's own ``ftprop.checker.lines._signs``) against rationals, on near-degenerate data
and at scales where products overflow or underflow; each entry's own bound gives the same."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from combinatorial.halfplanes import _orient, _orient_entrywise
from ftprop.checker.lines import _signs, _signs_entrywise


def _points(kind: str, n: int = 24) -> np.ndarray:
    rng = np.random.default_rng(len(kind))
    if kind == "lattice":  # many exactly collinear triples
        P = rng.integers(0, 4, size=(n, 2)).astype(float)
    elif kind == "rounded line":  # on y = x / 3 + 0.1 up to rounding: orientations of a few ulps
        x = rng.normal(size=n)
        P = np.column_stack([x, x / 3 + 0.1])
    elif kind == "near line":
        x = rng.normal(size=n)
        P = np.column_stack([x, x / 3 + rng.normal(size=n) * 1e-15])
    elif kind == "huge":  # products overflow
        P = rng.normal(size=(n, 2)) * 1e200
    elif kind == "tiny":  # products underflow
        P = rng.normal(size=(n, 2)) * 1e-160
    elif kind == "mixed scales":
        P = rng.normal(size=(n, 2)) * np.where(rng.random((n, 1)) < 0.5, 1e-8, 1e8)
    else:
        P = rng.normal(size=(n, 2))
    return np.unique(P, axis=0)


def _exact(P: np.ndarray, i: int, J: np.ndarray) -> np.ndarray:
    Q = [[Fraction(v) for v in p] for p in P.tolist()]
    out = np.zeros((len(J), len(P)), dtype=np.int8)
    for a, j in enumerate(J):
        for k in range(len(P)):
            d = (Q[j][0] - Q[i][0]) * (Q[k][1] - Q[i][1]) - (Q[j][1] - Q[i][1]) * (Q[k][0] - Q[i][0])
            out[a, k] = (d > 0) - (d < 0)
    return out


@pytest.mark.parametrize("kind", ["gaussian", "lattice", "rounded line", "near line", "huge", "tiny", "mixed scales"])
def test_orientations_agree_with_rationals(kind):
    P = _points(kind)
    zeros = 0
    for i in range(len(P) - 1):
        J = np.arange(i + 1, len(P))
        want = _exact(P, i, J)
        zeros += int((want == 0).sum())
        for f in (_orient, _orient_entrywise, _signs, _signs_entrywise):
            assert np.array_equal(f(P, i, J), want), (kind, f.__name__, i)
    assert zeros >= 2 * (len(P) - 1)  # at least each line's own two points


@pytest.mark.parametrize("seed", range(3))
def test_the_best_half_plane_agrees_with_every_realised_dichotomy_where_points_weigh_nothing(seed):
    """``halfplanes.best_dichotomy`` pivots lines on the points with weight only: its count is
    the fewest over every dichotomy the exact LP realises, and its answer is one of them (a
    dichotomy of every point, those that weigh nothing included)."""
    from combinatorial.halfplanes import best_dichotomy
    from instances import plane_points, realised_dichotomies

    rng, zero, compared = np.random.default_rng(seed), 0, 0
    for trial in range(24):
        P = plane_points(rng, trial)
        plus, minus = rng.integers(0, 3, size=len(P)), rng.integers(0, 3, size=len(P))
        plus[rng.random(len(P)) < 0.4] = 0
        minus[plus == 0] = 0  # some points weigh nothing at all
        zero += int((plus + minus == 0).sum())
        made, undecided = realised_dichotomies(P)
        if undecided:  # the LP cannot say which dichotomies exist: nothing to compare with
            continue
        D, compared = np.array(made), compared + 1
        brute = int((D @ plus + (~D) @ minus).min())
        errors, sides = best_dichotomy(P, plus, minus)
        assert errors == brute, (seed, trial)
        got = sides > 0
        assert any((got == d).all() for d in D) and int(got @ plus + (~got) @ minus) == errors
    assert zero >= 10 and compared >= 12
