"""``ftprop train``: train a hard-threshold network with FTPROP-MB (the mini-batch engine).

    ftprop train --dataset mnist1d --model conv1d --activation sign --rule soft-hinge --epochs 30
    ftprop train --dataset cifar10 --data-root ~/data --model convnet4 --out runs/c4
    ftprop train --resume runs/c4 --epochs 300          # continue (and extend) a killed run
    torchrun --nproc-per-node 4 -m ftprop.cli train ...  # DistributedDataParallel, rank 0 logs

Registry data sets (digits, mnist1d, moons, teacher, ...) arrive as numpy arrays and become
tensors here; those without a test split get a seeded held-out one (``--test-split``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import InputError
from .common import (
    add_data_arguments, fraction, int_list, nonnegative_float, nonnegative_int, positive_float, positive_int, require,
)

# Flags that may change when a run is resumed; everything else must match the saved run.
RESUMABLE = ("epochs", "device", "compile", "num_workers", "amp", "eval_batch_size")
# Default model per data set when --model is not given, with its options when none are given
# (each model's own defaults are the settings that work: conv1d is 128 channels with batch norm).
DEFAULT_MODEL = {"mnist1d": ("conv1d", {}), "cifar10": ("convnet4", {}), "imagenet": ("resnet18", {})}
IMAGE_SETS = ("cifar10", "imagenet")
ACTIVATIONS = ("sign", "step", "qrelu", "relu", "sat-relu")


def _model_option(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key.strip().replace("-", "_"), parsed


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a hard-threshold network with FTPROP-MB (mini-batch, PyTorch)",
        description="Train a hard-threshold network with FTPROP-MB. Defaults give a short MNIST-1D run.",
    )
    add_data_arguments(p, required=False)
    g = p.add_argument_group("splits")
    g.add_argument("--test-split", type=fraction, help="held-out test fraction when the data set has none (default 0.2)")
    g.add_argument("--val-split", type=fraction, help="fraction of the training set held out for validation (default 0)")
    g.add_argument("--no-standardize", dest="standardize", action="store_false", default=None,
                   help="keep tabular features as loaded (default: centre and scale with training statistics)")
    g.add_argument("--augment", action="store_true", default=None, help="random crop + flip on cifar10 / imagenet")

    g = p.add_argument_group("network")
    g.add_argument("--model", help="mlp, conv1d, convnet4, convnet8, alexnet, resnet18 (default: by data set)")
    g.add_argument("--activation", help="hidden activation: " + ", ".join(ACTIVATIONS) + " (default sign)")
    g.add_argument("--rule", help="backward rule: ste, sste, hinge, sat-hinge, soft-hinge (default soft-hinge)")
    g.add_argument("--unweighted", dest="weighted", action="store_false", default=None,
                   help="do not weight unit losses by |dL/dh| (only sign(dL/dh) reaches a layer)")
    g.add_argument("--width", type=positive_int,
                   help="hidden width: mlp layers (keeping two), conv1d channels, convnet4 / alexnet fc width")
    g.add_argument("--hidden", type=int_list, help="hidden widths of the mlp, e.g. 256,256")
    g.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="batch norm before each activation (default: the model's; on for convnet8, alexnet, resnet18)")
    g.add_argument("--model-option", action="append", type=_model_option, metavar="KEY=VALUE",
                   help="any other build_model keyword (JSON value), repeatable")

    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=positive_int, help="passes over the training set (default 20)")
    g.add_argument("--batch-size", type=positive_int, help="examples per step and process (default 128)")
    g.add_argument("--optimizer", choices=("adam", "sgd"), help="default adam")
    g.add_argument("--lr", type=positive_float, help="initial learning rate (default 1e-2)")
    g.add_argument("--momentum", type=nonnegative_float, help="SGD momentum (default 0.9)")
    g.add_argument("--weight-decay", type=nonnegative_float, help="L2 penalty (default 0)")
    g.add_argument("--schedule", choices=("cosine", "step", "none"), help="learning-rate schedule (default cosine)")
    g.add_argument("--milestones", type=lambda s: int_list(s, what="epoch"),
                   help="epochs at which the step schedule multiplies the rate by --gamma, e.g. 200,250")
    g.add_argument("--gamma", type=positive_float, help="factor of the step schedule (default 0.1)")

    g = p.add_argument_group("run")
    g.add_argument("--seed", type=nonnegative_int, help="seed of everything random (default 0)")
    g.add_argument("--device", help="auto (CUDA when present), cpu, cuda, cuda:1 (default auto)")
    g.add_argument("--amp", choices=("none", "bf16", "fp16"), help="mixed precision on CUDA (default none)")
    g.add_argument("--compile", action="store_true", default=None, help="torch.compile the model")
    g.add_argument("--threads", type=positive_int, help="torch CPU threads (default: torch's choice, one per core)")
    g.add_argument("--workers", dest="num_workers", type=nonnegative_int, help="DataLoader workers (default 0)")
    g.add_argument("--out", metavar="DIR", help="run directory: config.json, metrics.jsonl, checkpoint.pt, result.json")
    g.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR (its config; --epochs may grow)")
    g.add_argument("--json", action="store_true", help="print one JSON object with the result (logs go to stderr)")
    g.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar even on a terminal")
    g.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    p.set_defaults(run=run)


# --- configuration ------------------------------------------------------------------------

_DATA_FLAGS = ("samples", "noise", "classes", "per_class", "inputs", "data_root")
_CONFIG_FLAGS = ("test_split", "val_split", "standardize", "augment", "model", "activation", "rule",
                 "weighted", "epochs", "batch_size", "optimizer", "lr", "momentum", "weight_decay",
                 "schedule", "milestones", "gamma", "seed", "device", "amp", "compile", "num_workers")


def resolve_config(args: argparse.Namespace):
    """Defaults <- saved run (``--resume``) <- flags given on the command line."""
    from minibatch.config import TrainConfig

    given = {k: getattr(args, k) for k in _CONFIG_FLAGS if getattr(args, k, None) is not None}
    if "milestones" in given:
        given["milestones"] = tuple(given["milestones"])
    data_options = _data_options(args)
    dataset = "file:" + args.data if args.data else args.dataset

    if args.resume:
        base = _saved_config(args.resume)
        model_options = _model_options(args, base.get("model"))
        changed = sorted(k for k, v in given.items() if k not in RESUMABLE and base.get(k) != v)
        if dataset is not None and dataset != base["dataset"]:
            changed.insert(0, "dataset")
        if model_options and model_options != base["model_options"]:
            changed.append("model options")
        require(not changed, f"--resume {args.resume}: cannot change {', '.join(changed)} of a saved run "
                             f"(only {', '.join('--' + k.replace('_', '-') for k in RESUMABLE)})")
        require(args.out is None or Path(args.out).resolve() == Path(args.resume).resolve(),
                "--out and --resume name different directories; a resumed run continues in its own")
        merged = {**base, **given}
    else:
        dataset = dataset or "mnist1d"
        if dataset in IMAGE_SETS:
            data_options.pop("data_root", None)
            require(args.data_root is not None,
                    f"--dataset {dataset} needs --data-root (the directory holding "
                    + ("cifar-10-batches-py/" if dataset == "cifar10" else "train/ and val/") + ")")
            data_options["data_root"] = str(Path(args.data_root).expanduser().resolve())
        model, preset = DEFAULT_MODEL.get(dataset, ("mlp", {}))
        model = given.get("model", model)
        options = _model_options(args, model)
        if "model" not in given and not options:
            options = dict(preset)
        merged = {"dataset": dataset, "data_options": data_options, "model": model,
                  "model_options": options, **given}
    if merged.get("schedule") == "step" and not merged.get("milestones"):
        raise InputError("--schedule step needs --milestones, e.g. --milestones 200,250")
    if merged.get("milestones") and "schedule" not in given and not args.resume:
        merged["schedule"] = "step"  # --milestones alone implies the step schedule
    try:
        return TrainConfig.from_dict(merged)
    except ValueError as exc:  # name the flag, not the field: "--batch-size must be ..."
        message = str(exc)
        field = message.split(" ", 1)[0]
        if field in _CONFIG_FLAGS or field == "eval_batch_size":
            flag = "--workers" if field == "num_workers" else "--" + field.replace("_", "-")
            message = flag + message[len(field):]
        raise InputError(message) from None


def _saved_config(run_dir: str) -> dict:
    path = Path(run_dir) / "config.json"
    require(Path(run_dir).is_dir(), f"--resume {run_dir}: no such directory")
    require(path.is_file(), f"--resume {run_dir}: no config.json (not a run directory of ftprop train)")
    require((Path(run_dir) / "checkpoint.pt").is_file(),
            f"--resume {run_dir}: no checkpoint.pt yet (the run stopped before its first epoch ended)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def _data_options(args) -> dict:
    out = {}
    for key in _DATA_FLAGS:
        value = getattr(args, key, None)
        if value is not None:
            out[key] = list(value) if isinstance(value, tuple) else value
    if args.dataset == "teacher" or (args.teacher_hidden and tuple(args.teacher_hidden) != (3,)):
        out["teacher_hidden"] = list(args.teacher_hidden)
    return out


# --width names a different keyword in each model.
WIDTH_OPTION = {"mlp": "hidden", "conv1d": "channels", "convnet4": "hidden", "alexnet": "fc_width"}


def _model_options(args, model: str | None) -> dict:
    out = dict(args.model_option or [])
    if args.hidden is not None:
        out["hidden"] = list(args.hidden)
    if args.width is not None and model is not None:
        key = WIDTH_OPTION.get(model)
        require(key is not None, f"--width: model {model!r} has no width option (models with one: "
                                 f"{', '.join(WIDTH_OPTION)}); use --model-option")
        require(not (model == "mlp" and args.hidden is not None), "give --hidden or --width for the mlp, not both")
        out[key] = [args.width, args.width] if model == "mlp" else args.width
    if args.batch_norm is not None:
        out["batch_norm"] = args.batch_norm
    return out


# --- data ---------------------------------------------------------------------------------

def load_data(config):
    """The :class:`minibatch.data.DataBundle` that ``config`` describes."""
    import numpy as np
    import torch

    from minibatch import data as mbdata

    opts = dict(config.data_options)
    try:
        if config.dataset == "cifar10":
            return mbdata.cifar10(opts.get("data_root"), augment=config.augment)
        if config.dataset == "imagenet":
            return mbdata.imagenet(opts.get("data_root"), augment=config.augment)
    except mbdata.DataError as exc:
        raise InputError(str(exc)) from None

    ds = _registry_dataset(config, opts)
    X, y, X_test, y_test = np.asarray(ds.X, dtype=np.float32), np.asarray(ds.y), ds.X_test, ds.y_test
    require(len(X) > 0, f"data set {ds.name!r} has no training examples")
    require(X.ndim == 2, f"data set {ds.name!r}: expected 2-D features, got shape {X.shape}")
    if X_test is None:
        X, y, X_test, y_test = _held_out(X, y, config.test_split, config.seed)
    X_test = np.asarray(X_test, dtype=np.float32)
    classes = np.unique(np.concatenate([y, y_test]) if y_test is not None else y)
    require(len(classes) >= 2, f"data set {ds.name!r} has a single class; nothing to learn")
    y = np.searchsorted(classes, y)
    y_test = np.searchsorted(classes, y_test) if y_test is not None else None
    if config.standardize:
        mean, std = X.mean(axis=0), X.std(axis=0)
        std[std < 1e-8] = 1.0
        X, X_test = (X - mean) / std, (X_test - mean) / std
    train = mbdata.TensorData(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)), torch.from_numpy(y))
    test = None
    if X_test is not None and len(X_test):
        test = mbdata.TensorData(torch.from_numpy(np.ascontiguousarray(X_test, dtype=np.float32)),
                                 torch.from_numpy(y_test))
    return mbdata.DataBundle(ds.name, train, test, (X.shape[1],), len(classes))


def _registry_dataset(config, opts: dict):
    from ..datasets import DataOptions, load_dataset, load_file

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
    require(n_test < len(y), f"--test-split {fraction} leaves no training examples out of {len(y)}")
    counts = np.unique(y, return_counts=True)[1]
    stratify = y if counts.min() >= 2 and n_test >= len(counts) and len(y) - n_test >= len(counts) else None
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=n_test, random_state=seed, stratify=stratify)
    return X_tr, y_tr, X_te, y_te


# --- run ----------------------------------------------------------------------------------

def check_names(config) -> None:
    """Unknown model / activation / rule: one line listing the valid names (before any work)."""
    from minibatch import models
    from minibatch.rules import RULES

    require(config.model in models.MODELS,
            f"unknown model {config.model!r}; valid: {', '.join(sorted(models.MODELS))}")
    require(config.activation in ACTIVATIONS,
            f"unknown activation {config.activation!r}; valid: {', '.join(ACTIVATIONS)}")
    require(config.rule in RULES, f"unknown rule {config.rule!r}; valid: {', '.join(RULES)}")


def build(config, bundle):
    """The model that ``config`` names, for ``bundle``'s input shape and classes."""
    from minibatch import models

    try:
        return models.build_model(config.model, input_shape=bundle.input_shape, num_classes=bundle.num_classes,
                                  activation=config.activation, rule=config.rule, weighted=config.weighted,
                                  **config.model_options)
    except (TypeError, ValueError) as exc:  # an option this model does not take, a bad value
        raise InputError(f"model {config.model!r}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    check_names(config)

    from minibatch import distributed
    from minibatch.trainer import fit, resolve_device, seed_everything

    try:
        resolve_device(config.device)
    except (RuntimeError, ValueError) as exc:  # torch.device("tpu") raises RuntimeError
        raise InputError(f"--device {config.device}: {str(exc).splitlines()[0]}") from None
    try:
        world = distributed.init_from_env(config.device)
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"distributed start failed: {exc}") from None
    log_stream = sys.stderr if args.json else sys.stdout
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)  # not part of the configuration: results do not depend on it

    def log(line: str) -> None:
        print(line, file=log_stream, flush=True)

    try:
        bundle = load_data(config)
        seed_everything(config.seed)
        model = build(config, bundle)
        if world.is_main:
            log("configuration:\n  " + config.describe().replace("\n", "\n  "))
        out_dir = args.resume or args.out
        result = fit(model, bundle.train, bundle.test, config, out_dir=out_dir, resume=bool(args.resume),
                     log=log, progress=args.progress)
        result.update(dataset=bundle.name, model=config.model, activation=config.activation, rule=config.rule,
                      weighted=config.weighted, out=str(out_dir) if out_dir else None)
        if world.is_main:
            if args.json:
                print(json.dumps(result))
            else:
                log(_summary_line(result))
    finally:
        distributed.shutdown()
    return 0


def _summary_line(r: dict) -> str:
    def pct(v):
        return "n/a" if v is None else f"{100 * v:.2f}%"

    line = (f"{r['dataset']} {r['model']} {r['activation']}/{r['rule']}"
            f"{'' if r['weighted'] else ' (unweighted)'}: best test {pct(r['best_test_acc'])}"
            f" (epoch {r.get('best_epoch')}), final test {pct(r['test_acc'])}, train {pct(r.get('train_acc'))}"
            f" in {r['wall_time_s']:.1f} s on {r['device']}, seed {r['seed']}")
    return line + (f"; run in {r['out']}" if r.get("out") else "")
