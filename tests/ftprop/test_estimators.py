"""scikit-learn estimators: check_estimator, model selection, fallbacks and learned state."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score

from ftprop.estimators import EXPECTED_FAILED_CHECKS, FTPropClassifier, ThresholdNetworkClassifier


def _check(est):
    from checks import failed_estimator_checks

    assert failed_estimator_checks(est, EXPECTED_FAILED_CHECKS) == []


def test_check_estimator_exact():
    # No hidden layer keeps the 40-odd fits of check_estimator fast: every fit is exact LPs with
    # Farkas certificates, and the hidden-layer path shares fit / predict with it (tested below).
    _check(ThresholdNetworkClassifier((), time_limit=1))


def test_check_estimator_ftprop():
    _check(FTPropClassifier((8,), epochs=25, lr=2e-2))


def _data():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0], [3, 0], [0, 3]])
    X = np.concatenate([c + rng.normal(0, 0.5, (12, 2)) for c in centres])
    return X, np.repeat([0, 1, 2], 12)


@pytest.mark.parametrize("est", [ThresholdNetworkClassifier((4,), time_limit=5),
                                 ThresholdNetworkClassifier((4,), weights="ternary", objective="max-margin", time_limit=5),
                                 FTPropClassifier((6,), epochs=40)])
def test_model_selection(est):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(est, X, y, cv=3)
        assert scores.mean() > 0.7
        grid = {"hidden": [(3,), (5,)]}
        search = GridSearchCV(est, grid, cv=2).fit(X, y)
    assert search.best_params_["hidden"] in [(3,), (5,)]
    assert search.best_estimator_.score(X, y) > 0.7


def test_exact_state_and_domain():
    X, y = _data()
    est = ThresholdNetworkClassifier((4,), weights="ternary", objective="lexicographic", time_limit=10).fit(X, y)
    assert est.status_ == "feasible" and est.fallback_ is None and est.score(X, y) == 1.0
    assert [W.shape for W in est.coefs_] == [(2, 4), (4, 3)] and est.n_features_in_ == 2
    assert all(np.all(np.isin(W, [-1, 0, 1])) for W in est.coefs_)
    assert est.decision_function(X).shape == (36, 3)
    assert est.proved_for_ is None  # margins and weight counts are optimal per unit only
    stages = est.solution_.stats["stages"]
    assert [s["stage"] for s in stages] == ["fit", "margin", "sparse"]


def test_exact_init_from_ftprop_codes():
    X, y = _data()
    est = ThresholdNetworkClassifier((4,), objective="max-margin", init="minibatch", init_epochs=30,
                                     random_state=0).fit(X, y)
    assert est.score(X, y) == 1.0 and est.fallback_ is None
    assert est.solution_.stats["stages"][0]["method"] in ("given targets", "linear code")
    assert est.init_targets_[0].shape == (36, 4) and set(np.unique(est.init_targets_[0])) <= {-1, 1}
    with pytest.raises(ValueError, match="init must be one of"):
        ThresholdNetworkClassifier(init="kmeans").fit(X, y)


def test_ftprop_wraps_trainer_and_folds_batch_norm():
    X, y = _data()
    est = FTPropClassifier((5,), batch_norm=True, epochs=20, random_state=1).fit(X, y)
    assert est.result_["epochs_run"] == 20 and est.result_["seed"] == 1
    codes = est.hidden_activations(X)[0]
    folded = np.where(X @ est.coefs_[0] + est.intercepts_[0] >= 0, 1.0, -1.0)
    assert np.array_equal(codes, folded)  # batch norm folded into the affine map before sign
    proba = est.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1) and np.array_equal(est.classes_[proba.argmax(1)], est.predict(X))
    with pytest.raises(ValueError, match="optimizer must be"):
        FTPropClassifier(optimizer="lbfgs").fit(X, y)


def test_binary_decision_function_and_labels():
    X, y = _data()
    labels = np.where(y == 0, "no", "yes")
    est = ThresholdNetworkClassifier((2,), time_limit=10).fit(X, labels)
    assert est.classes_.tolist() == ["no", "yes"] and est.decision_function(X).shape == (36,)
    assert set(est.predict(X)) <= {"no", "yes"}


def test_infeasible_fit_still_predicts_and_warns():
    X = np.array([[0.0], [0.0], [1.0], [2.0]])
    y = np.array([0, 1, 1, 0])  # rows 0 and 1 conflict: no network fits them all
    with pytest.warns(ConvergenceWarning, match=r"ended as infeasible \(all real weights\); using the min-errors fit"):
        est = ThresholdNetworkClassifier((), time_limit=5).fit(X, y)
    assert est.status_ == "infeasible" and est.proved_for_ == "all real weights"
    assert est.fallback_ == "min-errors" and est.solution_.status.value == "optimal"
    assert est.predict(X).shape == (4,) and est.score(X, y) == 0.75  # one of the conflicting pair is lost
    with pytest.warns(ConvergenceWarning, match="best-effort"):  # the search cannot finish: linear code
        ThresholdNetworkClassifier((1,), time_limit=0.01).fit(np.arange(8.0)[:, None], [0, 1] * 4)


@pytest.mark.parametrize("bad, match", [({"weights": "quaternary"}, "weights must be"),
                                        ({"hidden": (0,)}, "hidden must be"),
                                        ({"time_limit": -1}, "time_limit must be")])
def test_bad_options_raise_in_fit(bad, match):
    X, y = _data()
    est = ThresholdNetworkClassifier(**bad)  # __init__ stores, never validates
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_the_old_init_name_is_minibatch_with_a_warning():
    from ftprop.estimators.base import _init

    with pytest.warns(DeprecationWarning, match="init='minibatch'"):
        assert _init("ftprop") == "minibatch"
    with pytest.raises(ValueError, match="init must be one of linear-code, minibatch"):
        _init("fullbatch")
