"""scikit-learn's estimator checks, collected instead of raised, for the estimator tests."""

import warnings

from sklearn.utils.estimator_checks import check_estimator


def failed_estimator_checks(est, expected_failed_checks=None) -> list:
    """(check name, exception) of every check ``est`` fails; [] when it passes them all."""
    failed = []

    def callback(*, check_name, status, exception=None, **_):
        if status == "failed":
            failed.append((check_name, repr(exception)[:300]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(est, expected_failed_checks=expected_failed_checks or {}, on_fail=None, callback=callback)
    return failed
