"""One preset per row of the paper's Table 1, with the settings of the authors' released code.

    from minibatch.presets import PRESETS, get_preset
    config = get_preset("convnet4-sign-ftp-sh").config(data_options={"data_root": "~/data"})

A preset is a network (4-layer or 8-layer convnet on CIFAR-10, AlexNet or ResNet-18 on
ImageNet), an activation (sign, qrelu; relu for the float baseline) and a rule (sste or
soft-hinge, i.e. FTP-SH). Its settings are those of the commands in the README of
github.com/afriesen/ftprop (``train.py`` and ``activations.py`` there):

========== ======== =========== ====== ======== ======= ==================== ===================
network    data     optimiser   lr     epochs   batch   lr x0.1 after epoch  weight decay
========== ======== =========== ====== ======== ======= ==================== ===================
convnet4   CIFAR-10 Adam        2.5e-4 300      64      200, 250             5e-4
convnet8   CIFAR-10 Adam        1e-3   300      64      200, 250             5e-4
alexnet    ImageNet Adam        1e-4   80       128     56, 64               sign 5e-6, qrelu
                                                                             5e-5, relu 5e-4
resnet18   ImageNet SGD m=0.9   0.1    90       256     30, 60               sign 5e-7, qrelu
                                                                             1e-5, relu 1e-4
========== ======== =========== ====== ======== ======= ==================== ===================

Batch norm: none in convnet4; before every activation but the first in convnet8 and alexnet
(the released code has none after the first conv), everywhere in resnet18. The qReLU is the
authors' staircase (quantizer "ceil", thresholds at k/(n-1)) with n = 3 steps (their
``staircase3``), except ResNet-18, whose runs use their ``staircase`` with n = 5. Training data
is augmented (their default), there is no validation split (their ``--no-val``), and the
reported number is the best test accuracy over epochs, which is what the paper reports.

``published`` is the top-1 test accuracy (%) of the row in the paper's Table 1, as recorded in
the project's notes (not re-checked against the PDF).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import TrainConfig

__all__ = ["Preset", "PRESETS", "get_preset"]

# rule name -> the name the paper's table uses for it
RULE_LABELS = {"sste": "SSTE", "soft-hinge": "FTP-SH"}


#: Table 1's columns: (activation, rule); rule None for the float baseline.
ROWS = (("sign", "sste"), ("sign", "soft-hinge"), ("qrelu", "sste"), ("qrelu", "soft-hinge"), ("relu", None))
_ACTIVATIONS = ("sign", "qrelu", "relu")


@dataclass(frozen=True)
class Network:
    title: str  # as the paper names it
    dataset: str  # cifar10 or imagenet
    model: str  # a name in minibatch.models.MODELS
    settings: dict  # TrainConfig fields shared by every row of the network
    model_options: dict  # build_model keywords shared by every row
    weight_decay: tuple  # per activation of _ACTIVATIONS: the weight decay of the authors' command
    levels: int  # steps of the qReLU staircase
    published: tuple  # per row of ROWS: Table 1 top-1 %


def _schedule(epochs: int, milestones: tuple, batch_size: int, optimizer: str, lr: float, **kw) -> dict:
    return dict(epochs=epochs, milestones=milestones, batch_size=batch_size, optimizer=optimizer, lr=lr,
                schedule="step", gamma=0.1, **kw)


_AFTER_FIRST = {"batch_norm": True, "first_batch_norm": False}  # BN before every activation but the first
_NETWORKS = (
    Network("4-layer convnet", "cifar10", "convnet4", _schedule(300, (200, 250), 64, "adam", 2.5e-4),
            {"batch_norm": False}, (5e-4, 5e-4, 5e-4), 3, (80.6, 81.3, 85.6, 85.5, 86.5)),
    Network("8-layer convnet", "cifar10", "convnet8", _schedule(300, (200, 250), 64, "adam", 1e-3),
            _AFTER_FIRST, (5e-4, 5e-4, 5e-4), 3, (84.6, 84.9, 88.4, 89.8, 91.2)),
    Network("AlexNet", "imagenet", "alexnet", _schedule(80, (56, 64), 128, "adam", 1e-4),
            _AFTER_FIRST, (5e-6, 5e-5, 5e-4), 3, (46.7, 47.3, 59.4, 60.7, 61.3)),
    Network("ResNet-18", "imagenet", "resnet18", _schedule(90, (30, 60), 256, "sgd", 0.1, momentum=0.9),
            {"stem": "imagenet"}, (5e-7, 1e-5, 1e-4), 5, (49.1, 47.8, 60.6, 64.3, 69.1)),
)


@dataclass(frozen=True)
class Preset:
    """One Table 1 row: ``config()`` is its :class:`TrainConfig` (with any field overridden)."""

    name: str
    network: str  # the paper's name of the network
    activation: str
    rule: str | None  # None for the float baseline
    published: float  # Table 1 top-1 accuracy, %
    settings: dict = field(repr=False)  # TrainConfig fields

    def config(self, **overrides) -> TrainConfig:
        """The run's configuration; ``overrides`` replace fields (``model_options`` are merged)."""
        fields = dict(self.settings)
        if "model_options" in overrides:
            overrides = dict(overrides, model_options={**fields["model_options"], **overrides["model_options"]})
        return TrainConfig.from_dict({**fields, **overrides})

    @property
    def method(self) -> str:
        """``sign FTP-SH``, ``qrelu SSTE``, ``relu``: the row as the paper's table labels it."""
        return self.activation if self.rule is None else f"{self.activation} {RULE_LABELS[self.rule]}"


def _presets() -> dict[str, Preset]:
    out = {}
    for net in _NETWORKS:
        decay = dict(zip(_ACTIVATIONS, net.weight_decay))
        for (activation, rule), published in zip(ROWS, net.published):
            options = dict(net.model_options)
            if activation == "qrelu":
                options.update(levels=net.levels, quantizer="ceil")
            suffix = activation if rule is None else f"{activation}-{'ftp-sh' if rule == 'soft-hinge' else rule}"
            name = f"{net.model}-{suffix}"
            settings = dict(net.settings, dataset=net.dataset, model=net.model, activation=activation,
                            rule=rule or "soft-hinge", weighted=True, model_options=options,
                            weight_decay=decay[activation], augment=True, val_split=0.0,
                            preset=name)
            out[name] = Preset(name, net.title, activation, rule, published, settings)
    return out


#: name -> Preset, in the order of the paper's table.
PRESETS: dict[str, Preset] = _presets()


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ValueError listing the valid names otherwise."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    return PRESETS[name]


def table() -> str:
    """The presets as an aligned text table, each with its published Table 1 accuracy."""
    head = ("preset", "network", "data", "method", "optimiser", "epochs", "batch", "weight decay",
            "published top-1")
    rows = [head]
    for p in PRESETS.values():
        s = p.settings
        rows.append((p.name, p.network, s["dataset"], p.method, f"{s['optimizer']} lr {s['lr']:g}",
                     str(s["epochs"]), str(s["batch_size"]), f"{s['weight_decay']:g}",
                     f"{p.published:.1f} % (published)"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("published: top-1 test accuracy of the row in Table 1 of Friesen & Domingos (ICLR 2018) as "
                 "recorded in the project's notes (not re-checked against the PDF), "
                 "best over epochs; not a result of this code.")
    return "\n".join(lines)
