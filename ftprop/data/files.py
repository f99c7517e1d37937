"""Data files: CSV (numbers only, the label last) and NPZ (real arrays X, y)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from ftprop.errors import InputError

from .registry import Dataset


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
