"""PyAV/FFmpeg ``vvc`` decoder used as the bit-exactness oracle of the VVC ROI encoder.

Not normative: it decodes an Annex-B H.266 stream with FFmpeg's native decoder (bundled with PyAV)
so that tests can compare the decoded planes with the encoder's own reconstruction.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np
from typing import TYPE_CHECKING

from ssgc_format.errors import FormatError

if TYPE_CHECKING:
    import av

_avutil = None


def _libavutil():
    global _avutil
    if _avutil is None:
        import av

        base = os.path.dirname(os.path.dirname(av.__file__))
        cands = glob.glob(os.path.join(base, "av.libs", "libavutil*.so*"))
        cands += glob.glob(os.path.join(os.path.dirname(av.__file__), ".libs", "libavutil*.so*"))
        if not cands:
            raise RuntimeError("libavutil bundled with PyAV not found")
        _avutil = ctypes.CDLL(cands[0])
    return _avutil


def set_simd(enabled: bool) -> None:
    """Enable (default CPU detection) or disable (C code paths only) FFmpeg's SIMD for this process."""
    lib = _libavutil()
    lib.av_force_cpu_flags(ctypes.c_int(-1 if enabled else 0))


def decode_annexb(data: bytes, *, simd: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode a one-picture Annex-B VVC stream; returns (Y, Cb, Cr) as uint8 (8-bit) or uint16 (10-bit).

    ``simd`` = False decodes on FFmpeg's C code paths, True with its SIMD (the default CPU
    detection, restored afterwards either way); None leaves the process setting as it is.
    Raises FormatError when FFmpeg rejects the stream or yields no picture.
    """
    if simd is not None:
        set_simd(simd)
        try:
            return decode_annexb(data)
        finally:
            set_simd(True)
    import av

    try:
        ctx = av.CodecContext.create("vvc", "r")
        # FFmpeg 8.0's threaded vvc decoder was seen to decode small pictures non-deterministically
        # here; the oracle decodes single-threaded.
        ctx.thread_count = 1
        frames = []
        for pkt in ctx.parse(bytes(data)) + ctx.parse(None):
            frames.extend(ctx.decode(pkt))
        frames.extend(ctx.decode(None))
    except av.FFmpegError as exc:  # any libav error means the stream is not decodable
        raise FormatError(f"VVC stream rejected by FFmpeg: {exc}") from exc
    if not frames:
        raise FormatError("VVC stream decoded to no picture")
    return frame_planes(frames[0])


def frame_planes(fr: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y, Cb, Cr) of a decoded 4:2:0 frame, cropped to the picture, as uint8 (8-bit) or uint16 (10-bit)."""
    fmt = fr.format.name
    if fmt == "yuv420p":
        dt = np.uint8
    elif fmt == "yuv420p10le":
        dt = np.uint16
    else:
        raise FormatError(f"unexpected decoded pixel format {fmt}")
    planes = []
    for i, p in enumerate(fr.planes):
        w = fr.width if i == 0 else (fr.width + 1) // 2
        h = fr.height if i == 0 else (fr.height + 1) // 2
        a = np.frombuffer(bytes(p), dtype=dt).reshape(-1, p.line_size // np.dtype(dt).itemsize)
        planes.append(a[:h, :w].copy())
    return planes[0], planes[1], planes[2]
