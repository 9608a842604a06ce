"""The Python API, the Pillow plugin, reproducible seeds, color management and the demo's pictures
(issue 11 points 6, 7, 8, 10; issue 8's "opening an image never runs a generator")."""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ssgc_ref
import ssgc_ref.pillow_plugin  # noqa: F401  (registers the format)
from ssgc_format.errors import InputError, SSGCError

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "conformance" / "vectors" / "tiny-model-64x48.ssgc"


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    from conformance.make_vectors import synthetic_image

    return synthetic_image(80, 64, 4)


@pytest.fixture(scope="module")
def png(rgb, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("api") / "in.png"
    Image.fromarray(rgb).save(path)
    return path


# --- 11.6: the default seed is derived from the pixels ---------------------------------------

def test_default_seed_is_the_16_bit_pixel_hash_and_the_bytes_repeat(rgb):
    a, b = ssgc_ref.encode(rgb), ssgc_ref.encode(rgb)
    assert a == b
    h, w = rgb.shape[:2]
    want = int.from_bytes(hashlib.sha256(rgb.tobytes() + f"{h}x{w}".encode()).digest()[:2], "big")
    assert ssgc_ref.info(a)["generation"]["seed"] == want
    other = rgb.copy()
    other[0, 0, 0] ^= 1
    assert ssgc_ref.info(ssgc_ref.encode(other))["generation"]["seed"] != want or want == 0  # pixels matter


def test_seed_random_on_the_command_line(png, tmp_path):
    from ssgc_ref.cli import main

    seeds = set()
    for k in range(3):
        out = tmp_path / f"r{k}.ssgc"
        assert main(["encode", str(png), "-o", str(out), "--seed", "random", "--quiet"]) == 0
        seeds.add(ssgc_ref.info(str(out))["generation"]["seed"])
    assert len(seeds) > 1 and all(0 <= s < 1 << 16 for s in seeds)
    assert main(["encode", str(png), "-o", str(tmp_path / "s.ssgc"), "--seed", "12345", "--quiet"]) == 0
    assert ssgc_ref.info(str(tmp_path / "s.ssgc"))["generation"]["seed"] == 12345


# --- 11.8: the API ------------------------------------------------------------------------

def test_encode_accepts_paths_bytes_files_pil_images_and_arrays(rgb, png):
    ref = ssgc_ref.encode(rgb)
    assert ssgc_ref.encode(str(png)) == ref
    assert ssgc_ref.encode(png) == ref
    assert ssgc_ref.encode(png.read_bytes()) == ref
    with open(png, "rb") as f:
        assert ssgc_ref.encode(f) == ref
    assert ssgc_ref.encode(Image.fromarray(rgb)) == ref
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    assert ssgc_ref.encode(rgba) == ref  # opaque alpha changes nothing


def test_encode_options_roi_qp_and_settings(rgb):
    small = ssgc_ref.encode(rgb, roi=(16, 16, 32, 32), qp=50)
    big = ssgc_ref.encode(rgb, roi="16,16,32,32", qp=20, preset="fast")
    assert ssgc_ref.info(small)["roi"]["width"] == 32 and len(small) < len(big)
    mask = np.zeros(rgb.shape[:2], bool)
    mask[10:30, 20:40] = True
    assert "roi" in ssgc_ref.info(ssgc_ref.encode(rgb, roi=mask))
    with pytest.raises(InputError, match="unknown encoder setting"):
        ssgc_ref.encode(rgb, colour_steps=(1, 2, 3))
    with pytest.raises(InputError):
        ssgc_ref.encode(np.zeros((4, 4), np.float32))
    with pytest.raises(InputError):
        ssgc_ref.encode(12)  # type: ignore[arg-type]


def test_decode_and_info_take_bytes_or_paths(rgb, tmp_path):
    data = ssgc_ref.encode(rgb, roi=(16, 16, 32, 32))
    path = tmp_path / "x.ssgc"
    path.write_bytes(data)
    a, b = ssgc_ref.decode(data, generator="preview"), ssgc_ref.decode(path, generator="preview")
    assert a.image.shape == (64, 80, 3) and np.array_equal(a.image, b.image)
    assert ssgc_ref.info(path) == ssgc_ref.info(data)
    with pytest.raises(SSGCError):
        ssgc_ref.decode(b"\x89SGC\r\n\x1a\nbroken")
    with pytest.raises(FileNotFoundError):
        ssgc_ref.decode(tmp_path / "missing.ssgc")
    with pytest.raises(InputError):
        ssgc_ref.decode(data, generator="magic")


def test_the_api_is_typed_and_import_is_light():
    assert (ROOT / "ssgc_ref" / "py.typed").exists()
    code = "import sys, ssgc_ref; print(sorted(m for m in ('numpy', 'PIL', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "[]"
    mypy = pytest.importorskip("mypy.api")
    stdout, stderr, status = mypy.run(["--strict", "--follow-imports=silent", "--no-incremental",
                                       str(ROOT / "ssgc_ref" / "api.py"), str(ROOT / "ssgc_ref" / "fileio.py")])
    assert status == 0, stdout


# --- 11.8 / 8 / 14: the Pillow plugin --------------------------------------------------------

def test_plugin_saves_with_encoder_options_and_reopens(rgb, tmp_path):
    Image.fromarray(rgb).save(tmp_path / "p.ssgc", qp=45, roi=(16, 16, 32, 32))
    with Image.open(tmp_path / "p.ssgc") as im:
        assert im.format == "SSGC" and im.size == (80, 64)
        im.load()
        assert im.info["ssgc_generator"] == "preview" and im.info["ssgc_has_roi"]
    with pytest.raises(ValueError, match="cannot save as SSGC"):
        Image.fromarray(rgb).save(tmp_path / "q.ssgc", qp=99)


def test_opening_a_profile_2_file_never_runs_the_model(monkeypatch):
    import ssgc_ref.generators as generators

    def no_generator(*a, **k):
        raise AssertionError("a generator was started by Image.open/load")

    monkeypatch.setattr(generators, "get_generator", no_generator)
    monkeypatch.delenv("SSGC_GENERATOR", raising=False)
    with Image.open(TINY) as im:
        im.load()
        assert im.info["ssgc_generator"] == "preview"
        preview = np.asarray(im)
    assert np.array_equal(preview, ssgc_ref.decode(TINY, generator="preview").image)


def test_damaged_file_keeps_the_reason(tmp_path):
    data = bytearray(TINY.read_bytes())
    data[len(data) // 2] ^= 0x10
    with pytest.raises(OSError) as e:
        Image.open(io.BytesIO(bytes(data)))
    assert "not a valid SSGC file" in str(e.value) and "CRC" in str(e.value)
    assert isinstance(e.value.__cause__, SSGCError)


def test_plugin_does_not_read_a_huge_file(tmp_path):
    big = tmp_path / "big.ssgc"
    with open(big, "wb") as f:
        f.write(TINY.read_bytes()[:8])
        f.truncate(2 << 30)  # 2 GiB, sparse
    code = (f"import resource, sys\nresource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            f"import ssgc_ref.pillow_plugin\nfrom PIL import Image\n"
            f"try:\n    Image.open({str(big)!r})\nexcept OSError as e:\n    print('refused:', e)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "refused:" in p.stdout and "limit" in p.stdout, p.stderr[-2000:]


# --- 11.7: color management --------------------------------------------------------------

def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def swapped_primaries_profile() -> bytes:
    """A matrix/TRC RGB display profile (ICC v2) whose red primary is sRGB's green and whose green
    is sRGB's red: (255, 0, 0) in it is (0, 255, 0) in sRGB."""
    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)

    name = b"swapped red-green"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(name) + 1) + name + b"\0" + b"\0" * 75
    curv = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)),
            (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)), (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv)]
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for sig, body in tags:
        data += b"\0" * (-(offset + len(data)) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    header = (struct.pack(">I", 128 + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12
              + b"acsp" + b"\0" * 24 + b"\0" * 4 + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48)
    return header + body


def test_icc_profile_is_converted_to_srgb_and_said(tmp_path):
    from ssgc_ref.analysis.image_io import read_image
    from ssgc_ref.cli import main

    red = Image.new("RGB", (32, 24), (255, 0, 0))
    path = tmp_path / "p3ish.png"
    red.save(path, icc_profile=swapped_primaries_profile())
    rgb, notes = read_image(path)
    assert tuple(rgb[0, 0]) == (0, 255, 0)
    assert "converted from ICC profile 'swapped red-green' to sRGB" in notes
    plain = tmp_path / "plain.png"
    red.save(plain)
    rgb2, notes2 = read_image(plain)
    assert tuple(rgb2[0, 0]) == (255, 0, 0) and notes2 == ["no ICC profile: sRGB assumed"]
    # the encoder's summary says what was assumed, and the pixels coded are the converted ones
    assert main(["encode", str(path), "-o", str(tmp_path / "p.ssgc")]) == 0
    dec = ssgc_ref.decode(tmp_path / "p.ssgc", generator="preview").image
    assert dec[..., 1].mean() > 200 and dec[..., 0].mean() < 60


def test_icc_summary_line_is_printed(tmp_path, capsys):
    from ssgc_ref.cli import main

    path = tmp_path / "p.png"
    Image.new("RGB", (32, 24), (255, 0, 0)).save(path, icc_profile=swapped_primaries_profile())
    assert main(["encode", str(path), "-o", str(tmp_path / "p.ssgc")]) == 0
    assert "converted from ICC profile 'swapped red-green' to sRGB" in capsys.readouterr().out


def test_exif_orientation_is_applied_and_said(tmp_path):
    from ssgc_ref.analysis.image_io import read_image

    a = np.zeros((20, 30, 3), np.uint8)
    a[:, :10] = 255  # white on the left
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    im.save(tmp_path / "o.jpg", exif=exif, quality=95)
    rgb, notes = read_image(tmp_path / "o.jpg")
    assert rgb.shape == (30, 20, 3) and rgb[:10].mean() > 200 and rgb[-10:].mean() < 50
    assert "EXIF orientation 6 applied" in notes


# --- 11.10: the demo's pictures --------------------------------------------------------------

def test_outline_marks_only_the_roi_boundary():
    from ssgc_ref.visualize import ROI_OUTLINE, outline

    pic = np.zeros((10, 12, 3), np.uint8)
    m = np.zeros((10, 12), bool)
    m[2:6, 3:9] = True
    out = outline(pic, m)
    marked = (out == ROI_OUTLINE).all(axis=2)
    assert marked[2, 3:9].all() and marked[5, 3:9].all() and marked[2:6, 3].all()
    assert not marked[3:5, 4:8].any() and not marked[~m].any()


def test_demo_picture_has_captions_outline_and_the_preview_note(tmp_path, monkeypatch, capsys):
    """The demo on a small picture with a rectangle ROI (VVC alone replaced by a stand-in: the real
    search takes minutes): the comparison PNG carries the note, the outline and the captions."""
    import ssgc_ref.analysis
    import ssgc_ref.cli.demo as demo
    import ssgc_ref.roi_codec
    from ssgc_ref.cli import main
    from ssgc_ref.visualize import ROI_OUTLINE

    from conformance.make_vectors import synthetic_image

    monkeypatch.setattr(demo, "_load", lambda name: synthetic_image(96, 80, 3))
    monkeypatch.setattr(ssgc_ref.analysis, "faces_mask",
                        lambda rgb, margin: np.pad(np.ones((32, 32), bool), ((16, 32), (24, 40))))
    monkeypatch.setattr(ssgc_ref.roi_codec, "encode_whole_picture", lambda rgb, max_bytes: (b"x" * 100, rgb // 2))
    assert main(["demo", "--images", "astronaut", "-o", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "PSNR-Y inside the ROI: SSGC" in out and "(100 bytes)" in out
    pic = np.asarray(Image.open(tmp_path / "astronaut-comparison.png").convert("RGB"))
    assert (pic == ROI_OUTLINE).all(axis=2).sum() >= 3 * 4 * 31  # three outlined panels
    bottom = pic[-17:].astype(int)  # the "background = preview (no model)" note, in dark red
    assert ((bottom[..., 0] > 100) & (bottom[..., 1] < 90) & (bottom[..., 2] < 90)).sum() > 50
    assert pic.shape[0] > 80 + 16 + 2 * 13  # room for two caption lines under the panels


def test_plugin_runs_a_generator_only_when_asked(monkeypatch):
    import ssgc_ref.decoder

    asked = []
    real = ssgc_ref.decoder.decode_bytes

    def spy(data, *, generator="auto", **k):
        asked.append(generator)
        return real(data, generator="preview", **k)

    monkeypatch.setattr(ssgc_ref.decoder, "decode_bytes", spy)
    monkeypatch.delenv("SSGC_GENERATOR", raising=False)
    with Image.open(TINY) as im:
        im.load()
    with Image.open(TINY) as im:
        im.ssgc_generator = "auto"  # asked explicitly
        im.load()
    monkeypatch.setenv("SSGC_GENERATOR", "ldm")
    with Image.open(TINY) as im:
        im.load()
    assert asked == ["preview", "auto", "ldm"]
