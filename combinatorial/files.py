"""Writing result files: readers see the old file or the whole new one, and nothing that is not
a regular file is ever replaced.

:func:`write_bytes` is the one writer of the project's outputs (proof files here, ``--save`` and
benchmark results through :mod:`ftprop.io`). A new path or a regular file is written to a
temporary file beside it, flushed to disk and renamed over it (atomic on POSIX). A symbolic link
is followed: its target is replaced and the link stays. A FIFO, a device (``/dev/null``) or a
socket is written directly, since renaming over it would swap it for a plain file (as root,
``--save /dev/null`` would replace /dev/null). A directory is an :class:`IsADirectoryError`.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile


def check_target(path) -> None:
    """Raise the OSError that writing ``path`` would meet first: a directory, a missing folder."""
    real = os.path.realpath(os.fspath(path))
    if os.path.isdir(real):
        raise IsADirectoryError(errno.EISDIR, "is a directory", os.fspath(path))
    folder = os.path.dirname(real)
    parent = folder
    while not os.path.exists(parent):  # folders are made on writing; the first existing one decides
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", parent)


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` (see the module docstring)."""
    check_target(path)
    real = os.path.realpath(os.fspath(path))
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(real, "wb") as fh:  # a FIFO or a device: write into it, never replace it
            fh.write(data)
        return
    folder = os.path.dirname(real)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
