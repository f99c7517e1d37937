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

# names resolved on first use, so that ``import minibatch.config`` (the run configuration, which
# the CLI reads for its defaults) loads no torch
_EXPORTS = {
    "ACTIVATIONS": "activations", "ReLU": "activations", "SatReLU": "activations", "Sign": "activations",
    "Staircase": "activations", "Step": "activations", "activation": "activations",
    "convert_activations": "convert", "MODELS": "models", "build_model": "models", "RULES": "rules",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'minibatch' has no attribute {name!r}")
