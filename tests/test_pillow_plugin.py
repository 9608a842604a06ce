"""The optional Pillow plugin opens .ssgc files with the same pixels as the CLI's preview decode."""

import io

import numpy as np
import pytest
from PIL import Image

import ssgc_ref.pillow_plugin  # noqa: F401  (registers the format)
from conformance.make_vectors import build
from ssgc_ref.decoder import decode_bytes


def test_open_and_load_match_the_reference_decoder():
    data = build("plugin", 40, 30, seed=9)
    im = Image.open(io.BytesIO(data))
    assert (im.format, im.size, im.mode) == ("SSGC", (40, 30), "RGB")
    assert np.array_equal(np.asarray(im), decode_bytes(data, generator="preview").image)
    assert im.info["ssgc_generator"] == "preview"


def test_damaged_file_is_not_identified_as_ssgc():
    data = bytearray(build("plugin", 40, 30, seed=9))
    data[20] ^= 1
    with pytest.raises(Exception) as e:
        Image.open(io.BytesIO(bytes(data)))
    assert isinstance(e.value, (OSError, SyntaxError))
