"""MNIST and Fashion-MNIST from local files, in any of their usual formats (never downloaded).

``load_mnist_arrays(root, name)`` looks under ``root`` (a directory, or one file) for, in order:

* the four idx files of LeCun et al. / Zalando: ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each plain
  or ``.gz``, with ``-`` or ``.`` before ``idx`` (Kaggle's spelling), directly under ``root`` or in
  torchvision's ``MNIST/raw`` / ``FashionMNIST/raw`` or a ``mnist`` / ``fashion-mnist`` folder;
* Keras' ``mnist.npz`` (``fashion-mnist.npz``): arrays ``x_train``, ``y_train``, ``x_test``,
  ``y_test``;
* the classic pickled split ``mnist.pkl.gz`` (``fashion-mnist.pkl.gz``): ``(train, validation,
  test)`` pairs of float pixels / 256; train + validation are the 60,000 training images.

Whatever the format, images come back as uint8 pixels (0-255) of shape (n, 28, 28) and labels as
int64, so that every format yields the same arrays. A missing or malformed file is an
:class:`~ftprop.errors.InputError` that names the files it looked for.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

from ftprop.errors import InputError

NAMES = ("mnist", "fashion-mnist")
_SUBDIRS = {"mnist": ("", "MNIST/raw", "mnist", "MNIST"),
            "fashion-mnist": ("", "FashionMNIST/raw", "fashion-mnist", "fashion_mnist", "FashionMNIST")}
_IDX = {"X": "train-images{sep}idx3-ubyte", "y": "train-labels{sep}idx1-ubyte",
        "X_test": "t10k-images{sep}idx3-ubyte", "y_test": "t10k-labels{sep}idx1-ubyte"}


def load_mnist_arrays(root: str | Path | None, name: str = "mnist") -> dict:
    """``{"X", "y", "X_test", "y_test", "format", "files"}`` read from ``root`` (see the module doc)."""
    if name not in NAMES:
        raise InputError(f"unknown MNIST variant {name!r}; valid: {', '.join(NAMES)}")
    if root is None:
        raise InputError(f"{name} is read from local files: no data root was given (a folder holding the idx files, "
                         f"{name}.npz or {name}.pkl.gz; nothing is downloaded)")
    root = Path(root).expanduser()
    if not root.exists():
        raise InputError(f"data root {root}: no such file or directory")
    if root.is_file():
        return _read_file(root, name)
    folders: list[str] = []
    for sub in _SUBDIRS[name]:
        folder = root / sub if sub else root
        for sep in ("-", "."):
            paths = {key: _first([folder / (stem.format(sep=sep) + gz) for gz in ("", ".gz")])
                     for key, stem in _IDX.items()}
            if all(paths.values()):
                return _finish(name, {key: _read_idx(p) for key, p in paths.items()}, "idx", list(paths.values()))
        for stem in (f"{name}.npz", f"{name}.pkl.gz"):
            if (folder / stem).is_file():
                return _read_file(folder / stem, name)
        folders.append(str(folder))
    raise InputError(f"no {name} files under {root}: looked in {', '.join(folders)} for the four idx files "
                     f"({', '.join(s.format(sep='-') for s in _IDX.values())}, each plain or .gz), "
                     f"{name}.npz (Keras) or {name}.pkl.gz (pickled split)")


def _first(paths):
    return next((p for p in paths if p.is_file()), None)


def _read_file(path: Path, name: str) -> dict:
    if path.name.endswith(".npz"):
        return _read_npz(path, name)
    if path.name.endswith((".pkl.gz", ".pkl")):
        return _read_pickle(path, name)
    raise InputError(f"{path}: expected a folder with the idx files, a .npz (Keras) or a .pkl.gz (pickled split)")


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _read_idx(path: Path) -> np.ndarray:
    """One idx file: magic (0, 0, 0x08 = uint8, number of dimensions), big-endian sizes, the bytes."""
    try:
        with _open(path) as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: not readable ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or data[3] not in (1, 3):
        raise InputError(f"{path}: not an idx file of unsigned bytes (expected magic 0x00000801 or 0x00000803, "
                         f"got 0x{data[:4].hex() or 'empty'})")
    ndim = data[3]
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise InputError(f"{path}: header says shape {shape} ({int(np.prod(shape))} bytes) but holds {body.size}")
    return body.reshape(shape)


def _read_npz(path: Path, name: str) -> dict:
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in keys if k not in z.files]
            if missing:
                raise InputError(f"{path}: expected Keras' arrays {', '.join(keys)}; missing {', '.join(missing)} "
                                 f"(found {', '.join(z.files) or 'none'})")
            arrays = dict(zip(("X", "y", "X_test", "y_test"), (np.asarray(z[k]) for k in keys)))
    except InputError:
        raise
    except Exception as exc:  # a corrupt archive is bad input, not a bug
        raise InputError(f"{path}: not a readable NPZ file ({exc})") from None
    for key in ("X", "X_test"):
        arrays[key] = _pixels(arrays[key], path)
    return _finish(name, arrays, "npz", [path])


def _read_pickle(path: Path, name: str) -> dict:
    try:
        with _open(path) as fh:
            splits = pickle.load(fh, encoding="latin1")  # the classic file was written by Python 2
    except Exception as exc:
        raise InputError(f"{path}: not a readable pickle ({type(exc).__name__}: {exc})") from None
    if not (isinstance(splits, (tuple, list)) and len(splits) == 3 and all(len(s) == 2 for s in splits)):
        raise InputError(f"{path}: expected a pickled (train, validation, test) triple of (X, y) pairs")
    (Xa, ya), (Xb, yb), (Xt, yt) = splits
    arrays = {"X": np.concatenate([_pixels(Xa, path), _pixels(Xb, path)]),
              "y": np.concatenate([np.asarray(ya), np.asarray(yb)]),
              "X_test": _pixels(Xt, path), "y_test": np.asarray(yt)}
    return _finish(name, arrays, "pickle", [path])


def _pixels(X, path: Path) -> np.ndarray:
    """uint8 pixels from uint8 images or from floats in [0, 1] (pixel / 256 in the pickle, / 255 elsewhere)."""
    X = np.asarray(X)
    if X.dtype == np.uint8:
        return X
    if not np.issubdtype(X.dtype, np.number):
        raise InputError(f"{path}: images must be numeric, got dtype {X.dtype}")
    X = X.astype(np.float64)
    if X.size and (X.min() < 0 or X.max() > 255):
        raise InputError(f"{path}: pixel values must lie in [0, 255] or [0, 1], got [{X.min()}, {X.max()}]")
    if X.size and X.max() <= 1.0:
        # The pickled split stores pixel / 256 exactly; anything else is taken as pixel / 255.
        scale = 256.0 if np.allclose(X * 256, np.rint(X * 256), atol=1e-3) and X.max() < 1.0 else 255.0
        X = X * scale
    return np.clip(np.rint(X), 0, 255).astype(np.uint8)


def _finish(name: str, arrays: dict, fmt: str, files: list) -> dict:
    out = {"format": fmt, "files": [str(f) for f in files]}
    for split in ("", "_test"):
        X, y = arrays["X" + split], np.asarray(arrays["y" + split])
        where = files[0] if len(files) == 1 else "the idx files"
        if y.ndim != 1 or len(X) != len(y):
            raise InputError(f"{where}: {len(X)} {'test' if split else 'training'} images but labels of shape {y.shape}")
        if X.ndim == 2 and X.shape[1] == 784:
            X = X.reshape(-1, 28, 28)
        if X.ndim != 3:
            raise InputError(f"{where}: images must have shape (n, 28, 28) or (n, 784), got {X.shape}")
        if not np.issubdtype(y.dtype, np.integer) or (len(y) and (y.min() < 0 or y.max() > 9)):
            raise InputError(f"{where}: labels must be integers 0-9 for {name}")
        out["X" + split], out["y" + split] = X, y.astype(np.int64)
    return out
