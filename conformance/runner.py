"""Conformance runner: checks a decoder against the test vectors of ``conformance/vectors.json``.

    python -m conformance.runner                  check the reference decoder (ssgc_format + ssgc_ref)
    python -m conformance.runner --decoder 'mydec {input} {output}'
                                                  check another decoder: it must write the preview
                                                  decode (spec 9.5) of {input} as a PNG to {output},
                                                  and exit non-zero on every invalid vector

Each valid vector lists SHA-256 hashes (spec 9.6) of its normative outputs: the label grid, the
dequantized color grid, the full-resolution label image, color image and mask, the decoded ROI and
the preview. Vectors that name the tiny conformance model (profile 2) also carry the expected
decoded picture, which a decoder must match within the tolerance of spec 8.9. Each invalid vector names the error class a decoder must report (the reference decoder
must raise exactly that class; another decoder must just fail). Prints one line per vector and a
closing 'N passed, N failed' line; exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .hashes import array_sha256, file_sha256  # relative: also installed as ssgc_conformance

HERE = Path(__file__).resolve().parent
VECTORS_JSON = HERE / "vectors.json"


def normative_outputs(data: bytes) -> dict[str, np.ndarray]:
    """Every bit-exact output of the decoding process of spec §9.1 steps 1-4 and the preview."""
    from ssgc_format import reconstruct
    from ssgc_format.file import read_ssgc

    img = read_ssgc(data)
    out = {
        "label_grid": img.labels,
        "color_grid": reconstruct.color_grid_rgb(img),
        "label_image": reconstruct.label_image(img),
        "color_image": reconstruct.color_image(img),
        "mask": reconstruct.mask_image(img),
    }
    roi_rgb = None
    if img.roi is not None:
        from ssgc_ref.roi_codec import decode_roi

        r = img.roi
        roi_rgb = out["roi_rgb"] = decode_roi(r.substream, r.width, r.height, r.bit_depth)
    out["preview"] = reconstruct.preview(img, roi_rgb)
    return out


def expected_hashes(data: bytes) -> dict[str, str]:
    return {k: array_sha256(v) for k, v in normative_outputs(data).items()}


def load_vectors() -> list[dict]:
    with open(VECTORS_JSON) as f:
        return json.load(f)["vectors"]


def check_reference(v: dict, data: bytes) -> str | None:
    """None when the reference decoder conforms on vector ``v``, else what went wrong."""
    from ssgc_format import errors

    if "error" in v:
        cls = getattr(errors, v["error"])
        try:
            normative_outputs(data)
        except cls as e:
            return None if v.get("message", "") in str(e) else f"message {str(e)!r} lacks {v['message']!r}"
        except errors.SSGCError as e:
            return f"raised {type(e).__name__} ({e}), expected {v['error']}"
        return f"decoded without error, expected {v['error']}"
    got = expected_hashes(data)
    bad = [k for k, h in v["expect"].items() if got.get(k) != h]
    if bad:
        return f"hash mismatch: {', '.join(bad)}"
    if "generated" in v:
        return check_generated(v, data)
    return None


def check_generated(v: dict, data: bytes) -> str | None:
    """Decode with the model the file names and compare with the expected picture within the
    tolerance of spec 8.9 (RMSE and peak error over all 8-bit samples)."""
    from PIL import Image

    from ssgc_ref.decoder import decode_bytes

    g = v["generated"]
    with Image.open(HERE / g["file"]) as im:
        expected = np.asarray(im.convert("RGB")).astype(np.float64)
    got = decode_bytes(data, generator="ldm").image.astype(np.float64)
    if got.shape != expected.shape:
        return f"decoded {got.shape}, expected {expected.shape}"
    d = got - expected
    rmse, peak = float(np.sqrt((d * d).mean())), float(np.abs(d).max())
    if rmse > g["max_rmse"] or peak > g["max_peak"]:
        return f"generated picture outside tolerance: RMSE {rmse:.3f} (max {g['max_rmse']}), peak {peak:.0f} (max {g['max_peak']})"
    return None


def check_external(v: dict, path: Path, command: str) -> str | None:
    """Run an external decoder on a vector; compare its PNG with the preview hash."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.png")
        cmd = [part.replace("{input}", str(path)).replace("{output}", out) for part in shlex.split(command)]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=600)
        except subprocess.TimeoutExpired:
            return "timed out after 600 s"
        if "error" in v:
            return None if proc.returncode != 0 else "exit code 0 on an invalid file"
        if proc.returncode != 0:
            return f"exit code {proc.returncode}: {proc.stderr.decode(errors='replace').strip()[:200]}"
        with Image.open(out) as im:
            rgb = np.asarray(im.convert("RGB"))
        return None if array_sha256(rgb) == v["expect"]["preview"] else "preview hash mismatch"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m conformance.runner", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--decoder", help="external decoder command with {input} and {output} placeholders")
    ap.add_argument("-k", metavar="SUBSTRING", help="only vectors whose name contains this")
    args = ap.parse_args(argv)
    passed = failed = 0
    vectors = [v for v in load_vectors() if not args.k or args.k in v["name"]]
    for v in vectors:
        path = HERE / v["file"]
        data = path.read_bytes()
        problem = None
        if file_sha256(data) != v["file_sha256"]:
            problem = "vector file damaged (its SHA-256 differs from vectors.json)"
        elif args.decoder:
            problem = check_external(v, path, args.decoder)
        else:
            problem = check_reference(v, data)
        status = "ok  " if problem is None else "FAIL"
        print(f"{status} {v['name']:<34} {v['description']}" + (f"\n     {problem}" if problem else ""))
        passed += problem is None
        failed += problem is not None
    print_coverage(vectors)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def clause_coverage(vectors: list[dict]) -> dict[str, tuple[int, int]]:
    """Spec clause -> (valid vectors, invalid vectors) naming it, clauses in document order."""
    cov: dict[str, list[int]] = {}
    for v in vectors:
        for c in v["clauses"].split():
            cov.setdefault(c, [0, 0])[1 if "error" in v else 0] += 1

    def key(c: str) -> tuple:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in c.split("."))
    return {c: (n[0], n[1]) for c, n in sorted(cov.items(), key=lambda kv: key(kv[0]))}


def print_coverage(vectors: list[dict]) -> None:
    cov = clause_coverage(vectors)
    print("coverage per spec clause (valid + invalid vectors): "
          + ", ".join(f"{c}: {a}+{b}" for c, (a, b) in cov.items()))


if __name__ == "__main__":
    sys.exit(main())
