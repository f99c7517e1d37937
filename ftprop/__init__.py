"""ftprop: learning hard-threshold networks as a mixed convex-combinatorial problem.

The application layer: CLI, data sets, exact-vs-heuristic comparison and scikit-learn estimators.
Importing it loads neither OR-Tools nor torch; the estimators are resolved lazily.
"""

__version__ = "0.1.0"

_LAZY = {
    "ThresholdNetworkClassifier": "ftprop.estimators",
    "FTPropClassifier": "ftprop.estimators",
    "ExactEnsembleClassifier": "ftprop.estimators",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ftprop' has no attribute {name!r}")
