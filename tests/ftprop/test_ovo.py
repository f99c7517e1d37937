"""One-vs-one ensembles: a fitted ensemble on easy data, then the vote and tie rule on stubs."""

import numpy as np
import pytest

from ftprop.estimators import OneVsOneNetworks


def _clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0], [5, 0], [0, 5], [5, 5]])
    X = np.concatenate([c + rng.normal(0, 0.4, (4, 2)) for c in centres])
    return X, np.repeat(["a", "b", "c", "d"], 4)


def test_fits_every_pair_and_predicts():
    X, y = _clusters()
    m = OneVsOneNetworks((2, 2), weights="ternary", objective="lexicographic", time_limit=5).fit(X, y)
    assert len(m.estimators_) == 6 and m.pairs_[0] == (0, 1)
    assert all(s in ("feasible", "optimal") for s in m.pair_status_)
    assert m.score(X, y) == 1.0
    for est in m.estimators_:
        assert all(np.all(np.isin(W, [-1, 0, 1])) for W in est.coefs_)


class _Stub:
    def __init__(self, z):
        self.z = np.asarray(z, dtype=float)

    def decision_function(self, X):
        return self.z


def _stubbed(zs):
    m = OneVsOneNetworks()
    m.classes_ = np.array([0, 1, 2])
    m.pairs_ = [(0, 1), (0, 2), (1, 2)]
    m.estimators_ = [_Stub(z) for z in zs]
    m.n_features_in_ = 1
    return m


def test_votes_and_ties():
    # example 0: 0 beats 1, 2 beats 0, 1 beats 2 -> a three-way tie broken by summed confidence
    # example 1: class 2 wins both its duels -> no tie
    # example 2: a cyclic tie with equal confidences -> the lowest class wins
    m = _stubbed([[-1.0, 1.0, -1.0], [3.0, 1.0, 1.0], [-2.0, 1.0, -1.0]])
    labels, tied = m.predict_with_ties(np.zeros((3, 1)))
    assert tied.tolist() == [True, False, True]
    # example 0: confidences: class 0: +1 (beats 1 by 1) - 3 (loses to 2 by 3) = -2; class 1: -1 - 1 = ...
    score = m.decision_function(np.zeros((3, 1)))
    assert labels[1] == 2 and np.argmax(score[1]) == 2
    assert labels[0] == np.argmax(score[0]) and set(np.round(score[0]).tolist()) == {1.0}
    assert labels[2] == 0
    assert np.all(np.abs(score - np.round(score)) < 1 / 3 + 1e-12)  # confidence never outweighs a vote


def test_single_class_rejected():
    with pytest.raises(ValueError, match="at least 2 classes"):
        OneVsOneNetworks().fit(np.zeros((3, 2)), [1, 1, 1])
