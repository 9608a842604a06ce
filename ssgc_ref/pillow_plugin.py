"""Optional Pillow plugin: ``import ssgc_ref.pillow_plugin``, then ``Image.open("x.ssgc")`` and
``im.save("x.ssgc", qp=37, roi="faces")`` work.

Opening checks the signature, the file size (at most the spec's 1 GiB limit, from ``seek``,
before reading) and the container; a damaged file raises ``PIL.UnidentifiedImageError`` whose
message keeps the reason (the SSGCError is its ``__cause__``). Pixels are decoded on ``load()``
and are the normative preview (spec 9.5: the upsampled color map with the ROI pasted): opening or
loading an image never runs a generator unless asked, with ``im.ssgc_generator = "auto"`` (or
``"ldm"``) before ``load()`` or the environment variable ``SSGC_GENERATOR``; ``SSGC_MODEL_DIR``
names a converted model folder. ``info["ssgc_generator"]`` says which was used.

Saving takes the keyword arguments of :func:`ssgc_ref.encode` (``qp``, ``roi``, ``seed``,
``segmenter``, ``preset``, ...).
"""

from __future__ import annotations

import os
from typing import IO, Any

from PIL import Image, ImageFile, UnidentifiedImageError

from ssgc_format.container import MAX_FILE_SIZE, SIGNATURE
from ssgc_format.errors import SSGCError
from ssgc_format.file import read_header

GENERATOR_ENV = "SSGC_GENERATOR"
MODEL_DIR_ENV = "SSGC_MODEL_DIR"


def _accept(prefix: bytes) -> bool:
    return prefix[: len(SIGNATURE)] == SIGNATURE


def _damaged(reason: str, cause: BaseException | None = None) -> UnidentifiedImageError:
    err = UnidentifiedImageError(f"not a valid SSGC file: {reason}")
    err.__cause__ = cause
    return err


class SSGCImageFile(ImageFile.ImageFile):
    format = "SSGC"
    format_description = "SSGC (Selective Semantic Generative Compression)"
    #: "preview" (default), "auto" or "ldm": set before load() to run a generator.
    ssgc_generator: str | None = None

    def _open(self) -> None:
        fp = self.fp
        if fp is None:
            raise _damaged("no file to read")
        start = fp.tell()
        fp.seek(0, os.SEEK_END)
        size = fp.tell() - start
        fp.seek(start)
        if size > MAX_FILE_SIZE:  # never read a huge file whole
            raise _damaged(f"{size} bytes exceeds the {MAX_FILE_SIZE}-byte limit of spec 1.5")
        self._data = fp.read(size)
        try:
            h = read_header(self._data)
        except SSGCError as e:
            raise _damaged(str(e), e) from e
        self._mode = "RGB"
        self._size = (h.width, h.height)
        self.info["ssgc_version"] = f"{h.version[0]}.{h.version[1]}"
        self.info["ssgc_has_roi"] = h.has_roi
        self.tile = []
        self._ssgc_decoded = False

    def load(self) -> Any:
        if not self._ssgc_decoded:
            from ssgc_ref.decoder import decode_bytes

            generator = self.ssgc_generator or os.environ.get(GENERATOR_ENV) or "preview"
            try:
                res = decode_bytes(self._data, generator=generator, model_dir=os.environ.get(MODEL_DIR_ENV))
            except SSGCError as e:
                raise OSError(f"cannot decode SSGC file: {e}") from e
            self.info["ssgc_generator"] = res.generator
            self.im = Image.fromarray(res.image).im
            self._ssgc_decoded = True
        return Image.Image.load(self)


def _save(im: Image.Image, fp: IO[bytes], filename: str | bytes) -> None:
    from ssgc_ref.api import encode

    options = {k: v for k, v in im.encoderinfo.items() if k not in ("format",)}
    try:
        data = encode(im, **options)
    except SSGCError as e:
        raise ValueError(f"cannot save as SSGC: {e}") from e
    fp.write(data)


Image.register_open(SSGCImageFile.format, SSGCImageFile, _accept)
Image.register_save(SSGCImageFile.format, _save)
Image.register_extension(SSGCImageFile.format, ".ssgc")
Image.register_mime(SSGCImageFile.format, "image/x-ssgc")
