"""The paper's CIFAR-10 networks: ``convnet4`` (no batch norm) and ``convnet8`` (batch norm)."""

from __future__ import annotations

from typing import Callable

from torch import nn

from ._common import image_shape, maybe_bn, out_size


def convnet4(
    input_shape: tuple[int, ...],
    num_classes: int,
    act: Callable[[], nn.Module],
    *,
    batch_norm: bool = False,  # the paper's 4-layer net has none
    hidden: int = 1024,  # width of the fully connected hidden layer
) -> nn.Sequential:
    """conv(C->32, 5x5) -> pool 2 -> g -> conv(32->64, 5x5) -> pool 2 -> g -> fc(->1024) -> g -> fc.

    "Same" padding, so a 32x32 input gives fc(64*8*8 = 4096 -> 1024) as in the paper.
    """
    c, h, w = image_shape("convnet4", input_shape, 4)
    layers: list[nn.Module] = []
    for c_out in (32, 64):
        layers += [nn.Conv2d(c, c_out, 5, padding=2, bias=not batch_norm)]
        layers += maybe_bn(batch_norm, c_out, 2) + [nn.MaxPool2d(2), act()]
        c, h, w = c_out, h // 2, w // 2
    layers += [nn.Flatten(), nn.Linear(c * h * w, hidden, bias=not batch_norm)]
    layers += maybe_bn(batch_norm, hidden, 1) + [act(), nn.Linear(hidden, num_classes)]
    return nn.Sequential(*layers)


def convnet8(
    input_shape: tuple[int, ...],
    num_classes: int,
    act: Callable[[], nn.Module],
    *,
    batch_norm: bool = True,  # the paper's 8-layer net has BN before every activation
    dropout: float = 0.5,  # Dropout2d before the 512-channel layer, as in the released code
    first_batch_norm: bool = True,  # BN after the first conv too; the released code has none there
) -> nn.Sequential:
    """Seven conv layers of 48-64-64-128-128-128-512 channels, BN -> g after each, then fc(512->10).

    32x32: conv5x5 (48) -> pool -> 16; conv3x3 (64); conv3x3 (64) -> pool -> 8; conv3x3 valid
    (128) -> 6; conv3x3 (128); conv3x3 valid (128) -> 4; conv4x4 valid (512) -> 1x1. The last conv
    takes the whole remaining map, so other sizes >= 20 px work too. The authors' released code
    has no BN after the first conv (``first_batch_norm=False``, as the Table 1 presets use);
    by default we follow the notes (BN before every activation).
    """
    c, h, w = image_shape("convnet8", input_shape, 20)
    # (channels out, kernel, padding, pool after)
    plan = ((48, 5, 2, True), (64, 3, 1, False), (64, 3, 1, True), (128, 3, 0, False),
            (128, 3, 1, False), (128, 3, 0, False))
    layers: list[nn.Module] = []
    for i, (c_out, k, p, pool) in enumerate(plan):
        bn = batch_norm and (first_batch_norm or i > 0)
        layers += [nn.Conv2d(c, c_out, k, padding=p, bias=not bn)]
        layers += maybe_bn(bn, c_out, 2)
        h, w = out_size(h, k, 1, p), out_size(w, k, 1, p)
        if pool:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        layers.append(act())
        c = c_out
    if dropout:
        layers.append(nn.Dropout2d(dropout))
    layers += [nn.Conv2d(c, 512, (h, w), bias=not batch_norm)]
    layers += maybe_bn(batch_norm, 512, 2) + [act(), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)
