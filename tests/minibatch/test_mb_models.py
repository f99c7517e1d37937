"""Model zoo: shapes, gradients reaching the first layer, registry and validation."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from minibatch import MODELS, RULES, Sign, Staircase, build_model  # noqa: E402
from minibatch.activations import _HardThreshold  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")

# name -> a small input shape the model accepts (ImageNet nets at reduced size)
SHAPES = {
    "mlp": (40,),
    "conv1d": (1, 40),
    "convnet4": (3, 32, 32),
    "convnet8": (3, 32, 32),
    "alexnet": (3, 64, 64),
    "resnet18": (3, 16, 16),  # CIFAR stem (<= 32 px)
}
KW = {"alexnet": {"fc_width": 256}}  # the same layout with narrow fc layers: a faster test


def first_weight(model: nn.Module) -> torch.Tensor:
    return next(m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))).weight


def last_layer(model: nn.Module) -> nn.Module:
    return [m for m in model.modules() if not list(m.children())][-1]


def forward_backward(model, shape, batch=2):
    torch.manual_seed(0)
    x = torch.randn(batch, *shape)
    out = model(x)
    nn.functional.cross_entropy(out, torch.arange(batch) % out.shape[1]).backward()
    return out


def test_registry_is_complete():
    assert set(MODELS) == set(SHAPES)


@pytest.mark.parametrize("name", list(SHAPES))
def test_forward_backward_shape_and_first_layer_gradient(name):
    torch.manual_seed(0)
    model = build_model(name, input_shape=SHAPES[name], num_classes=7, **KW.get(name, {}))
    out = forward_backward(model, SHAPES[name])
    assert out.shape == (2, 7)
    assert first_weight(model).grad.abs().sum() > 0
    assert isinstance(last_layer(model), nn.Linear)  # logits: no activation after the last layer
    acts = [m for m in model.modules() if isinstance(m, _HardThreshold)]
    assert acts and all(isinstance(a, Sign) and a.rule.name == "soft-hinge" for a in acts)


@pytest.mark.parametrize("activation", ["sign", "step", "qrelu"])
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("name", ["mlp", "conv1d"])
def test_every_rule_reaches_the_first_layer(name, rule, activation):
    torch.manual_seed(1)
    model = build_model(name, input_shape=SHAPES[name], num_classes=3, activation=activation,
                        rule=rule, weighted=(rule != "hinge"), batch_norm=True)
    forward_backward(model, SHAPES[name], batch=8)
    assert first_weight(model).grad.abs().sum() > 0


@pytest.mark.parametrize("rule", ["sste", "soft-hinge"])
def test_convnet4_first_layer_gets_gradient_for_each_rule(rule):
    model = build_model("convnet4", input_shape=(3, 16, 16), num_classes=10, rule=rule)
    forward_backward(model, (3, 16, 16))
    assert first_weight(model).grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["mlp", "conv1d", "convnet4"])
@pytest.mark.parametrize("activation", ["relu", "sat-relu"])
def test_float_baselines(name, activation):
    model = build_model(name, input_shape=SHAPES[name], num_classes=4, activation=activation)
    assert not any(isinstance(m, _HardThreshold) for m in model.modules())
    forward_backward(model, SHAPES[name])
    assert first_weight(model).grad.abs().sum() > 0


def test_paper_layouts():
    net4 = build_model("convnet4", input_shape=(3, 32, 32), num_classes=10)
    linears = [m for m in net4.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(4096, 1024), (1024, 10)]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net4.modules())
    net8 = build_model("convnet8", input_shape=(3, 32, 32), num_classes=10, activation="qrelu")
    convs = [m.out_channels for m in net8.modules() if isinstance(m, nn.Conv2d)]
    assert convs == [48, 64, 64, 128, 128, 128, 512]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net8.modules()) == 7
    assert sum(isinstance(m, Staircase) for m in net8.modules()) == 7


@pytest.mark.parametrize("name, shape", [("convnet8", (3, 32, 32)), ("alexnet", (3, 64, 64))])
def test_first_batch_norm_off_is_the_released_codes_placement(name, shape):
    net = build_model(name, input_shape=shape, num_classes=10, first_batch_norm=False)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert convs[0].bias is not None and all(c.bias is None for c in convs[1:])
    assert len(bns) == len(convs) - 1 and not isinstance(net[1], nn.BatchNorm2d)
    assert net(torch.randn(2, *shape)).shape == (2, 10)


def test_conv1d_default_is_the_tuned_setting():
    net = build_model("conv1d", input_shape=(40,), num_classes=10)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv1d)]
    assert [c.out_channels for c in convs] == [128, 128, 128]
    assert sum(isinstance(m, nn.BatchNorm1d) for m in net.modules()) == 3


def test_resnet18_stem_choice():
    imagenet = build_model("resnet18", input_shape=(3, 64, 64), num_classes=10)
    assert imagenet.stem[0].kernel_size == (7, 7) and len(imagenet.stem) == 4  # conv bn g pool
    assert forward_backward(imagenet, (3, 64, 64)).shape == (2, 10)
    forced = build_model("resnet18", input_shape=(3, 64, 64), num_classes=10, stem="cifar")
    assert forced.stem[0].kernel_size == (3, 3)  # (32 px inputs: see the parametrized test)


def test_conv1d_accepts_flat_mnist1d_rows():
    model = build_model("conv1d", input_shape=(40,), num_classes=10)
    assert model(torch.randn(3, 40)).shape == (3, 10)


def test_validation_messages():
    with pytest.raises(ValueError, match="valid models: mlp"):
        build_model("vgg", input_shape=(3, 32, 32), num_classes=10)
    with pytest.raises(ValueError, match="channels, height, width"):
        build_model("convnet4", input_shape=(32, 32), num_classes=10)
    with pytest.raises(ValueError, match="at least 60x60"):
        build_model("alexnet", input_shape=(3, 32, 32), num_classes=10)
    with pytest.raises(ValueError, match="num_classes"):
        build_model("mlp", input_shape=(4,), num_classes=0)
    with pytest.raises(ValueError, match="valid rules"):
        build_model("mlp", input_shape=(4,), num_classes=2, rule="bogus")
    with pytest.raises(TypeError):
        build_model("mlp", input_shape=(4,), num_classes=2, widths=(3,))
