"""FTPROP-MB in PyTorch: hard-threshold activations trained by mini-batch target propagation.

    from minibatch import Sign, Step, Staircase, activation, build_model
    act = Sign(rule="soft-hinge", weighted=True)          # FTP-SH, the paper's method
    net = build_model("convnet4", input_shape=(3, 32, 32), num_classes=10, activation="sign")

Modules: :mod:`.rules` (the target-rule registry), :mod:`.functional` (autograd Functions and
functional forms), :mod:`.activations`, :mod:`.models`, :mod:`.convert`; for training
:mod:`.config`, :mod:`.trainer` (the loop), :mod:`.rundir` (what a run writes),
:mod:`.evaluation`, :mod:`.data`, :mod:`.distributed` and :mod:`.presets` (the paper's Table 1
rows). Never imports ``combinatorial`` or ``ftprop``.
"""

from .activations import ACTIVATIONS, ReLU, SatReLU, Sign, Staircase, Step, activation
from .convert import convert_activations
from .models import MODELS, build_model
from .rules import RULES

__all__ = [
    "ACTIVATIONS",
    "MODELS",
    "RULES",
    "ReLU",
    "SatReLU",
    "Sign",
    "Staircase",
    "Step",
    "activation",
    "build_model",
    "convert_activations",
]
