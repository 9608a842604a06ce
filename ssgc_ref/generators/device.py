"""Check a torch device name before anything is loaded onto it.

``torch.device("bogus")`` raises a RuntimeError, ``cuda`` on a CPU-only build an AssertionError
deep inside the first ``.to()``, and ``meta`` loads "weights" that hold no data. A decoder asked
for such a device should say so in one line before it spends time reading a model.
"""

from __future__ import annotations

import re

from ssgc_format.errors import InputError

__all__ = ["check_device", "DEVICE_KINDS"]

DEVICE_KINDS = ("cpu", "cuda", "mps", "xpu")
_DEVICE_RE = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<index>\d{1,4}))?$")


def check_device(name: object) -> str:
    """``name`` if this machine can run the generator on it, else InputError (a bad option).

    Accepts ``cpu``, ``cuda``, ``cuda:N``, ``mps`` and ``xpu[:N]``. torch is imported only for
    the accelerators, so checking the default ``cpu`` costs nothing.
    """
    if not isinstance(name, str):
        raise InputError(f"device must be a string such as 'cpu' or 'cuda:0', got {type(name).__name__}")
    m = _DEVICE_RE.match(name)
    kind = m["kind"] if m else None
    if kind == "meta":
        raise InputError(f"device {name!r}: the meta device holds no data, a generator cannot run on it "
                         f"(use cpu or cuda)")
    if kind not in DEVICE_KINDS:
        shown = name if len(name) <= 40 and name.isprintable() else repr(name[:40]) + "..."
        raise InputError(f"device {shown!r} is not a device name (use cpu, cuda, cuda:N or mps)")
    index = int(m["index"]) if m["index"] is not None else None
    if kind == "cpu":
        if index not in (None, 0):
            raise InputError(f"device {name!r}: there is one CPU device (cpu)")
        return name
    import torch

    if kind == "cuda":
        if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
            raise InputError(f"device {name!r}: this torch ({torch.__version__}) is built without CUDA; "
                             f"use --device cpu or install a CUDA build of torch")
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise InputError(f"device {name!r}: no CUDA device is usable on this machine (driver or "
                             f"CUDA_VISIBLE_DEVICES); use --device cpu")
        if index is not None and index >= count:
            raise InputError(f"device {name!r}: this machine has {count} CUDA device(s), "
                             f"cuda:0..cuda:{count - 1}")
        return name
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available() or index not in (None, 0):
            raise InputError(f"device {name!r}: no Apple MPS device is usable here; use --device cpu")
        return name
    xpu = getattr(torch, "xpu", None)
    count = xpu.device_count() if xpu is not None and xpu.is_available() else 0
    if count == 0 or (index is not None and index >= count):
        raise InputError(f"device {name!r}: no such Intel XPU device here ({count} available); use --device cpu")
    return name
