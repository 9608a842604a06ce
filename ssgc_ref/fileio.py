"""File helpers shared by the CLI, the API and the codec: bounded reads and the one atomic write.

Writing rules (every file SSGC writes goes through :func:`write_atomic`):

* the data goes to a temporary file in the target's folder, then takes the final name, so a reader
  never sees a half-written file and a failure leaves nothing behind;
* without ``force`` the final name is created without clobbering (``os.link`` of the temporary
  file, which fails if the name exists): of two concurrent writers the second fails;
* with ``force`` an existing regular file is replaced atomically and keeps its permission bits;
* a new file gets the usual mode ``0o666 & ~umask``;
* a symbolic link at the output path is refused, with or without ``force`` (neither replaced by a
  regular file nor written through): name the target instead;
* errors name the user's path, never the temporary file.

:func:`check_output` applies the same rules before any work, so a command fails in milliseconds
instead of after minutes of encoding.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from typing import BinaryIO

from ssgc_format.container import MAX_FILE_SIZE, SIGNATURE
from ssgc_format.errors import FormatError, InputError, LimitError

__all__ = ["check_output", "read_bounded", "read_ssgc_bytes", "write_atomic", "TEMP_PREFIX"]

TEMP_PREFIX = ".ssgc-"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_output(path: str, *, force: bool = False, what: str = "output") -> None:
    """Fail now (InputError, or OSError naming ``path``) if :func:`write_atomic` would fail later
    for reasons known before the work: the file exists without ``force``, is a symbolic link or a
    folder, or its folder is missing or not writable. '-' (standard output) always passes."""
    if path == "-":
        return
    if os.path.islink(path):
        raise InputError(f"{what} {path} is a symbolic link: not replaced and not written through "
                         "(give the path of its target)")
    if os.path.isdir(path):
        raise InputError(f"{what} {path} is a folder")
    if os.path.lexists(path) and not force:
        raise InputError(f"{what} {path} exists (use --force to overwrite)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OSError(errno.ENOENT, f"no folder {os.path.dirname(path) or '.'!r} to write into", path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(errno.EACCES, "folder not writable", path)


def write_atomic(path: str, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` by the rules of the module docstring; '-' writes to standard
    output. Raises InputError (exists, link, folder) or OSError with ``filename == path``."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    check_output(path, force=force)
    folder = os.path.dirname(os.path.abspath(path))
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as f:
            mode = 0o666 & ~_umask()
            if force:
                try:
                    st = os.stat(path, follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode):
                        mode = stat.S_IMODE(st.st_mode)
                except FileNotFoundError:
                    pass
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if force:
            if os.path.islink(path):  # appeared since check_output
                raise InputError(f"output {path} is a symbolic link: not replaced")
            os.replace(tmp, path)
            tmp = None
        else:
            try:
                os.link(tmp, path)  # fails with EEXIST instead of clobbering
            except FileExistsError:
                raise InputError(f"output {path} exists (use --force to overwrite)") from None
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                    raise
                _write_exclusive(path, data, mode)  # a file system without hard links
            os.unlink(tmp)
            tmp = None
    except OSError as e:
        if e.filename == path:
            raise
        raise OSError(e.errno, e.strerror or str(e), path) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _write_exclusive(path: str, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise InputError(f"output {path} exists (use --force to overwrite)") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        os.unlink(path)
        raise


def _read_limited(f: BinaryIO, name: str, limit: int, already: bytes = b"") -> bytes:
    data = already + f.read(limit + 1 - len(already))
    if len(data) > limit:
        raise LimitError(f"{name}: more than {limit} bytes")
    return data


def read_bounded(path: str, limit: int = MAX_FILE_SIZE, *, signature: bytes | None = None) -> bytes:
    """Read a whole file ('-' = standard input), never more than ``limit`` bytes.

    A regular file's size is checked before reading; anything else that is not standard input (a
    folder, a device, a FIFO) is refused. With ``signature``, the first bytes are checked before
    the rest is read (FormatError), so a wrong file costs a few bytes, not a gigabyte."""
    name = "standard input" if path == "-" else path
    if path == "-":
        f: BinaryIO = sys.stdin.buffer
        head = f.read(len(signature)) if signature else b""
        _check_signature(head, signature, name)
        return _read_limited(f, name, limit, head)
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: not a regular file")
        head = fh.read(len(signature)) if signature else b""
        _check_signature(head, signature, name)
        if st.st_size > limit:
            raise LimitError(f"{path}: {st.st_size} bytes exceeds the {limit}-byte limit")
        return _read_limited(fh, name, limit, head)


def _check_signature(head: bytes, signature: bytes | None, name: str) -> None:
    if signature and head != signature:
        raise FormatError(f"{name}: not an SSGC file (the first {len(signature)} bytes are not the signature)")


def read_ssgc_bytes(path: str) -> bytes:
    """An .ssgc file's bytes: signature checked first, at most the spec's file size limit."""
    return read_bounded(path, MAX_FILE_SIZE, signature=SIGNATURE)
