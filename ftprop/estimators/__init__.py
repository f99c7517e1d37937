"""scikit-learn estimators: exact hard-threshold networks, their ensembles, and FTPROP-MB.

* :class:`ThresholdNetworkClassifier` fits a sign network exactly (``combinatorial``): hidden
  targets by search, weights by LP/MILP, verified by a forward pass.
* :class:`FTPropClassifier` trains the same architecture by mini-batch FTPROP (``minibatch``):
  sign hidden units with a target rule (soft hinge = FTP-SH, ``sste``, ...), a linear output layer
  and cross-entropy, as in the paper.

Both predict with the argmax of the output pre-activations (binary: the sign of the one output),
so ``predict`` agrees with the training labels wherever an exact fit is exact. Both plug into
``cross_val_score`` and ``GridSearchCV``: ``__init__`` stores its arguments untouched, ``fit``
validates them and works, learned state ends in ``_``.
"""

from .base import EXPECTED_FAILED_CHECKS, INITS, validate_labels
from .ensemble import ExactEnsembleClassifier, OneVsOneNetworks
from .exact import ThresholdNetworkClassifier
from .minibatch import FTPropClassifier

__all__ = ["EXPECTED_FAILED_CHECKS", "ExactEnsembleClassifier", "FTPropClassifier", "INITS", "OneVsOneNetworks",
           "ThresholdNetworkClassifier", "validate_labels"]
