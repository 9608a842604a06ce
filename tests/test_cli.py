"""The ssgc-ref command line: exit codes, one-line errors, atomic outputs, --verify, info --json."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from ssgc_ref.cli import (
    EXIT_FORMAT, EXIT_INPUT, EXIT_IO, EXIT_OK, EXIT_UNSUPPORTED, build_parser, main,
)


@pytest.fixture(scope="module")
def image_path(tmp_path_factory) -> str:
    from conformance.make_vectors import synthetic_image

    path = tmp_path_factory.mktemp("img") / "scene.png"
    Image.fromarray(synthetic_image(72, 56, 3)).save(path)
    return str(path)


@pytest.fixture(scope="module")
def encoded(image_path, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("enc") / "scene.ssgc")
    assert main(["encode", image_path, "-o", out, "--seed", "11", "--quiet"]) == EXIT_OK
    return out


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ssgc-ref: error: "), err
    return err[0]


def test_help_lists_every_command_and_exit_codes(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for cmd in ("encode", "decode", "info", "demo"):
        assert cmd in out
    assert "exit codes" in out


def test_version_reports_format_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "format 2.0" in capsys.readouterr().out


def test_info_json(encoded, capsys):
    assert main(["info", encoded, "--json"]) == EXIT_OK
    d = json.loads(capsys.readouterr().out)
    assert d["version"] == "2.0" and (d["width"], d["height"]) == (72, 56)
    assert d["generation"]["seed"] == 11 and d["generation"]["steps"] == 200
    assert sum(r["bytes"] for r in d["segments"]) == d["total_bytes"] == os.path.getsize(encoded)
    assert [r["type"] for r in d["segments"]][:2] == ["signature + version", "header"]
    assert d["fixed_overhead_bytes"] == 16 and d["meta"] == {}  # provenance is opt-in
    assert [f["field"] for f in d["header_fields"]][:2] == ["width_size", "width_minus1"]


def test_provenance_is_opt_in(image_path, tmp_path, capsys):
    out = str(tmp_path / "p.ssgc")
    assert main(["encode", image_path, "-o", out, "--seed", "11", "--quiet", "--provenance"]) == EXIT_OK
    assert main(["info", out, "--json"]) == EXIT_OK
    d = json.loads(capsys.readouterr().out)
    assert set(d["meta"]) == {"encoder", "segmenter"} and d["extension_bytes"] > 0
    assert main(["info", out]) == EXIT_OK
    assert "fixed overhead" in capsys.readouterr().out


def test_decode_preview_and_verify(encoded, tmp_path, capsys):
    out = str(tmp_path / "out.png")
    assert main(["decode", encoded, "-o", out, "--generator", "preview", "-q", "--dump", str(tmp_path / "d")]) == EXIT_OK
    assert sorted(os.listdir(tmp_path / "d")) == ["colors.png", "final.png", "generated.png", "labels.png", "mask.png"]
    from ssgc_ref.cli.decode import pixel_sha256

    digest = pixel_sha256(np.asarray(Image.open(out).convert("RGB")))
    again = str(tmp_path / "again.png")
    assert main(["decode", encoded, "-o", again, "--generator", "preview", "-q", "--verify", digest]) == EXIT_OK
    wrong = str(tmp_path / "wrong.png")
    assert main(["decode", encoded, "-o", wrong, "--generator", "preview", "-q", "--verify", "0" * 64]) == EXIT_FORMAT
    assert "--verify failed" in one_line_error(capsys)
    assert not os.path.exists(wrong)  # nothing written when verification fails


def test_auto_without_weights_says_it_decoded_the_preview(encoded, tmp_path, capsys):
    assert main(["decode", encoded, "-o", str(tmp_path / "a.png")]) == EXIT_OK
    assert "decoded the normative preview" in capsys.readouterr().out


def test_existing_output_is_kept_without_force(image_path, encoded, capsys):
    before = open(encoded, "rb").read()
    assert main(["encode", image_path, "-o", encoded, "--seed", "12", "--quiet"]) == EXIT_INPUT
    assert "--force" in one_line_error(capsys)
    assert open(encoded, "rb").read() == before


def test_damaged_file_gives_exit_1_and_one_line(encoded, tmp_path, capsys):
    data = bytearray(open(encoded, "rb").read())
    data[len(data) // 2] ^= 1
    bad = tmp_path / "bad.ssgc"
    bad.write_bytes(bytes(data))
    assert main(["info", str(bad)]) == EXIT_FORMAT
    assert "CRC" in one_line_error(capsys)
    bad.write_bytes(b"not an ssgc file at all")
    assert main(["decode", str(bad), "-o", str(tmp_path / "x.png")]) == EXIT_FORMAT
    assert "signature" in one_line_error(capsys)
    assert not (tmp_path / "x.png").exists()


def test_unsupported_version_exit_code(encoded, tmp_path, capsys):
    from conformance.make_vectors import set_header

    f = tmp_path / "v2.ssgc"
    f.write_bytes(set_header(open(encoded, "rb").read(), version=0x30))
    assert main(["info", str(f)]) == EXIT_UNSUPPORTED
    one_line_error(capsys)


def test_missing_and_bad_inputs(tmp_path, image_path, capsys):
    assert main(["info", str(tmp_path / "nope.ssgc")]) == EXIT_IO
    one_line_error(capsys)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert main(["encode", str(junk), "-o", str(tmp_path / "j.ssgc")]) == EXIT_INPUT
    one_line_error(capsys)
    assert main(["encode", image_path, "-o", str(tmp_path / "r.ssgc"), "--roi", "10,10,500,5"]) == EXIT_INPUT
    one_line_error(capsys)
    assert main(["encode", image_path, "-o", str(tmp_path / "s.ssgc"), "--segmenter", "nonesuch"]) == EXIT_INPUT
    assert "superpixel" in one_line_error(capsys)  # the message lists the valid ids
    assert not any(p.name.endswith(".ssgc") for p in tmp_path.iterdir())


def test_decode_several_files_into_a_folder(tmp_path, capsys):
    from pathlib import Path

    from ssgc_ref.cli.decode import pixel_sha256

    vectors = Path(__file__).resolve().parents[1] / "conformance" / "vectors"
    names = ["landscape-200x136", "roi-ellipse-96x64"]
    files = [str(vectors / f"{n}.ssgc") for n in names]
    out = tmp_path / "decoded"
    assert main(["decode", *files, "-o", str(out), "--generator", "preview", "-q"]) == EXIT_OK
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.png" for n in sorted(names)]
    for n, f in zip(names, files):
        single = tmp_path / f"{n}.png"
        assert main(["decode", f, "-o", str(single), "--generator", "preview", "-q"]) == EXIT_OK
        assert pixel_sha256(np.asarray(Image.open(out / f"{n}.png").convert("RGB"))) == \
            pixel_sha256(np.asarray(Image.open(single).convert("RGB")))
    assert main(["decode", *files, "-o", str(out), "--verify", "0" * 64]) == EXIT_INPUT
    one_line_error(capsys)


def test_batch_generation_matches_one_by_one():
    """Files decoded together give exactly the pixels of their single decodes (each picture goes
    through the network alone: stacked, the float sums reorder and moved pixels by one level)."""
    from skimage import data
    from skimage.transform import resize

    from ssgc_ref.decoder import decode_bytes, decode_many
    from ssgc_ref.encoder import EncoderConfig, encode_image

    files = []
    for seed, name in enumerate(("astronaut", "coffee", "rocket")):
        rgb = np.clip(np.rint(resize(getattr(data, name)(), (48, 64), preserve_range=True)), 0, 255).astype(np.uint8)
        files.append(encode_image(rgb, config=EncoderConfig(profile_id=2, steps=4, seed=seed, provenance="none")).data)
    together = decode_many(files)
    assert [r.generator for r in together] == ["ldm"] * 3
    for data_, r in zip(files, together):
        assert np.array_equal(r.image, decode_bytes(data_).image)


def test_provenance_flags_parse_before_the_input():
    p = build_parser()
    assert p.parse_args(["encode", "a.png", "-o", "x.ssgc"]).provenance == "none"
    assert p.parse_args(["encode", "--provenance", "a.png", "-o", "x.ssgc"]).provenance == "short"
    assert p.parse_args(["encode", "--provenance-full", "a.png", "-o", "x.ssgc"]).provenance == "full"
