"""The built-in data sets, each registered under its name pattern (all offline)."""

from __future__ import annotations

import numpy as np

from ftprop.errors import InputError

from .registry import DataOptions, Dataset, register


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


@register(r"spirals", "spirals: Lang and Witbrock's two spirals (97 points each at --samples 194; more along the same curves)")
def _spirals(name: str, o: DataOptions) -> Dataset:
    """Spiral 1 at angle i pi / 16 and radius 6.5 (104 - i) / 104 for i = 0..96, class 1; spiral 2
    its point reflection (-x), class 0. More samples put more points on the same curves (i not
    an integer); --noise adds Gaussian noise of that standard deviation (default 0, the classic set)."""
    n = 194 if o.samples is None else o.samples
    if n < 4 or n % 2:
        raise InputError(f"spirals: --samples must be an even number >= 4 (one point of each spiral per step), got {n}")
    i = np.linspace(0.0, 96.0, n // 2)
    angle, radius = i * np.pi / 16, 6.5 * (104 - i) / 104
    one = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    X = np.concatenate([one, -one])
    if o.noise:
        X = X + np.random.default_rng(o.seed).normal(0.0, o.noise, X.shape)
    return Dataset("spirals", X, np.repeat([1, 0], n // 2))


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


@register(r"mnist|fashion-mnist", "mnist, fashion-mnist: 28x28 images from --data-root (idx files, .npz or .pkl.gz), "
          "pixels scaled to [0,1]")
def _mnist(name: str, o: DataOptions) -> Dataset:
    from ftprop.data.mnist import load_mnist_arrays

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
