"""Ensembles of exact networks: the L2 refit, time limits, joblib workers and the estimator checks."""

import time

import numpy as np
import pytest

from ftprop.estimators.ensemble import ExactEnsembleClassifier, fit_member, normalize_rows, shift_augment
from ftprop.estimators import ThresholdNetworkClassifier
from ftprop.estimators.refit import hard_margin_unit, layer_inputs, refit_l2, sign


def _clusters(n=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0, 0], [4, 0, 1], [0, 4, 2], [4, 4, 0]])
    X = np.concatenate([c + rng.normal(0, 0.6, (n, 3)) for c in centres])
    return X, np.repeat(["a", "b", "c", "d"], n)


def test_hard_margin_unit_matches_closed_form():
    # Two columns of points at x = -1 and x = +1: the L2 max-margin unit is w = (1, 0), b = 0
    # (margin 1); an L-inf max-margin unit may tilt, the Euclidean one may not.
    U = np.array([[-1.0, 0], [-1, 2], [-3, 1], [1, 0], [1, 2], [2, -1]])
    t = np.array([-1, -1, -1, 1, 1, 1.0])
    w, b = hard_margin_unit(U, t)
    np.testing.assert_allclose(w, [1, 0], atol=1e-3)
    assert abs(b) < 1e-3
    w, b = hard_margin_unit(U, np.ones(6))  # constant targets: w = 0, b = the target
    assert not w.any() and b == 1.0


def test_refit_keeps_every_code_and_widens_the_margin():
    X, y = _clusters()
    est = ThresholdNetworkClassifier((3,), objective="max-margin", time_limit=20, random_state=0).fit(X, y)
    assert est.score(X, y) == 1.0
    coefs, ints, report = refit_l2(est.coefs_, est.intercepts_, X)
    assert report["refitted"] + report["kept"] == report["units"] == 3 + 4
    for old, new in zip(layer_inputs(est.coefs_, est.intercepts_, X), layer_inputs(coefs, ints, X)):
        np.testing.assert_array_equal(old, new)
    # Hidden units: the L2 geometric margin never shrinks (the SVM maximises exactly that).
    W0, b0, W1, b1 = est.coefs_[0], est.intercepts_[0], coefs[0], ints[0]
    for j in range(W0.shape[1]):
        t = sign(X @ W0[:, j] + b0[j])
        if abs(t.sum()) == len(t):
            continue
        before = np.min(t * (X @ W0[:, j] + b0[j])) / np.linalg.norm(W0[:, j])
        after = np.min(t * (X @ W1[:, j] + b1[j])) / np.linalg.norm(W1[:, j])
        assert after >= before - 1e-3


def test_normalize_rows():
    X = np.array([[3.0, 4], [0, 0]])
    np.testing.assert_allclose(normalize_rows(X, "l2"), [[0.6, 0.8], [0, 0]])
    assert normalize_rows(X, "none") is X


def test_member_records_and_time_limits():
    X, y = _clusters()
    rows = np.isin(y, ["a", "b"])
    base = ThresholdNetworkClassifier((), objective="max-margin", time_limit=100)
    est, rec = fit_member(base, X[rows], y[rows], unit_margin="l2", deadline=time.time() + 30)
    assert rec["status"] == "feasible" and rec["fallback"] is None and rec["refit"]["refitted"] == 1
    assert [(st["stage"], st["status"]) for st in rec["stages"]] == [("fit", "optimal"), ("margin", "optimal")]
    assert rec["stages"][1]["scope"].startswith("all real weights")
    assert 0 < est.time_limit <= 30  # the member got what was left of the total, not its own 100 s
    assert est.score(X[rows], y[rows]) == 1.0
    est, rec = fit_member(base, X[rows], y[rows], unit_margin="l2", deadline=time.time() - 1)
    assert est is None and rec["status"] == "skipped"


def test_ovo_and_seeds_fit_exactly_in_parallel():
    X, y = _clusters()
    one = ExactEnsembleClassifier(random_state=0).fit(X, y)
    two = ExactEnsembleClassifier(random_state=0, n_jobs=2).fit(X, y)
    assert len(one.estimators_) == 6 and one.member_summary() == {"feasible": 6}
    assert [m["classes"] for m in one.members_][:2] == [["a", "b"], ["a", "c"]]
    assert one.score(X, y) == 1.0
    np.testing.assert_allclose(one.decision_function(X), two.decision_function(X))
    seeds = ExactEnsembleClassifier((3,), scheme="seeds", n_members=2, time_limit=60, member_time_limit=20,
                                    random_state=0).fit(X, y)
    assert len(seeds.members_) == 2 and all(m["status"] == "feasible" for m in seeds.members_)
    assert seeds.score(X, y) == 1.0


@pytest.mark.parametrize("bad, match", [({"scheme": "bag"}, "scheme must be one of ovo, seeds"),
                                        ({"time_limit": -1}, "time_limit must be a positive number"),
                                        ({"unit_margin": "l1"}, "unit_margin must be one of")])
def test_bad_options(bad, match):
    X, y = _clusters()
    with pytest.raises(ValueError, match=match):
        ExactEnsembleClassifier(**bad).fit(X, y)


def test_check_estimator_fast_setting():
    from checks import failed_estimator_checks

    assert failed_estimator_checks(ExactEnsembleClassifier(member_time_limit=1)) == []


DASK_RUN = """
import json, sys
import joblib, numpy as np
import distributed
from ftprop import ExactEnsembleClassifier
X, y = np.array(json.loads(sys.argv[1])), np.array(json.loads(sys.argv[2]))
with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                              dashboard_address=None) as cluster, distributed.Client(cluster) as client:
    workers = sorted(client.scheduler_info()["workers"])
    with joblib.parallel_backend("dask"):
        est = ExactEnsembleClassifier(n_jobs=-1, random_state=0).fit(X, y)
print(json.dumps({"workers": workers, "ran_on": sorted({m["worker"] for m in est.members_}),
                  "score": est.score(X, y), "decision": est.decision_function(X).tolist()}))
"""


def test_dask_cluster_runs_the_members():
    # In a subprocess: a LocalCluster's logging and threads outlive it and break pytest's capture.
    import json
    import subprocess
    import sys

    pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'ftprop[distributed]')")
    X, y = _clusters(n=4)
    proc = subprocess.run([sys.executable, "-c", DASK_RUN, json.dumps(X.tolist()), json.dumps(y.tolist())],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["ran_on"] and set(out["ran_on"]) <= set(out["workers"])
    assert out["score"] == 1.0
    np.testing.assert_allclose(out["decision"], ExactEnsembleClassifier(random_state=0).fit(X, y).decision_function(X))


def test_shift_augment_moves_every_pixel_by_one():
    X = np.arange(1, 13, dtype=float).reshape(1, 12)  # one 3 x 4 image
    Xa, ya = shift_augment(X, np.array([7]), (3, 4))
    assert Xa.shape == (5, 12) and ya.tolist() == [7] * 5
    img = X.reshape(3, 4)
    np.testing.assert_array_equal(Xa[0], X[0])  # the original comes first
    down = Xa[1].reshape(3, 4)
    np.testing.assert_array_equal(down[1:], img[:-1])
    assert not down[0].any()  # zero fill, no wrap-round
    left = Xa[4].reshape(3, 4)
    np.testing.assert_array_equal(left[:, :-1], img[:, 1:])
    assert not left[:, -1].any()
    with pytest.raises(ValueError, match="image_shape"):
        shift_augment(np.zeros((2, 5)), np.zeros(2))


def test_shifted_ensemble_fits_the_originals():
    rng = np.random.default_rng(1)
    X = rng.random((12, 64))  # 8 x 8 images: 40 shifted images per pair are separable in 64 dimensions
    y = np.arange(12) % 3
    est = ExactEnsembleClassifier(shifts=1, random_state=0).fit(X, y)
    assert est.score(X, y) == 1.0 and est.member_summary() == {"feasible": 3}
