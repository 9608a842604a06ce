"""safetensors files: a bounded header check before reading, and a byte-reproducible writer.

The format (huggingface/safetensors, docs "Format"): an 8-byte little-endian header length N, N
bytes of UTF-8 JSON ``{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}}``, then the tensor bytes, offsets counted from the end of the header.

``check_header`` validates all of it against the file's size (and, when given, the tensor names
and shapes a model needs) before a byte of tensor data is read, so a damaged, truncated or sparse
file, or one that claims a huge tensor, is a one-line ModelError and not a MemoryError.

``write_file`` writes the tensors in name order with a sorted JSON header (the library's own
writer orders ``__metadata__`` by hash, so two conversions of one checkpoint differed).
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Mapping

import torch

from ssgc_format.errors import ModelError

__all__ = ["check_header", "write_file", "regular_file_size", "MAX_HEADER", "DTYPE_SIZES"]

#: The library refuses longer headers too; ours are a few hundred KiB at most.
MAX_HEADER = 100 * 2**20
DTYPE_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2,
               "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")
_TORCH_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
                torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                torch.uint8: "U8", torch.bool: "BOOL"}


def regular_file_size(path: Path, what: str = "file") -> int:
    """The size of ``path`` if it is a regular file (after symlinks); ModelError otherwise.

    Devices (/dev/zero) and FIFOs never end or block a reader: they are refused before opening.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such {what}") from None
    except OSError as e:
        raise ModelError(f"{path}: cannot be read ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise ModelError(f"{path}: is {kind}, not a regular {what}")
    return st.st_size


def _shape_ok(shape: object) -> bool:
    return (isinstance(shape, list) and len(shape) <= 8
            and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**40 for d in shape))


def check_header(path: Path, expected: Mapping[str, tuple[int, ...]] | None = None, *,
                 float_only: bool = True, what: str = "weights file") -> dict[str, dict]:
    """The tensor entries of a safetensors file, checked against the file size; ModelError if bad.

    ``expected`` (name -> shape): the file must hold exactly these tensors with these shapes.
    ``float_only``: only floating-point tensors are accepted (model weights).
    """
    path = Path(path)
    size = regular_file_size(path, what)
    if size < 8:
        raise ModelError(f"{path}: {size} bytes is too short for a safetensors file (8-byte header length)")
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if n < 2 or n > size - 8 or n > MAX_HEADER:
            raise ModelError(f"{path}: not a safetensors file (header length {n} does not fit the "
                             f"{size}-byte file or exceeds {MAX_HEADER})")
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelError(f"{path}: not a safetensors file (its header is not valid JSON)") from None
    if not isinstance(header, dict):
        raise ModelError(f"{path}: not a safetensors file (its header is a JSON {type(header).__name__}, "
                         f"not an object)")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise ModelError(f"{path}: safetensors __metadata__ must map strings to strings")
    data_len = size - 8 - n
    for name, e in header.items():
        if not (isinstance(e, dict) and isinstance(e.get("dtype"), str) and _shape_ok(e.get("shape"))
                and isinstance(e.get("data_offsets"), list) and len(e["data_offsets"]) == 2
                and all(isinstance(o, int) and not isinstance(o, bool) for o in e["data_offsets"])):
            raise ModelError(f"{path}: tensor {name[:80]!r} has a malformed header entry")
        dt = e["dtype"]
        if dt not in DTYPE_SIZES:
            raise ModelError(f"{path}: tensor {name[:80]!r} has unknown dtype {dt[:20]!r}")
        if float_only and dt not in FLOAT_DTYPES:
            raise ModelError(f"{path}: tensor {name[:80]!r} is {dt}, model weights are floating point")
        begin, end = e["data_offsets"]
        need = math.prod(e["shape"]) * DTYPE_SIZES[dt]
        if not 0 <= begin <= end <= data_len or end - begin != need:
            raise ModelError(f"{path}: tensor {name[:80]!r} ({dt} {e['shape']}, {need} bytes) claims bytes "
                             f"{begin}..{end} of a {data_len}-byte data section: truncated or damaged")
    if expected is not None:
        missing = [k for k in expected if k not in header]
        extra = sorted(k for k in header if k not in expected)
        wrong = [f"{k} {tuple(header[k]['shape'])} (expected {tuple(expected[k])})" for k in expected
                 if k in header and tuple(header[k]["shape"]) != tuple(expected[k])]
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing tensors, e.g. {missing[:3]}")
        if extra:
            problems.append(f"{len(extra)} unexpected tensors, e.g. {[k[:80] for k in extra[:3]]}")
        if wrong:
            problems.append(f"{len(wrong)} tensors of the wrong shape, e.g. {wrong[:3]}")
        if problems:
            raise ModelError(f"{path}: " + "; ".join(problems))
    return header


def write_file(path: Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> None:
    """Write ``tensors`` as safetensors, byte for byte the same for the same input.

    Tensors go in ascending name order, the header is JSON with sorted keys and no spaces, padded
    with spaces to a multiple of 8 bytes (as the format recommends, for aligned reads).
    """
    entries: dict[str, dict] = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        if t.dtype not in _TORCH_NAMES:
            raise ModelError(f"cannot write tensor {name!r} of dtype {t.dtype}")
        data = t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        entries[name] = {"dtype": _TORCH_NAMES[t.dtype], "shape": list(t.shape),
                         "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        entries["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    head = json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(len(head).to_bytes(8, "little"))
        f.write(head)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
