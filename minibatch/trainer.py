"""FTPROP-MB training loop: optimiser, schedule, checkpoints, metrics and layer diagnostics.

``fit(model, train_set, test_set, config, out_dir=...)`` trains ``model`` (its hard-threshold
activations already carry their backward rule, so training is plain backpropagation with
cross-entropy on the linear output layer) and returns a summary dict. With ``out_dir`` it writes

    config.json       the resolved :class:`TrainConfig`
    metrics.jsonl     one row per epoch: losses, accuracies, learning rate, layer diagnostics
    checkpoint.pt     model, optimiser, scheduler, grad scaler, RNG states, best metrics (atomic)
    result.json       the summary, once training ends

and ``fit(..., resume=True)`` continues from ``checkpoint.pt``. Every epoch's shuffle comes from
a generator seeded with (seed, epoch), and the RNG states are restored on resume, so on CPU a
resumed run ends with the same weights and metrics as an uninterrupted one.
"""

from __future__ import annotations

import math
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, RandomSampler, Subset

from . import distributed as D
from .config import TrainConfig

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"
CONFIG = "config.json"
RESULT = "result.json"
_FORMAT = 1  # bump when the checkpoint layout changes


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str, world: D.World | None = None) -> torch.device:
    world = world or D.world()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} requested but torch sees no CUDA device")
        if device.index is None:
            device = torch.device("cuda", world.local_rank % torch.cuda.device_count())
    return device


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


def hard_threshold_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules that report diagnostics (``track_stats`` + ``pop_stats``), by qualified name."""
    return [(name or type(m).__name__, m) for name, m in model.named_modules()
            if hasattr(m, "pop_stats") and hasattr(m, "track_stats")]


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


class _Writer:
    """Rank 0's files in the run directory (a no-op without a directory or on other ranks)."""

    def __init__(self, out_dir: str | os.PathLike | None, enabled: bool):
        self.dir = Path(out_dir) if (out_dir is not None and enabled) else None
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def json(self, name: str, obj: Any) -> None:
        if self.dir is not None:
            import json

            _atomic(self.dir / name, lambda fh: fh.write((json.dumps(obj, indent=2) + "\n").encode()))

    def row(self, row: dict) -> None:
        if self.dir is not None:
            import json

            with open(self.dir / METRICS, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
                fh.flush()

    def truncate_rows(self, last_epoch: int) -> None:
        """Drop rows written after the checkpoint (a run killed between row and checkpoint)."""
        if self.dir is None or not (self.dir / METRICS).exists():
            return
        import json

        lines = (self.dir / METRICS).read_text(encoding="utf-8").splitlines()
        keep = [ln for ln in lines if ln.strip() and json.loads(ln)["epoch"] <= last_epoch]
        _atomic(self.dir / METRICS, lambda fh: fh.write("".join(ln + "\n" for ln in keep).encode()))

    def checkpoint(self, state: dict) -> None:
        if self.dir is not None:
            _atomic(self.dir / CHECKPOINT, lambda fh: torch.save(state, fh))


def _atomic(path: Path, write: Callable) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint this trainer wrote (it holds RNG states, hence ``weights_only=False``:
    load only your own files)."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.exists():
        raise FileNotFoundError(f"{path}: no checkpoint to resume from")
    return torch.load(path, map_location="cpu", weights_only=False)


def _rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _progress(iterable, *, total: int, desc: str, enabled: bool):
    """A tqdm bar on stderr, only when both stdout and stderr are terminals."""
    quiet = not enabled or not (sys.stdout.isatty() and sys.stderr.isatty())
    if quiet:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)


def fit(
    model: nn.Module,
    train_set: Dataset,
    test_set: Dataset | None,
    config: TrainConfig,
    *,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    log: Callable[[str], None] | None = print,
    progress: bool = True,
    on_epoch_end: Callable[[dict], bool | None] | None = None,
) -> dict:
    """Train ``model`` on ``train_set``, evaluating on the validation and test sets every epoch.

    ``log`` receives human-readable lines (rank 0 only; None silences them). ``on_epoch_end``
    sees every epoch's metrics row after the checkpoint is written and stops training early by
    returning True (a budget, early stopping; a test kills a run here). Returns the summary:
    final and best accuracies, epochs, seed, device, versions, wall time and the configuration.
    """
    start = time.perf_counter()
    world = D.world()
    device = resolve_device(config.device, world)
    say = log if (log is not None and world.is_main) else (lambda _line: None)
    writer = _Writer(out_dir, world.is_main)

    model.to(device)
    raw_model = model
    train_part, val_set = split_validation(train_set, config.val_split, config.seed)
    optimizer = make_optimizer(raw_model.parameters(), config)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: lr_factor(config, e))
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.amp) if device.type == "cuda" else None
    scaler = _grad_scaler() if amp_dtype is torch.float16 else None
    if config.amp != "none" and amp_dtype is None:
        say(f"note: amp={config.amp} ignored on {device.type} (mixed precision runs on CUDA only)")

    first_epoch, best, carried_time = 0, _empty_best(), 0.0
    if resume:
        if out_dir is None:
            raise ValueError("resume needs the run directory (out_dir)")
        state = load_checkpoint(out_dir)
        raw_model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        _set_rng_state(state["rng"])
        first_epoch, best, carried_time = state["epoch"], state["best"], state.get("elapsed_s", 0.0)
        writer.truncate_rows(first_epoch)
        say(f"resumed {out_dir} after epoch {first_epoch}")
    writer.json(CONFIG, config.to_dict())

    net: nn.Module = raw_model
    if world.distributed:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(raw_model, device_ids=[device.index] if device.type == "cuda" else None)
    if config.compile:
        net = torch.compile(net)

    shuffle = torch.Generator()
    if world.distributed:
        from torch.utils.data.distributed import DistributedSampler

        sampler = DistributedSampler(train_part, num_replicas=world.size, rank=world.rank,
                                     shuffle=True, seed=config.seed)
    else:
        sampler = RandomSampler(train_part, generator=shuffle)
    loader_kw = dict(num_workers=config.num_workers, pin_memory=device.type == "cuda",
                     persistent_workers=False)
    train_loader = DataLoader(train_part, batch_size=config.batch_size, sampler=sampler,
                              generator=shuffle, **loader_kw)
    eval_loaders = {name: _eval_loader(ds, config, world, loader_kw)
                    for name, ds in (("val", val_set), ("test", test_set)) if ds is not None}
    probes = hard_threshold_modules(raw_model)

    row: dict = {}
    for epoch in range(first_epoch, config.epochs):
        t0 = time.perf_counter()
        shuffle.manual_seed(_epoch_seed(config.seed, epoch))
        if world.distributed:
            sampler.set_epoch(epoch)
        lr = optimizer.param_groups[0]["lr"]
        for _, m in probes:
            m.track_stats = _diagnostics_on(config)
            m.pop_stats()  # start the epoch's counts from zero
        net.train()
        totals = torch.zeros(3, device=device, dtype=torch.float64)  # loss sum, correct, examples
        bar = _progress(train_loader, total=len(train_loader), desc=f"epoch {epoch + 1}/{config.epochs}",
                        enabled=progress and world.is_main)
        for x, y in bar:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
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
                totals += torch.stack([loss.detach().double() * len(y),
                                       (logits.argmax(1) == y).sum().double(),
                                       torch.tensor(float(len(y)), device=device, dtype=torch.float64)])
        scheduler.step()
        diagnostics = {}
        for name, m in probes:
            m.track_stats = False
            # NaN (no backward pass reached the unit) becomes null: JSON has no NaN
            diagnostics[name] = {k: (None if v != v else float(v)) for k, v in m.pop_stats().items()}
        loss_sum, correct, count = D.all_reduce_sum(totals).tolist()
        row = {"epoch": epoch + 1, "lr": lr, "train_loss": loss_sum / count, "train_acc": correct / count}
        for name, loader in eval_loaders.items():
            row.update({f"{name}_{k}": v for k, v in _evaluate(net, loader, device, amp_dtype).items()})
        best = _update_best(best, row)
        row.update({"best_test_acc": best["test_acc"], "epoch_time_s": time.perf_counter() - t0})
        if probes:
            row["diagnostics"] = diagnostics
        writer.row(row)
        elapsed = carried_time + time.perf_counter() - start
        writer.checkpoint({
            "format": _FORMAT, "epoch": epoch + 1, "model": raw_model.state_dict(),
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None, "rng": _rng_state(),
            "config": config.to_dict(), "best": best, "elapsed_s": elapsed,
        })
        say(_epoch_line(row, config.epochs))
        if on_epoch_end is not None and on_epoch_end(row):
            break

    if not row and resume:  # nothing left to train: report the checkpoint's last epoch
        row = _last_row(out_dir)
    wall = time.perf_counter() - start
    summary = {
        "train_acc": row.get("train_acc"), "train_loss": row.get("train_loss"),
        "test_acc": row.get("test_acc"), "test_top5": row.get("test_top5"),
        "val_acc": row.get("val_acc"),
        "best_test_acc": best["test_acc"], "best_epoch": best["epoch"], "best_test_top5": best["test_top5"],
        "best_val_acc": best["val_acc"], "test_acc_at_best_val": best["test_acc_at_best_val"],
        "epochs": config.epochs, "epochs_run": row.get("epoch", 0), "wall_time_s": wall, "total_time_s": carried_time + wall,
        "seed": config.seed, "device": _device_name(device), "world_size": world.size,
        "versions": versions(), "config": config.to_dict(),
    }
    summary = {k: v for k, v in summary.items() if v is not None or k in ("test_acc", "best_test_acc")}
    writer.json(RESULT, summary)
    D.barrier()
    return summary


def _diagnostics_on(config: TrainConfig) -> bool:
    # Stats accumulate in the activations' backward; torch.compile would either break the graph
    # or freeze the flag, so compiled runs go without them.
    return not config.compile


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch) % 2**63


def _eval_loader(ds: Dataset, config: TrainConfig, world: D.World, loader_kw: dict) -> DataLoader:
    if world.distributed:  # each rank scores a disjoint slice; the counts are summed
        ds = Subset(ds, list(range(world.rank, len(ds), world.size)))
    return DataLoader(ds, batch_size=config.eval_batch_size, shuffle=False, **loader_kw)


@torch.no_grad()
def _evaluate(net: nn.Module, loader: DataLoader, device: torch.device, amp_dtype) -> dict:
    net.eval()
    totals = torch.zeros(4, device=device, dtype=torch.float64)  # loss sum, top-1, top-5, examples
    classes = 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            logits = net(x).float()
        classes = logits.shape[1]
        top = logits.topk(min(5, classes), dim=1).indices
        totals += torch.stack([F.cross_entropy(logits, y, reduction="sum").double(),
                               (top[:, 0] == y).sum().double(), (top == y[:, None]).any(1).sum().double(),
                               torch.tensor(float(len(y)), device=device, dtype=torch.float64)])
    loss, top1, top5, count = D.all_reduce_sum(totals).tolist()
    out = {"loss": loss / max(count, 1), "acc": top1 / max(count, 1)}
    if classes >= 10:
        out["top5"] = top5 / max(count, 1)
    return out


def _empty_best() -> dict:
    return {"test_acc": None, "epoch": None, "test_top5": None, "val_acc": None, "test_acc_at_best_val": None}


def _update_best(best: dict, row: dict) -> dict:
    best = dict(best)
    if "test_acc" in row and (best["test_acc"] is None or row["test_acc"] > best["test_acc"]):
        best.update(test_acc=row["test_acc"], epoch=row["epoch"], test_top5=row.get("test_top5"))
    if "val_acc" in row and (best["val_acc"] is None or row["val_acc"] > best["val_acc"]):
        best.update(val_acc=row["val_acc"], test_acc_at_best_val=row.get("test_acc"))
    return best


def _last_row(out_dir) -> dict:
    import json

    path = Path(out_dir) / METRICS
    rows = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []
    return rows[-1] if rows else {}


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
