"""Fake data files shared by the tests of two packages (nothing here downloads)."""

from __future__ import annotations

import pickle

import numpy as np


def write_fake_cifar(root, per_batch: int = 6, skip: tuple[str, ...] = ()):
    """The standard ``cifar-10-batches-py`` layout with ``per_batch`` random images per file."""
    from minibatch.data import CIFAR10_FILES

    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in CIFAR10_FILES:
        if name in skip:
            continue
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, per_batch)]}
        with open(base / name, "wb") as fh:
            pickle.dump(batch, fh)
    return base
