"""``ftprop train``: train a hard-threshold network with FTPROP-MB (the mini-batch engine).

    ftprop train --dataset mnist1d --model conv1d --activation sign --rule soft-hinge --epochs 30
    ftprop train --preset convnet4-sign-ftp-sh --data-root ~/data --out runs/c4   # a Table 1 row
    ftprop train --list-presets                                                  # every row
    ftprop train --resume runs/c4 --epochs 400          # continue (and extend) a killed run
    torchrun --nproc-per-node 4 -m ftprop.cli train ...  # DistributedDataParallel, rank 0 logs

This module parses, calls :mod:`ftprop.studies.training` and prints; the work is done there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from ftprop.errors import InputError
from ftprop.cli.commands.common import (
    add_data_arguments, fraction, int_list, nonnegative_float, nonnegative_int, positive_float, positive_int, require,
)

# Flags that may change when a run is resumed; everything else must match the saved run.
RESUMABLE = ("epochs", "device", "compile", "num_workers", "amp", "eval_batch_size")


class _Names:
    """argparse ``choices`` read from a minibatch registry on first use, so that building the
    parser imports no torch; without torch they admit anything (the run then says torch is missing)."""

    def __init__(self, module: str, attribute: str):
        self._where, self._names = (module, attribute), None

    def _get(self) -> tuple:
        if self._names is None:
            try:
                self._names = tuple(getattr(importlib.import_module(self._where[0]), self._where[1]))
            except ModuleNotFoundError:
                self._names = ()
        return self._names

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __contains__(self, name) -> bool:
        return name in self._get() or not self._get()



def _model_option(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key.strip().replace("-", "_"), parsed


def _defaults() -> dict:
    """TrainConfig's defaults, for the help texts (minibatch.config imports no torch)."""
    import dataclasses

    from minibatch.config import TrainConfig

    return {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.default is not dataclasses.MISSING}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a hard-threshold network with FTPROP-MB (mini-batch, PyTorch)",
        description="Train a hard-threshold network with FTPROP-MB. Defaults give a short MNIST-1D run; "
                    "--preset runs a row of the paper's Table 1 with the authors' settings.",
    )
    p.add_argument("--preset", choices=_Names("minibatch.presets", "PRESETS"), metavar="NAME",
                   help="a row of the paper's Table 1 with the authors' settings, e.g. convnet4-sign-ftp-sh "
                        "(--list-presets shows them all); flags given override its settings")
    p.add_argument("--list-presets", action="store_true", help="print the presets with their published accuracy")
    add_data_arguments(p, required=False)
    d = _defaults()
    g = p.add_argument_group("splits")
    g.add_argument("--test-split", type=fraction,
                   help=f"held-out test fraction when the data set has none (default {d['test_split']})")
    g.add_argument("--val-split", type=fraction,
                   help=f"fraction of the training set held out for validation (default {d['val_split']})")
    g.add_argument("--no-standardize", dest="standardize", action="store_false", default=None,
                   help="keep tabular features as loaded (default: centre and scale with training statistics)")
    g.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random crop + flip on cifar10 / imagenet (default on, as the paper's code)")
    _network_flags(p.add_argument_group("network"), d)
    _optimisation_flags(p.add_argument_group("optimisation"), d)
    _run_flags(p.add_argument_group("run"), d)
    p.set_defaults(run=run)


def _network_flags(g, d: dict) -> None:
    g.add_argument("--model", choices=_Names("minibatch.models", "MODELS"), metavar="NAME",
                   help="%(choices)s (default: by data set)")
    g.add_argument("--activation", choices=_Names("minibatch.activations", "ACTIVATIONS"), metavar="NAME",
                   help=f"hidden activation: %(choices)s (default {d['activation']})")
    g.add_argument("--rule", choices=_Names("minibatch.rules", "RULES"), metavar="NAME",
                   help=f"backward rule of the hard-threshold units: %(choices)s (default {d['rule']}, FTP-SH)")
    g.add_argument("--unweighted", dest="weighted", action="store_false", default=None,
                   help="do not weight unit losses by |dL/dh| (only sign(dL/dh) / batch reaches a layer)")
    g.add_argument("--width", type=positive_int,
                   help="hidden width: mlp layers (keeping two), conv1d channels, convnet4 / alexnet fc width")
    g.add_argument("--hidden", type=int_list, help="hidden widths of the mlp, e.g. 256,256")
    g.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="batch norm before each activation (default: the model's; on for conv1d, convnet8, "
                        "alexnet, resnet18)")
    g.add_argument("--model-option", action="append", type=_model_option, metavar="KEY=VALUE",
                   help="any other build_model keyword (JSON value), repeatable, e.g. levels=5, quantizer=ceil")


def _optimisation_flags(g, d: dict) -> None:
    g.add_argument("--epochs", type=positive_int, help=f"passes over the training set (default {d['epochs']})")
    g.add_argument("--batch-size", type=positive_int, help=f"examples per step and process (default {d['batch_size']})")
    g.add_argument("--optimizer", choices=_Names("minibatch.config", "OPTIMIZERS"), metavar="NAME",
                   help=f"%(choices)s (default {d['optimizer']})")
    g.add_argument("--lr", type=positive_float, help=f"initial learning rate (default {d['lr']:g})")
    g.add_argument("--momentum", type=nonnegative_float, help=f"SGD momentum (default {d['momentum']})")
    g.add_argument("--weight-decay", type=nonnegative_float, help=f"L2 penalty (default {d['weight_decay']:g})")
    g.add_argument("--schedule", choices=_Names("minibatch.config", "SCHEDULES"), metavar="NAME",
                   help=f"learning-rate schedule: %(choices)s (default {d['schedule']})")
    g.add_argument("--milestones", type=lambda s: int_list(s, what="epoch"),
                   help="epochs at which the step schedule multiplies the rate by --gamma, e.g. 200,250")
    g.add_argument("--gamma", type=positive_float, help=f"factor of the step schedule (default {d['gamma']})")


def _run_flags(g, d: dict) -> None:
    g.add_argument("--seed", type=nonnegative_int, help=f"seed of everything random (default {d['seed']})")
    g.add_argument("--device", help=f"auto (CUDA when present), cpu, cuda, cuda:1 (default {d['device']})")
    g.add_argument("--amp", choices=_Names("minibatch.config", "AMP_MODES"), metavar="MODE",
                   help=f"mixed precision on CUDA: %(choices)s (default {d['amp']})")
    g.add_argument("--compile", action="store_true", default=None,
                   help="torch.compile the model (per-layer diagnostics are off then)")
    g.add_argument("--threads", type=positive_int, help="torch CPU threads (default: torch's choice, one per core)")
    g.add_argument("--workers", dest="num_workers", type=nonnegative_int,
                   help=f"DataLoader workers (default {d['num_workers']})")
    g.add_argument("--out", metavar="DIR",
                   help="run directory: config.json, metrics.jsonl, checkpoint.pt, best.pt, result.json")
    g.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR (its config; --epochs may grow)")
    g.add_argument("--json", action="store_true", help="print one JSON object with the result (logs go to stderr)")
    g.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar even on a terminal")
    g.add_argument("--debug", action="store_true", help="show the traceback of internal errors")


# --- configuration ------------------------------------------------------------------------

_DATA_FLAGS = ("samples", "noise", "classes", "per_class", "inputs", "data_root")
_CONFIG_FLAGS = ("test_split", "val_split", "standardize", "augment", "model", "activation", "rule",
                 "weighted", "epochs", "batch_size", "optimizer", "lr", "momentum", "weight_decay",
                 "schedule", "milestones", "gamma", "seed", "device", "amp", "compile", "num_workers")


def resolve_config(args: argparse.Namespace):
    """Defaults <- preset (``--preset``) or saved run (``--resume``) <- flags given."""
    from minibatch.config import TrainConfig

    given = {k: getattr(args, k) for k in _CONFIG_FLAGS if getattr(args, k, None) is not None}
    if "milestones" in given:
        given["milestones"] = tuple(given["milestones"])
    if args.resume:
        merged = _resumed(args, given)
    else:
        merged = _fresh(args, given)
    if merged.get("schedule") == "step" and not merged.get("milestones"):
        raise InputError("--schedule step needs --milestones, e.g. --milestones 200,250")
    if "milestones" in given and "schedule" not in given and not args.resume:
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


def _fresh(args, given: dict) -> dict:
    from ftprop.studies.training import DEFAULT_MODEL, EXPECTED_FILES, IMAGE_SETS

    data_options = _data_options(args)
    base: dict = {}
    if args.preset:
        from minibatch.presets import get_preset

        base = dict(get_preset(args.preset).settings)
    dataset = ("file:" + args.data if args.data else args.dataset) or base.get("dataset") or "mnist1d"
    if dataset in IMAGE_SETS:
        named = f"--preset {args.preset}" if args.preset and not args.dataset else f"--dataset {dataset}"
        require(args.data_root is not None, f"{named} needs --data-root (the directory holding "
                                            f"{EXPECTED_FILES[dataset]})")
        data_options["data_root"] = str(Path(args.data_root).expanduser().resolve())
    model = given.get("model", base.get("model") if dataset == base.get("dataset") else None)
    model = model or DEFAULT_MODEL.get(dataset, "mlp")
    options = dict(base.get("model_options", {})) if model == base.get("model") else {}
    options.update(_model_options(args, model))
    return {**base, "dataset": dataset, "data_options": data_options, "model": model, "model_options": options,
            **given}


def _resumed(args, given: dict) -> dict:
    from ftprop.studies.training import saved_config

    require(not args.preset, "--preset starts a new run; a resumed run keeps its saved configuration")
    require(Path(args.resume).is_dir(), f"--resume {args.resume}: no such directory")
    require((Path(args.resume) / "config.json").is_file(),
            f"--resume {args.resume}: no config.json (not a run directory of ftprop train)")
    require((Path(args.resume) / "checkpoint.pt").is_file(),
            f"--resume {args.resume}: no checkpoint.pt yet (the run stopped before its first epoch ended)")
    base = saved_config(args.resume)
    dataset = "file:" + args.data if args.data else args.dataset
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
    return {**base, **given}


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


# --- run ----------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    if args.list_presets:
        from minibatch.presets import table

        print(table())
        return 0
    config = resolve_config(args)
    from minibatch import distributed
    from minibatch.trainer import resolve_device

    from ftprop.studies import training

    try:
        resolve_device(config.device)
    except (RuntimeError, ValueError) as exc:  # torch.device("tpu") raises RuntimeError
        raise InputError(f"--device {config.device}: {str(exc).splitlines()[0]}") from None
    try:
        world = distributed.init_from_env(config.device)
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"distributed start failed: {exc}") from None
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)  # not part of the configuration: results do not depend on it
    log_stream = sys.stderr if args.json else sys.stdout

    def log(line: str) -> None:
        print(line, file=log_stream, flush=True)

    try:
        prepared = training.prepare(config)
        if world.is_main:
            log("configuration:\n  " + config.describe().replace("\n", "\n  "))
        out_dir = args.resume or args.out
        result = training.train(config, out_dir=out_dir, resume=bool(args.resume), prepared=prepared, log=log,
                                progress=args.progress)
        if world.is_main and args.json:
            print(json.dumps(result))
        elif world.is_main:
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
    if r.get("preset"):
        line = f"[{r['preset']}] " + line
    return line + (f"; run in {r['out']}" if r.get("out") else "")
