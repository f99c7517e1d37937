"""K(n), the cpsat backend's weight bound, checked by enumeration for n <= 4.

Claim: under the cpsat constraint form (+1 iff w.h + b >= 0, -1 iff w.h + b <= -1, integer w
with |w| <= K, integer b), every linearly separable dichotomy of {-1, 1}^n is realised with
K = K(n), and K(n) - 1 does not suffice. This file carries its own enumeration; the n = 5 entry
is proved by benchmarks/weight_bounds.py (restrictions to 4-input threshold functions).
"""

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from combinatorial.backends.cpsat import SUFFICIENT_WEIGHT_BOUND


def cube(n):
    return np.array(list(itertools.product([-1, 1], repeat=n)))


def realised(n, K):
    """Truth tables (tuples of bools over cube(n)) of integer units with |w| <= K."""
    P, out = cube(n), {tuple([False] * 2**n)}
    for w in itertools.product(range(-K, K + 1), repeat=n):
        s = P @ np.array(w)
        for theta in np.unique(s):  # bias b = -theta: z = s - theta, an integer
            out.add(tuple(s - theta >= 0))
    return out


def separable(n, table):
    P = cube(n).astype(float)
    t = np.where(table, 1.0, -1.0)
    res = linprog(np.zeros(n + 1), A_ub=-(t[:, None] * np.c_[P, np.ones(len(P))]), b_ub=-np.ones(len(P)),
                  bounds=(None, None), method="highs")
    assert res.status in (0, 2), res.message
    return res.status == 0


def not_2_asummable(n, tables):
    """Rows of ``tables`` (bool, tables x 2^n) with true points a, b and false points c, d,
    a + b = c + d: then z(a) + z(b) = z(c) + z(d), so no unit separates them."""
    P = cube(n)
    A, B = np.triu_indices(2**n)
    key = np.ravel_multi_index(((P[A] + P[B]) // 2 + 1).T, (3,) * n)  # the pair's sum, as one integer
    same = key[:, None] == key[None, :]
    tt = tables[:, A] & tables[:, B]
    ff = ~tables[:, A] & ~tables[:, B]
    return ((tt.astype(np.int32) @ same) * ff).any(axis=1)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_separable_dichotomy_is_realised_lp(n):
    K = SUFFICIENT_WEIGHT_BOUND[n]
    tables = [tuple(bool(v) for v in bits) for bits in itertools.product([0, 1], repeat=2**n)]
    sep = {t for t in tables if separable(n, np.array(t))}
    assert realised(n, K) == sep
    if K > 1:
        assert realised(n, K - 1) < sep  # K(n) is also necessary


def test_fan_in_4():
    n, K = 4, SUFFICIENT_WEIGHT_BOUND[4]
    R = realised(n, K)
    assert len(realised(n, K - 1)) < len(R)
    rng = np.random.default_rng(0)
    # Every table outside R is refuted by 2-asummability (a sound non-separability proof) ...
    codes = np.arange(2 ** (2**n))
    tables = (codes[:, None] >> np.arange(2**n)) & 1 > 0
    inside = np.array([tuple(t) in R for t in tables])
    assert inside.sum() == len(R)
    assert not_2_asummable(n, tables[~inside]).all()
    assert not not_2_asummable(n, tables[inside]).any()
    # ... and the LP agrees on a sample of both kinds.
    for code in rng.choice(2 ** (2**n), 60, replace=False):
        table = tuple(bool(code >> i & 1) for i in range(2**n))
        assert separable(n, np.array(table)) == (table in R)
    for table in list(R)[:: max(1, len(R) // 40)]:
        assert separable(n, np.array(table))


def test_table_is_monotone():
    ks = [SUFFICIENT_WEIGHT_BOUND[n] for n in sorted(SUFFICIENT_WEIGHT_BOUND)]
    assert ks == sorted(ks) and ks[:4] == [1, 1, 2, 3]
