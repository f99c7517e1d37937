"""The registry: data options, the Dataset record, loaders by name pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ftprop.errors import InputError


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
            return select(ds, options)
    raise InputError(f"unknown data set {name!r}; valid: {', '.join(dataset_names())}")


def select(ds: Dataset, options: DataOptions) -> Dataset:
    """The classes and the per-class sample asked for (a file's data too); the rest is the test set."""
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
