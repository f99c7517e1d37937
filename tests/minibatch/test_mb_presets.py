"""Table 1 presets: the authors' settings per row, the listing, and one training step of each."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from ftprop.studies import training  # noqa: E402
from ftprop.cli import main  # noqa: E402
from minibatch import Staircase  # noqa: E402
from minibatch.data import DataBundle, TensorData  # noqa: E402
from minibatch.presets import PRESETS, get_preset  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# From the commands in the README of github.com/afriesen/ftprop (train.py's flags):
# network -> (optimizer, lr, epochs, milestones, batch, {activation: weight decay})
AUTHORS = {
    "convnet4": ("adam", 2.5e-4, 300, (200, 250), 64, {"sign": 5e-4, "qrelu": 5e-4, "relu": 5e-4}),
    "convnet8": ("adam", 1e-3, 300, (200, 250), 64, {"sign": 5e-4, "qrelu": 5e-4, "relu": 5e-4}),
    "alexnet": ("adam", 1e-4, 80, (56, 64), 128, {"sign": 5e-6, "qrelu": 5e-5, "relu": 5e-4}),
    "resnet18": ("sgd", 0.1, 90, (30, 60), 256, {"sign": 5e-7, "qrelu": 1e-5, "relu": 1e-4}),
}


def test_every_table_row_has_a_preset():
    rows = {(p.config().model, p.activation, p.rule) for p in PRESETS.values()}
    expected = {(net, act, rule) for net in AUTHORS for act in ("sign", "qrelu") for rule in ("sste", "soft-hinge")}
    expected |= {(net, "relu", None) for net in AUTHORS}
    assert rows == expected and len(PRESETS) == 20


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_has_the_authors_settings(name):
    preset = get_preset(name)
    c = preset.config()
    optimizer, lr, epochs, milestones, batch, decay = AUTHORS[c.model]
    assert (c.optimizer, c.lr, c.epochs, c.milestones, c.batch_size) == (optimizer, lr, epochs, milestones, batch)
    assert c.schedule == "step" and c.gamma == 0.1 and c.weight_decay == decay[preset.activation]
    assert c.dataset == ("cifar10" if c.model.startswith("convnet") else "imagenet")
    assert c.augment and c.val_split == 0 and c.weighted and c.preset == name
    if c.optimizer == "sgd":
        assert c.momentum == 0.9
    if preset.activation == "qrelu":  # the authors' staircase: 5 steps on ResNet-18, else 3
        assert c.model_options["quantizer"] == "ceil"
        assert c.model_options["levels"] == (5 if c.model == "resnet18" else 3)
    assert c.model_options.get("batch_norm", True) == (c.model != "convnet4")
    if c.model in ("convnet8", "alexnet"):
        assert c.model_options["first_batch_norm"] is False  # the released code: no BN after conv 1
    assert 40 < preset.published < 92


def test_overrides_replace_fields_and_merge_model_options():
    c = get_preset("resnet18-qrelu-ftp-sh").config(epochs=2, model_options={"levels": 3})
    assert c.epochs == 2 and c.model_options == {"stem": "imagenet", "levels": 3, "quantizer": "ceil"}
    with pytest.raises(ValueError, match="valid presets: convnet4-sign-sste"):
        get_preset("convnet4")


def test_list_presets_prints_each_with_its_published_accuracy(capsys):
    assert main(["train", "--list-presets"]) == 0
    out = capsys.readouterr().out
    for preset in PRESETS.values():
        line = next(ln for ln in out.splitlines() if ln.startswith(preset.name + " "))
        assert f"{preset.published:.1f} % (published)" in line
    assert "not a result of this code" in out


def _synthetic(shape, classes: int, n: int = 4) -> DataBundle:
    gen = torch.Generator().manual_seed(0)
    data = TensorData(torch.randn(n, *shape, generator=gen), torch.arange(n) % classes)
    return DataBundle("synthetic", data, data, shape, classes)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_trains_one_step(name):
    """One step (batch 4) on synthetic CIFAR-10 / ImageNet-shaped tensors through the CLI's path."""
    preset = get_preset(name)
    config = preset.config(epochs=1, batch_size=4, eval_batch_size=4, device="cpu")
    imagenet = config.dataset == "imagenet"
    bundle = _synthetic((3, 224, 224) if imagenet else (3, 32, 32), 1000 if imagenet else 10)
    bundle, model = training.prepare(config, bundle)
    before = [p.detach().clone() for p in model.parameters()]
    result = training.train(config, prepared=(bundle, model), log=None, progress=False)
    assert result["epochs_run"] == 1 and math.isfinite(result["train_loss"]) and result["preset"] == name
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    stairs = [m for m in model.modules() if isinstance(m, Staircase)]
    if preset.activation == "qrelu":
        assert stairs and all(m.quantizer == "ceil" and m.levels == config.model_options["levels"] for m in stairs)
    else:
        assert not stairs
