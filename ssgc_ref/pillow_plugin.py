"""Optional Pillow plugin: ``import ssgc_ref.pillow_plugin`` and ``Image.open("x.ssgc")`` works.

Opening parses only the container and header (size, mode, ``info``); pixels are decoded on
``load()`` with the reference decoder's 'auto' generator, which without model weights is the
normative preview (spec 9.5): the upsampled color map with the ROI pasted. The environment
variable ``SSGC_MODEL_DIR`` may name a converted model folder to generate with instead.
``info["ssgc_generator"]`` says which was used. Read-only.
"""

from __future__ import annotations

import os

from PIL import Image, ImageFile

from ssgc_format.container import SIGNATURE
from ssgc_format.errors import SSGCError
from ssgc_format.file import read_header


def _accept(prefix: bytes) -> bool:
    return prefix[: len(SIGNATURE)] == SIGNATURE


class SSGCImageFile(ImageFile.ImageFile):
    format = "SSGC"
    format_description = "SSGC (Selective Semantic Generative Compression)"

    def _open(self) -> None:
        self._data = self.fp.read()
        try:
            h = read_header(self._data)
        except SSGCError as e:
            raise SyntaxError(f"not a valid SSGC file: {e}") from None
        self._mode = "RGB"
        self._size = (h.width, h.height)
        self.info["ssgc_version"] = f"{h.version[0]}.{h.version[1]}"
        self.info["ssgc_has_roi"] = h.has_roi
        self.tile = []
        self._ssgc_decoded = False

    def load(self):
        if not self._ssgc_decoded:
            from ssgc_ref.decoder import decode_bytes

            try:
                res = decode_bytes(self._data, model_dir=os.environ.get("SSGC_MODEL_DIR"))
            except SSGCError as e:
                raise OSError(f"cannot decode SSGC file: {e}") from None
            self.info["ssgc_generator"] = res.generator
            self.im = Image.fromarray(res.image).im
            self._ssgc_decoded = True
        return Image.Image.load(self)


Image.register_open(SSGCImageFile.format, SSGCImageFile, _accept)
Image.register_extension(SSGCImageFile.format, ".ssgc")
Image.register_mime(SSGCImageFile.format, "image/x-ssgc")
