"""Model zoo for FTPROP-MB: the paper's networks with any activation and target rule.

    build_model("convnet4", input_shape=(3, 32, 32), num_classes=10,
                activation="sign", rule="soft-hinge", weighted=True)

========== ============================================ ==========================
name       layout                                       batch norm (default)
========== ============================================ ==========================
mlp        [linear -> g] x len(hidden) -> linear        off (``batch_norm=True``)
conv1d     3 x [conv1d stride 2 -> g] -> linear         on (tuned on MNIST-1D); (C, L) or (L,)
convnet4   paper §4, CIFAR-10 4-layer convnet           off, as in the paper
convnet8   paper §4, CIFAR-10 8-layer convnet           on, as in the paper
alexnet    DoReFa-Net AlexNet (ImageNet)                on
resnet18   ResNet-18; CIFAR stem for inputs <= 32 px    on
========== ============================================ ==========================

Common to all (the paper's setting): only the activations are hard thresholds; weights stay
full precision, the first layer sees the real-valued input, and the last layer is linear with
no activation after it (the loss, e.g. cross-entropy, takes its logits).

Where the activation goes: linear/conv -> [batch norm] -> [max pool] -> g. Batch norm right
before g centres and scales the pre-activation so that the rules' window |c| <= 1 (and the soft
hinge's tanh bump) sits where the units are undecided. Max pooling before g: for a monotone g,
maxpool(g(z)) = g(maxpool(z)), so the order leaves the forward pass unchanged, but pooling the
real z routes the gradient to the unit that decided the maximum, whereas pooling +-1 values
ties everywhere and routes it to an arbitrary unit. The paper's convnets use this order.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from ..activations import activation as make_activation
from ..rules import get_rule
from .cifar import convnet4, convnet8
from .imagenet import alexnet, resnet18
from .small import conv1d, mlp

__all__ = ["MODELS", "build_model"]

#: name -> builder(input_shape, num_classes, act, **kw); ``act()`` makes one activation module.
MODELS: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp,
    "conv1d": conv1d,
    "convnet4": convnet4,
    "convnet8": convnet8,
    "alexnet": alexnet,
    "resnet18": resnet18,
}


def build_model(
    name: str,
    *,
    input_shape,
    num_classes: int,
    activation: str = "sign",
    rule: str = "soft-hinge",
    weighted: bool = True,
    **kw,
) -> nn.Module:
    """Build model ``name`` for inputs of shape ``input_shape`` (no batch dimension).

    ``activation`` is a name from :data:`minibatch.activations.ACTIVATIONS` (sign, step, qrelu,
    relu, sat-relu); ``rule`` and ``weighted`` choose the target rule of the hard-threshold
    ones. Remaining keywords go to the builder (e.g. ``hidden=(256, 256)`` for mlp,
    ``batch_norm=True``, ``stem="cifar"`` for resnet18, ``levels=3`` and ``quantizer="ceil"`` for
    qrelu).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    shape = tuple(input_shape) if not isinstance(input_shape, int) else (input_shape,)
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        raise ValueError(f"input_shape must be positive integers (no batch dimension), got {input_shape!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    act_kw = {key: kw.pop(key) for key in ("levels", "quantizer") if key in kw}
    make_activation(activation, rule=rule, weighted=weighted, **act_kw)  # validate once, here
    rule = get_rule(rule)  # one Rule object shared by every activation of the model

    def act() -> nn.Module:
        return make_activation(activation, rule=rule, weighted=weighted, **act_kw)

    return MODELS[name](shape, num_classes, act, **kw)
