"""SSGC reference codec (informative encoder, normative decoder), VVC ROI encoder, generators, CLI.

The API is three functions (see :mod:`ssgc_ref.api`)::

    import ssgc_ref
    data = ssgc_ref.encode("photo.jpg", roi="faces")   # bytes of an .ssgc file
    picture = ssgc_ref.decode(data).image             # uint8 (H, W, 3)
    ssgc_ref.info(data)["total_bytes"]

They are imported on first use, so ``import ssgc_ref`` (and the CLI's start) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "decode", "encode", "encode_result", "info"]

if TYPE_CHECKING:
    from ssgc_ref.api import decode, encode, encode_result, info


def __getattr__(name: str) -> Any:
    if name in ("decode", "encode", "encode_result", "info"):
        from ssgc_ref import api

        return getattr(api, name)
    raise AttributeError(f"module 'ssgc_ref' has no attribute {name!r}")
