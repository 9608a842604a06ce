"""Whole-bitstream-layer benchmark: semantic bytes of real images and encode/decode time.

    python benchmarks/bitstream.py [--repeat 20]

For bundled photos center-cropped (or resized) to 512x512: labels from the weight-free
`superpixel` segmenter (NOT a trained COCO-Stuff model: real segmentation output will differ),
color map from the reference encoder's blur+downsample, default quantization. Prints the bytes of
the header (signature, SHDR, SEND), label map and color map (the semantic part, target <= 300
bytes; the 32-byte GENP chunk of generation parameters is shown apart) and the time to
write and to read + reconstruct a file with ssgc_format alone (target: decode < 20 ms), next to a
baseline measured in the same run: zlib-decompressing and PNG-decoding the same label and color
grids. Writes benchmarks/results/bitstream.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
import zlib

import numpy as np
from PIL import Image

from ssgc_format import colormap, reconstruct
from ssgc_format.file import SSGCImage, read_ssgc, write_ssgc
from ssgc_format.genparams import GenerationParams
from ssgc_format.header import Header
from ssgc_ref.analysis import color_grid, downsample_labels, load_image
from ssgc_ref.analysis.segmenters import get_segmenter
from ssgc_ref.report import budget

HERE = os.path.dirname(os.path.abspath(__file__))


def images() -> dict[str, np.ndarray]:
    from skimage import data, transform

    out = {}
    for name in ("astronaut", "coffee", "chelsea", "rocket", "retina"):
        rgb = getattr(data, name)()[:, :, :3]
        h, w = rgb.shape[:2]
        s = min(h, w)
        crop = rgb[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        if s != 512:
            crop = (transform.resize(crop, (512, 512), anti_aliasing=True) * 255).round().astype(np.uint8)
        out[name] = crop
    from ssgc_ref.examples import example_path

    land = load_image(example_path())
    out["landscape (CC0)"] = (land if land.shape[:2] == (512, 512) else
                              np.asarray(Image.fromarray(land).resize((512, 512), Image.LANCZOS)))
    return out


def timed(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    seg = get_segmenter("superpixel")
    rows = []
    print(f"{'image':<18}{'header':>7}{'GENP':>6}{'labels':>7}{'colors':>7}{'semantic':>9}  {'write ms':>9}{'read ms':>9}"
          f"{'zlib ms':>9}{'png ms':>8}  read/zlib")
    for name, rgb in images().items():
        labels = downsample_labels(seg.segment(rgb), 4)
        colors = colormap.quantize_color_map(color_grid(rgb, 5), colormap.DEFAULT_COLOR_SPACE, colormap.DEFAULT_STEPS)
        img = SSGCImage(header=Header(512, 512, colormap.DEFAULT_COLOR_SPACE, colormap.DEFAULT_STEPS),
                        genparams=GenerationParams(seed=1), labels=labels, colors=colors)
        data = write_ssgc(img)
        b = budget(data)["components"]

        def read():
            im = read_ssgc(data)
            reconstruct.label_image(im)
            reconstruct.color_image(im)

        raw = labels.tobytes() + colors.astype(np.uint8).tobytes()
        z = zlib.compress(raw, 9)
        png = io.BytesIO()
        Image.fromarray(labels).save(png, format="PNG", optimize=True)
        png_bytes = png.getvalue()
        t_write = timed(lambda: write_ssgc(img), args.repeat)
        t_read = timed(read, args.repeat)
        t_zlib = timed(lambda: zlib.decompress(z), args.repeat)
        t_png = timed(lambda: np.asarray(Image.open(io.BytesIO(png_bytes))), args.repeat)
        row = {"image": name, "header": b["header"], "genp": b["generation"], "labels": b["labels"], "colors": b["color map"],
               "semantic": b["header"] + b["labels"] + b["color map"], "file": len(data),
               "write_ms": 1e3 * t_write, "read_reconstruct_ms": 1e3 * t_read,
               "baseline_zlib_ms": 1e3 * t_zlib, "baseline_png_ms": 1e3 * t_png}
        rows.append(row)
        print(f"{name:<18}{row['header']:>7}{row['genp']:>6}{row['labels']:>7}{row['colors']:>7}{row['semantic']:>9}  "
              f"{row['write_ms']:>9.2f}{row['read_reconstruct_ms']:>9.2f}{row['baseline_zlib_ms']:>9.3f}"
              f"{row['baseline_png_ms']:>8.3f}  {t_read / t_zlib:>8.0f}x")
    worst = max(r["semantic"] for r in rows)
    slowest = max(r["read_reconstruct_ms"] for r in rows)
    print(f"semantic part: max {worst} bytes (target <= 300: {'met' if worst <= 300 else 'NOT met'}); "
          f"read + reconstruct: max {slowest:.1f} ms (target < 20 ms: {'met' if slowest < 20 else 'NOT met'})")
    print("labels: weight-free superpixel segmenter, not a trained COCO-Stuff model")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "bitstream.json"), "w") as f:
        json.dump({"repeat": args.repeat, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
