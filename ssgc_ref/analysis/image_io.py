"""Reading input images into one canonical form, and writing PNGs atomically (non-normative).

The encoder works on 8-bit sRGB-like ``uint8`` arrays of shape ``(H, W, 3)``. :func:`load_image`
turns whatever Pillow can read into that form by these stated rules:

* **Limits first.** The header is read (``Image.open`` is lazy) and ``W <= 16384``, ``H <= 16384``,
  ``W * H <= 2**26`` and ``W, H >= 1`` are checked *before* any pixel is decoded.
* **Orientation.** The EXIF orientation tag is applied (``ImageOps.exif_transpose``).
* **Color.** An embedded ICC profile is converted to sRGB with Pillow's ImageCms (LittleCMS,
  perceptual intent) for RGB, RGBA, L and CMYK images; without a profile the pixels are taken as
  sRGB. :func:`read_image` says which was done (the SSGC file itself is always sRGB).
* **Frames.** Only the first frame of a multi-frame file (GIF, APNG, TIFF) is read.
* **Alpha** (RGBA, LA, PA, palette with tRNS, premultiplied RGBa): composited over white with the
  integer rule ``out = (c * a + 255 * (255 - a) + 127) // 255`` per channel.
* **Grayscale / bilevel** (L, 1): replicated to three channels. **Palette** (P): expanded.
* **16-bit** (I;16, I;16B, I;16L, I, and the like): ``v8 = v16 >> 8`` (the high byte; the same
  rule Pillow applies to 16-bit RGB PNGs, which it already delivers as 8-bit RGB). Values of a
  32-bit ``I`` image are clipped to 0..65535 first.
* **Float** (F): clipped to 0..255 and rounded half to even.
* **Everything else** (CMYK, YCbCr, LAB, HSV): ``Image.convert("RGB")`` (Pillow's own formulas).

Every failure (missing, empty, not an image, truncated, over the limits) raises
:class:`ssgc_format.errors.InputError`; no Pillow or OS exception escapes.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ssgc_format.errors import InputError

MAX_SIDE = 16384
MAX_PIXELS = 1 << 26

PathOrFile = Union[str, "os.PathLike[str]", BinaryIO]


def _describe(source: PathOrFile) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return getattr(source, "name", "<file object>")


def open_checked(source: PathOrFile, what: str = "image", notes: list[str] | None = None) -> Image.Image:
    """Open ``source`` with Pillow and check the size limits from the header, before decoding.

    Returns the first frame, fully loaded (so truncation errors surface here) and EXIF-rotated.
    Raises :class:`InputError` (naming ``what`` and the source) for every failure. ``notes``, when
    given, receives a sentence about the EXIF orientation applied, if any.
    """
    name = _describe(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{what} {name!r}: no such file")
        if path.stat().st_size == 0:
            raise InputError(f"{what} {name!r}: the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Our limit is below Pillow's warning threshold; turn its bomb warning into an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as opened:
                width, height = opened.size
                if width < 1 or height < 1:
                    raise InputError(f"{what} {name!r}: empty picture ({width}x{height})")
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    raise InputError(
                        f"{what} {name!r}: {width}x{height} exceeds the encoder's limits "
                        f"(each side <= {MAX_SIDE}, at most {MAX_PIXELS} pixels)"
                    )
                opened.load()
                # exif_transpose returns a new image (a copy when there is nothing to undo), so
                # the file can be closed; it only swaps axes, so the checked limits still hold.
                orientation = opened.getexif().get(0x0112, 1)
                im = ImageOps.exif_transpose(opened)
                if "icc_profile" in opened.info:
                    im.info["icc_profile"] = opened.info["icc_profile"]
                if notes is not None and orientation not in (None, 1):
                    notes.append(f"EXIF orientation {orientation} applied")
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"{what} {name!r}: too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise InputError(f"{what} {name!r}: not an image format Pillow can read") from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, struct.error) as exc:
        raise InputError(f"{what} {name!r}: cannot decode ({type(exc).__name__}: {exc})") from exc
    return im


def check_rgb(rgb: np.ndarray, what: str) -> None:
    """InputError unless ``rgb`` is a non-empty ``uint8 (H, W, 3)`` array (what load_image gives)."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        raise InputError(
            f"{what}: need a non-empty uint8 (H, W, 3) array, got "
            f"{getattr(rgb, 'dtype', type(rgb).__name__)} {getattr(rgb, 'shape', '')}"
        )


def _composite_over_white(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(c * a + 255 * (255 - a) + 127) // 255 per channel, exact integer arithmetic."""
    c = color.astype(np.uint32)
    a = alpha.astype(np.uint32)[..., None]
    return ((c * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def to_rgb8(im: Image.Image, *, alpha: str = "white") -> np.ndarray:
    """Convert a loaded Pillow image to ``uint8 (H, W, 3)`` by the rules of the module docstring.

    ``alpha="white"`` composites transparent pixels over white; ``alpha="drop"`` ignores alpha.
    """
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "I;32", "I;32B", "I;32L"):
        v = np.asarray(im)
        v = np.clip(v.astype(np.int64), 0, 65535) >> 8
        gray = v.astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "F":
        gray = np.rint(np.clip(np.asarray(im, dtype=np.float64), 0, 255)).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in im.info
    )
    if has_alpha:
        rgba = np.asarray(im.convert("RGBA"))
        if alpha == "drop":
            return np.ascontiguousarray(rgba[..., :3])
        return _composite_over_white(rgba[..., :3], rgba[..., 3])
    out: np.ndarray = np.asarray(im if mode == "RGB" else im.convert("RGB")).copy()
    return out


SRGB_ASSUMED = "no ICC profile: sRGB assumed"


def to_srgb(im: Image.Image) -> tuple[Image.Image, str]:
    """Convert ``im`` from its embedded ICC profile to sRGB; returns (image, what was done)."""
    icc = im.info.get("icc_profile")
    if not icc:
        return im, SRGB_ASSUMED
    from PIL import ImageCms

    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = (ImageCms.getProfileDescription(src) or "unnamed").strip()
    except (OSError, TypeError, ValueError, ImageCms.PyCMSError) as exc:
        return im, f"ICC profile unreadable ({type(exc).__name__}): sRGB assumed"
    if name.lower().startswith("srgb"):
        return im, f"ICC profile {name!r}: already sRGB"
    alpha = None
    base = im
    if im.mode in ("RGBA", "LA"):
        alpha = im.getchannel("A")
        base = im.convert("RGB" if im.mode == "RGBA" else "L")
    if base.mode not in ("RGB", "L", "CMYK"):
        return im, f"ICC profile {name!r} ignored for mode {im.mode}: sRGB assumed"
    try:
        out = ImageCms.profileToProfile(base, src, ImageCms.createProfile("sRGB"), outputMode="RGB",
                                        renderingIntent=ImageCms.Intent.PERCEPTUAL)
    except ImageCms.PyCMSError as exc:
        return im, f"ICC profile {name!r} could not be applied ({exc}): sRGB assumed"
    if out is None:  # pragma: no cover - only with inPlace=True
        return im, SRGB_ASSUMED
    if alpha is not None:
        out.putalpha(alpha)
    return out, f"converted from ICC profile {name!r} to sRGB"


def read_image(source: PathOrFile) -> tuple[np.ndarray, list[str]]:
    """Like :func:`load_image`, and also the sentences saying what was assumed or converted
    (color profile, orientation), for the encoder's summary."""
    notes: list[str] = []
    im = open_checked(source, "image", notes)
    im, color = to_srgb(im)
    notes.insert(0, color)
    return np.ascontiguousarray(to_rgb8(im, alpha="white")), notes


def load_image(source: PathOrFile) -> np.ndarray:
    """Read an image file into a C-contiguous ``uint8`` array of shape ``(H, W, 3)``.

    ``source`` is a path or a binary file object. The conversion rules (EXIF orientation, alpha
    over white, 16-bit high byte, ...) are those of the module docstring.

    Guarantees: ``1 <= H, W <= 16384`` and ``H * W <= 2**26``; the limits are checked from the
    header before the pixels are decoded. Raises :class:`InputError` for a missing, empty,
    unreadable, truncated or oversized image.
    """
    return read_image(source)[0]


def save_png_atomic(path: Union[str, "os.PathLike[str]"], array: np.ndarray) -> None:
    """Write ``array`` as a PNG to ``path`` atomically, replacing an existing file (through
    :func:`ssgc_ref.fileio.write_atomic`: a reader never sees a half-written file; on failure
    nothing is left).

    ``array`` is ``uint8`` of shape ``(H, W)`` (grayscale), ``(H, W, 3)`` (RGB) or
    ``(H, W, 4)`` (RGBA). Raises :class:`InputError` for another dtype/shape or an unwritable path.
    """
    arr = np.asarray(array)
    if arr.dtype != np.uint8 or not (
        arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))
    ) or arr.size == 0:
        raise InputError(
            f"save_png_atomic: need a non-empty uint8 array (H,W), (H,W,3) or (H,W,4), "
            f"got {arr.dtype} {arr.shape}"
        )
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="PNG")
    from ssgc_ref.fileio import write_atomic  # the one atomic-write helper

    try:
        write_atomic(os.fspath(path), buf.getvalue(), force=True)
    except OSError as exc:
        raise InputError(f"cannot write {os.fspath(path)!r}: {exc.strerror or exc}") from exc
