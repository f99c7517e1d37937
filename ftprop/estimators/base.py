"""What the estimators share: argument checks, the seed, labels, and argmax prediction."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

# Checks of sklearn.utils.estimator_checks (scikit-learn 1.9) that these classifiers do not meet,
# with the reason, for ``check_estimator(..., expected_failed_checks=...)``. None at present:
# every check passes. ``fit`` takes no sample_weight (an exact fit reproduces every label or
# proves it cannot; there is nothing to weight), so the sample-weight checks do not apply.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}
INITS = ("linear-code", "minibatch")
OLD_INITS = {"ftprop": "minibatch"}  # the old name of the FTPROP-MB init, accepted with a DeprecationWarning


def _init(init: str) -> str:
    if init in OLD_INITS:
        import warnings

        warnings.warn(f"init={init!r} is now init={OLD_INITS[init]!r}", DeprecationWarning, stacklevel=3)
        return OLD_INITS[init]
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    return init


def _seed(random_state) -> int:
    """An int seed from None (0), an int, or a RandomState (one draw)."""
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(2**31 - 1))


def _hidden(hidden) -> tuple[int, ...]:
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = (hidden,)
    try:
        out = tuple(int(h) for h in hidden)
    except TypeError:
        raise ValueError(f"hidden must be a tuple of positive layer widths, got {hidden!r}") from None
    if any(h <= 0 for h in out) or any(isinstance(h, bool) for h in hidden):
        raise ValueError(f"hidden must be a tuple of positive layer widths, got {hidden!r}")
    return out


class _ArgmaxClassifier(ClassifierMixin, BaseEstimator):
    """Shared predict / score over ``decision_function`` (binary: one column, threshold 0)."""

    def predict(self, X):
        z = self.decision_function(X)
        if z.ndim == 1:
            return self.classes_[(z >= 0).astype(int)]
        return self.classes_[np.argmax(z, axis=1)]

    def _labels(self, X, y):
        return validate_labels(self, X, y)


def validate_labels(est, X, y):
    """Validate (X, y) for a classifier, set ``est.classes_``; returns (X, y as indices into it)."""
    X, y = validate_data(est, X, y, dtype=np.float64)
    check_classification_targets(y)
    est.classes_, y_idx = np.unique(y, return_inverse=True)
    if len(est.classes_) < 2:
        raise ValueError(f"need samples of at least 2 classes in the data, got 1 class: {est.classes_[0]!r}")
    return X, y_idx


