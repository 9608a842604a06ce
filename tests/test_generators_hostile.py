"""Bad model folders, weights files, checkpoints and devices: one line, the right exit code, no
traceback, bounded memory (issues 12 and 14, model side).

The table runs through the CLI in ONE child process (``_DRIVER``: ``ssgc_ref.cli.main`` per case,
stderr captured per case, any escaping exception recorded as a traceback), because importing torch
and diffusers costs seconds per process; a few cases also go through the real ``ssgc-ref`` entry
point, and the memory cases run it under ``resource.setrlimit``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
import torch

from ssgc_ref.generators.ldm import TINY_MODEL_DIR
from ssgc_ref.generators.safetensors_io import write_file

ROOT = Path(__file__).resolve().parents[1]
_TMP = tempfile.TemporaryDirectory(prefix="ssgc-hostile-")


def tiny_file() -> Path:
    """A 64x48 profile-2 file (8 guided steps), encoded once: what the bad models must decode."""
    path = Path(_TMP.name) / "tiny.ssgc"
    if not path.exists():
        import numpy as np

        from ssgc_ref.encoder import EncoderConfig, encode_image
        rgb, labels = np.full((48, 64, 3), 120, np.uint8), np.full((48, 64), 5, np.uint8)
        path.write_bytes(encode_image(rgb, labels=labels, config=EncoderConfig(profile_id=2, steps=8, seed=7)).data)
    return path


UNET = "unet/diffusion_pytorch_model.safetensors"
ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))

_DRIVER = r"""
import contextlib, io, json, resource, sys, traceback, warnings
if len(sys.argv) > 3:  # an address-space limit for the whole run
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
from ssgc_ref.cli import main
results = []
for argv in json.load(open(sys.argv[1])):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
        except BaseException:
            traceback.print_exc(file=err)
            code = "traceback"
    results.append([code, err.getvalue()])
json.dump(results, open(sys.argv[2], "w"))
"""


# --- builders: each makes its bad input under `d` and returns the command line -----------------
def _model_copy(d: Path, name: str) -> Path:
    out = d / name
    shutil.copytree(TINY_MODEL_DIR, out)
    return out


# never written: every case fails before the output (a .png, since decode writes the format the name says)
OUT_PNG = os.path.join(tempfile.gettempdir(), "ssgc-hostile-never-written.png")


def _decode(model: Path | None, *extra: str) -> list[str]:
    argv = ["decode", str(tiny_file()), "-o", OUT_PNG, "--force", "-q", "--generator", "ldm"]
    return argv + (["--model", str(model)] if model is not None else []) + list(extra)


def manifest(text: str | bytes):
    def build(d: Path, name: str) -> list[str]:
        m = _model_copy(d, name)
        (m / "ssgc-model.json").write_bytes(text if isinstance(text, bytes) else text.encode())
        return _decode(m)
    return build


def weights(make):
    def build(d: Path, name: str) -> list[str]:
        m = _model_copy(d, name)
        f = m / UNET
        good = f.read_bytes()
        f.unlink()
        make(f, good)
        return _decode(m)
    return build


def _header_file(f: Path, header: dict, total: int | None = None) -> None:
    raw = json.dumps(header).encode()
    with open(f, "wb") as fh:
        fh.write(len(raw).to_bytes(8, "little") + raw)
        if total is not None:
            fh.truncate(total)  # sparse: no disk used


def _sparse_8g(f: Path, good: bytes) -> None:
    n = 8 << 30
    _header_file(f, {"conv_in.weight": {"dtype": "F32", "shape": [n // 4], "data_offsets": [0, n]}}, None)
    with open(f, "r+b") as fh:
        fh.truncate(f.stat().st_size + n)


def _fifo(f: Path, good: bytes) -> None:
    os.mkfifo(f)


def device(name: str):
    return lambda d, n: _decode(None, "--device", name)


def checkpoint(make):
    def build(d: Path, name: str) -> list[str]:
        path = make(d / name)
        return ["convert-model", str(path), "-o", str(d / (name + ".out")), "--profile", "2"]
    return build


def _saved(obj):
    def make(p: Path) -> Path:
        p = p.with_suffix(".ckpt")
        torch.save(obj() if callable(obj) else obj, p)
        return p
    return make


def _raw(data: bytes, suffix: str = ".ckpt"):
    def make(p: Path) -> Path:
        p = p.with_suffix(suffix)
        p.write_bytes(data)
        return p
    return make


_BOMBS: dict[str, Path] = {}


def _zip_bomb(p: Path) -> Path:
    """A torch.save zip with one more storage entry, deflated, declaring 1 GiB (a ~1 MB file)."""
    if "bomb" in _BOMBS:
        shutil.copy(_BOMBS["bomb"], p.with_suffix(".ckpt"))
        return p.with_suffix(".ckpt")
    p = p.with_suffix(".ckpt")
    torch.save({"state_dict": {"x": torch.zeros(1)}}, p)
    with zipfile.ZipFile(p) as z:
        prefix = z.namelist()[0].split("/")[0]
    with zipfile.ZipFile(p, "a", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open(f"{prefix}/data/1", "w", force_zip64=True) as w:
            block = bytes(1 << 20)
            for _ in range(1024):
                w.write(block)
    _BOMBS["bomb"] = p
    return p


class _Evil:
    def __init__(self, how: str, target: str):
        self.how, self.target = how, target

    def __reduce__(self):
        if self.how == "system":  # torch's loader refuses os/posix globals outright
            return (os.system, (f"touch {self.target}",))
        return (shutil.rmtree, (self.target,))  # any other global: replaced by an inert stub


def _evil(p: Path, how: str) -> Path:
    """A checkpoint whose pickle calls code on load: creates `PWNED` or deletes `victim/`."""
    (p.parent / "victim").mkdir(exist_ok=True)
    target = p.parent / ("PWNED" if how == "system" else "victim")
    p = p.with_suffix(".ckpt")
    torch.save({"state_dict": {"x": torch.zeros(1)}, "payload": _Evil(how, str(target))}, p)
    return p


def _fifo_ckpt(p: Path) -> Path:
    p = p.with_suffix(".ckpt")
    os.mkfifo(p)
    return p


def _full_sd(**edits):
    def make():
        from test_generators_convert import TINY, synthetic_state_dict
        sd = synthetic_state_dict(TINY)
        for k, v in edits.items():
            sd[k.replace("__", ".")] = v
        return {"state_dict": sd}
    return make


def _existing_out(force: bool, model_folder: bool):
    def build(d: Path, name: str) -> list[str]:
        ck = d / (name + ".ckpt")
        torch.save(_full_sd()(), ck)
        out = d / (name + ".out")
        out.mkdir()
        (out / ("ssgc-model.json" if model_folder else "my-notes.txt")).write_text("keep me")
        return ["convert-model", str(ck), "-o", str(out), "--profile", "2"] + (["--force"] if force else [])
    return build


CASES = {
    # model folders (decode --model DIR --generator ldm)
    "manifest-list": (manifest("[]"), 4, "JSON object, not list"),
    "manifest-null": (manifest("null"), 4, "not null"),
    "manifest-string": (manifest('"tiny"'), 4, "not str"),
    "manifest-nested-100000": (manifest("[" * 100000 + "]" * 100000), 4, "not valid JSON"),
    "manifest-truncated": (manifest('{"format": "ssgc-'), 4, "not valid JSON"),
    "manifest-not-utf8": (manifest(b"\xff\xfe{}"), 4, "not valid JSON"),
    "manifest-profile-string": (manifest('{"format": "ssgc-model/1", "profile_id": "2"}'), 4, "profile_id"),
    "manifest-no-format": (manifest('{"profile_id": 2}'), 4, "ssgc-model/1"),
    "manifest-huge": (manifest(" " * (2 << 20) + "{}"), 4, "at most"),
    "weights-missing": (weights(lambda f, g: None), 4, "no such weights file"),
    "weights-empty": (weights(lambda f, g: f.write_bytes(b"")), 4, "too short"),
    "weights-truncated": (weights(lambda f, g: f.write_bytes(g[: len(g) // 2])), 4, "truncated or damaged"),
    "weights-random": (weights(lambda f, g: f.write_bytes(os.urandom(4096))), 4, "not a safetensors file"),
    "weights-header-len-huge": (weights(lambda f, g: f.write_bytes(b"\xff" * 8 + b"{}")), 4, "header length"),
    "weights-bad-json": (weights(lambda f, g: f.write_bytes((10).to_bytes(8, "little") + b"{not json}")), 4,
                         "not valid JSON"),
    "weights-json-list": (weights(lambda f, g: f.write_bytes((2).to_bytes(8, "little") + b"[]")), 4, "not an object"),
    "weights-sparse-8g": (weights(_sparse_8g), 4, "wrong shape"),
    "weights-int-dtype": (weights(lambda f, g: _header_file(
        f, {"conv_in.weight": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, None)), 4, "floating point"),
    "weights-fifo": (weights(_fifo), 4, "a FIFO"),
    "weights-folder": (weights(lambda f, g: f.mkdir()), 4, "a folder"),
    "model-not-a-folder": (lambda d, n: _decode(d / "nonexistent"), 4, "not a model folder"),
    # devices (checked before the model is read)
    "device-cuda": (device("cuda"), 5, "device 'cuda'"),
    "device-cuda-7": (device("cuda:7"), 5, "device 'cuda:7'"),
    "device-bogus": (device("bogus"), 5, "not a device name"),
    "device-meta": (device("meta"), 5, "meta device holds no data"),
    "device-cpu-3": (device("cpu:3"), 5, "one CPU device"),
    "device-empty": (device(""), 5, "not a device name"),
    # checkpoints (convert-model)
    "ckpt-missing": (checkpoint(lambda p: p.with_suffix(".ckpt")), 4, "no such checkpoint file"),
    "ckpt-empty": (checkpoint(_raw(b"")), 4, "not a PyTorch checkpoint"),
    "ckpt-junk": (checkpoint(_raw(b"not a checkpoint at all" * 50)), 4, "not a PyTorch checkpoint"),
    "ckpt-dev-zero": (lambda d, n: ["convert-model", "/dev/zero", "-o", str(d / n), "--profile", "2"], 4, "a device"),
    "ckpt-fifo": (checkpoint(_fifo_ckpt), 4, "a FIFO"),
    "ckpt-folder": (checkpoint(lambda p: (p.mkdir(), p)[1]), 4, "a folder"),
    "ckpt-zip-bomb": (checkpoint(_zip_bomb), 4, "compressed"),
    "ckpt-meta-tensor": (checkpoint(_saved({"state_dict": {"w": torch.empty(3, device="meta")}})), 4, "meta tensor"),
    "ckpt-sparse-tensor": (checkpoint(_saved(lambda: {"state_dict": {"w": torch.eye(3).to_sparse()}})), 4, "sparse"),
    "ckpt-nested-tensor": (checkpoint(_saved(lambda: {"state_dict": {
        "w": torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)])}})), 4, "nested tensor"),
    "ckpt-quantized-tensor": (checkpoint(_saved(lambda: {"state_dict": {
        "w": torch.quantize_per_tensor(torch.zeros(4), 0.1, 0, torch.qint8)}})), 4, "quantized"),
    "ckpt-complex-tensor": (checkpoint(_saved({"state_dict": {"w": torch.zeros(2, dtype=torch.complex64)}})), 4,
                            "complex"),
    "ckpt-pickled-os-system": (checkpoint(lambda p: _evil(p, "system")), 4, "cannot be read safely"),
    "ckpt-pickled-foreign-global": (checkpoint(lambda p: _evil(p, "rmtree")), 4, "missing tensors"),
    "ckpt-no-state-dict": (checkpoint(_saved([1, 2, 3])), 4, "no state_dict"),
    "ckpt-int-weight": (checkpoint(_saved(_full_sd(cond_stage_model__channel_mapper__weight=torch.zeros(
        3, 182, 1, 1, dtype=torch.int64)))), 4, "floating point"),
    "ckpt-nan-weight": (checkpoint(_saved(_full_sd(cond_stage_model__channel_mapper__weight=torch.full(
        (3, 182, 1, 1), float("nan"))))), 4, "NaN"),
    "ckpt-scale-factor": (checkpoint(_saved(_full_sd(scale_factor=torch.tensor(0.18215)))), 4, "scale_factor is 0.18215"),
    "ckpt-safetensors-junk": (checkpoint(_raw(os.urandom(1000), ".safetensors")), 4, "not a safetensors file"),
    "ckpt-require-ema-absent": (lambda d, n: checkpoint(_saved(_full_sd()))(d, n) + ["--weights", "ema"], 4,
                                "no EMA weights"),
    "out-exists": (_existing_out(force=False, model_folder=True), 5, "exists (use --force"),
    "out-exists-not-a-model": (_existing_out(force=True, model_folder=False), 5, "not a model folder"),
    "bad-weights-option": (lambda d, n: ["convert-model", "x.ckpt", "-o", str(d / n), "--weights", "best"], 5,
                           "invalid choice"),
}


def _run_driver(d: Path, argvs: list[list[str]], limit: int | None = None) -> list:
    (d / "argv.json").write_text(json.dumps(argvs))
    extra = [str(limit)] if limit else []
    subprocess.run([sys.executable, "-c", _DRIVER, str(d / "argv.json"), str(d / "out.json"), *extra], env=ENV,
                   cwd=d, timeout=600, check=True)  # a case that hangs (reading a FIFO) fails by the timeout
    return json.loads((d / "out.json").read_text())


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    argvs = [build(d, name) for name, (build, _, _) in CASES.items()]
    out = _run_driver(d, argvs)
    return {name: (r[0], r[1], d, argv) for name, r, argv in zip(CASES, out, argvs)}
@pytest.mark.parametrize("name", list(CASES))
def test_one_line_error(results, name):
    code, err, d, argv = results[name]
    _, want_code, want_text = CASES[name]
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ssgc-ref") and ": error: " in lines[0] or want_code == 2, err
    assert code == want_code, err
    assert want_text in err, err
    if want_code == 4 and argv[0] == "convert-model" and "-o" in argv:
        assert not Path(argv[argv.index("-o") + 1]).exists()  # nothing written on failure
    assert not list(d.glob(".*.tmp")), "a temporary model folder was left behind"


def test_existing_model_folder_kept_without_force(results):
    _, _, d, argv = results["out-exists"]
    assert (Path(argv[argv.index("-o") + 1]) / "ssgc-model.json").read_text() == "keep me"
    _, _, d, argv = results["out-exists-not-a-model"]
    assert (Path(argv[argv.index("-o") + 1]) / "my-notes.txt").read_text() == "keep me"


def test_pickled_code_never_ran(results):
    _, _, d, _ = results["ckpt-pickled-os-system"]
    assert not (d / "PWNED").exists() and (d / "victim").is_dir()


def test_entry_point_one_line():
    """The installed console script itself (not main() in a driver): a bad device, one line, exit 5."""
    script = Path(sys.executable).parent / "ssgc-ref"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "ssgc_ref.cli"]
    p = subprocess.run(cmd + _decode(None, "--device", "cuda:7"), env=ENV, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 5 and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "cuda:7" in p.stderr


def test_memory_bounded_for_huge_claims(tmp_path):
    """A weights file claiming 8 GiB (sparse), a header length of 2^64-1 and a 1 GiB zip bomb, all
    under a 2 GiB address-space limit (the tiny decode itself peaks near 0.9 GiB of address space)."""
    m1, m2 = _model_copy(tmp_path, "sparse"), _model_copy(tmp_path, "header")
    (m1 / UNET).unlink()
    _sparse_8g(m1 / UNET, b"")
    assert (m1 / UNET).stat().st_size > 8 << 30
    (m2 / UNET).write_bytes(b"\xff" * 8 + b"{}")
    bomb = _zip_bomb(tmp_path / "bomb")
    assert bomb.stat().st_size < 4 << 20
    with zipfile.ZipFile(bomb) as z:
        assert sum(i.file_size for i in z.infolist()) > 1 << 30
    argvs = [_decode(m1), _decode(m2), ["convert-model", str(bomb), "-o", str(tmp_path / "o"), "--profile", "2"]]
    out = _run_driver(tmp_path, argvs, limit=2 << 30)
    for (code, err), text in zip(out, ["wrong shape", "header length", "compressed"]):
        assert code == 4 and "Traceback" not in err and len(err.strip().splitlines()) == 1 and text in err, err


def test_deterministic_model_folders(tmp_path):
    """Two conversions of one checkpoint give the same bytes in every file (issue 15)."""
    from test_generators_convert import TINY, synthetic_state_dict

    ck = tmp_path / "model.ckpt"
    torch.save({"state_dict": synthetic_state_dict(TINY)}, ck)
    from ssgc_ref.generators.convert import convert_checkpoint

    m1 = convert_checkpoint(ck, tmp_path / "a", profile_id=2)
    m2 = convert_checkpoint(ck, tmp_path / "b", profile_id=2)
    assert m1 == m2
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 7  # manifest, 3 x (weights + config)
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    # and the library reads our writer's files
    from safetensors.torch import load_file
    sd = load_file(str(tmp_path / "a" / UNET))
    assert torch.equal(sd["conv_in.weight"], synthetic_state_dict(TINY)["model.diffusion_model.input_blocks.0.0.weight"])


def test_force_replaces_a_model_folder_atomically(tmp_path):
    from test_generators_convert import TINY, synthetic_state_dict

    from ssgc_format.errors import InputError
    from ssgc_ref.generators.convert import convert_checkpoint

    ck = tmp_path / "model.ckpt"
    torch.save({"state_dict": synthetic_state_dict(TINY, seed=1)}, ck)
    out = tmp_path / "m"
    first = convert_checkpoint(ck, out, profile_id=2)
    torch.save({"state_dict": synthetic_state_dict(TINY, seed=2)}, ck)
    with pytest.raises(InputError, match="exists"):
        convert_checkpoint(ck, out, profile_id=2)
    assert json.loads((out / "ssgc-model.json").read_text())["weights_sha256"] == first["weights_sha256"]
    second = convert_checkpoint(ck, out, profile_id=2, force=True)
    assert second["weights_sha256"] != first["weights_sha256"]
    assert json.loads((out / "ssgc-model.json").read_text())["weights_sha256"] == second["weights_sha256"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "model.ckpt"]  # no temporary left
