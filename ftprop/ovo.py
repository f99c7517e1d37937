"""One-vs-one ensembles of small exact networks (the BeMi protocol): one network per class pair.

Each of the k (k - 1) / 2 pair networks is a :class:`ThresholdNetworkClassifier` fitted on the
two classes' examples only; at prediction every network votes for one of its two classes.

Tie rule (documented, deterministic): the class with the most votes wins; among classes with
equal votes the one with the larger summed confidence wins, where a network's confidence is its
output pre-activation z (positive for the pair's second class), squashed as z / (3 (|z| + 1)) so
that confidences can never outweigh one vote. This is scikit-learn's one-vs-one rule. When the
confidences tie too, the lower class (in ``classes_`` order) wins. ``predict_with_ties`` returns
which predictions needed the tie rule; ``n_ties_`` is not learned state, so it is not stored.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from .estimators import ThresholdNetworkClassifier, validate_labels


class OneVsOneNetworks(ClassifierMixin, BaseEstimator):
    """Majority vote of one exact sign network per class pair.

    Parameters are those of :class:`ThresholdNetworkClassifier`, applied to every pair network;
    ``time_limit`` is per pair. BeMi's setting: ``hidden=(4, 4)``, ``objective="lexicographic"``,
    ``weights="ternary"``. ``n_jobs``: pairs solved in parallel through joblib
    (:func:`ftprop.ensemble.fit_members`; a joblib ``dask`` backend context runs them on a cluster).
    """

    def __init__(self, hidden=(4, 4), *, backend="auto", objective="lexicographic", weights="ternary",
                 time_limit=None, random_state=None, n_jobs=None):
        self.hidden = hidden
        self.backend = backend
        self.objective = objective
        self.weights = weights
        self.time_limit = time_limit
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X, y):
        from .ensemble import fit_members

        X, y_idx = validate_labels(self, X, y)
        params = self.get_params()
        params.pop("n_jobs")
        base = ThresholdNetworkClassifier(**params)
        self.pairs_ = list(combinations(range(len(self.classes_)), 2))
        tasks = []
        for a, b in self.pairs_:
            rows = (y_idx == a) | (y_idx == b)
            tasks.append((clone(base), (X[rows], self.classes_[y_idx[rows]])))
        results = fit_members(tasks, unit_margin="linf", n_jobs=self.n_jobs, time_limit=None)
        self.estimators_ = [est for est, _ in results]
        self.pair_status_ = [r["status"] if not r["warnings"] else f"{r['status']} (best effort)" for _, r in results]
        return self

    def _votes(self, X):
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        k = len(self.classes_)
        votes = np.zeros((len(X), k))
        conf = np.zeros((len(X), k))
        for (a, b), est in zip(self.pairs_, self.estimators_):
            z = est.decision_function(X)
            second = z >= 0  # the engine's tie rule: sign(0) = +1 picks the pair's second class
            votes[:, b] += second
            votes[:, a] += ~second
            conf[:, b] += z
            conf[:, a] -= z
        return votes, conf

    def decision_function(self, X):
        """Votes plus squashed confidences (< 1/3 in total), scikit-learn's one-vs-one score."""
        return _score(*self._votes(X))

    def predict(self, X):
        return self.predict_with_ties(X)[0]

    def predict_with_ties(self, X):
        """(labels, tied): ``tied[i]`` when the top vote count of example i was shared."""
        votes, conf = self._votes(X)
        score = _score(votes, conf)
        top = votes.max(axis=1, keepdims=True)
        tied = (votes == top).sum(axis=1) > 1
        return self.classes_[np.argmax(score, axis=1)], tied


def _score(votes, conf):
    return votes + conf / (3 * (np.abs(conf) + 1))
