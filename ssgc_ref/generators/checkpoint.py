"""Read a training checkpoint's tensors without running its code and within bounded memory.

    model.ckpt (torch.save zip: data.pkl + data/<n> storages)   or   *.safetensors

Checks, in this order, each failing with one ModelError line naming the file:
  1. a regular file (a device such as /dev/zero, or a FIFO, would never end);
  2. a zip archive whose every entry is stored uncompressed inside the file: torch.save writes
     no compressed entries, so a deflated one (a zip bomb: 1.4 MB declaring gigabytes) is
     refused before torch.load decompresses anything; data.pkl is at most MAX_PICKLE bytes;
  3. ``torch.load(weights_only=True, mmap=True)``: the pickle may build only tensors and plain
     containers; every other global (a Lightning callback, numpy scalars) is mapped to an inert
     stub, so nothing from the file is imported or executed; storages stay memory-mapped;
  4. the state dict maps strings to dense, strided, real tensors with data: meta, sparse, nested,
     quantized and complex tensors are refused by name.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import torch

from ssgc_format.errors import ModelError
from ssgc_ref.generators.safetensors_io import check_header, regular_file_size

__all__ = ["load_checkpoint", "check_zip", "tensor_problem", "MAX_PICKLE", "MAX_ENTRIES"]

MAX_PICKLE = 256 * 2**20  # a Lightning checkpoint's pickle is a few MB (names, hyper-parameters)
MAX_ENTRIES = 1_000_000


def _stub_class(name: str) -> type:
    """An inert stand-in for a pickled global: accepts any construction and state, keeps nothing."""

    def __init__(self, *args, **kwargs):  # noqa: N807
        pass

    def __setstate__(self, state):  # noqa: N807
        pass

    def __call__(self, *args, **kwargs):  # noqa: N807
        return self

    module, _, qual = name.rpartition(".")
    return type(qual or name, (), {"__init__": __init__, "__setstate__": __setstate__, "__call__": __call__,
                                   "__module__": module, "_ssgc_stub_for": name})


def check_zip(path: Path, size: int) -> None:
    """ModelError unless ``path`` is a zip whose entries are stored, within the file, and bounded."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ModelError(f"{path}: not a PyTorch checkpoint (torch.save writes a zip archive; this is not "
                         f"one, or an old pre-1.6 format: re-save it with a current torch)") from None
    if len(infos) > MAX_ENTRIES:
        raise ModelError(f"{path}: {len(infos)} zip entries (at most {MAX_ENTRIES})")
    if not any(i.filename.endswith("/data.pkl") or i.filename == "data.pkl" for i in infos):
        raise ModelError(f"{path}: a zip archive without data.pkl: not a PyTorch checkpoint")
    for i in infos:
        name = i.filename[:80]
        if i.compress_type != zipfile.ZIP_STORED:
            raise ModelError(f"{path}: zip entry {name!r} is compressed (method {i.compress_type}, "
                             f"{i.file_size} bytes declared); torch.save stores entries uncompressed, "
                             f"refusing to inflate it")
        if i.file_size != i.compress_size or i.header_offset + i.file_size > size:
            raise ModelError(f"{path}: zip entry {name!r} declares {i.file_size} bytes beyond the "
                             f"{size}-byte file: truncated or forged")
        if i.filename.endswith("data.pkl") and i.file_size > MAX_PICKLE:
            raise ModelError(f"{path}: {name!r} is {i.file_size} bytes (at most {MAX_PICKLE})")


def tensor_problem(t: torch.Tensor) -> str | None:
    """Why ``t`` cannot be a weight, or None: it must be dense, strided, real and hold data."""
    if t.is_nested:
        return "a nested tensor"
    if t.layout != torch.strided:
        return f"a sparse tensor ({str(t.layout).replace('torch.', '')})"
    if t.is_quantized:
        return "a quantized tensor"
    if t.is_meta or t.device.type == "meta":
        return "a meta tensor (it holds no data)"
    if t.is_complex():
        return f"a complex tensor ({str(t.dtype).replace('torch.', '')})"
    return None


def load_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensor state dict of a checkpoint (.ckpt/.pt zip, or .safetensors), loaded safely."""
    path = Path(path)
    size = regular_file_size(path, "checkpoint file")
    if path.suffix == ".safetensors":
        check_header(path, float_only=False, what="checkpoint file")
        from safetensors.torch import load_file
        try:
            return load_file(str(path))
        except Exception as e:  # safetensors raises its own error types
            raise ModelError(f"{path}: unreadable safetensors file ({(str(e).splitlines() or [''])[0]})") from None
    check_zip(path, size)
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
        stubs = [(_stub_class(n), n) for n in unsafe if not n.startswith("torch.")]
        with torch.serialization.safe_globals(stubs):
            obj = torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except Exception as e:  # zipfile/pickle/torch errors: all mean "not a usable checkpoint"
        first = (str(e).splitlines() or [""])[0][:200]
        raise ModelError(f"{path}: cannot be read safely as a PyTorch checkpoint "
                         f"({type(e).__name__}{': ' + first if first else ''})") from None
    sd = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(sd, dict):
        raise ModelError(f"{path}: no state_dict in the checkpoint")
    bad = [repr(k)[:60] for k, v in sd.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise ModelError(f"{path}: state_dict entries that are not tensors: {', '.join(bad[:5])}")
    for k, v in sd.items():
        why = tensor_problem(v)
        if why:
            raise ModelError(f"{path}: state_dict entry {k[:80]!r} is {why}; weights are dense real tensors")
    return sd
