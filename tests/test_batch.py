"""``ssgc-ref batch`` on a local Ray (2 CPUs): eval end to end, killed mid-run and resumed; batch
decode equal to single decodes; manifest, naming and resume rules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssgc_format.errors import InputError
from ssgc_ref.batch.manifest import Manifest
from ssgc_ref.batch.sources import list_sources, output_stems

ray = pytest.importorskip("ray")  # the 'ray' extra; CI installs it with 'test'

ROOT = Path(__file__).resolve().parents[1]
TINY_VECTOR = ROOT / "conformance" / "vectors" / "tiny-model-64x48.ssgc"


def _small(name: str, size: tuple[int, int]) -> np.ndarray:
    from skimage import data
    from skimage.transform import resize

    a = resize(getattr(data, name)(), size, order=1, anti_aliasing=True, preserve_range=True)
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _cli(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               RAY_ADDRESS="")
    return subprocess.Popen([sys.executable, "-m", "ssgc_ref.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, **kw)


def _ray_workers(root: int, title: str) -> list[int]:
    """Processes under ``root`` whose title (Ray names its workers 'ray::FUNCTION') starts with ``title``."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for c in children.get(pid, []):
            todo.append(c)
            try:
                if (Path("/proc") / str(c) / "cmdline").read_bytes().startswith(title.encode()):
                    found.append(c)
            except OSError:
                pass
    return found


def test_output_names_never_collide(tmp_path):
    assert output_stems(["d/a.ssgc", "d/b.ssgc"]) == ["a", "b"]
    assert output_stems(["x/a.ssgc", "y/z/a.ssgc"]) == ["x/a", os.path.join("y", "z", "a")]
    assert output_stems(["p/a.png", "p/a.jpg"]) == ["a_png", "a_jpg"]
    assert output_stems(["-"]) == ["stdin"]
    with pytest.raises(InputError, match="twice"):
        output_stems(["d/a.ssgc", "./d/a.ssgc"])
    (tmp_path / "s").mkdir()
    for n in ("b.png", "a.JPG", ".hidden.png", "notes.txt"):
        (tmp_path / "s" / n).write_bytes(b"")
    assert [Path(p).name for p in list_sources(str(tmp_path / "s"), (".png", ".jpg"))] == ["a.JPG", "b.png"]
    lst = tmp_path / "list.txt"
    lst.write_text("# comment\ns/b.png\n\n")
    assert list_sources(str(lst), (".png",)) == [str(tmp_path / "s" / "b.png")]
    with pytest.raises(InputError):
        list_sources(str(tmp_path / "missing"), (".png",))


def test_manifest_resume_rules(tmp_path):
    m = Manifest(str(tmp_path), {"qp": 40})
    m.append({"key": "a", "status": "ok"})
    m.append({"key": "b", "status": "error", "error": "bad"})
    m.close()
    with open(tmp_path / "manifest.jsonl", "a") as f:
        f.write('{"key": "c", "sta')  # the kill came while this row was written
    (tmp_path / ".ssgc-x.tmp").write_bytes(b"half")
    with pytest.raises(InputError, match="--resume"):
        Manifest(str(tmp_path), {"qp": 40})
    with pytest.raises(InputError, match="qp"):
        Manifest(str(tmp_path), {"qp": 37}, resume=True)
    m = Manifest(str(tmp_path), {"qp": 40}, resume=True)
    assert set(m.done) == {"a"} and m.removed_temporaries == 1  # errors are tried again
    assert not (tmp_path / ".ssgc-x.tmp").exists()
    m.append({"key": "b", "status": "ok"})
    assert [r["status"] for r in m.rows()] == ["ok", "ok"]
    m.close()
    m = Manifest(str(tmp_path), {"qp": 37}, force=True)
    assert m.done == {} and m.rows() == []
    m.close()  # a new run that wrote no row leaves no manifest
    assert not (tmp_path / "manifest.jsonl").exists() and not (tmp_path / "run.json").exists()


@pytest.fixture(scope="module")
def source_folder(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("pictures")
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        Image.fromarray(_small(name, (48, 48))).save(src / f"{name}.png")
    (src / "broken.png").write_bytes(b"this is not a picture")
    return src


def test_batch_eval_killed_and_resumed(source_folder, tmp_path):
    out = tmp_path / "eval"
    args = ["batch", "eval", str(source_folder), "-o", str(out), "--roi", "8,8,16,16", "--qps", "45,40",
            "--seed", "5", "--generator", "preview", "--workers", "2"]
    manifest = out / "manifest.jsonl"
    run = _cli(*args)
    t = time.monotonic()
    killed_worker = False
    try:
        # kill one Ray worker while it encodes (Ray runs its task again), then, once two more images
        # are done, the whole run (driver, Ray and its workers)
        while time.monotonic() - t < 300 and run.poll() is None:
            ok = sum(r["status"] == "ok" for r in _rows(manifest)) if manifest.exists() else 0
            if not killed_worker and Path("/proc").is_dir():
                for pid in _ray_workers(run.pid, "ray::eval_encode_job"):
                    os.kill(pid, signal.SIGKILL)
                    killed_worker, ok_at_kill = True, ok
                    break
            elif ok >= (ok_at_kill if killed_worker else 0) + 2:
                break
            time.sleep(0.05)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
    first = _rows(manifest)
    assert sum(r["status"] == "ok" for r in first) >= 2, "the run ended before two images were done"
    assert killed_worker or not Path("/proc").is_dir(), "no Ray worker seen running an encode task"
    if killed_worker:  # the run went on after losing a worker
        assert sum(r["status"] == "ok" for r in first) >= ok_at_kill + 2
    for row in first:  # every row written names complete outputs
        for rel in row["outputs"].values():
            assert (out / rel).stat().st_size > 0

    resumed = _cli(*args, "--resume")
    text, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 5, text  # broken.png failed (twice): exit 5, the rest is done
    rows = _rows(manifest)
    keys = [r["key"] for r in rows]
    expected = {f"{n}@qp{q}" for n in ("astronaut", "broken", "chelsea", "coffee", "rocket") for q in (45, 40)}
    assert set(keys) == expected
    assert rows[: len(first)] == first  # finished rows kept as they were ...
    done_first = {r["key"] for r in first if r["status"] == "ok"}
    assert not done_first & {r["key"] for r in rows[len(first):]}  # ... and not redone
    assert f"resuming: {len(done_first)} of {len(expected)} images done" in text
    assert not list(out.rglob(".ssgc-*.tmp"))

    latest = {r["key"]: r for r in rows}
    assert latest["broken@qp45"]["status"] == "error" and "\n" not in latest["broken@qp45"]["error"]
    for key, r in latest.items():
        if key.startswith("broken"):
            continue
        assert r["status"] == "ok", r
        assert r["seed"] == 5 and r["qp"] == int(key[-2:])
        assert r["bytes"]["total"] == (out / r["outputs"]["ssgc"]).stat().st_size
        assert r["bpp"]["total"] == pytest.approx(8 * r["bytes"]["total"] / (48 * 48), abs=1e-5)
        assert r["roi"]["rect"] == [8, 8, 16, 16] and r["roi"]["share"] == pytest.approx(256 / 48 ** 2, abs=1e-5)
        for codec in ("ssgc", "vvc_alone"):
            m = r[codec]
            assert 10 < m["psnr_y_roi"] < 60 and 0 < m["ms_ssim"] <= 1 and m["ms_ssim_scales"] >= 1
            assert m["learned"].startswith("absent")
        assert r["vvc_alone"]["bytes"] <= r["bytes"]["total"]  # the anchor at equal bytes
        assert r["ssgc"]["generator"] == "preview"
        for kind in ("ssgc", "png", "vvc_stream", "vvc_png"):
            assert (out / r["outputs"][kind]).exists()
    assert (out / "rate_quality.png").stat().st_size > 0 and (out / "contact_sheet.png").stat().st_size > 0

    # the decoded picture of the batch is the single decode of its file
    from ssgc_ref.cli.decode import pixel_sha256
    from ssgc_ref.decoder import decode_bytes

    r = latest["coffee@qp40"]
    single = decode_bytes((out / r["outputs"]["ssgc"]).read_bytes(), generator="preview").image
    assert pixel_sha256(np.asarray(Image.open(out / r["outputs"]["png"]).convert("RGB"))) == \
        pixel_sha256(single) == r["ssgc"]["pixels_sha256"]

    again = _cli(*args)  # a finished run's folder is not reused by mistake
    text, _ = again.communicate(timeout=120)
    assert again.returncode == 5 and "--resume" in text


def test_batch_decode_equals_single_decodes(tmp_path):
    """Batch decode on two decoder actors: the tiny-model file through the diffusion generator, a
    preview file, a damaged one; pixels equal to single decodes, the damaged file an error row."""
    from ssgc_ref.cli.decode import pixel_sha256
    from ssgc_ref.decoder import decode_bytes
    from ssgc_ref.encoder import EncoderConfig, encode_image

    src = tmp_path / "files"
    (src / "sub").mkdir(parents=True)
    (src / "tiny.ssgc").write_bytes(TINY_VECTOR.read_bytes())
    data = encode_image(_small("coffee", (32, 48)), config=EncoderConfig(seed=3, provenance="none")).data
    (src / "sub" / "tiny.ssgc").write_bytes(data)  # same base name, another folder
    (src / "bad.ssgc").write_bytes(data[:-9])
    out = tmp_path / "png"
    run = _cli("batch", "decode", str(src), "-o", str(out), "--workers", "2")
    text, _ = run.communicate(timeout=600)
    assert run.returncode == 1, text
    rows = {r["key"]: r for r in _rows(out / "manifest.jsonl")}
    assert set(rows) == {"bad", "tiny", "sub/tiny"}
    assert rows["bad"]["status"] == "error" and rows["bad"]["error"]
    assert rows["tiny"]["generator"] == "ldm" and rows["sub/tiny"]["generator"] == "preview"
    for key in ("tiny", "sub/tiny"):
        single = decode_bytes((src / f"{key}.ssgc").read_bytes()).image
        got = np.asarray(Image.open(out / f"{key}.png").convert("RGB"))
        assert pixel_sha256(got) == pixel_sha256(single) == rows[key]["pixels_sha256"]


def test_batch_encode_equals_single_encodes_and_records_no_face(tmp_path):
    from ssgc_ref.cli import main

    src = tmp_path / "pics"
    src.mkdir()
    Image.fromarray(_small("astronaut", (112, 112))).save(src / "face.png")
    Image.fromarray(_small("coffee", (40, 56))).save(src / "cup.png")
    opts = ["--roi", "faces", "--no-face", "skip", "--qp", "45", "--seed", "9"]
    out = tmp_path / "coded"
    run = _cli("batch", "encode", str(src), "-o", str(out), "--workers", "2", *opts)
    text, _ = run.communicate(timeout=600)
    assert run.returncode == 0, text
    rows = {r["key"]: r for r in _rows(out / "manifest.jsonl")}
    assert rows["cup"]["status"] == "skipped" and rows["cup"]["roi"]["outcome"] == "no-face:skip"
    assert rows["cup"]["outputs"] == {} and not (out / "cup.ssgc").exists()
    face = rows["face"]
    assert face["status"] == "ok" and face["roi"]["outcome"] == "faces:1" and face["seed"] == 9
    assert main(["encode", str(src / "face.png"), "-o", str(tmp_path / "single.ssgc"), "--quiet", *opts]) == 0
    assert (out / "face.ssgc").read_bytes() == (tmp_path / "single.ssgc").read_bytes()
