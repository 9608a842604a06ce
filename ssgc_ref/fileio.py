"""File helpers shared by the CLI and the codec: bounded reads and atomic writes."""

from __future__ import annotations

import os
import sys
import tempfile

from ssgc_format.container import MAX_FILE_SIZE
from ssgc_format.errors import InputError, LimitError


def read_bounded(path: str, limit: int = MAX_FILE_SIZE) -> bytes:
    """Read a whole file ('-' = standard input), refusing more than ``limit`` bytes before reading."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        size = os.stat(path).st_size
        if size > limit:
            raise LimitError(f"{path}: {size} bytes exceeds the {limit}-byte limit")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    if len(data) > limit:
        raise LimitError(f"{path}: more than {limit} bytes")
    return data


def write_atomic(path: str, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename, so a
    reader never sees a half-written file. '-' writes to standard output. An existing file is
    kept unless ``force``."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if os.path.exists(path) and not force:
        raise InputError(f"{path} exists (use --force to overwrite)")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ssgc-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
