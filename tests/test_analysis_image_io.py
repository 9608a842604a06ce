"""ssgc_ref.analysis.image_io: conversions to uint8 RGB, limits, bad files, atomic PNG writes."""

import io
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ssgc_format.errors import InputError
from ssgc_ref.analysis.image_io import load_image, save_png_atomic

RNG = np.random.default_rng(1234)


def _save(tmp_path, im, name, **kw):
    p = tmp_path / name
    im.save(p, **kw)
    return p


def test_rgb_png_round_trip(tmp_path):
    rgb = RNG.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    out = load_image(_save(tmp_path, Image.fromarray(rgb), "a.png"))
    assert out.dtype == np.uint8 and out.shape == (7, 9, 3) and out.flags.c_contiguous
    assert np.array_equal(out, rgb)


def test_file_object_source():
    rgb = RNG.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    buf.seek(0)
    assert np.array_equal(load_image(buf), rgb)


def test_rgba_composited_over_white(tmp_path):
    rgba = RNG.integers(0, 256, (6, 5, 4), dtype=np.uint8)
    rgba[0, 0] = (10, 20, 30, 0)  # fully transparent -> white
    rgba[0, 1] = (10, 20, 30, 255)  # opaque -> itself
    out = load_image(_save(tmp_path, Image.fromarray(rgba), "a.png"))
    c = rgba[..., :3].astype(np.int64)
    a = rgba[..., 3:].astype(np.int64)
    expect = (c * a + 255 * (255 - a) + 127) // 255
    assert np.array_equal(out, expect)
    assert tuple(out[0, 0]) == (255, 255, 255) and tuple(out[0, 1]) == (10, 20, 30)


def test_la_gray_and_bilevel(tmp_path):
    la = RNG.integers(0, 256, (4, 6, 2), dtype=np.uint8)
    im = Image.merge("LA", [Image.fromarray(la[..., 0]), Image.fromarray(la[..., 1])])
    out = load_image(_save(tmp_path, im, "la.png"))
    g = la[..., 0].astype(np.int64)
    a = la[..., 1].astype(np.int64)
    expect = (g * a + 255 * (255 - a) + 127) // 255
    assert np.array_equal(out, np.repeat(expect[..., None], 3, 2))
    gray = RNG.integers(0, 256, (3, 8), dtype=np.uint8)
    out = load_image(_save(tmp_path, Image.fromarray(gray), "g.png"))
    assert np.array_equal(out, np.repeat(gray[..., None], 3, 2))
    bits = Image.fromarray(gray > 127).convert("1")
    out = load_image(_save(tmp_path, bits, "b.png"))
    assert np.array_equal(out[..., 0], np.where(gray > 127, 255, 0))


def test_palette_expanded(tmp_path):
    idx = RNG.integers(0, 4, (5, 5), dtype=np.uint8)
    pal = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7]
    im = Image.new("P", (5, 5))
    im.putpalette(pal + [0] * (768 - len(pal)))
    im.putdata(idx.ravel().tolist())
    out = load_image(_save(tmp_path, im, "p.png"))
    table = np.array(pal, dtype=np.uint8).reshape(4, 3)
    assert np.array_equal(out, table[idx])


def test_16bit_high_byte(tmp_path):
    v = RNG.integers(0, 65536, (4, 7), dtype=np.uint16)
    v[0, 0], v[0, 1], v[0, 2] = 65535, 255, 256
    im = Image.fromarray(v)  # I;16
    out = load_image(_save(tmp_path, im, "i16.png"))
    assert np.array_equal(out[..., 1], (v >> 8).astype(np.uint8))
    assert tuple(out[0, :3, 0]) == (255, 0, 1)


def test_cmyk_via_pillow(tmp_path):
    rgb = RNG.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    cmyk = Image.fromarray(rgb).convert("CMYK")
    p = _save(tmp_path, cmyk, "c.jpg", quality=95)
    out = load_image(p)
    assert out.shape == (6, 6, 3)
    assert np.array_equal(out, np.asarray(Image.open(p).convert("RGB")))


def test_exif_orientation_applied(tmp_path):
    rgb = np.zeros((4, 10, 3), dtype=np.uint8)
    rgb[0, 0] = (255, 0, 0)  # top-left marker
    im = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    p = tmp_path / "rot.png"
    im.save(p, exif=exif)
    out = load_image(p)
    assert out.shape == (10, 4, 3)
    assert np.array_equal(out, np.rot90(rgb, k=-1))


def test_first_frame_of_gif(tmp_path):
    frames = [Image.new("RGB", (3, 3), c) for c in ((255, 0, 0), (0, 0, 255))]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:])
    out = load_image(p)
    assert tuple(out[1, 1]) == (255, 0, 0)


@pytest.mark.parametrize(
    "payload",
    [b"", os.urandom(300), b"\x89PNG\r\n\x1a\n" + b"\x00" * 20],
    ids=["empty", "random", "png-signature-only"],
)
def test_bad_bytes(tmp_path, payload):
    p = tmp_path / "bad.png"
    p.write_bytes(payload)
    with pytest.raises(InputError):
        load_image(p)
    with pytest.raises(InputError):
        load_image(io.BytesIO(payload))


def test_truncated_png(tmp_path):
    rgb = RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    p = tmp_path / "t.png"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(InputError, match="t.png"):
        load_image(p)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_image(tmp_path / "nope.png")


def _png_header_only(width, height):
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    # an IDAT that would never suffice: the limit must trigger before decoding
    idat = b"IDAT" + zlib.compress(b"\x00" * 16)
    body += struct.pack(">I", len(idat) - 4) + idat + struct.pack(">I", zlib.crc32(idat))
    iend = b"IEND"
    body += struct.pack(">I", 0) + iend + struct.pack(">I", zlib.crc32(iend))
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.mark.parametrize("size", [(16385, 4), (4, 16385), (16384, 4097), (100000, 100000)])
def test_oversized_rejected_from_header(tmp_path, size):
    p = tmp_path / "big.png"
    p.write_bytes(_png_header_only(*size))
    with pytest.raises(InputError, match="limit|too large"):
        load_image(p)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from(["L", "RGB", "RGBA"]))
def test_save_png_atomic_round_trip(tmp_path_factory, h, w, mode):
    d = tmp_path_factory.mktemp("png")
    shape = {"L": (h, w), "RGB": (h, w, 3), "RGBA": (h, w, 4)}[mode]
    arr = RNG.integers(0, 256, shape, dtype=np.uint8)
    p = d / "out.png"
    save_png_atomic(p, arr)
    back = np.asarray(Image.open(p))
    assert np.array_equal(back, arr)
    assert sorted(os.listdir(d)) == ["out.png"]  # no temporary file left behind


def test_save_png_atomic_rejects(tmp_path):
    with pytest.raises(InputError):
        save_png_atomic(tmp_path / "x.png", np.zeros((3, 3), dtype=np.float32))
    with pytest.raises(InputError):
        save_png_atomic(tmp_path / "x.png", np.zeros((3, 3, 2), dtype=np.uint8))
    with pytest.raises(InputError):
        save_png_atomic(tmp_path / "no-such-dir" / "x.png", np.zeros((3, 3), dtype=np.uint8))
    assert os.listdir(tmp_path) == []


def test_palette_transparency_composited(tmp_path):
    im = Image.new("P", (3, 1))
    im.putpalette([10, 20, 30, 40, 50, 60] + [0] * 762)
    im.putdata([0, 1, 0])
    im.info["transparency"] = 1  # index 1 fully transparent
    p = tmp_path / "t.png"
    im.save(p, transparency=1)
    out = load_image(p)
    assert out[0].tolist() == [[10, 20, 30], [255, 255, 255], [10, 20, 30]]


def _png(width, height, bit_depth, color_type, raw_rows):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    body = b"".join(b"\x00" + row for row in raw_rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(body)) + chunk(b"IEND", b"")


def test_16bit_rgb_png_high_byte(tmp_path):
    import struct

    row = struct.pack(">6H", 0x12FF, 0x3400, 0xFFFF, 0x00FF, 0x0100, 0x8080)
    p = tmp_path / "rgb16.png"
    p.write_bytes(_png(2, 1, 16, 2, [row]))
    assert load_image(p).tolist() == [[[0x12, 0x34, 0xFF], [0x00, 0x01, 0x80]]]


def test_float_tiff_clipped_and_rounded(tmp_path):
    v = np.array([[-5.0, 12.4, 12.5, 13.5, 300.0]], np.float32)
    p = tmp_path / "f.tif"
    Image.fromarray(v).save(p)
    assert load_image(p)[..., 0].tolist() == [[0, 12, 12, 14, 255]]
