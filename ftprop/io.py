"""Small I/O helpers shared by commands and benchmarks: atomic writes and run metadata."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see either the old file or the whole new one
    (:func:`combinatorial.files.write_bytes`: links followed, FIFOs and devices written into)."""
    from combinatorial.files import write_bytes

    write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def append_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Append rows to a JSONL file, one flushed line each (a killed run keeps finished rows)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, default=_json_default) + "\n")
            fh.flush()


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _json_default(obj: Any):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def versions() -> dict[str, str]:
    """Versions of the libraries a result rests on: the exact engine's, and torch when installed."""
    from combinatorial.solution import ENGINE_DISTRIBUTIONS
    from combinatorial.solution import versions as installed

    return installed((*ENGINE_DISTRIBUTIONS, "torch"))


def command_line() -> str:
    return " ".join(sys.argv)
