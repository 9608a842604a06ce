"""The H.266 intra encoder's presets and their tool ablations on the VVenC anchor's inputs, in one run.

Same inputs and measurement as benchmarks/vvc_anchor.py (its all-intra VVenC anchor): scikit-image's
astronaut/retina (centre 512x512), coffee (600x400), chelsea (448x296), plus the ROI-sized crops
(200x200, 96x64); BT.601 limited-range 4:2:0, 8-bit coding, slice QP 55/45/37/32, PSNR-Y of the
FFmpeg decode (C path, checked equal to the encoder's reconstruction) against the 8-bit luma.
Configurations (deblocking on): the presets `fast` (CTU 32, quad-tree only, LFNST), `medium`
(multi-type depth 1, LFNST, ISP) and `slow`; ablations: `fast-nolfnst` (fast without LFNST: the
fast of before LFNST), `fast-isp`, `medium-qt` (medium with quad-tree splits only),
`medium-mtt2` (medium with multi-type depth 2), `medium-nolfnst`, `medium-noisp`, `medium-nosao`,
`fast-nosao` (without LFNST / intra sub-partitions / sample adaptive offset), `medium-tb32` (medium
without the 64-point transforms: MaxTbSizeY 32, a 64x64 CU coded as four 32x32 TUs), `slow-tb32` (the
same for slow), `medium-sdh`, `fast-sdh` (with sign data hiding, off in the presets; it replaces
dependent quantisation), `medium-mrl` (with multiple reference lines, on in medium and slow),
`medium-nomrl`, `slow-nomrl` (without), `medium-dq`, `fast-dq`, `slow-dq` (with dependent
quantisation, on in every preset since this round), `medium-nodq`, `fast-nodq` (without), `medium-mip`,
`fast-mip`, `slow-mip` (with matrix-based intra prediction), `medium-nomip`, `fast-nomip` (without
it, whatever the preset's default). Reported:
luma BD-rate against all-intra VVenC 1.6.1 `faster` and
`medium` (8-bit internal rows; 10-bit in the JSON), against the baseline configuration (`medium`,
or --baseline, or the first of --configs when medium is not run), and the encode CPU time (one
process, single-threaded BLAS asked for through the environment before numpy loads) as a ratio to
the baseline's measured in the same run. benchmarks/vvc_speed.py times the presets against the
encoder as it was before multi-type trees.

Run: .venv/bin/python benchmarks/vvc_presets.py [--images ...] [--configs ...] [--baseline CFG] [--out DIR]
Takes tens of minutes on a loaded 2-core machine. Writes vvc_presets.json in --out DIR (default
out/benchmarks/; ``--out benchmarks/results`` updates the committed results; an --out ending in
.json is still the file itself, as before).
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
from results_dir import add_out_argument, results_file  # noqa: E402
from vvc_anchor import CROPS, IMAGES, QPS, VVENC_AI, bd_rate, load_image, psnr  # noqa: E402

# name: (preset, max_mtt_depth override or None for the preset's)
CONFIGS = {"fast": ("fast", None), "fast-nolfnst": ("fast", None), "fast-isp": ("fast", None),
           "medium-qt": ("medium", 0), "medium": ("medium", None), "medium-mtt2": ("medium", 2),
           "medium-nolfnst": ("medium", None), "medium-noisp": ("medium", None), "medium-tb32": ("medium", None),
           "medium-sdh": ("medium", None), "fast-sdh": ("fast", None), "medium-nosao": ("medium", None),
           "fast-nosao": ("fast", None), "slow": ("slow", None), "slow-tb32": ("slow", None),
           "medium-mrl": ("medium", None), "slow-nomrl": ("slow", None), "medium-dq": ("medium", None),
           "fast-dq": ("fast", None), "slow-dq": ("slow", None), "medium-mip": ("medium", None),
           "fast-mip": ("fast", None), "medium-nomip": ("medium", None), "slow-mip": ("slow", None),
           "fast-nomip": ("fast", None), "medium-nodq": ("medium", None), "fast-nodq": ("fast", None),
           "medium-nomrl": ("medium", None)}
# tool switches of a configuration (encode_picture keyword arguments; absent = the preset's)
TOOLS = {"fast-nolfnst": {"lfnst": False}, "fast-isp": {"isp": True}, "medium-nolfnst": {"lfnst": False},
         "medium-noisp": {"isp": False}, "medium-tb32": {"tb64": False}, "slow-tb32": {"tb64": False},
         "medium-sdh": {"sign_hiding": True}, "fast-sdh": {"sign_hiding": True}, "medium-nosao": {"sao": False},
         "fast-nosao": {"sao": False}, "medium-mrl": {"mrl": True}, "slow-nomrl": {"mrl": False},
         "medium-dq": {"dep_quant": True}, "fast-dq": {"dep_quant": True}, "slow-dq": {"dep_quant": True},
         "medium-mip": {"mip": True}, "fast-mip": {"mip": True}, "medium-nomip": {"mip": False},
         "slow-mip": {"mip": True}, "fast-nomip": {"mip": False}, "medium-nodq": {"dep_quant": False},
         "fast-nodq": {"dep_quant": False}, "medium-nomrl": {"mrl": False}}
DEFAULT_CONFIGS = ("fast", "fast-nolfnst", "medium", "medium-mtt2", "medium-nolfnst", "medium-noisp")
BASE = "medium"


def run(y, cb, cr, qp: int, preset: str, depth: int | None, tools: dict | None = None) -> dict:
    from ssgc_ref.vvc import encode_picture
    from ssgc_ref.vvc.oracle import decode_annexb

    t = time.process_time()
    res = encode_picture(y, cb, cr, qp=qp, preset=preset, max_mtt_depth=depth, **(tools or {}))
    enc = time.process_time() - t
    dec = decode_annexb(res.data, simd=False)
    exact = all(np.array_equal(a, b) for a, b in zip(dec, res.recon))
    return dict(qp=qp, bytes=len(res.data), psnr_y=psnr(dec[0], y), enc_cpu_s=enc, decode_equals_recon=exact)


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:+.1f}%"


def main() -> None:
    from ssgc_format.ycbcr import rgb_to_ycbcr420

    from ssgc_ref.vvc.encoder import encode_picture

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", nargs="+", default=list(IMAGES) + list(CROPS))
    ap.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--baseline", choices=list(CONFIGS), default=None,
                    help=f"the configuration the others are compared with (default {BASE}, or the first of"
                         " --configs when it is not among them)")
    add_out_argument(ap)
    args = ap.parse_args()
    base_cfg = args.baseline or (BASE if BASE in args.configs else args.configs[0])
    # fill the encoder's per-size caches (transform tables, mode operators) and load its compiled
    # kernels (slow: the dependent-quantisation ones) before timing anything
    y0, cb0, cr0 = rgb_to_ycbcr420(load_image("astronaut")[:64, :64], 8)
    for preset in ("fast", "medium", "slow"):
        encode_picture(y0, cb0, cr0, qp=37, preset=preset)
    out: dict = {"settings": {"qps": QPS, "bit_depth": 8, "configs": args.configs, "baseline": base_cfg,
                              "anchor": "VVenC 1.6.1 all-intra (--IntraPeriod 1), benchmarks/vvc_anchor.py"},
                 "images": {}}
    print(f"{'image':<23} {'config':<14} {'QP':>3} {'bytes':>6} {'PSNR-Y':>7} {'cpu s':>6}  exact", flush=True)
    for name in args.images:
        y, cb, cr = rgb_to_ycbcr420(load_image(name), 8)
        entry: dict = {"rows": {}, "bd_rate": {}}
        for cfg in args.configs:
            preset, depth = CONFIGS[cfg]
            rows = []
            for qp in QPS:
                r = run(y, cb, cr, qp, preset, depth, TOOLS.get(cfg))
                rows.append(r)
                print(f"{name:<23} {cfg:<14} {qp:>3} {r['bytes']:>6} {r['psnr_y']:>7.2f} {r['enc_cpu_s']:>6.2f}"
                      f"  {r['decode_equals_recon']}", flush=True)
            entry["rows"][cfg] = rows
        base = entry["rows"].get(base_cfg)
        for cfg, rows in entry["rows"].items():
            pts = [(r["bytes"], r["psnr_y"]) for r in rows]
            b = {}
            for vp in ("faster", "medium"):
                for vbd in (8, 10):
                    anchor = VVENC_AI.get((name, vp, vbd))
                    b[f"vs_vvenc_ai_{vp}_{vbd}bit"] = bd_rate([(a[1], a[2]) for a in anchor], pts) if anchor else None
            if base is not None:
                b[f"vs_{base_cfg}"] = bd_rate([(r["bytes"], r["psnr_y"]) for r in base], pts)
                b["cpu_ratio_vs_" + base_cfg] = sum(r["enc_cpu_s"] for r in rows) / sum(r["enc_cpu_s"] for r in base)
            entry["bd_rate"][cfg] = b
        out["images"][name] = entry
    print()
    print(f"luma BD-rate (8-bit VVenC rows), CPU time as a ratio to {base_cfg} (sum over the 4 QPs), same run:")
    print(f"{'image':<23} {'config':<14} {'vs VVenC faster':>16} {'vs VVenC medium':>16} {'vs ' + base_cfg:>17}"
          f" {'cpu s':>7} {'cpu ratio':>10}  all exact")
    for name, entry in out["images"].items():
        for cfg, b in entry["bd_rate"].items():
            rows = entry["rows"][cfg]
            ratio = b.get("cpu_ratio_vs_" + base_cfg)
            print(f"{name:<23} {cfg:<14} {_pct(b['vs_vvenc_ai_faster_8bit']):>16} {_pct(b['vs_vvenc_ai_medium_8bit']):>16}"
                  f" {_pct(b.get('vs_' + base_cfg)):>17} {sum(r['enc_cpu_s'] for r in rows):>7.1f}"
                  f" {'' if ratio is None else f'{ratio:.2f}x':>10}  {all(r['decode_equals_recon'] for r in rows)}")
    path = results_file(args, "vvc_presets.json")
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
