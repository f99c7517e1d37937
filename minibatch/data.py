"""Data for the mini-batch trainer: in-memory tensors, CIFAR-10 and ImageNet from disk.

Nothing here downloads. CIFAR-10 is read from the standard python pickle layout
(``cifar-10-batches-py/data_batch_1..5`` and ``test_batch``); ImageNet from ``train/`` and
``val/`` class folders through torchvision's ``ImageFolder`` (the optional ``vision`` extra).
A missing or incomplete directory raises :class:`DataError` naming the files it expected.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
# Per-channel statistics of the CIFAR-10 training set (the values used across the literature).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class DataError(ValueError):
    """A data set cannot be read: missing directory or files, wrong layout, missing extra."""


@dataclass
class DataBundle:
    """What the trainer and the model builder need: datasets, input shape and class count."""

    name: str
    train: Dataset
    test: Dataset | None
    input_shape: tuple[int, ...]
    num_classes: int


class TensorData(Dataset):
    """Features and integer labels already in memory (tabular data, MNIST-1D)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        if len(X) != len(y):
            raise DataError(f"X has {len(X)} rows but y has {len(y)} labels")
        self.X, self.y = X, y.long()

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


class ImageTensors(Dataset):
    """uint8 images (N, C, H, W) in memory, normalised on access; ``augment`` adds the CIFAR
    augmentation of the paper's code (torchvision's ``RandomCrop(32, padding=4)`` and
    ``RandomHorizontalFlip()`` before normalising): the image padded by 4 black (zero) pixels, a
    random crop of the original size, and a horizontal flip with probability 1/2. The draws come
    from torch's global generator, which the trainer seeds per (seed, rank, epoch)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, mean, std, *, augment: bool = False):
        self.images, self.labels = images, labels.long()
        self.mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
        self.augment = augment

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].float()
        if self.augment:
            h, w = x.shape[-2:]
            padded = torch.nn.functional.pad(x, (4, 4, 4, 4))  # zeros before normalising: black
            top, left = torch.randint(0, 9, (2,)).tolist()
            x = padded[:, top:top + h, left:left + w]
            if torch.rand(()) < 0.5:
                x = x.flip(-1)
        return (x / 255.0 - self.mean) / self.std, self.labels[i]

    def eval_view(self) -> "ImageTensors":
        """The same images without augmentation (for a validation split)."""
        return ImageTensors(self.images, self.labels, self.mean.flatten().tolist(),
                            self.std.flatten().tolist(), augment=False)


def _cifar_dir(root: str | Path | None) -> Path:
    if root is None:
        raise DataError(f"cifar10 needs a data root: a directory holding {CIFAR10_DIR}/ "
                        f"({', '.join(CIFAR10_FILES)})")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"cifar10: data root {root} is not a directory")
    for candidate in (root / CIFAR10_DIR, root):
        if all((candidate / f).is_file() for f in CIFAR10_FILES):
            return candidate
    base = root / CIFAR10_DIR if (root / CIFAR10_DIR).is_dir() else root
    missing = [f for f in CIFAR10_FILES if not (base / f).is_file()]
    raise DataError(f"cifar10: {base} lacks {', '.join(missing)}; expected the python pickle layout "
                    f"{CIFAR10_DIR}/data_batch_1..5 and test_batch (cifar-10-python.tar.gz unpacked)")


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch.get(b"labels", batch.get(b"fine_labels")), dtype=np.int64)
    except Exception as exc:  # a truncated or foreign file is bad data, not a bug
        raise DataError(f"cifar10: {path} is not a CIFAR-10 python batch ({type(exc).__name__}: {exc})") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise DataError(f"cifar10: {path} holds data of shape {data.shape} and {len(labels)} labels; "
                        "expected (N, 3072) and N labels")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10_arrays(root: str | Path | None) -> dict[str, np.ndarray]:
    """CIFAR-10 as uint8 arrays ``X`` (N, 3, 32, 32), ``y``, ``X_test``, ``y_test``."""
    base = _cifar_dir(root)
    parts = [_read_cifar_batch(base / f) for f in CIFAR10_FILES[:-1]]
    X_test, y_test = _read_cifar_batch(base / "test_batch")
    return {"X": np.concatenate([p[0] for p in parts]), "y": np.concatenate([p[1] for p in parts]),
            "X_test": X_test, "y_test": y_test}


def cifar10(root: str | Path | None, *, augment: bool = True) -> DataBundle:
    """CIFAR-10 from ``root`` (the python pickle layout); ``augment`` as in :class:`ImageTensors`."""
    arrays = load_cifar10_arrays(root)
    train = ImageTensors(torch.from_numpy(arrays["X"]), torch.from_numpy(arrays["y"]),
                         CIFAR10_MEAN, CIFAR10_STD, augment=augment)
    test = ImageTensors(torch.from_numpy(arrays["X_test"]), torch.from_numpy(arrays["y_test"]),
                        CIFAR10_MEAN, CIFAR10_STD)
    return DataBundle("cifar10", train, test, (3, 32, 32), 10)


def imagenet(root: str | Path | None, *, augment: bool = True, size: int = 224) -> DataBundle:
    """ImageNet from ``root/train/<class>/*`` and ``root/val/<class>/*`` (needs torchvision).

    Test (and validation) images: resize the shorter side to 256 (``size * 8 // 7``), centre
    crop 224. Training with ``augment``, as the paper's code: resize to 256, a random 224 crop
    and a horizontal flip (the authors resized offline to 256x256, then ``RandomCrop(224)``).
    """
    if root is None:
        raise DataError("imagenet needs a data root: a directory holding train/ and val/ class folders")
    root = Path(root).expanduser()
    missing = [d for d in ("train", "val") if not (root / d).is_dir()]
    if missing:
        raise DataError(f"imagenet: {root} lacks {' and '.join(d + '/' for d in missing)}; expected "
                        "train/<class>/<image> and val/<class>/<image> (val sorted into class folders)")
    try:
        from torchvision import datasets, transforms
    except ImportError:
        raise DataError("imagenet needs torchvision: pip install 'ftprop[vision]'") from None
    normalize = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    plain = transforms.Compose([transforms.Resize(size * 8 // 7), transforms.CenterCrop(size),
                                transforms.ToTensor(), normalize])
    train_tf = transforms.Compose([transforms.Resize(size * 8 // 7), transforms.RandomCrop(size),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   normalize]) if augment else plain

    class _Folder(datasets.ImageFolder):
        def eval_view(self):
            return datasets.ImageFolder(str(root / "train"), transform=plain)

    train = _Folder(str(root / "train"), transform=train_tf)
    test = datasets.ImageFolder(str(root / "val"), transform=plain)
    if train.classes != test.classes:
        raise DataError(f"imagenet: train/ has {len(train.classes)} classes but val/ has {len(test.classes)}")
    return DataBundle("imagenet", train, test, (3, size, size), len(train.classes))
