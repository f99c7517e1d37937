"""The run directory of the mini-batch trainer: what a run leaves on disk, written atomically.

    config.json       the resolved :class:`~minibatch.config.TrainConfig`
    metrics.jsonl     one row per epoch: losses, accuracies, learning rate, layer diagnostics
    checkpoint.pt     model, optimiser, grad scaler, epoch, best metrics, elapsed time
    best.pt           the weights of the best epoch so far (see :func:`minibatch.trainer.fit`)
    result.json       the summary, once training ends

Only rank 0 writes (a :class:`RunDir` of another rank, or without a path, does nothing). Every
file but the append-only metrics is replaced atomically (temporary file, fsync, rename), so a run
killed at any moment leaves the previous complete version.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import torch

CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"
METRICS = "metrics.jsonl"
CONFIG = "config.json"
RESULT = "result.json"
FORMAT = 2  # checkpoint layout; 2 dropped the scheduler and RNG states (both follow from the epoch)


def atomic_write(path: Path, write: Callable) -> None:
    """Write ``path`` through ``write(binary file handle)`` so that it is never seen half-written."""
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


class RunDir:
    """Rank 0's files in the run directory (a no-op without a directory or on other ranks)."""

    def __init__(self, path: str | os.PathLike | None, enabled: bool = True):
        self.dir = Path(path) if (path is not None and enabled) else None
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def json(self, name: str, obj: Any) -> None:
        if self.dir is not None:
            atomic_write(self.dir / name, lambda fh: fh.write((json.dumps(obj, indent=2) + "\n").encode()))

    def row(self, row: dict) -> None:
        if self.dir is not None:
            with open(self.dir / METRICS, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
                fh.flush()

    def truncate_rows(self, last_epoch: int) -> None:
        """Drop rows written after the checkpoint (a run killed between row and checkpoint)."""
        if self.dir is None or not (self.dir / METRICS).exists():
            return
        lines = (self.dir / METRICS).read_text(encoding="utf-8").splitlines()
        keep = [ln for ln in lines if ln.strip() and json.loads(ln)["epoch"] <= last_epoch]
        atomic_write(self.dir / METRICS, lambda fh: fh.write("".join(ln + "\n" for ln in keep).encode()))

    def save(self, name: str, state: dict) -> None:
        """``torch.save`` ``state`` as ``name`` (checkpoint.pt, best.pt)."""
        if self.dir is not None:
            atomic_write(self.dir / name, lambda fh: torch.save(state, fh))


def read_rows(run_dir: str | os.PathLike) -> list[dict]:
    """The metrics rows of a run directory (empty when it has none)."""
    path = Path(run_dir) / METRICS
    if not path.exists():
        return []
    return [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def load_checkpoint(path: str | os.PathLike, name: str = CHECKPOINT) -> dict:
    """Read a checkpoint (or best.pt, with ``name``) that this trainer wrote.

    Older checkpoints hold RNG states, hence ``weights_only=False``: load only your own files.
    """
    path = Path(path)
    if path.is_dir():
        path = path / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    return torch.load(path, map_location="cpu", weights_only=False)
