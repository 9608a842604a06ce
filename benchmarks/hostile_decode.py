"""Time and memory of the normative decoding (read + label/color/mask reconstruction + preview) on
the largest pictures SHDR allows, against a baseline revision of ``ssgc_format`` (issue 14).

Cases (every file written by ``ssgc_format.file.write_ssgc``; 4-px cells by a SHDR rewrite, since
the encoder refuses such grids):

* ``issue-4px``: W x H with 4-px label and color cells and empty payloads: 2^22 cells per grid
  at 16384x4096 (the issue's 138-byte file decoded 4 M + 12 M symbols from empty payloads);
* ``max-grids``: W x H, 16-px cells (2^18 cells per grid at 16384x4096, the most spec 4.1 and 5.1
  allow), YCoCg-R with full-resolution chroma, constant content, and a mask at 1-px cells;
* ``max-grids-random``: the same grids with random labels and colors (every label an escape,
  color steps 1): the most symbols a payload can make a decoder decode.

Each case runs in a fresh interpreter (CPU seconds from ``time.process_time``, peak RSS from
``getrusage``) with the current tree and with ``--baseline REV`` (default: the revision before
issue 14's fixes), exported by ``git archive``. ``--scale N`` divides both picture sides by N (the
baseline needs minutes at full size: scale 4 is 1/16 of the pixels). Prints one line per case and
revision and writes hostile_decode-scale<N>.json in --out DIR (default out/benchmarks/;
``--out benchmarks/results`` updates the committed results).

    python benchmarks/hostile_decode.py --scale 4 --cases issue-4px max-grids
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.vector_edit import join, split  # noqa: E402
from ssgc_format.colormap import COLOR_SPACE_YCOCG_R, color_grid_size, index_range  # noqa: E402
from ssgc_format.file import MaskGrid, SSGCImage, write_ssgc  # noqa: E402
from ssgc_format.genparams import GenerationParams  # noqa: E402
from ssgc_format.header import Header  # noqa: E402
from ssgc_format.labelmap import label_grid_size  # noqa: E402
from ssgc_format.roi import ROIPayload  # noqa: E402
from results_dir import add_out_argument, results_path  # noqa: E402  (this script's folder)

CHILD = """
import json, resource, sys, time
import numpy as np
from ssgc_format import reconstruct
from ssgc_format.errors import SSGCError
from ssgc_format.file import read_ssgc
data = open(sys.argv[1], "rb").read()
t = time.process_time()
try:
    img = read_ssgc(data)
    t_read = time.process_time() - t
    reconstruct.label_image(img)
    roi = np.zeros((img.roi.height, img.roi.width, 3), np.uint8) if img.roi else None
    reconstruct.preview(img, roi)
    res = {"read_s": t_read, "result": "ok"}
except SSGCError as e:
    res = {"result": type(e).__name__}
except MemoryError:
    res = {"result": "MemoryError"}
res["cpu_s"] = time.process_time() - t
res["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(res))
"""


def _file(case: str, w: int, h: int) -> bytes:
    k = 4
    if case == "max-grids-random":
        steps = (1, 1, 1)
    else:
        steps = (8, 8, 8)
    hdr = Header(width=w, height=h, color_space=COLOR_SPACE_YCOCG_R, color_steps=steps,
                 label_cell_log2=k, color_cell_log2=k, has_roi=case != "issue-4px")
    lab_shape, col_shape = label_grid_size(w, h, k), color_grid_size(w, h, k)
    rng = np.random.default_rng(0)
    if case == "max-grids-random":
        labels = rng.integers(0, 183, lab_shape).astype(np.uint8)
        colors = np.stack([rng.integers(lo, hi + 1, col_shape) for lo, hi in
                           index_range(COLOR_SPACE_YCOCG_R, steps)], -1)
    else:
        labels = np.full(lab_shape, 156, np.uint8)
        colors = np.zeros(col_shape + (3,), np.int64)
    img = SSGCImage(header=hdr, genparams=GenerationParams(), labels=labels, colors=colors)
    if hdr.has_roi:
        m = np.zeros((h, w), bool)
        y0, x0, y1, x1 = h // 4, w // 8, 3 * h // 4, 7 * w // 8
        m[y0:y1, x0:x1] = True
        img = dataclasses.replace(img, mask=MaskGrid(0, m), roi=ROIPayload(
            codec_id=1, x=x0 & ~1, y=y0 & ~1, width=(x1 - x0) & ~1, height=(y1 - y0) & ~1, bit_depth=8,
            substream=b"\x00\x00\x01"))
    data = write_ssgc(img)
    if case == "issue-4px":
        # 4-px cells and empty payloads, as in the issue (edited apart: the file no longer parses)
        parts = split(data)
        parts.header = dataclasses.replace(parts.header, sem=dict(  # type: ignore[type-var]
            label_set=1, label_cell_log2=2, color_cell_log2=2, color_space=2, color_steps=(15, 20, 20)))
        parts.payloads[0] = parts.payloads[1] = b""
        data = join(parts)
    return data


def _run(root: str, path: str) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True, cwd=tempfile.gettempdir(),
                       env=dict(os.environ, PYTHONPATH=root))
    if r.returncode:
        return {"result": f"rc {r.returncode}: {r.stderr.strip().splitlines()[-1][:120]}"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default="a0f099b", help="git revision of the baseline (default %(default)s)")
    ap.add_argument("--scale", type=int, default=1, help="divide 16384x4096 by this on each side")
    ap.add_argument("--cases", nargs="+", default=["issue-4px", "max-grids", "max-grids-random"])
    ap.add_argument("--no-baseline", action="store_true")
    add_out_argument(ap)
    args = ap.parse_args()
    w, h = 16384 // args.scale, 4096 // args.scale
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base")
        os.mkdir(base)
        if not args.no_baseline:
            arch = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline, "ssgc_format"],
                                  capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", base], input=arch, check=True)
        for case in args.cases:
            data = _file(case, w, h)
            path = os.path.join(tmp, f"{case}.ssgc")
            Path(path).write_bytes(data)
            revs = [("current", str(ROOT))] + ([] if args.no_baseline else [(args.baseline, base)])
            for name, root in revs:
                res = _run(root, path)
                res.update(case=case, revision=name, width=w, height=h, bytes=len(data))
                rows.append(res)
                print(f"{case:18s} {w}x{h} {len(data):7d} B  {name:8s} {res['result']:12s} "
                      f"cpu {res.get('cpu_s', float('nan')):7.2f} s  read {res.get('read_s', float('nan')):7.2f} s  "
                      f"peak RSS {res.get('maxrss_mb', float('nan')):6.0f} MB", flush=True)
    out = results_path(args, f"hostile_decode-scale{args.scale}.json")
    out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
