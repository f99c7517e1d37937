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
