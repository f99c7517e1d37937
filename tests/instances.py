"""Tiny instances shared by the exact-engine tests (each has at most 9 merged examples).

Every entry: name, X, y, hidden widths, shortcut. Known answers are not stored here: the tests
compare backends with the enumerate reference, which decides these in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Instance:
    name: str
    X: np.ndarray
    y: np.ndarray
    hidden: tuple[int, ...]
    shortcut: bool = False

    @property
    def id(self) -> str:
        return f"{self.name}-h{'x'.join(map(str, self.hidden))}{'-sc' if self.shortcut else ''}"


def _cube(n: int) -> np.ndarray:
    codes = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1
    return np.where(codes > 0, 1.0, -1.0)


def _build() -> list[Instance]:
    out = []
    sq = _cube(2)
    xor = (sq[:, 0] != sq[:, 1]).astype(int)
    for h in (1, 2):
        out.append(Instance("xor", sq, xor, (h,)))
    out.append(Instance("xor", sq, xor, (1,), shortcut=True))
    out.append(Instance("and", sq, (sq.sum(1) == 2).astype(int), (1,)))
    out.append(Instance("or", sq, (sq.sum(1) > -2).astype(int), (1,)))
    c3 = _cube(3)
    par3 = ((c3 > 0).sum(1) % 2).astype(int)
    for h in (2, 3):
        out.append(Instance("parity3", c3, par3, (h,)))
    out.append(Instance("parity3", c3, par3, (2, 1)))  # two hidden layers
    out.append(Instance("majority3", c3, (c3.sum(1) > 0).astype(int), (1,)))
    rng = np.random.default_rng(7)
    for k, (n, d) in enumerate([(6, 2), (7, 2), (8, 2), (9, 3), (7, 3)]):
        X = np.round(rng.standard_normal((n, d)), 2)
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]  # both classes present
        for h in (1, 2):
            out.append(Instance(f"rand{k}-{n}x{d}", X, y, (h,)))
    # multi-class: three small blobs, plus a point of class 0 inside class 2's blob
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    Xb = np.concatenate([c + 0.3 * rng.standard_normal((2, 2)) for c in centres] + [[[0.1, 3.1]]])
    yb = np.array([0, 0, 1, 1, 2, 2, 0])
    for h in (1, 2):
        out.append(Instance("blobs3", np.round(Xb, 2), yb, (h,)))
    return out


INSTANCES = _build()


# Instances whose answer is known by hand (XOR needs 2 hidden units, 3-bit parity 3), for the
# backends' own tests: name -> (X, y, hidden, a fit exists).
SQ = _cube(2)
C3 = _cube(3)
KNOWN = {
    "xor-1": (SQ, np.array([0, 1, 1, 0]), (1,), False),
    "xor-2": (SQ, np.array([0, 1, 1, 0]), (2,), True),
    "and-1": (SQ, np.array([0, 0, 0, 1]), (1,), True),
    "parity3-2": (C3, np.prod(C3, axis=1), (2,), False),
    "parity3-3": (C3, np.prod(C3, axis=1), (3,), True),
    "majority3-1": (C3, (C3.sum(1) > 0).astype(int), (1,), True),
}


def forward_errors(sol, X, y) -> int:
    """Independent check: how many (binary) labels the returned layers miss."""
    from combinatorial.network import forward

    out = forward(sol.layers, X, shortcut=sol.shortcut)[-1][:, 0]
    return int((out != np.where(y == np.max(y), 1, -1)).sum())


def plane_points(rng, trial):
    """3 to 7 distinct points in the plane, by ``trial`` % 4: Gaussian, a lattice (many collinear
    triples), one dimension, or 0.1 t, 0.3 t (nearly collinear in floats, not exactly)."""
    n, kind = int(rng.integers(3, 8)), trial % 4
    if kind == 0:
        P = rng.normal(size=(n, 2))
    elif kind == 1:  # lattice: many collinear triples
        P = rng.integers(0, 3, size=(n, 2)).astype(float)
    elif kind == 2:  # one dimension
        P = np.column_stack([rng.integers(-3, 4, size=n), np.zeros(n)]).astype(float)
    else:  # 0.1 t, 0.3 t: nearly collinear in floats, not exactly
        t = rng.integers(-3, 4, size=n)
        P = np.column_stack([t * 0.1, t * 0.3 + 0.01 * (t == 0)])
    return np.unique(P, axis=0)


def realised_dichotomies(P):
    """Every dichotomy of the points ``P`` (bool rows) the exact LP realises, the two constant
    ones included, and whether the LP left one undecided."""
    import itertools

    from combinatorial.separability import check_separable

    made, undecided = [], False
    for bits in itertools.product([False, True], repeat=len(P)):
        A = np.array(bits)
        constant = A.all() or not A.any()
        r = None if constant else check_separable(P, np.where(A, 1, -1)).separable
        undecided |= r is None and not constant
        if constant or r:
            made.append(A)
    return made, undecided


def assert_tight(fewer_errors, X, Y, best: int) -> None:
    """A checker's own enumeration (``fewer_errors`` of ftprop.checker.wedges / trees) on the
    examples X, Y: the optimum ``best`` passes, one error fewer does not."""
    counts = np.ones(len(X), dtype=np.int64)
    if best >= 1:
        assert fewer_errors(X, Y, counts, best) == ""
    assert "fewer than" in fewer_errors(X, Y, counts, best + 1)
