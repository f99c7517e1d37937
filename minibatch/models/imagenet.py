"""ImageNet-scale networks with batch norm: DoReFa-Net's ``alexnet`` and ``resnet18``."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from ._common import image_shape, maybe_bn, out_size


def alexnet(
    input_shape: tuple[int, ...],
    num_classes: int,
    act: Callable[[], nn.Module],
    *,
    batch_norm: bool = True,  # BN before every activation, as in DoReFa-Net's AlexNet
    fc_width: int = 4096,  # width of the two fully connected hidden layers
    first_batch_norm: bool = True,  # BN after the first conv too; the released code has none there
) -> nn.Sequential:
    """AlexNet as used by DoReFa-Net (and the paper on ImageNet), BN -> [pool] -> g per layer.

    conv 12x12/4 (96) -> conv 5x5 (256) -> pool 3/2 -> conv 3x3 (384) -> pool 3/2 -> conv 3x3
    (384) -> conv 3x3 (256) -> pool 3/2 -> fc 4096 -> fc 4096 -> fc classes. 224x224 gives a
    6x6x256 map before the first fc. (The released code has no BN after the first conv:
    ``first_batch_norm=False``, as the Table 1 presets use; by default BN precedes every
    activation.)
    """
    c, h, w = image_shape("alexnet", input_shape, 60)
    # (channels out, kernel, stride, padding, pool after as (kernel, stride, padding) or None)
    plan = ((96, 12, 4, 0, None), (256, 5, 1, 2, (3, 2, 1)), (384, 3, 1, 1, (3, 2, 0)),
            (384, 3, 1, 1, None), (256, 3, 1, 1, (3, 2, 0)))
    layers: list[nn.Module] = []
    for i, (c_out, k, s, p, pool) in enumerate(plan):
        bn = batch_norm and (first_batch_norm or i > 0)
        layers += [nn.Conv2d(c, c_out, k, stride=s, padding=p, bias=not bn)]
        layers += maybe_bn(bn, c_out, 2)
        h, w = out_size(h, k, s, p), out_size(w, k, s, p)
        if pool is not None:
            layers.append(nn.MaxPool2d(*pool))
            h, w = out_size(h, *pool), out_size(w, *pool)
        layers.append(act())
        c = c_out
    layers.append(nn.Flatten())
    fan_in = c * h * w
    for _ in range(2):
        layers += [nn.Linear(fan_in, fc_width, bias=not batch_norm)]
        layers += maybe_bn(batch_norm, fc_width, 1) + [act()]
        fan_in = fc_width
    layers.append(nn.Linear(fan_in, num_classes))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """conv3x3 -> BN -> g -> conv3x3 -> BN -> (+ shortcut) -> g, the activation after the sum.

    The shortcut is the identity, or conv1x1 -> BN where the shape changes. With a sign
    activation the sum adds the block's +-1 input to a real-valued BN output, so the block
    still passes information past its second threshold, as in the standard layout.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, act: Callable[[], nn.Module]):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.act1 = act()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
        self.act2 = act()

    def forward(self, x: Tensor) -> Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act2(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18: stem -> 4 stages of 2 basic blocks (64-128-256-512) -> global pool -> fc."""

    def __init__(self, stem: nn.Sequential, stages: nn.Sequential, fc: nn.Linear):
        super().__init__()
        self.stem, self.stages, self.fc = stem, stages, fc

    def forward(self, x: Tensor) -> Tensor:
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def resnet18(
    input_shape: tuple[int, ...],
    num_classes: int,
    act: Callable[[], nn.Module],
    *,
    stem: str = "auto",  # "imagenet" (7x7/2 conv + 3x3/2 pool), "cifar" (3x3 conv), "auto"
) -> ResNet18:
    """ResNet-18 with BN -> g everywhere; ``stem="auto"`` picks cifar for images <= 32 px."""
    c, h, w = image_shape("resnet18", input_shape, 8)
    if stem == "auto":
        stem = "cifar" if max(h, w) <= 32 else "imagenet"
    if stem == "imagenet":
        layers = [nn.Conv2d(c, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), act(),
                  nn.MaxPool2d(3, stride=2, padding=1)]
    elif stem == "cifar":
        layers = [nn.Conv2d(c, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), act()]
    else:
        raise ValueError(f"stem must be 'auto', 'imagenet' or 'cifar', got {stem!r}")
    blocks: list[nn.Module] = []
    c_in = 64
    for i, c_out in enumerate((64, 128, 256, 512)):
        stride = 1 if i == 0 else 2
        blocks += [BasicBlock(c_in, c_out, stride, act), BasicBlock(c_out, c_out, 1, act)]
        c_in = c_out
    model = ResNet18(nn.Sequential(*layers), nn.Sequential(*blocks), nn.Linear(512, num_classes))
    for m in model.modules():  # torchvision's initialisation
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return model
