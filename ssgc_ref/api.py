"""The Python API of the reference codec: three functions, for people who do not want the CLI.

    import ssgc_ref

    data = ssgc_ref.encode("photo.jpg", roi="faces", qp=37)       # -> bytes of an .ssgc file
    res = ssgc_ref.decode(data)                                   # -> DecodeResult (res.image: uint8 H x W x 3)
    meta = ssgc_ref.info(data)                                    # -> dict, what `ssgc-ref info --json` prints

``encode`` takes a path, a file's bytes, a binary file object, a PIL image or a numpy array
(uint8 gray (H, W), RGB (H, W, 3) or RGBA (H, W, 4)); paths and files go through the same reading
rules as the CLI (ICC profile to sRGB, EXIF orientation, alpha over white). ``decode`` and ``info``
take a path or the bytes of an .ssgc file. Every bad input raises an
:class:`ssgc_format.errors.SSGCError` subclass; a missing or unreadable path raises ``OSError``.
Nothing here imports torch unless a diffusion generator is asked for (``decode(...,
generator="auto"|"ldm")`` on a file whose model is at hand).
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any, BinaryIO, Union

import numpy as np

from ssgc_format.errors import InputError

if TYPE_CHECKING:
    from PIL import Image

    from ssgc_ref.decoder import DecodeResult
    from ssgc_ref.encoder import EncodeResult, EncoderConfig

__all__ = ["ImageInput", "SSGCInput", "decode", "encode", "encode_result", "info", "to_rgb"]

#: What :func:`encode` accepts as the image.
ImageInput = Union[str, "os.PathLike[str]", bytes, BinaryIO, "Image.Image", np.ndarray]
#: What :func:`decode` and :func:`info` accept: a path or the file's bytes.
SSGCInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


def to_rgb(image: ImageInput) -> tuple[np.ndarray, list[str]]:
    """``image`` as a C-contiguous uint8 (H, W, 3) sRGB array, and what was assumed about it."""
    from PIL import Image

    from ssgc_ref.analysis.image_io import MAX_PIXELS, MAX_SIDE, read_image, to_rgb8, to_srgb

    if isinstance(image, np.ndarray):
        a = image
        if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))) or a.size == 0:
            raise InputError(f"image array: need non-empty uint8 (H, W), (H, W, 3) or (H, W, 4), got {a.dtype} {a.shape}")
        if a.ndim == 3 and a.shape[2] == 3:
            h, w = a.shape[:2]
            rgb = np.ascontiguousarray(a)
        else:
            rgb = to_rgb8(Image.fromarray(np.ascontiguousarray(a)))
            h, w = rgb.shape[:2]
        if h > MAX_SIDE or w > MAX_SIDE or h * w > MAX_PIXELS:
            raise InputError(f"image array {w}x{h} exceeds the encoder's limits")
        return rgb, ["array: sRGB assumed"]
    if isinstance(image, Image.Image):
        w, h = image.size
        if w < 1 or h < 1 or w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
            raise InputError(f"PIL image {w}x{h} outside the encoder's limits")
        im, note = to_srgb(image)
        return np.ascontiguousarray(to_rgb8(im)), [note]
    if isinstance(image, (bytes, bytearray, memoryview)):
        return read_image(io.BytesIO(bytes(image)))
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb"):  # OSError for a missing or unreadable path, like the CLI (exit 6)
            pass
        return read_image(image)
    if hasattr(image, "read"):
        return read_image(image)
    raise InputError(f"cannot encode a {type(image).__name__}: give a path, bytes, a file, a PIL image or an array")


def _mask(roi: Any, rgb: np.ndarray, margin: float) -> np.ndarray | None:
    from ssgc_ref.analysis import faces_mask, rect_mask

    h, w = rgb.shape[:2]
    if roi is None:
        return None
    if isinstance(roi, str):
        return faces_mask(rgb, margin=margin) if roi == "faces" else rect_mask(roi, h, w)
    if isinstance(roi, tuple) and len(roi) == 4:
        return rect_mask(",".join(str(int(v)) for v in roi), h, w)
    m = np.asarray(roi)
    if m.shape != (h, w):
        raise InputError(f"roi mask is {m.shape}, image is {h}x{w}")
    return m.astype(bool)


def encode_result(image: ImageInput, *, roi: str | tuple[int, int, int, int] | np.ndarray | None = None,
                  roi_margin: float = 0.25, config: EncoderConfig | None = None,
                  **settings: Any) -> EncodeResult:
    """Like :func:`encode`, returning the whole :class:`ssgc_ref.encoder.EncodeResult` (the file,
    what the decoder will see of the ROI, the labels, timings)."""
    import dataclasses

    from ssgc_ref.encoder import EncoderConfig, encode_image

    cfg = config or EncoderConfig()
    if settings:
        known = {f.name for f in dataclasses.fields(EncoderConfig)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise InputError(f"unknown encoder setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        cfg = dataclasses.replace(cfg, **settings)
    rgb, _ = to_rgb(image)
    return encode_image(rgb, mask=_mask(roi, rgb, roi_margin), config=cfg)


def encode(image: ImageInput, *, roi: str | tuple[int, int, int, int] | np.ndarray | None = None,
           qp: int | None = None, seed: int | None = None, roi_margin: float = 0.25,
           config: EncoderConfig | None = None, **settings: Any) -> bytes:
    """Encode ``image`` into the bytes of an .ssgc file.

    ``roi``: None (the whole picture is generated), ``"faces"`` (detected faces grown by
    ``roi_margin``), ``"x,y,w,h"`` or a tuple ``(x, y, w, h)``, or a bool mask array (H, W).
    ``qp``: the VVC QP of the ROI (0..63; default 37). ``seed``: the generation seed (default:
    derived from the pixels, so the same image gives the same bytes). Any other field of
    :class:`ssgc_ref.encoder.EncoderConfig` may be given by name (``segmenter="superpixel"``,
    ``preset="fast"``, ``roi_bytes=800``, ``steps=50``, ...), or a whole ``config``.
    """
    if qp is not None:
        settings["qp"] = qp
    if seed is not None:
        settings["seed"] = seed
    return encode_result(image, roi=roi, roi_margin=roi_margin, config=config, **settings).data


def _ssgc_bytes(source: SSGCInput) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        from ssgc_ref.fileio import read_ssgc_bytes

        return read_ssgc_bytes(os.fspath(source))
    raise InputError(f"expected a path or the bytes of an .ssgc file, got {type(source).__name__}")


def decode(source: SSGCInput, *, generator: str = "auto", model_dir: str | None = None,
           device: str = "cpu", allow_model_mismatch: bool = False, progress: bool = False) -> DecodeResult:
    """Decode an .ssgc file (a path or its bytes). ``result.image`` is the picture (uint8 (H, W, 3));
    ``result.generator`` says which generator made the background and ``result.notes`` why.

    ``generator``: ``"auto"`` (the diffusion model when the file's weights are at hand, else the
    normative preview, as the CLI does), ``"preview"`` (never runs a network) or ``"ldm"``
    (fails with ModelError without weights or without the ``ssgc[diffusion]`` extra).
    """
    from ssgc_ref.decoder import decode_bytes

    if generator not in ("auto", "preview", "ldm"):
        raise InputError(f"unknown generator {generator!r}: valid are auto, preview, ldm")
    return decode_bytes(_ssgc_bytes(source), generator=generator, model_dir=model_dir, device=device,
                        allow_model_mismatch=allow_model_mismatch, progress=progress)


def info(source: SSGCInput) -> dict[str, Any]:
    """What ``ssgc-ref info --json`` prints: version, size, grids, chunks, generation parameters,
    metadata. The whole file is validated (SSGCError on a bad file)."""
    from ssgc_ref.cli.info import describe

    return describe(_ssgc_bytes(source))
