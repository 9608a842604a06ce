"""The H.266 intra encoder's presets and its optional deblocking, on the VVenC anchor's inputs.

Same inputs and measurement as benchmarks/vvc_anchor.py (its all-intra VVenC anchor): scikit-image's
astronaut/retina (centre 512x512), coffee (600x400), chelsea (448x296), BT.601 limited-range 4:2:0,
8-bit coding, slice QP 55/45/37/32, PSNR-Y of the FFmpeg decode (C path) against the 8-bit luma.
Every configuration is measured in the same run: the presets fast/medium/slow with their defaults
(deblocking on; CTU 32 for fast, 64 otherwise), and medium with CTU 32 or without deblocking; luma
BD-rate against VVenC 1.6.1 `faster` (10-bit internal, from the anchor table) and against our own
`medium`. Encode time = CPU seconds of one process
(single-threaded BLAS asked for through the environment before numpy loads).

Run: .venv/bin/python benchmarks/vvc_presets.py [--images ...] [--configs ...]
Takes several minutes. Writes benchmarks/results/vvc_presets.json.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from vvc_anchor import IMAGES, QPS, VVENC_10BIT, bd_rate, load_image, psnr  # noqa: E402

# name: (preset, deblocking, CTU size); the first three are the presets' defaults
CONFIGS = {"fast": ("fast", True, 32), "medium": ("medium", True, 64), "slow": ("slow", True, 64),
           "medium-ctu32": ("medium", True, 32), "medium-nodeblock": ("medium", False, 64)}


def run(y, cb, cr, qp: int, preset: str, deblocking: bool, ctu: int) -> dict:
    from ssgc_ref.vvc import encode_picture
    from ssgc_ref.vvc.oracle import decode_annexb, set_simd

    t = time.process_time()
    res = encode_picture(y, cb, cr, qp=qp, preset=preset, deblocking=deblocking, ctu_size=ctu)
    enc = time.process_time() - t
    set_simd(False)
    try:
        dec = decode_annexb(res.data)
    finally:
        set_simd(True)
    exact = all(np.array_equal(a, b) for a, b in zip(dec, res.recon))
    return dict(qp=qp, bytes=len(res.data), psnr_y=psnr(dec[0], y), enc_cpu_s=enc, decode_equals_recon=exact)


def main() -> None:
    from ssgc_format.ycbcr import rgb_to_ycbcr420

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", nargs="+", default=list(IMAGES))
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "vvc_presets.json"))
    args = ap.parse_args()
    out: dict = {"settings": {"qps": QPS, "bit_depth": 8, "configs": args.configs}, "images": {}}
    print(f"{'image':<10} {'config':<17} {'QP':>3} {'bytes':>6} {'PSNR-Y':>7} {'cpu s':>6}  exact")
    for name in args.images:
        y, cb, cr = rgb_to_ycbcr420(load_image(name), 8)
        entry: dict = {"rows": {}, "bd_rate_vs_vvenc_faster_10bit": {}, "bd_rate_vs_our_medium": {}}
        for cfg in args.configs:
            preset, dbk, ctu = CONFIGS[cfg]
            rows = []
            for qp in QPS:
                r = run(y, cb, cr, qp, preset, dbk, ctu)
                rows.append(r)
                print(f"{name:<10} {cfg:<17} {qp:>3} {r['bytes']:>6} {r['psnr_y']:>7.2f} {r['enc_cpu_s']:>6.2f}"
                      f"  {r['decode_equals_recon']}", flush=True)
            entry["rows"][cfg] = rows
        anchor = [(a[1], a[2]) for a in VVENC_10BIT[(name, "faster")]]
        base = entry["rows"].get("medium")
        for cfg, rows in entry["rows"].items():
            pts = [(r["bytes"], r["psnr_y"]) for r in rows]
            entry["bd_rate_vs_vvenc_faster_10bit"][cfg] = bd_rate(anchor, pts)
            if base is not None:
                entry["bd_rate_vs_our_medium"][cfg] = bd_rate([(r["bytes"], r["psnr_y"]) for r in base], pts)
        out["images"][name] = entry
    print()
    print(f"{'image':<10} {'config':<17} {'BD vs VVenC faster':>19} {'BD vs our medium':>17} {'cpu s (QP55..32)':>24}")
    for name, entry in out["images"].items():
        for cfg, rows in entry["rows"].items():
            a = entry["bd_rate_vs_vvenc_faster_10bit"][cfg]
            b = entry["bd_rate_vs_our_medium"].get(cfg)
            times = " ".join(f"{r['enc_cpu_s']:.1f}" for r in rows)
            print(f"{name:<10} {cfg:<17} {a:>+18.1f}% {'' if b is None else f'{b:+.1f}%':>17} {times:>24}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
