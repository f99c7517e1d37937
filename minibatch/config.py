"""Run configuration of the mini-batch trainer: one frozen dataclass, saved beside every run.

The configuration describes the whole run (data, network, optimisation, machinery) so that
``config.json`` in a run directory is enough to rebuild it, which is what resuming a run does.
The trainer itself reads only the optimisation and machinery fields; whoever builds the model
and the data (``ftprop train``, a benchmark) reads the rest.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("cosine", "step", "none")
AMP_MODES = ("none", "bf16", "fp16")


@dataclass(frozen=True)
class TrainConfig:
    preset: str = ""  # the Table 1 preset this run started from (minibatch.presets), "" for none
    # --- data -------------------------------------------------------------------------------
    dataset: str = "mnist1d"  # name in ftprop's data-set registry, or cifar10 / imagenet
    data_options: dict = field(default_factory=dict)  # loader options that were set (samples, classes, data_root, ...)
    test_split: float = 0.2  # held-out test fraction for data sets that ship without a test split
    val_split: float = 0.0  # fraction of the training set held out for validation; 0 means none
    standardize: bool = True  # centre and scale tabular features with training-set statistics
    augment: bool = True  # random crop + flip on image data (cifar10, imagenet), as the paper's code; others ignore it
    # --- network ----------------------------------------------------------------------------
    model: str = "conv1d"  # a name in minibatch.models.MODELS
    activation: str = "sign"  # hidden activation: sign, step, qrelu, relu, sat-relu
    rule: str = "soft-hinge"  # backward rule of hard-threshold units (FTP-SH, the paper's best)
    weighted: bool = True  # weight each unit's loss by |dL/dh| as in all of the paper's experiments
    model_options: dict = field(default_factory=dict)  # extra build_model keywords, e.g. width, batch_norm
    # --- optimisation -----------------------------------------------------------------------
    epochs: int = 20  # passes over the training set (the paper's CIFAR-10 runs use 300)
    batch_size: int = 128  # per process; tuned on MNIST-1D (the paper uses 64 on CIFAR-10)
    optimizer: str = "adam"  # adam or sgd (with momentum)
    lr: float = 1e-2  # initial rate; best of 1e-3..1e-2 on MNIST-1D (the paper: 1e-3 to 2.5e-4 on CIFAR-10)
    momentum: float = 0.9  # SGD momentum; ignored by Adam
    weight_decay: float = 0.0  # L2 penalty handed to the optimiser (the paper uses 5e-4 on CIFAR-10)
    schedule: str = "cosine"  # cosine (to 0 at the last epoch), step (x gamma at milestones), none
    milestones: tuple = ()  # epochs after which the step schedule multiplies the rate by gamma
    gamma: float = 0.1  # factor of the step schedule
    # --- machinery --------------------------------------------------------------------------
    seed: int = 0  # seeds python, numpy, torch, the data split and every epoch's shuffle
    device: str = "auto"  # auto picks CUDA when present, else CPU
    amp: str = "none"  # mixed precision on CUDA: bf16 or fp16 (fp16 adds a GradScaler); CPU ignores it
    compile: bool = False  # wrap the model in torch.compile
    num_workers: int = 0  # DataLoader worker processes; 0 loads in the training process
    eval_batch_size: int = 512  # batch size of evaluation passes (no gradients, so larger is fine)

    def __post_init__(self):
        object.__setattr__(self, "milestones", tuple(int(m) for m in self.milestones))
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad field (never ``assert``: -O removes it)."""
        def bad(name: str, expected: str):
            raise ValueError(f"{name} must be {expected}, got {getattr(self, name)!r}")

        for name in ("epochs", "batch_size", "eval_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                bad(name, "a positive integer")
        if isinstance(self.num_workers, bool) or not isinstance(self.num_workers, int) or self.num_workers < 0:
            bad("num_workers", "a non-negative integer")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and self.lr != float("inf")):
            bad("lr", "a positive number")
        for name in ("weight_decay", "momentum"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < float("inf")):
                bad(name, "a non-negative number")
        if not 0 < self.gamma <= 1:
            bad("gamma", "in (0, 1]")
        for name in ("test_split", "val_split"):
            if not 0 <= getattr(self, name) < 1:
                bad(name, "in [0, 1)")
        if self.optimizer not in OPTIMIZERS:
            bad("optimizer", "one of " + ", ".join(OPTIMIZERS))
        if self.schedule not in SCHEDULES:
            bad("schedule", "one of " + ", ".join(SCHEDULES))
        if self.amp not in AMP_MODES:
            bad("amp", "one of " + ", ".join(AMP_MODES))
        if self.schedule == "step" and not self.milestones:
            raise ValueError("schedule 'step' needs milestones, e.g. 200,250")
        if any(m <= 0 for m in self.milestones) or list(self.milestones) != sorted(set(self.milestones)):
            bad("milestones", "increasing positive epochs")

    # --- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["milestones"] = list(self.milestones)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown configuration field(s): {', '.join(unknown)}")
        return cls(**data)

    def replace(self, **changes: Any) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """The resolved configuration as aligned ``name = value`` lines (printed at the start of a run)."""
        items = self.to_dict()
        width = max(map(len, items))
        return "\n".join(f"{k:<{width}} = {json.dumps(v)}" for k, v in items.items())
