"""Ensembles of exact sign networks, fitted in parallel through joblib.

Every member is a :class:`~ftprop.estimators.ThresholdNetworkClassifier` fitted exactly on its own
data (one class pair, or every class under its own seed); members are independent solves, so they
run through :class:`joblib.Parallel` (``n_jobs``). Because joblib is the backend scikit-learn uses,
the same code runs on a Dask cluster::

    from dask.distributed import Client
    import joblib
    client = Client("scheduler:8786")          # or Client(LocalCluster(...))
    with joblib.parallel_backend("dask"):
        clf.fit(X, y)                          # members are solved on the cluster's workers

Time limits: ``member_time_limit`` bounds each member's exact solve; ``time_limit`` bounds the
whole ensemble: a member that starts with less than ``member_time_limit`` left gets what is left,
and one that starts after the deadline is not solved (status ``skipped``, left out of the vote).

Recipe options (the README measures each on few-shot MNIST):

normalize    ``l2``: every example divided by its Euclidean norm before anything else (a fixed
             per-example map, so it needs no state); ``none``: inputs as given
unit_margin  ``l2``: after the exact fit, every unit is refitted for its L2 max-margin on the
             member's own training codes (:mod:`ftprop.estimators.refit`; exactness is kept and re-checked);
             ``linf``: the engine's max-margin under ``||w||_inf <= 1`` as fitted
shifts       ``1``: the training images are augmented with their four one-pixel shifts (up, down,
             left, right; zero fill), so every member fits 5n images exactly, the n originals
             among them; ``0``: no augmentation. Needs ``image_shape`` (None: square images)
scheme       ``ovo``: one member per class pair, majority vote with scikit-learn's tie rule
             (below); ``seeds``: ``n_members`` members on all classes with seeds
             ``random_state + m`` (different ``ftprop`` inits: different hidden targets),
             prediction by the summed output pre-activations

:class:`OneVsOneNetworks` is the plain one-vs-one ensemble (the BeMi protocol), the two sharing
one vote:

Each of the k (k - 1) / 2 pair networks is a :class:`ThresholdNetworkClassifier` fitted on the
two classes' examples only; at prediction every network votes for one of its two classes.

Tie rule (documented, deterministic): the class with the most votes wins; among classes with
equal votes the one with the larger summed confidence wins, where a network's confidence is its
output pre-activation z (positive for the pair's second class), squashed as z / (3 (|z| + 1)) so
that confidences can never outweigh one vote. This is scikit-learn's one-vs-one rule. When the
confidences tie too, the lower class (in ``classes_`` order) wins. ``predict_with_ties`` returns
which predictions needed the tie rule; ``n_ties_`` is not learned state, so it is not stored.
``predict_published`` applies BeMi's released rule instead (:func:`published_vote`).
"""

from __future__ import annotations

import time
import warnings
from itertools import combinations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from combinatorial.options import check_seconds

from .base import _seed, validate_labels
from .exact import ThresholdNetworkClassifier

SCHEMES = ("ovo", "seeds")
NORMALIZE = ("l2", "none")
UNIT_MARGINS = ("l2", "linf")


def normalize_rows(X: np.ndarray, how: str) -> np.ndarray:
    if how == "none":
        return X
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)  # an all-zero example stays zero


def shift_augment(X: np.ndarray, y: np.ndarray, image_shape=None) -> tuple[np.ndarray, np.ndarray]:
    """X and its four one-pixel shifts (zero fill), labels repeated: 5n rows, the originals first."""
    d = X.shape[1]
    if image_shape is None:
        side = int(round(np.sqrt(d)))
        if side * side != d:
            raise ValueError(f"shifts needs image_shape for {d} features (not a square image)")
        image_shape = (side, side)
    h, w = (int(v) for v in image_shape)
    if h * w != d:
        raise ValueError(f"image_shape {tuple(image_shape)} has {h * w} pixels but X has {d} features")
    images = X.reshape(-1, h, w)
    out = [images]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(images, step, axis=axis)
        edge = 0 if step == 1 else -1  # the row / column that wrapped round is blanked
        if axis == 1:
            moved[:, edge, :] = 0
        else:
            moved[:, :, edge] = 0
        out.append(moved)
    return np.concatenate(out).reshape(-1, d), np.tile(y, 5)


def fit_member(base: ThresholdNetworkClassifier, X, y, *, unit_margin: str, deadline: float | None):
    """Fit one exact member (a module-level function, so that joblib can ship it to any worker).

    Returns the fitted estimator and a record of what it rests on: status, proof scope, fallback,
    the L2 refit's report and the wall time. ``deadline`` is a ``time.time()`` instant (wall
    clock, comparable across the processes of one machine)."""
    start = time.time()
    record = {"status": None, "proved_for": None, "fallback": None, "refit": None, "wall_s": 0.0, "warnings": [],
              "worker": None}
    if deadline is not None:
        left = deadline - start
        if left <= 0:
            record["status"] = "skipped"
            return None, record
        limit = left if base.time_limit is None else min(float(base.time_limit), left)
        base = clone(base).set_params(time_limit=limit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = clone(base).fit(X, y)
    record.update(status=est.status_, proved_for=est.proved_for_, fallback=est.fallback_,
                  warnings=sorted({str(w.message) for w in caught}),
                  stages=[{key: st.get(key) for key in ("stage", "status", "optimal_for", "scope")}
                          for st in est.solution_.stats.get("stages", [])])
    if unit_margin == "l2" and est.fallback_ is None and not est.shortcut:
        from .refit import refit_l2

        est.coefs_, est.intercepts_, record["refit"] = refit_l2(est.coefs_, est.intercepts_, X)
    record["wall_s"] = round(time.time() - start, 3)
    record["worker"] = _dask_worker()
    return est, record


def _dask_worker() -> str | None:
    """The address of the Dask worker running this member, or None outside a Dask cluster."""
    import sys

    if "distributed" not in sys.modules:  # never import Dask just to ask
        return None
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:  # not inside a worker
        return None


def fit_members(tasks, *, unit_margin: str, n_jobs, time_limit) -> list:
    """Fit ``tasks`` (pairs of a base estimator and (X, y)) through joblib; [(est, record)]."""
    from joblib import Parallel, delayed

    deadline = None if time_limit is None else time.time() + float(time_limit)
    return Parallel(n_jobs=n_jobs)(delayed(fit_member)(base, X, y, unit_margin=unit_margin, deadline=deadline)
                                   for base, (X, y) in tasks)


class ExactEnsembleClassifier(ClassifierMixin, BaseEstimator):
    """An ensemble of exact sign networks; the defaults are the ovo-l2 recipe of the few-shot MNIST
    benchmark, and ``shifts=1`` (28 x 28 images) its best row, ovo-l2-shift.

    Defaults: one single-unit network per class pair (``hidden=()``: a [d, 1] sign network, 45 of
    them for 10 classes), fitted exactly by the engine (max-margin LP; its proof says whether the
    pair is linearly separable), every unit refitted for its L2 margin, on L2-normalised inputs,
    majority vote. Parameters:

    hidden, objective, weights, backend, init, init_epochs
                       those of every member (:class:`ThresholdNetworkClassifier`)
    scheme, n_members  ``ovo`` (``n_members`` unused) or ``seeds`` (``n_members`` networks)
    normalize, unit_margin, shifts, image_shape
                       see the module docstring
    time_limit         seconds for the whole ensemble (None: no limit)
    member_time_limit  seconds for each member's exact solve (None: no limit)
    n_jobs             joblib workers for the members (None: 1, unless a joblib context says more)
    random_state       seeds every member (member m: ``random_state + m``)

    Learned state: ``classes_``, ``n_features_in_``, ``estimators_`` (None for a skipped member),
    ``members_`` (per member: the classes it separates, status, proof scope, each engine stage's
    status and scope, fallback, L2 refit report, wall time, Dask worker), ``pairs_`` (ovo).
    """

    def __init__(self, hidden=(), *, scheme="ovo", n_members=5, objective="max-margin", weights="real",
                 backend="auto", init="linear-code", init_epochs=200, normalize="l2", unit_margin="l2",
                 shifts=0, image_shape=None, time_limit=None, member_time_limit=None, n_jobs=None,
                 random_state=None):
        self.hidden = hidden
        self.scheme = scheme
        self.n_members = n_members
        self.objective = objective
        self.weights = weights
        self.backend = backend
        self.init = init
        self.init_epochs = init_epochs
        self.normalize = normalize
        self.unit_margin = unit_margin
        self.shifts = shifts
        self.image_shape = image_shape
        self.time_limit = time_limit
        self.member_time_limit = member_time_limit
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _check_params(self):
        for name, valid in (("scheme", SCHEMES), ("normalize", NORMALIZE), ("unit_margin", UNIT_MARGINS)):
            if getattr(self, name) not in valid:
                raise ValueError(f"{name} must be one of {', '.join(valid)}, got {getattr(self, name)!r}")
        for name in ("time_limit", "member_time_limit"):
            check_seconds(name, getattr(self, name), ValueError)
        if self.shifts not in (0, 1) or isinstance(self.shifts, bool):
            raise ValueError(f"shifts must be 0 (no augmentation) or 1 (one-pixel shifts), got {self.shifts!r}")
        if self.scheme == "seeds" and not (isinstance(self.n_members, (int, np.integer)) and self.n_members >= 1):
            raise ValueError(f"n_members must be a positive integer, got {self.n_members!r}")

    def _base(self, seed: int) -> ThresholdNetworkClassifier:
        return ThresholdNetworkClassifier(self.hidden, backend=self.backend, objective=self.objective,
                                          weights=self.weights, time_limit=self.member_time_limit,
                                          random_state=seed, init=self.init, init_epochs=self.init_epochs)

    def fit(self, X, y):
        self._check_params()
        X, y_idx = validate_labels(self, X, y)
        if self.shifts:
            X, y_idx = shift_augment(X, y_idx, self.image_shape)
        X = normalize_rows(X, self.normalize)
        seed = _seed(self.random_state)
        if self.scheme == "ovo":
            self.pairs_ = list(combinations(range(len(self.classes_)), 2))
            groups = [(a, b) for a, b in self.pairs_]
            tasks = []
            for m, (a, b) in enumerate(self.pairs_):
                rows = (y_idx == a) | (y_idx == b)
                tasks.append((self._base(seed + m), (X[rows], y_idx[rows])))
        else:
            groups = [tuple(range(len(self.classes_)))] * int(self.n_members)
            tasks = [(self._base(seed + m), (X, y_idx)) for m in range(int(self.n_members))]
        results = fit_members(tasks, unit_margin=self.unit_margin, n_jobs=self.n_jobs, time_limit=self.time_limit)
        self.estimators_ = [est for est, _ in results]
        self.members_ = [dict(record, classes=self.classes_[list(group)].tolist())
                         for (_, record), group in zip(results, groups)]
        if all(est is None for est in self.estimators_):
            raise RuntimeError(f"time_limit {self.time_limit} s ran out before any member was solved")
        return self

    def decision_function(self, X):
        check_is_fitted(self, "estimators_")
        X = normalize_rows(validate_data(self, X, reset=False, dtype=np.float64), self.normalize)
        k = len(self.classes_)
        if self.scheme == "ovo":
            score = _score(*pair_votes(self.pairs_, self.estimators_, X, k))
        else:
            score = sum(_scores(est.decision_function(X), k) for est in self.estimators_ if est is not None)
        return score[:, 1] - score[:, 0] if k == 2 else score

    def predict(self, X):
        z = self.decision_function(X)
        if z.ndim == 1:
            return self.classes_[(z > 0).astype(int)]
        return self.classes_[np.argmax(z, axis=1)]

    def predict_published(self, X):
        """(labels, undecided) by BeMi's released vote rule (:func:`published_vote`; ``ovo`` only).
        ``labels[i]`` is meaningless where ``undecided[i]``: BeMi scores those examples as wrong."""
        check_is_fitted(self, "estimators_")
        if self.scheme != "ovo":
            raise ValueError("BeMi's vote rule needs scheme='ovo'")
        X = normalize_rows(validate_data(self, X, reset=False, dtype=np.float64), self.normalize)
        return _labels(self.classes_, published_vote(self.pairs_, self.estimators_, X, len(self.classes_)))

    def member_summary(self) -> dict:
        """Members by status (with fallbacks named), e.g. ``{"feasible": 45}``."""
        check_is_fitted(self, "members_")
        out: dict = {}
        for m in self.members_:
            key = m["status"] + (f" ({m['fallback']})" if m.get("fallback") else "")
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))


def pair_decisions(pairs, estimators, X) -> np.ndarray:
    """(n, pairs) output pre-activations z of the pair networks (0 for a skipped one, never read)."""
    return np.stack([est.decision_function(X) if est is not None else np.zeros(len(X)) for est in estimators],
                    axis=1) if len(pairs) else np.zeros((len(X), 0))


def pair_votes(pairs, estimators, X, k: int, z=None):
    """(votes, confidences), each (n, k), of one network per class pair (None: skipped). A pair
    network's label 1 is the pair's second class; sign(0) = +1 picks it, the engine's tie rule.
    ``z``: the pair networks' :func:`pair_decisions` on X, when already computed."""
    z = pair_decisions(pairs, estimators, X) if z is None else z
    votes, conf = np.zeros((len(X), k)), np.zeros((len(X), k))
    for m, ((a, b), est) in enumerate(zip(pairs, estimators)):
        if est is None:
            continue
        second = z[:, m] >= 0
        votes[:, b] += second
        votes[:, a] += ~second
        conf[:, b] += z[:, m]
        conf[:, a] -= z[:, m]
    return votes, conf


def published_vote(pairs, estimators, X, k: int) -> np.ndarray:
    """Class indices by BeMi's released vote rule, -1 where it gives no label.

    The class with strictly the most votes wins; when exactly two classes share the most votes,
    the network of that pair decides; when three or more share it, there is no label (BeMi's
    ``scripts/discrete_NN.py`` counts it as wrong).
    """
    z = pair_decisions(pairs, estimators, X)
    votes = pair_votes(pairs, estimators, X, k, z)[0]
    order = np.argsort(-votes, axis=1, kind="stable")
    top = np.take_along_axis(votes, order[:, :3], axis=1)
    out = np.where(top[:, 0] > top[:, 1], order[:, 0], -1)
    pair_index = {pair: m for m, pair in enumerate(pairs)}
    for i in np.flatnonzero((top[:, 0] == top[:, 1]) & ((top[:, 1] > top[:, 2]) if k > 2 else True)):
        a, b = sorted(order[i, :2])
        m = pair_index[(a, b)]
        out[i] = -1 if estimators[m] is None else (b if z[i, m] >= 0 else a)
    return out


def _score(votes, conf):
    """Votes plus squashed confidences (< 1/3 in total): scikit-learn's one-vs-one score."""
    return votes + conf / (3 * (np.abs(conf) + 1))


class OneVsOneNetworks(ClassifierMixin, BaseEstimator):
    """Majority vote of one exact sign network per class pair.

    Parameters are those of :class:`ThresholdNetworkClassifier`, applied to every pair network;
    ``time_limit`` is per pair. BeMi's setting: ``hidden=(4, 4)``, ``objective="lexicographic"``,
    ``weights="ternary"``. ``n_jobs``: pairs solved in parallel through joblib
    (:func:`fit_members`; a joblib ``dask`` backend context runs them on a cluster).
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
        return pair_votes(self.pairs_, self.estimators_, X, len(self.classes_))

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

    def predict_published(self, X):
        """(labels, undecided) by BeMi's released vote rule (:func:`published_vote`)."""
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return _labels(self.classes_, published_vote(self.pairs_, self.estimators_, X, len(self.classes_)))


def _labels(classes, idx: np.ndarray):
    return classes[np.maximum(idx, 0)], idx < 0



def _scores(z: np.ndarray, k: int) -> np.ndarray:
    """A member's (n, k) class scores: its output pre-activations (binary: -z / 2, z / 2)."""
    return np.stack([-z / 2, z / 2], axis=1) if z.ndim == 1 else z
