"""Small networks for tabular and MNIST-1D-sized inputs: ``mlp`` and ``conv1d``."""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor, nn

from ._common import maybe_bn, out_size


def mlp(
    input_shape: tuple[int, ...],
    num_classes: int,
    act: Callable[[], nn.Module],
    *,
    hidden: tuple[int, ...] = (256, 256),  # widths of the hard-threshold layers
    batch_norm: bool = False,  # BatchNorm1d before each activation
) -> nn.Sequential:
    """Flatten -> [linear -> (BN) -> g] for each width in ``hidden`` -> linear."""
    widths = tuple(hidden)
    if not all(isinstance(w, int) and w > 0 for w in widths):
        raise ValueError(f"hidden must be positive layer widths, got {hidden!r}")
    layers: list[nn.Module] = [nn.Flatten()]
    fan_in = math.prod(input_shape)
    for width in widths:
        layers += [nn.Linear(fan_in, width, bias=not batch_norm)]
        layers += maybe_bn(batch_norm, width, 1) + [act()]
        fan_in = width
    layers.append(nn.Linear(fan_in, num_classes))
    return nn.Sequential(*layers)


class Conv1dNet(nn.Module):
    """Three stride-2 conv1d layers with g after each, then a linear read-out.

    Accepts (N, C, L) or, for one channel, (N, L). MNIST-1D: L = 40 -> 20 -> 10 -> 5.
    """

    def __init__(self, features: nn.Sequential, head: nn.Linear, channels_in: int):
        super().__init__()
        self.features = features
        self.head = head
        self.channels_in = channels_in

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 2 and self.channels_in == 1:
            x = x.unsqueeze(1)
        return self.head(torch.flatten(self.features(x), 1))


def conv1d(
    input_shape: tuple[int, ...],
    num_classes: int,
    act: Callable[[], nn.Module],
    *,
    channels: int = 128,  # width of every conv layer (tuned on MNIST-1D: 32 -> 128 took FTP-SH 76% -> 83%)
    batch_norm: bool = True,  # BatchNorm1d before each activation (tuned: without it FTP-SH reaches 38%)
) -> Conv1dNet:
    """conv(k5, s2) -> g -> conv(k3, s2) -> g -> conv(k3, s2) -> g -> linear."""
    if len(input_shape) == 1:
        c_in, length = 1, input_shape[0]
    elif len(input_shape) == 2:
        c_in, length = input_shape
    else:
        raise ValueError(f"conv1d expects input_shape (length,) or (channels, length), got {input_shape}")
    layers: list[nn.Module] = []
    c = c_in
    for kernel, padding in ((5, 2), (3, 1), (3, 1)):
        layers += [nn.Conv1d(c, channels, kernel, stride=2, padding=padding, bias=not batch_norm)]
        layers += maybe_bn(batch_norm, channels, 1) + [act()]
        length, c = out_size(length, kernel, 2, padding), channels
    return Conv1dNet(nn.Sequential(*layers), nn.Linear(channels * length, num_classes), c_in)
