"""Shape arithmetic and small layers shared by the model builders."""

from __future__ import annotations

from torch import nn


def out_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Length of a conv / pool output along one axis (floor mode, no dilation)."""
    return (n + 2 * padding - kernel) // stride + 1


def image_shape(name: str, shape: tuple[int, ...], min_size: int) -> tuple[int, int, int]:
    """(C, H, W) from ``shape``, or ValueError saying what the model needs."""
    if len(shape) != 3:
        raise ValueError(f"{name} expects input_shape (channels, height, width), got {shape}")
    c, h, w = shape
    if min(h, w) < min_size:
        raise ValueError(f"{name} needs images of at least {min_size}x{min_size}, got {h}x{w}")
    return c, h, w


def maybe_bn(batch_norm: bool, channels: int, dims: int) -> list[nn.Module]:
    """[BatchNorm{dims}d(channels)] when ``batch_norm``, else []."""
    if not batch_norm:
        return []
    cls = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}[dims]
    return [cls(channels)]
