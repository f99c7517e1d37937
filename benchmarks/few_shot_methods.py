"""The methods of ``few_shot.py``: each builds a scikit-learn estimator; ``fit_and_score`` runs one.

Exact methods (every network an exact fit of its training set, status and proof scope recorded):

  exact-real       [d, 16, C] sign network, real weights, max-margin (||w||_inf <= 1) per unit;
                   hidden targets from an FTPROP-MB network of the same shape (``init="minibatch"``),
                   refitted and verified unit by unit: what a new user gets
  exact-ternary    the same with weights in {-1, 0, 1} (Icarte et al.'s protocol)
  exact-l2         exact-real on L2-normalised images, every unit then refitted for its L2 margin
                   (``ExactEnsembleClassifier((16,), scheme="seeds", n_members=1, init="minibatch")``)
  exact-l2-raw     ablation: exact-l2 on unnormalised pixels (the L2 refit alone)
  exact-linf-l2n   ablation: exact-l2 keeping the engine's ||w||_inf units (the normalisation alone)
  exact-l2-shift   exact-l2 on the images and their four one-pixel shifts (``shifts=1``)
  seeds-l2         five exact-l2 networks (seeds s..s+4: five sets of hidden targets), summed outputs
  ovo-l2           the best recipe, ``ExactEnsembleClassifier()``: 45 pair networks [d, 1] (one
                   sign unit each), exact max-margin LP, then the L2 margin, normalised images, vote
  ovo-l2-shift     ovo-l2 on the training images and their four one-pixel shifts (``shifts=1``):
                   every pair network fits all 5n images exactly
  ovo-linf         ablation: ovo-l2 keeping the engine's ||w||_inf max-margin units
  ovo-raw          ablation: ovo-l2 on unnormalised pixels
  ovo-h4           ovo-l2 with a hidden layer of 4 in every pair network ([d, 4, 1], ftprop init)
  bemi-ternary     45 pairwise [d, 4, 4, 1] ternary networks, lexicographic objective (BeMi's)

Baselines: ftprop-mb (soft hinge) and sste, [d, 16, C] sign networks trained by gradient;
logreg (multinomial logistic regression), logreg-l2n (the same on normalised images), logreg-shift
(logreg-l2n on the same shift-augmented images as ovo-l2-shift), mlp (float MLP with one ReLU
layer of 16, Adam).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

EXACT = ("exact-real", "exact-ternary", "exact-l2", "exact-l2-raw", "exact-linf-l2n", "exact-l2-shift", "seeds-l2",
         "ovo-l2", "ovo-l2-shift", "ovo-linf", "ovo-raw", "ovo-h4", "bemi-ternary")
SINGLE = ("exact-real", "exact-ternary", "exact-l2", "exact-l2-raw", "exact-linf-l2n", "exact-l2-shift")
BASELINES = ("ftprop-mb", "sste", "logreg", "logreg-l2n", "logreg-shift", "mlp")
METHODS = EXACT + BASELINES
NEEDS_TORCH = SINGLE + ("seeds-l2", "ovo-h4", "ftprop-mb", "sste")


def build(method: str, cfg, seed: int, time_limit: float | None):
    """The estimator of ``method`` (``time_limit``: per instance; None: the configuration's)."""
    from ftprop.estimators import ExactEnsembleClassifier
    from ftprop.estimators import FTPropClassifier, ThresholdNetworkClassifier
    from ftprop.estimators import OneVsOneNetworks

    single = time_limit or cfg.single_time_limit
    total = time_limit or cfg.ensemble_time_limit
    member = min(cfg.member_time_limit, total)
    if method in ("exact-real", "exact-ternary"):
        weights = "real" if method == "exact-real" else "ternary"
        return ThresholdNetworkClassifier((16,), objective="max-margin", weights=weights, time_limit=single,
                                          random_state=seed, init="minibatch", init_epochs=cfg.epochs)
    if method in SINGLE[2:] + ("seeds-l2",):
        n = 1 if method != "seeds-l2" else cfg.seeds_members
        options = {"exact-l2-raw": {"normalize": "none"}, "exact-linf-l2n": {"unit_margin": "linf"},
                   "exact-l2-shift": {"shifts": 1}}.get(method, {})
        return ExactEnsembleClassifier((16,), scheme="seeds", n_members=n, init="minibatch", init_epochs=cfg.epochs,
                                       time_limit=single if n == 1 else total, member_time_limit=single,
                                       n_jobs=cfg.n_jobs, random_state=seed, **options)
    if method.startswith("ovo-"):
        options = {"ovo-l2": {}, "ovo-l2-shift": {"shifts": 1}, "ovo-linf": {"unit_margin": "linf"},
                   "ovo-raw": {"normalize": "none"},
                   "ovo-h4": {"hidden": (4,), "init": "minibatch", "init_epochs": cfg.epochs}}[method]
        return ExactEnsembleClassifier(time_limit=total, member_time_limit=member, n_jobs=cfg.n_jobs,
                                       random_state=seed, **options)
    if method == "bemi-ternary":
        return OneVsOneNetworks((4, 4), objective="lexicographic", weights="ternary",
                                time_limit=cfg.pair_time_limit, random_state=seed, n_jobs=cfg.n_jobs)
    if method in ("ftprop-mb", "sste"):
        rule = "soft-hinge" if method == "ftprop-mb" else "sste"
        return FTPropClassifier((16,), rule=rule, epochs=cfg.epochs, random_state=seed)
    if method in ("logreg", "logreg-l2n", "logreg-shift"):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import Normalizer

        lr = LogisticRegression(max_iter=5000)
        if method == "logreg":
            return lr
        return make_pipeline(Normalizer(), lr) if method == "logreg-l2n" else _Shifted(make_pipeline(Normalizer(), lr))
    if method == "mlp":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier((16,), max_iter=3000, random_state=seed)
    raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")


class _Shifted:
    """A classifier fitted on the images and their one-pixel shifts (``ftprop.estimators.ensemble.shift_augment``)."""

    def __init__(self, est):
        self.est = est

    def fit(self, X, y):
        from ftprop.estimators.ensemble import shift_augment

        self.est.fit(*shift_augment(X, y))
        self.classes_ = self.est.classes_
        return self

    def predict(self, X):
        return self.est.predict(X)


def all_good(z: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float:
    """Icarte's metric: the whole ±1 output vector right (unit c fires, z >= 0, iff c is the label)."""
    return float(np.mean(np.all((z >= 0) == (y[:, None] == classes[None, :]), axis=1)))


def _details(method: str, est) -> dict:
    """Status, proof scope and what the exact fit rests on; the row's ``status`` is one string."""
    if method in ("exact-real", "exact-ternary"):
        stages = est.solution_.stats.get("stages", [])
        return {"status": est.status_ + (f" ({est.fallback_})" if est.fallback_ else ""),
                "proved_for": est.proved_for_, "train_errors": est.solution_.train_errors,
                "stages": [{k: s.get(k) for k in ("stage", "status", "method", "seconds")} for s in stages]}
    if hasattr(est, "members_"):  # ExactEnsembleClassifier
        summary = est.member_summary()
        refits = [m["refit"] for m in est.members_ if m.get("refit")]
        return {"status": "feasible" if list(summary) == ["feasible"] else "mixed", "members": summary,
                "proved_for": sorted({str(m["proved_for"]) for m in est.members_}),
                "units_refitted": sum(r["refitted"] for r in refits), "units_kept": sum(r["kept"] for r in refits),
                "member_max_s": max(m["wall_s"] for m in est.members_)}
    if hasattr(est, "pair_status_"):  # OneVsOneNetworks
        counts = {s: est.pair_status_.count(s) for s in sorted(set(est.pair_status_))}
        return {"status": "feasible" if list(counts) == ["feasible"] else "mixed", "members": counts}
    return {"status": "trained"}


def fit_and_score(method: str, cfg, seed: int, time_limit, Xtr, ytr, tests: dict) -> tuple[dict, dict]:
    """Fit once; (common fields, {protocol: test fields}) for every test set in ``tests``."""
    est = build(method, cfg, seed, time_limit)
    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(Xtr, ytr)
    row = {"wall_time_s": round(time.monotonic() - start, 3), "train_acc": float(np.mean(est.predict(Xtr) == ytr)),
           "warnings": sorted({type(w.message).__name__ for w in caught})}
    row.update(_details(method, est))
    per_test = {}
    for name, (Xte, yte) in tests.items():
        out = {"all_good": None, "n_test": int(len(yte))}
        if name == "bemi-published" and hasattr(est, "predict_published") and getattr(est, "scheme", "ovo") == "ovo":
            labels, undecided = est.predict_published(Xte)
            out.update(test_acc=float(np.mean((labels == yte) & ~undecided)), undecided=float(np.mean(undecided)),
                       vote_rule="bemi")
        else:
            out["test_acc"] = float(np.mean(est.predict(Xte) == yte))
        single_sign_net = method in SINGLE
        if single_sign_net and len(est.classes_) > 2:  # 10 sign outputs: Icarte's metric applies
            out["all_good"] = all_good(est.decision_function(Xte), yte, est.classes_)
        per_test[name] = out
    return row, per_test
