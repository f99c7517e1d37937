import numpy as np
import pytest

from combinatorial import Problem, ProblemError
from combinatorial.symmetry import canonicalize
from combinatorial.cuts import identical_input_groups, single_coordinate_chains


def test_merging_and_conflict():
    X = np.array([[0, 0], [1, 1], [0, 0], [0, 0]], dtype=float)
    y = np.array([0, 1, 0, 1])
    p = Problem.from_data(X, y, (2,))
    assert p.n_merged == 3 and p.counts.tolist() == [2, 1, 1]
    assert np.array_equal(p.Xu[p.index], X)
    assert p.conflict == (0, 3)
    assert identical_input_groups(p.Xu) == [[0, 2]]


def test_multiclass_targets():
    p = Problem.from_data([[0.0], [1.0], [2.0]], ["a", "b", "c"], (1,))
    assert p.n_outputs == 3 and p.sizes == [1, 1, 3]
    assert np.array_equal(p.Yu, 2 * np.eye(3, dtype=int) - 1)
    assert list(p.labels_from_outputs(p.Yu)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "X, y, hidden, kw, match",
    [
        ([[0.0], [1.0]], [1, 1], (1,), {}, "two classes"),
        ([[0.0], [1.0]], [0, 1, 1], (1,), {}, "2 rows but y has 3"),
        ([[0.0], [np.nan]], [0, 1], (1,), {}, "NaN"),
        (np.zeros((0, 2)), [], (1,), {}, "empty"),
        ([[0.0], [1.0]], [0, 1], (0,), {}, "positive"),
        ([[0.0], [1.0]], [0, 1], (1.5,), {}, "integers"),
        ([[0.0], [1.0]], [0, 1], (1, 1), {"shortcut": True}, "exactly one hidden layer"),
    ],
)
def test_bad_input(X, y, hidden, kw, match):
    with pytest.raises(ProblemError, match=match):
        Problem.from_data(X, y, hidden, **kw)


def test_single_coordinate_chains_on_a_square():
    X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=float)
    chains = set(single_coordinate_chains(X))
    assert chains == {(0, 2, 0), (1, 3, 0), (0, 1, 1), (2, 3, 1)}


def test_canonicalize_is_idempotent():
    T = np.array([[-1, 1, 1], [1, -1, 1], [1, 1, -1]])
    C = canonicalize(T)
    assert np.all(C[0] == 1) and np.array_equal(canonicalize(C), C)
