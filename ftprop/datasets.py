"""The data-set registry shared by every command (`solve`, `minwidth`, `train`, `compare`).

Every loader is offline: scikit-learn's bundled data, MNIST-1D generated locally with
``mnist1d.data.make_dataset`` (never downloaded) and synthetic data. Binary inputs are coded as
±1 so that sign units see their own alphabet. A loader returns a :class:`Dataset` of numpy
arrays; the engines never see names, only arrays.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class DataOptions:
    """Options that some data sets read; each loader ignores the ones it has no use for."""

    samples: int | None = None  # number of examples for synthetic sets (None: the set's default)
    noise: float | None = None  # label / coordinate noise for moons, circles, blobs
    seed: int = 0  # seed of every random generator a loader uses
    classes: tuple[int, ...] | None = None  # keep only these classes (digits, iris, wine, mnist1d)
    per_class: int | None = None  # keep this many training examples per class (few-shot)
    inputs: int | None = None  # input dimension of `teacher`
    teacher_hidden: tuple[int, ...] = (3,)  # hidden widths of the `teacher` network
    data_root: str | None = None  # where mnist / fashion-mnist / cifar10 / imagenet live on disk


@dataclass
class Dataset:
    """Training arrays plus an optional held-out test split."""

    name: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return int(len(np.unique(self.y)))

    @property
    def label(self) -> str:
        """The name as a summary line shows it: a file's skipped header row is named there."""
        header = self.meta.get("header")
        return f"{self.name} (header row skipped: {','.join(header)})" if header else self.name


_Loader = Callable[[str, DataOptions], Dataset]
_REGISTRY: dict[str, tuple[_Loader, str]] = {}


def register(pattern: str, help: str):
    """Register a loader for names matching ``pattern`` (a regular expression, full match)."""

    def deco(fn: _Loader) -> _Loader:
        _REGISTRY[pattern] = (fn, help)
        return fn

    return deco


def dataset_names() -> list[str]:
    """Human-readable names of the built-in data sets (as shown in help and error messages)."""
    return [help.split(":")[0] for _, help in _REGISTRY.values()]


def load_dataset(name: str, options: DataOptions | None = None) -> Dataset:
    options = options or DataOptions()
    for pattern, (fn, _) in _REGISTRY.items():
        if re.fullmatch(pattern, name):
            ds = fn(name, options)
            return _postprocess(ds, options)
    raise InputError(f"unknown data set {name!r}; valid: {', '.join(dataset_names())}")


def _postprocess(ds: Dataset, options: DataOptions) -> Dataset:
    if options.classes is not None:
        present = set(np.unique(ds.y).tolist())
        missing = [c for c in options.classes if c not in present]
        if missing:
            raise InputError(
                f"classes {','.join(map(str, options.classes))}: data set {ds.name!r} has no class "
                f"{missing[0]} (classes: {', '.join(map(str, sorted(present)))})"
            )
        keep = np.isin(ds.y, options.classes)
        X_rest, y_rest = ds.X[keep], ds.y[keep]
        X_test, y_test = ds.X_test, ds.y_test
        if X_test is not None:
            kt = np.isin(y_test, options.classes)
            X_test, y_test = X_test[kt], y_test[kt]
        ds = Dataset(ds.name, X_rest, y_rest, X_test, y_test, dict(ds.meta))
    if options.per_class is not None:
        if options.per_class <= 0:
            raise InputError(f"per_class must be a positive integer, got {options.per_class}")
        rng = np.random.default_rng(options.seed)
        train_idx, rest_idx = [], []
        for c in np.unique(ds.y):
            idx = rng.permutation(np.flatnonzero(ds.y == c))
            if len(idx) < options.per_class:
                raise InputError(
                    f"per_class {options.per_class}: class {c} of {ds.name!r} has only {len(idx)} examples"
                )
            train_idx.extend(idx[: options.per_class])
            rest_idx.extend(idx[options.per_class :])
        train_idx, rest_idx = np.sort(train_idx), np.sort(rest_idx)
        X_test = ds.X[rest_idx] if ds.X_test is None else ds.X_test
        y_test = ds.y[rest_idx] if ds.y_test is None else ds.y_test
        ds = Dataset(ds.name, ds.X[train_idx], ds.y[train_idx], X_test, y_test, dict(ds.meta))
    return ds


def _pm1(bits: np.ndarray) -> np.ndarray:
    return np.where(bits > 0, 1.0, -1.0)


def _hypercube(n: int) -> np.ndarray:
    """All 2^n points of {-1, +1}^n, in binary counting order."""
    codes = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1
    return _pm1(codes)


def _bits_from_name(name: str, lo: int = 1, hi: int = 16) -> int:
    n = int(name.rsplit("-", 1)[1])
    if not lo <= n <= hi:
        raise InputError(f"data set {name!r}: N must be between {lo} and {hi}, got {n}")
    return n


@register(r"xor", "xor: the 4 points of {-1,1}^2 labelled by XOR")
def _xor(name: str, o: DataOptions) -> Dataset:
    X = _hypercube(2)
    y = (X[:, 0] != X[:, 1]).astype(int)
    return Dataset("xor", X, y)


@register(r"parity-\d+", "parity-N: all 2^N points of {-1,1}^N labelled by their parity")
def _parity(name: str, o: DataOptions) -> Dataset:
    n = _bits_from_name(name)
    X = _hypercube(n)
    y = ((X > 0).sum(axis=1) % 2).astype(int)
    return Dataset(name, X, y)


@register(r"majority-\d+", "majority-N: all 2^N points of {-1,1}^N labelled by majority (ties: 1)")
def _majority(name: str, o: DataOptions) -> Dataset:
    n = _bits_from_name(name)
    X = _hypercube(n)
    y = (X.sum(axis=1) >= 0).astype(int)
    return Dataset(name, X, y)


@register(r"moons", "moons: two interleaved half-circles (--samples, --noise, --seed)")
def _moons(name: str, o: DataOptions) -> Dataset:
    from sklearn.datasets import make_moons

    X, y = make_moons(
        n_samples=o.samples or 40, noise=0.1 if o.noise is None else o.noise, random_state=o.seed
    )
    return Dataset("moons", X, y)


@register(r"circles", "circles: two concentric circles (--samples, --noise, --seed)")
def _circles(name: str, o: DataOptions) -> Dataset:
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples=o.samples or 40,
        noise=0.05 if o.noise is None else o.noise,
        factor=0.5,
        random_state=o.seed,
    )
    return Dataset("circles", X, y)


@register(r"blobs", "blobs: three Gaussian blobs in 2-D (--samples, --noise, --seed)")
def _blobs(name: str, o: DataOptions) -> Dataset:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=o.samples or 30,
        centers=3,
        cluster_std=1.0 if o.noise is None else o.noise,
        random_state=o.seed,
    )
    return Dataset("blobs", X, y)


def _sklearn_bundled(loader_name: str, name: str) -> Dataset:
    import sklearn.datasets as skd

    bunch = getattr(skd, loader_name)()
    return Dataset(name, np.asarray(bunch.data, dtype=float), np.asarray(bunch.target))


@register(r"iris", "iris: scikit-learn's iris (150 x 4, 3 classes)")
def _iris(name: str, o: DataOptions) -> Dataset:
    return _sklearn_bundled("load_iris", "iris")


@register(r"wine", "wine: scikit-learn's wine (178 x 13, 3 classes)")
def _wine(name: str, o: DataOptions) -> Dataset:
    return _sklearn_bundled("load_wine", "wine")


@register(r"breast-cancer", "breast-cancer: scikit-learn's breast cancer (569 x 30, 2 classes)")
def _breast_cancer(name: str, o: DataOptions) -> Dataset:
    return _sklearn_bundled("load_breast_cancer", "breast-cancer")


@register(r"digits", "digits: scikit-learn's 8x8 digits, pixels scaled to [0,1] (--classes, --per-class)")
def _digits(name: str, o: DataOptions) -> Dataset:
    ds = _sklearn_bundled("load_digits", "digits")
    ds.X = ds.X / 16.0
    return ds


@register(r"teacher", "teacher: labels from a random hard-threshold network (--inputs, --teacher-hidden, --samples)")
def _teacher(name: str, o: DataOptions) -> Dataset:
    rng = np.random.default_rng(o.seed)
    d = o.inputs or 4
    n = o.samples or 40
    widths = list(o.teacher_hidden)
    if d <= 0 or n <= 0 or any(w <= 0 for w in widths):
        raise InputError("teacher: inputs, samples and teacher_hidden must be positive")
    X = rng.standard_normal((n, d))
    h = X
    layers = []
    for width in widths + [1]:
        W = rng.standard_normal((width, h.shape[1]))
        b = rng.standard_normal(width) * 0.5
        layers.append({"W": W.tolist(), "b": b.tolist()})
        z = h @ W.T + b
        h = np.where(z >= 0, 1.0, -1.0)
    y = (h[:, 0] > 0).astype(int)
    if len(np.unique(y)) < 2:  # a constant teacher teaches nothing: flip the output bias instead
        z = z[:, 0]
        thr = np.median(z)
        y = (z >= thr).astype(int)
        layers[-1]["b"] = [layers[-1]["b"][0] - float(thr)]
    return Dataset("teacher", X, y, meta={"teacher_layers": layers, "teacher_hidden": widths})


@register(r"mnist1d", "mnist1d: MNIST-1D generated locally (40 features, 10 classes; --samples)")
def _mnist1d(name: str, o: DataOptions) -> Dataset:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = o.samples or 5000
    args.seed = o.seed if o.seed is not None else 42
    # make_dataset reseeds numpy's global RNG: keep the caller's global state intact.
    state = np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)
    return Dataset(
        "mnist1d",
        np.asarray(data["x"], dtype=np.float32),
        np.asarray(data["y"]),
        np.asarray(data["x_test"], dtype=np.float32),
        np.asarray(data["y_test"]),
    )


def load_file(path: str | Path) -> Dataset:
    """Load ``path``: CSV (optional header, numeric, last column the label) or NPZ with X, y."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a CSV or NPZ file")
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                if "X" not in z or "y" not in z:
                    raise InputError(f"{path}: NPZ must hold arrays 'X' and 'y', found {', '.join(z.files) or 'none'}")
                X, y = np.asarray(z["X"]), np.asarray(z["y"])
        except InputError:
            raise
        except Exception as exc:  # a corrupt archive is bad input, not a bug
            raise InputError(f"{path}: not a readable NPZ file ({exc})") from None
        if X.ndim != 2:
            raise InputError(f"{path}: X must be 2-D (examples x features), got shape {X.shape}")
        if y.ndim != 1:
            raise InputError(f"{path}: y must be 1-D, got shape {y.shape}")
        if len(X) != len(y):
            raise InputError(f"{path}: X has {len(X)} rows but y has {len(y)} labels")
        for name, a in (("X", X), ("y", y)):
            if np.iscomplexobj(a):
                raise InputError(f"{path}: {name} is complex ({a.dtype}); the data must be real numbers")
        if not np.issubdtype(X.dtype, np.number):
            raise InputError(f"{path}: X must be numeric, got dtype {X.dtype}")
        X = X.astype(float) + 0.0  # -0.0 is 0.0
        if len(X) and not np.isfinite(X).all():
            r = int(np.argwhere(~np.isfinite(X))[0][0])
            raise InputError(f"{path}: X row {r} holds NaN or inf")
        return Dataset(path.name, X, y, meta={"rows_read": len(X), "header": None})
    return _load_csv(path)


def _load_csv(path: Path) -> Dataset:
    """Numbers, the label last; the first row is a header only when none of its cells is a number
    (a row with some numbers and some text is a typo, named as one, never a header). A UTF-8
    byte-order mark is not part of the first cell."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (expected CSV)") from None
    numbered = [(n, r) for n, r in enumerate(csv.reader(text.splitlines()), 1) if r and any(c.strip() for c in r)]
    if not numbered:
        raise InputError(f"{path}: empty data (no rows)")
    header = None
    if not any(_is_number(c) for c in numbered[0][1]):
        header = [c.strip() for c in numbered[0][1]]
        numbered = numbered[1:]
    if not numbered:
        raise InputError(f"{path}: empty data (header only)")
    width = len(numbered[0][1])
    if width < 2:
        raise InputError(f"{path}: need at least one feature column and a label column")
    values = np.empty((len(numbered), width))
    for r, (line_no, row) in enumerate(numbered):
        if len(row) != width:
            raise InputError(f"{path} row {line_no}: {len(row)} columns, expected {width}")
        for c, cell in enumerate(row):
            if not _is_number(cell):
                raise InputError(f"{path} row {line_no}: {cell.strip()!r} is not a number")
            v = float(cell)
            if not np.isfinite(v):
                raise InputError(f"{path} row {line_no}: {cell.strip()!r} is not a finite number")
            values[r, c] = v
    X, y = values[:, :-1] + 0.0, values[:, -1] + 0.0  # -0.0 is 0.0
    if np.all(y == np.round(y)):
        y = y.astype(int)
    return Dataset(path.name, X, y, meta={"rows_read": len(numbered), "header": header})


# A cell that is a number: ASCII decimal notation, or inf / nan (rejected later as not finite).
# Stricter than float(), which also takes '1_000' and non-ASCII digits.
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*|\s*[+-]?(inf|infinity|nan)\s*", re.IGNORECASE | re.ASCII)


def _is_number(cell: str) -> bool:
    return _NUMBER.fullmatch(cell) is not None


@register(r"mnist|fashion-mnist", "mnist, fashion-mnist: 28x28 images from --data-root (idx files, .npz or .pkl.gz), "
          "pixels scaled to [0,1]")
def _mnist(name: str, o: DataOptions) -> Dataset:
    from .mnist import load_mnist_arrays

    a = load_mnist_arrays(o.data_root, name)
    flat = lambda images: images.reshape(len(images), -1).astype(np.float32) / 255.0  # noqa: E731
    return Dataset(name, flat(a["X"]), a["y"], flat(a["X_test"]), a["y_test"],
                   meta={"image_shape": (28, 28), "format": a["format"], "files": a["files"]})


@register(r"cifar10", "cifar10: CIFAR-10 from --data-root (cifar-10-batches-py/, the python pickle layout)")
def _cifar10(name: str, o: DataOptions) -> Dataset:
    # The reader lives with the mini-batch engine (which streams the images as tensors); here the
    # images are flattened to 3072 features scaled to [0, 1] for the array-based commands.
    from minibatch.data import DataError, load_cifar10_arrays

    try:
        arrays = load_cifar10_arrays(o.data_root)
    except DataError as exc:
        raise InputError(str(exc)) from None
    flat = lambda images: images.reshape(len(images), -1).astype(np.float32) / 255.0  # noqa: E731
    return Dataset("cifar10", flat(arrays["X"]), arrays["y"], flat(arrays["X_test"]), arrays["y_test"],
                   meta={"image_shape": (3, 32, 32)})


@register(r"imagenet", "imagenet: ImageNet train/ and val/ class folders under --data-root (ftprop train only)")
def _imagenet(name: str, o: DataOptions) -> Dataset:
    raise InputError("imagenet is streamed from disk by the mini-batch trainer (ftprop train); "
                     "it is too large to load as arrays")
