import numpy as np
import pytest

from combinatorial import check_separable, verify_farkas
from instances import _cube


def test_closed_cases():
    X = _cube(2)
    and_ = np.where(X.sum(1) == 2, 1, -1)
    xor = np.where(X[:, 0] != X[:, 1], 1, -1)
    r = check_separable(X, and_)
    assert r.separable and np.all(and_ * (X @ r.w + r.b) >= 1 - 1e-7)
    r = check_separable(X, xor)
    assert r.separable is False
    assert verify_farkas(X, xor, r.subset, r.multipliers)
    assert len(r.subset) <= X.shape[1] + 2


def test_constant_and_empty_targets():
    X = np.array([[1.0], [2.0]])
    assert check_separable(X, [1, 1]).separable
    assert check_separable(np.zeros((0, 2)), []).separable


def test_duplicate_point_with_two_targets():
    X = np.array([[0.5, 1.0], [0.5, 1.0], [2.0, 0.0]])
    t = np.array([1, -1, 1])
    r = check_separable(X, t)
    assert r.separable is False and set(r.subset) == {0, 1}
    assert verify_farkas(X, t, r.subset, r.multipliers)


def test_verify_farkas_rejects_bad_certificates():
    X = _cube(2)
    and_ = np.where(X.sum(1) == 2, 1, -1)
    assert not verify_farkas(X, and_, [0, 1, 2, 3], [0.25] * 4)
    assert not verify_farkas(X, and_, [], [])
    assert not verify_farkas(X, and_, [0, 3], [-1.0, 2.0])


@pytest.mark.parametrize("seed", range(12))
def test_random_certificates_and_methods(seed):
    rng = np.random.default_rng(seed)
    n, d = rng.integers(4, 12), rng.integers(1, 4)
    X = rng.standard_normal((n, d)) * rng.choice([0.1, 1, 100], size=d)
    t = rng.choice([-1, 1], size=n)
    r = check_separable(X, t)
    if r.separable:
        assert np.all(t * (X @ r.w + r.b) >= 1 - 1e-6)
        sparse = check_separable(X, t, sparse=True)
        assert np.all(t * (X @ sparse.w + sparse.b) >= 1 - 1e-6)
    else:
        assert verify_farkas(X, t, r.subset, r.multipliers)
        assert len(r.subset) <= d + 2
        assert check_separable(X, t).separable is False
    for method in ("perceptron", "svm"):
        q = check_separable(X, t, method=method, max_epochs=200)
        assert q.separable in (True, None)  # yes or inconclusive, never a wrong yes
        if q.separable:
            assert r.separable
            assert np.all(t * (X @ q.w + q.b) >= 1 - 1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown separability method"):
        check_separable([[0.0]], [1], method="magic")
    with pytest.raises(ValueError, match="rows"):
        check_separable([[0.0], [1.0]], [1])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        check_separable([[0.0], [1.0]], [1, 0])
