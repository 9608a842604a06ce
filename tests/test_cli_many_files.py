"""``ssgc-ref decode a b c -o DIR`` streams (each output written before the next file is decoded),
survives a damaged file, names outputs without collisions; ``encode --roi faces --no-face``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ssgc_ref.cli import EXIT_FORMAT, EXIT_OK, main

VECTORS = Path(__file__).resolve().parents[1] / "conformance" / "vectors"


def _copy(src: str, dst: Path) -> str:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes((VECTORS / f"{src}.ssgc").read_bytes())
    return str(dst)


def test_damaged_file_in_the_middle_and_equal_names(tmp_path, capsys):
    a = _copy("landscape-200x136", tmp_path / "x" / "pic.ssgc")
    bad = tmp_path / "x" / "broken.ssgc"
    bad.write_bytes(b"not an ssgc file")
    b = _copy("roi-ellipse-96x64", tmp_path / "y" / "pic.ssgc")
    out = tmp_path / "out"
    for force in ([], ["--force"]):
        code = main(["decode", a, str(bad), b, "-o", str(out), "--generator", "preview", "-q", *force])
        assert code == EXIT_FORMAT
        err = capsys.readouterr().err.strip().splitlines()
        assert err[0].startswith(f"ssgc-ref: error: {bad}: ") and "signature" in err[0]
        assert "1 of 3 files failed" in err[1] and len(err) == 2
        assert sorted(str(p.relative_to(out)) for p in out.rglob("*.png")) == ["x/pic.png", "y/pic.png"]
    assert Image.open(out / "x" / "pic.png").size == (200, 136)
    assert Image.open(out / "y" / "pic.png").size == (96, 64)


def test_each_output_is_written_before_the_next_decode(tmp_path, monkeypatch):
    from ssgc_ref import decoder

    files = [_copy("landscape-200x136", tmp_path / f"f{n}.ssgc") for n in range(3)]
    out = tmp_path / "out"
    seen = []
    real = decoder.Decoder.decode

    def spy(self, data, **kw):
        seen.append(sorted(p.name for p in out.glob("*.png")) if out.exists() else [])
        return real(self, data, **kw)

    monkeypatch.setattr(decoder.Decoder, "decode", spy)
    assert main(["decode", *files, "-o", str(out), "--generator", "preview", "-q"]) == EXIT_OK
    assert seen == [[], ["f0.png"], ["f0.png", "f1.png"]]


def test_single_input_into_a_folder(tmp_path):
    f = _copy("roi-ellipse-96x64", tmp_path / "one.ssgc")
    assert main(["decode", f, "-o", str(tmp_path / "dir") + "/", "--generator", "preview", "-q"]) == EXIT_OK
    assert (tmp_path / "dir" / "one.png").exists()
    (tmp_path / "existing").mkdir()
    assert main(["decode", f, "-o", str(tmp_path / "existing"), "--generator", "preview", "-q"]) == EXIT_OK
    assert (tmp_path / "existing" / "one.png").exists()


def test_no_face_policies(tmp_path, capsys):
    from ssgc_format.file import read_ssgc

    pic = tmp_path / "plain.png"
    rgb = np.zeros((40, 56, 3), np.uint8)
    rgb[:, :, 1] = np.linspace(0, 255, 56, dtype=np.uint8)
    Image.fromarray(rgb).save(pic)
    base = ["encode", str(pic), "--roi", "faces", "--seed", "1", "--quiet"]
    assert main([*base, "-o", str(tmp_path / "default.ssgc")]) == EXIT_OK  # default: semantic
    assert read_ssgc((tmp_path / "default.ssgc").read_bytes()).roi is None
    assert main([*base, "-o", str(tmp_path / "whole.ssgc"), "--no-face", "whole"]) == EXIT_OK
    roi = read_ssgc((tmp_path / "whole.ssgc").read_bytes()).roi
    assert (roi.x, roi.y, roi.width, roi.height) == (0, 0, 56, 40)
    capsys.readouterr()
    assert main(["encode", str(pic), "--roi", "faces", "--no-face", "skip", "-o", str(tmp_path / "skip.ssgc")]) == EXIT_OK
    assert not (tmp_path / "skip.ssgc").exists()
    assert "skipped" in capsys.readouterr().err
