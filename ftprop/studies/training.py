"""FTPROP-MB runs from a configuration: data, model, training, and evaluation of a saved run.

The library half of ``ftprop train`` and ``ftprop evaluate`` (those commands only parse, call
this, and print); benchmarks use it too.

    config = TrainConfig(dataset="mnist1d", model="conv1d", rule="sste", seed=1)
    result = train(config, out_dir="runs/m1d")          # seeds, loads, builds, fits
    evaluate_run("runs/m1d")                            # top-1 / top-5 of best.pt on the test set

Registry data sets (digits, mnist1d, moons, teacher, ...) arrive as numpy arrays and become
tensors here (image sets such as MNIST as (N, C, H, W) images, so convnets take them); those without a test split get a seeded held-out one (``config.test_split``).
CIFAR-10 and ImageNet are read from the data root in ``config.data_options`` and never
downloaded. Errors are :class:`~ftprop.errors.InputError` in the configuration's terms.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from ftprop.errors import InputError

IMAGE_SETS = ("cifar10", "imagenet")
# What each image set expects under its data root (for the error when it is missing).
EXPECTED_FILES = {"cifar10": "cifar-10-batches-py/ (data_batch_1..5, test_batch)",
                  "imagenet": "train/ and val/ class folders"}
# Default model per data set; each model's own defaults are the settings that work.
DEFAULT_MODEL = {"mnist1d": "conv1d", "cifar10": "convnet4", "imagenet": "resnet18"}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InputError(message)


def check_names(config) -> None:
    """Unknown model / activation / rule: one line listing the valid names (before any work)."""
    from minibatch.activations import ACTIVATIONS
    from minibatch.models import MODELS
    from minibatch.rules import RULES

    for what, name, valid in (("model", config.model, MODELS), ("activation", config.activation, ACTIVATIONS),
                              ("rule", config.rule, RULES)):
        _require(name in valid, f"unknown {what} {name!r}; valid: {', '.join(valid)}")


def load_data(config):
    """The :class:`minibatch.data.DataBundle` that ``config`` describes."""
    import numpy as np
    import torch

    from minibatch import data as mbdata

    opts = dict(config.data_options)
    if config.dataset in IMAGE_SETS:
        _require(opts.get("data_root") is not None,
                 f"data set {config.dataset} needs a data root: the directory holding {EXPECTED_FILES[config.dataset]}")
        loader = mbdata.cifar10 if config.dataset == "cifar10" else mbdata.imagenet
        try:
            return loader(opts["data_root"], augment=config.augment)
        except mbdata.DataError as exc:
            raise InputError(str(exc)) from None

    ds = _registry_dataset(config, opts)
    X, y, X_test, y_test = np.asarray(ds.X, dtype=np.float32), np.asarray(ds.y), ds.X_test, ds.y_test
    _require(len(X) > 0, f"data set {ds.name!r} has no training examples")
    _require(X.ndim == 2, f"data set {ds.name!r}: expected 2-D features, got shape {X.shape}")
    if X_test is None:
        X, y, X_test, y_test = _held_out(X, y, config.test_split, config.seed)
    X_test = np.asarray(X_test, dtype=np.float32)
    classes = np.unique(np.concatenate([y, y_test]) if y_test is not None else y)
    _require(len(classes) >= 2, f"data set {ds.name!r} has a single class; nothing to learn")
    y = np.searchsorted(classes, y)
    y_test = np.searchsorted(classes, y_test) if y_test is not None else None
    image = tuple(ds.meta.get("image_shape") or ())
    image = (1, *image) if len(image) == 2 else image
    if config.standardize and image:  # images: one mean and sd over all pixels, as image models expect
        mean, std = float(X.mean()), float(X.std()) or 1.0
        X, X_test = (X - mean) / std, (X_test - mean) / std
    elif config.standardize:
        mean, std = X.mean(axis=0), X.std(axis=0)
        std[std < 1e-8] = 1.0
        X, X_test = (X - mean) / std, (X_test - mean) / std

    def tensors(features, labels):
        return mbdata.TensorData(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)),
                                 torch.from_numpy(labels))

    shape = image if image and int(np.prod(image)) == X.shape[1] else (X.shape[1],)
    X, X_test = X.reshape(len(X), *shape), (X_test.reshape(len(X_test), *shape) if X_test is not None else None)
    test = tensors(X_test, y_test) if X_test is not None and len(X_test) else None
    return mbdata.DataBundle(ds.name, tensors(X, y), test, shape, len(classes))


def _registry_dataset(config, opts: dict):
    from ftprop.data import DataOptions, load_dataset, load_file

    if config.dataset.startswith("file:"):
        return load_file(config.dataset[5:])
    options = DataOptions(
        samples=opts.get("samples"), noise=opts.get("noise"), seed=config.seed,
        classes=tuple(opts["classes"]) if opts.get("classes") else None, per_class=opts.get("per_class"),
        inputs=opts.get("inputs"), teacher_hidden=tuple(opts.get("teacher_hidden", (3,))),
        data_root=opts.get("data_root"),
    )
    return load_dataset(config.dataset, options)


def _held_out(X, y, fraction: float, seed: int):
    """A seeded, stratified (when every class has two examples) train/test split."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    if fraction <= 0:
        return X, y, None, None
    n_test = max(1, int(round(len(y) * fraction)))
    _require(n_test < len(y), f"test_split {fraction} leaves no training examples out of {len(y)}")
    counts = np.unique(y, return_counts=True)[1]
    stratify = y if counts.min() >= 2 and n_test >= len(counts) and len(y) - n_test >= len(counts) else None
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=n_test, random_state=seed, stratify=stratify)
    return X_tr, y_tr, X_te, y_te


def build(config, bundle):
    """The model that ``config`` names, for ``bundle``'s input shape and classes."""
    from minibatch import models

    try:
        return models.build_model(config.model, input_shape=bundle.input_shape, num_classes=bundle.num_classes,
                                  activation=config.activation, rule=config.rule, weighted=config.weighted,
                                  **config.model_options)
    except (TypeError, ValueError) as exc:  # an option this model does not take, a bad value
        raise InputError(f"model {config.model!r}: {exc}") from None


def prepare(config, bundle=None):
    """Check the names, load the data (unless ``bundle`` is given), seed, build: ``(bundle, model)``.

    Everything that can fail on bad input fails here, before a run starts.
    """
    from minibatch.trainer import seed_everything, split_validation

    check_names(config)
    bundle = bundle if bundle is not None else load_data(config)
    try:
        split_validation(bundle.train, config.val_split, config.seed)  # the trainer splits the same way
    except ValueError as exc:
        raise InputError(str(exc)) from None
    seed_everything(config.seed)
    return bundle, build(config, bundle)


def train(config, *, out_dir=None, resume: bool = False, prepared=None, log: Callable[[str], None] | None = print,
          progress: bool = True) -> dict:
    """Fit the model of ``prepare(config)`` (or of ``prepared``); the trainer's summary plus names.

    With ``resume`` the run continues from ``out_dir``'s checkpoint (the model is rebuilt from
    the seed first, then the checkpoint's weights replace it).
    """
    from minibatch.trainer import fit

    bundle, model = prepared if prepared is not None else prepare(config)
    try:
        result = fit(model, bundle.train, bundle.test, config, out_dir=out_dir, resume=resume, log=log,
                     progress=progress)
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from None
    result.update(dataset=bundle.name, model=config.model, activation=config.activation, rule=config.rule,
                  weighted=config.weighted, preset=config.preset or None, out=str(out_dir) if out_dir else None)
    return result


def saved_config(run_dir) -> dict:
    """The ``config.json`` of a run directory, as a dict (InputError when it is not one)."""
    run_dir = Path(run_dir)
    _require(run_dir.is_dir(), f"{run_dir}: no such directory")
    path = run_dir / "config.json"
    _require(path.is_file(), f"{run_dir}: no config.json (not a run directory of ftprop train)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def evaluate_run(run_dir, *, data_root: str | None = None, weights: str = "best", device: str = "auto",
                 batch_size: int = 512) -> dict:
    """Top-1 and top-5 accuracy of a saved run's ``best.pt`` (or ``weights="last"``: its
    checkpoint) on the test set of its data set; ``data_root`` replaces the saved one."""
    from minibatch.config import TrainConfig
    from minibatch.rundir import BEST, CHECKPOINT, load_checkpoint
    from minibatch.trainer import evaluate, versions

    start = time.perf_counter()
    _require(weights in ("best", "last"), f"weights must be 'best' or 'last', got {weights!r}")
    config = TrainConfig.from_dict(saved_config(run_dir))
    if data_root is not None:
        root = str(Path(data_root).expanduser().resolve())
        config = config.replace(data_options={**config.data_options, "data_root": root})
    name = BEST if weights == "best" else CHECKPOINT
    _require((Path(run_dir) / name).is_file(), f"{run_dir}: no {name} (the run ended before its first epoch)")
    state = load_checkpoint(run_dir, name)
    bundle = load_data(config)
    _require(bundle.test is not None, f"data set {bundle.name!r} has no test set to evaluate on")
    model = build(config, bundle)
    model.load_state_dict(state["model"])
    scores = evaluate(model, bundle.test, device=device, batch_size=batch_size)
    return {"run": str(run_dir), "weights": name, "epoch": state.get("epoch"), "dataset": bundle.name,
            "examples": len(bundle.test), "top1": scores["acc"], "top5": scores.get("top5"),
            "loss": scores["loss"], "preset": config.preset or None, "seed": config.seed,
            "wall_time_s": time.perf_counter() - start, "versions": versions()}
