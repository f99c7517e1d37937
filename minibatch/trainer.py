"""FTPROP-MB training loop: optimiser, schedule, precision, data order, metrics, diagnostics.

``fit(model, train_set, test_set, config, out_dir=...)`` trains ``model`` (its hard-threshold
activations already carry their backward rule, so training is plain backpropagation with
cross-entropy on the linear output layer) and returns a summary dict. With ``out_dir`` it keeps
a run directory (:mod:`minibatch.rundir`: config, metrics, checkpoint, best weights, result),
and ``fit(..., resume=True)`` continues from its checkpoint.

Everything random in an epoch follows from (seed, rank, epoch): the shuffle comes from a
generator seeded with (seed, epoch), and python, numpy and torch (dropout, augmentation) are
reseeded with (seed, rank, epoch) when the epoch starts. So every rank of a distributed run
draws its own crops, flips and dropout masks, and a resumed run, on any number of ranks, ends
with the same weights and metrics as an uninterrupted one (on CPU; CUDA kernels may differ).
The learning rate is likewise a function of (config, epoch), so a run resumed with more epochs
continues on the schedule of the new length.
"""

from __future__ import annotations

import math
import platform
import random
import sys
import time
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, RandomSampler, Subset

from . import distributed as D
from .distributed import resolve_device
from .config import TrainConfig
from .evaluation import eval_loader, evaluate, score
from .rundir import BEST, CHECKPOINT, CONFIG, FORMAT, RESULT, RunDir, load_checkpoint, read_rows

__all__ = ["fit", "evaluate", "seed_everything", "stream_seed", "resolve_device", "versions", "lr_factor",
           "make_optimizer", "split_validation", "hard_threshold_modules", "load_checkpoint"]


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def stream_seed(seed: int, rank: int, epoch: int) -> int:
    """The seed of rank ``rank``'s random stream in ``epoch``: distinct for every (seed, rank, epoch)."""
    return int(np.random.SeedSequence([seed, rank, epoch]).generate_state(1, np.uint64)[0] % 2**63)


def versions() -> dict[str, str]:
    """Versions a result rests on (minibatch never imports ftprop, so it keeps its own)."""
    from importlib import metadata

    out = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}
    try:
        out["ftprop"] = metadata.version("ftprop")
    except metadata.PackageNotFoundError:
        pass
    if torch.version.cuda:
        out["cuda"] = torch.version.cuda
    return out


def _is_probe(m: nn.Module) -> bool:
    return hasattr(m, "pop_stats") and hasattr(m, "track_stats")


def hard_threshold_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules that report diagnostics (``track_stats`` + ``pop_stats``), named by what they are.

    An activation held by a Sequential index is named after the layer that feeds it, counted
    within its parent: ``conv2.act`` (after the second convolution), ``features.fc1.act``. One
    held by a named attribute keeps that name (``stages.0.act1``).
    """
    out: list[tuple[str, nn.Module]] = []
    if _is_probe(model):
        return [(type(model).__name__, model)]
    for parent_name, parent in model.named_modules():
        prefix = parent_name + "." if parent_name else ""
        counts, feeding = {"conv": 0, "fc": 0}, None
        for child_name, child in parent.named_children():
            kind = ("conv" if isinstance(child, nn.modules.conv._ConvNd)
                    else "fc" if isinstance(child, nn.Linear) else None)
            if kind is not None:
                counts[kind] += 1
                feeding = f"{kind}{counts[kind]}"
            if _is_probe(child):
                label = f"{feeding}.act" if child_name.isdigit() and feeding else child_name
                if any(name == prefix + label for name, _ in out):
                    label = f"{label}.{child_name}"
                out.append((prefix + label, child))
    return out


def lr_factor(config: TrainConfig, epoch: int) -> float:
    """Multiplier of the initial learning rate during ``epoch`` (0-based)."""
    if config.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(epoch, config.epochs) / config.epochs))
    if config.schedule == "step":
        return config.gamma ** sum(epoch >= m for m in config.milestones)
    return 1.0


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)


def split_validation(train_set: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset | None]:
    """Hold out ``fraction`` of ``train_set`` (seeded). Image sets hand out an unaugmented view."""
    if fraction <= 0:
        return train_set, None
    n = len(train_set)
    n_val = max(1, int(round(n * fraction)))
    if n_val >= n:
        raise ValueError(f"val_split {fraction} leaves no training examples out of {n}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    plain = train_set.eval_view() if hasattr(train_set, "eval_view") else train_set
    return Subset(train_set, sorted(perm[n_val:])), Subset(plain, sorted(perm[:n_val]))


def _progress(iterable, *, total: int, desc: str, enabled: bool):
    """A tqdm bar on stderr, only when both stdout and stderr are terminals."""
    quiet = not enabled or not (sys.stdout.isatty() and sys.stderr.isatty())
    if quiet:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)


class _Loop:
    """The pieces of one training run that every epoch uses (built once by :func:`fit`)."""

    def __init__(self, model: nn.Module, train_set: Dataset, test_set: Dataset | None, config: TrainConfig,
                 say: Callable[[str], None]):
        self.config, self.world, self.model = config, D.world(), model
        self.device = resolve_device(config.device, self.world)
        model.to(self.device)
        self.optimizer = make_optimizer(model.parameters(), config)
        cuda = self.device.type == "cuda"
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.amp) if cuda else None
        self.scaler = _grad_scaler() if self.amp_dtype is torch.float16 else None
        if config.amp != "none" and self.amp_dtype is None:
            say(f"note: amp={config.amp} ignored on {self.device.type} (mixed precision runs on CUDA only)")
        train_part, val_set = split_validation(train_set, config.val_split, config.seed)
        self.shuffle = torch.Generator()
        if self.world.distributed:
            from torch.utils.data.distributed import DistributedSampler

            self.sampler = DistributedSampler(train_part, num_replicas=self.world.size, rank=self.world.rank,
                                              shuffle=True, seed=config.seed)
        else:
            self.sampler = RandomSampler(train_part, generator=self.shuffle)
        loader_kw = dict(num_workers=config.num_workers, pin_memory=cuda, persistent_workers=False)
        self.train_loader = DataLoader(train_part, batch_size=config.batch_size, sampler=self.sampler,
                                       generator=self.shuffle, **loader_kw)
        self.eval_loaders = {name: eval_loader(ds, config.eval_batch_size, self.world, loader_kw)
                             for name, ds in (("val", val_set), ("test", test_set)) if ds is not None}
        self.probes = hard_threshold_modules(model)
        self.net = model
        if self.world.distributed:
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(model, device_ids=[self.device.index] if cuda else None)
        if config.compile:
            self.net = torch.compile(self.net)

    def start_epoch(self, epoch: int) -> float:
        """Seed this rank's streams and set the epoch's learning rate (returned)."""
        config, rank = self.config, self.world.rank
        seed_everything(stream_seed(config.seed, rank, epoch))
        if self.world.distributed:  # the sampler shuffles; the generator only seeds loader workers
            self.sampler.set_epoch(epoch)
            self.shuffle.manual_seed(stream_seed(config.seed, rank, epoch))
        else:
            self.shuffle.manual_seed(_epoch_seed(config.seed, epoch))
        lr = config.lr * lr_factor(config, epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        for _, m in self.probes:
            m.track_stats = not config.compile  # compiled graphs would break on, or freeze, the hook
            m.pop_stats()  # start the epoch's counts from zero
        return lr

    def train_epoch(self, desc: str, progress: bool) -> dict:
        net, device, optimizer, scaler = self.net, self.device, self.optimizer, self.scaler
        net.train()
        totals = torch.zeros(3, device=device, dtype=torch.float64)  # loss sum, correct, examples
        for x, y in _progress(self.train_loader, total=len(self.train_loader), desc=desc, enabled=progress):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
                logits = net(x)
                loss = F.cross_entropy(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                totals += torch.stack([loss.detach().double() * len(y), (logits.argmax(1) == y).sum().double(),
                                       torch.tensor(float(len(y)), device=device, dtype=torch.float64)])
        loss_sum, correct, count = D.all_reduce_sum(totals).tolist()
        return {"train_loss": loss_sum / count, "train_acc": correct / count}

    def diagnostics(self) -> dict:
        out = {}
        for name, m in self.probes:
            m.track_stats = False
            # NaN (no backward pass reached the unit) becomes null: JSON has no NaN
            out[name] = {k: (None if v != v else float(v)) for k, v in m.pop_stats().items()}
        return out

    def checkpoint(self, epoch: int, best: dict, elapsed: float) -> dict:
        return {"format": FORMAT, "epoch": epoch, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "config": self.config.to_dict(), "best": best, "elapsed_s": elapsed}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])


def fit(
    model: nn.Module,
    train_set: Dataset,
    test_set: Dataset | None,
    config: TrainConfig,
    *,
    out_dir=None,
    resume: bool = False,
    log: Callable[[str], None] | None = print,
    progress: bool = True,
    on_epoch_end: Callable[[dict], bool | None] | None = None,
) -> dict:
    """Train ``model`` on ``train_set``, evaluating on the validation and test sets every epoch.

    ``log`` receives human-readable lines (rank 0 only; None silences them). ``on_epoch_end``
    sees every epoch's metrics row after the checkpoint is written and stops training early by
    returning True (a budget, early stopping; a test kills a run here). ``best.pt`` keeps the
    weights of the epoch with the best validation accuracy, or without a validation split the
    best test accuracy (the paper's measure), or without either the best training accuracy.
    Returns the summary: final and best accuracies, epochs, seed, device, versions, wall time
    and the configuration.
    """
    start = time.perf_counter()
    is_main = D.world().is_main
    say = log if (log is not None and is_main) else (lambda _line: None)
    run_dir = RunDir(out_dir, is_main)
    loop = _Loop(model, train_set, test_set, config, say)

    first_epoch, best, carried_time = _resume(loop, run_dir, out_dir, say) if resume else (0, _empty_best(), 0.0)
    run_dir.json(CONFIG, config.to_dict())

    row: dict = {}
    for epoch in range(first_epoch, config.epochs):
        t0 = time.perf_counter()
        row = {"epoch": epoch + 1, "lr": loop.start_epoch(epoch)}
        row.update(loop.train_epoch(f"epoch {epoch + 1}/{config.epochs}", progress and is_main))
        diagnostics = loop.diagnostics()
        for name, loader in loop.eval_loaders.items():
            scores = score(loop.net, loader, loop.device, loop.amp_dtype)
            row.update({f"{name}_{k}": v for k, v in scores.items()})
        best, improved = _update_best(best, row)
        row.update({"best_test_acc": best["test_acc"], "epoch_time_s": time.perf_counter() - t0})
        if loop.probes:
            row["diagnostics"] = diagnostics
        run_dir.row(row)
        if improved:
            run_dir.save(BEST, {"format": FORMAT, "epoch": epoch + 1, "model": model.state_dict(),
                                "selected_by": best["selected_by"], "value": row[best["selected_by"]],
                                "config": config.to_dict()})
        run_dir.save(CHECKPOINT, loop.checkpoint(epoch + 1, best, carried_time + time.perf_counter() - start))
        say(_epoch_line(row, config.epochs))
        if on_epoch_end is not None and on_epoch_end(row):
            break

    if not row and resume:  # nothing left to train: report the checkpoint's last epoch
        row = (read_rows(out_dir) or [{}])[-1]
    summary = _summary(row, best, config, loop, time.perf_counter() - start, carried_time)
    run_dir.json(RESULT, summary)
    D.barrier()
    return summary


def _resume(loop: _Loop, run_dir: RunDir, out_dir, say) -> tuple[int, dict, float]:
    """Restore the run from its checkpoint: (epochs done, best so far, seconds already spent)."""
    if out_dir is None:
        raise ValueError("resume needs the run directory (out_dir)")
    state = load_checkpoint(out_dir)
    loop.restore(state)
    run_dir.truncate_rows(state["epoch"])
    say(f"resumed {out_dir} after epoch {state['epoch']}")
    return state["epoch"], state["best"], state.get("elapsed_s", 0.0)


def _summary(row: dict, best: dict, config: TrainConfig, loop: _Loop, wall: float, carried: float) -> dict:
    summary: dict[str, Any] = {
        "train_acc": row.get("train_acc"), "train_loss": row.get("train_loss"),
        "test_acc": row.get("test_acc"), "test_top5": row.get("test_top5"), "val_acc": row.get("val_acc"),
        "best_test_acc": best["test_acc"], "best_epoch": best["epoch"], "best_test_top5": best["test_top5"],
        "best_val_acc": best["val_acc"], "test_acc_at_best_val": best["test_acc_at_best_val"],
        "best_model_epoch": best.get("model_epoch"),
        "epochs": config.epochs, "epochs_run": row.get("epoch", 0), "wall_time_s": wall,
        "total_time_s": carried + wall, "seed": config.seed, "device": _device_name(loop.device),
        "world_size": loop.world.size, "versions": versions(), "config": config.to_dict(),
    }
    return {k: v for k, v in summary.items() if v is not None or k in ("test_acc", "best_test_acc")}


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch) % 2**63


def _empty_best() -> dict:
    return {"test_acc": None, "epoch": None, "test_top5": None, "val_acc": None, "test_acc_at_best_val": None,
            "selected_by": None, "model_epoch": None, "model_value": None}


def _update_best(best: dict, row: dict) -> tuple[dict, bool]:
    """The best metrics after ``row``, and whether ``row``'s weights are the best model so far."""
    best = {**_empty_best(), **best}
    if "test_acc" in row and (best["test_acc"] is None or row["test_acc"] > best["test_acc"]):
        best.update(test_acc=row["test_acc"], epoch=row["epoch"], test_top5=row.get("test_top5"))
    if "val_acc" in row and (best["val_acc"] is None or row["val_acc"] > best["val_acc"]):
        best.update(val_acc=row["val_acc"], test_acc_at_best_val=row.get("test_acc"))
    key = next(k for k in ("val_acc", "test_acc", "train_acc") if k in row)
    improved = best["model_value"] is None or row[key] > best["model_value"]
    if improved:
        best.update(selected_by=key, model_epoch=row["epoch"], model_value=row[key])
    return best, improved


def _epoch_line(row: dict, epochs: int) -> str:
    parts = [f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}", f"loss {row['train_loss']:.4f}",
             f"train {100 * row['train_acc']:.2f}%"]
    if "val_acc" in row:
        parts.append(f"val {100 * row['val_acc']:.2f}%")
    if "test_acc" in row:
        parts.append(f"test {100 * row['test_acc']:.2f}%")
        parts.append(f"best {100 * row['best_test_acc']:.2f}%")
    parts.append(f"lr {row['lr']:.2e}")
    parts.append(f"{row['epoch_time_s']:.1f} s")
    return "  ".join(parts)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    threads = torch.get_num_threads()
    return f"cpu ({threads} thread{'s' if threads > 1 else ''})"


def _grad_scaler():
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda")
    return torch.cuda.amp.GradScaler()  # torch < 2.3
