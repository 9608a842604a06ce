"""Bitstream 2.0 benchmark: fixed overhead, the landscape's file size, the range coder's termination.

    python benchmarks/bitstream.py [--repeat 10] [--out DIR]

1. The bundled 500x500 landscape (``ssgc_ref/examples``), encoded with the reference encoder's
   default options (no ROI, no provenance, the default 16-bit seed derived from the pixels as
   ``ux`` defines it): file size and fixed overhead against the targets (<= 190 bytes,
   <= 24 bytes), and the same content in the version-1 layout as the baseline. The 1.0 size is
   computed from the 1.0 layout (8-byte signature; chunks of 12 framing bytes; SHDR 14, GENP 20
   data bytes; SEND; the two default ``meta`` chunks of 1.0) with the payload sizes of 1.0's
   word flush measured in this run by running constriction's encoder on the same symbols.
2. For bundled photos center-cropped or resized to 512x512 (labels from the weight-free
   ``superpixel`` segmenter, NOT a trained COCO-Stuff model): the bytes of each part, the saving
   of the 2.0 termination per payload (against constriction's whole-word flush, same symbols),
   and the time to write and to read + reconstruct a file next to a zlib/PNG baseline.

Prints its results and writes them as bitstream.json and bitstream.txt (the printed lines) in
--out DIR (default out/benchmarks/; ``--out benchmarks/results`` updates the committed results).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import statistics
import time
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import constriction
import numpy as np
from PIL import Image

from ssgc_format import colormap, labelmap, mask as maskmod, reconstruct
from ssgc_format.entropy import Model, RangeEncoder
from ssgc_format.file import SSGCImage, parse_file, read_ssgc, write_ssgc
from ssgc_format.genparams import GenerationParams
from ssgc_format.header import Header

TARGET_OVERHEAD, TARGET_LANDSCAPE = 24, 190
V1_SIGNATURE, V1_CHUNK, V1_SHDR, V1_GENP = 8, 12, 14, 20  # spec 1.0 §2.1-2.6, §8.2


class _MirroredEncoder(RangeEncoder):
    """The reference encoder, with constriction's encoder fed the same symbols (1.x termination)."""

    log: list[tuple[int, int]] = []  # (2.0 bytes, 1.x bytes) of every payload finished

    def __init__(self) -> None:
        super().__init__()
        self._mirror = constriction.stream.queue.RangeEncoder()

    def encode(self, symbol: int, model: Model) -> None:
        self._mirror.encode(int(symbol), model.categorical())
        super().encode(symbol, model)

    def to_bytes(self) -> bytes:
        data = super().to_bytes()
        _MirroredEncoder.log.append((len(data), 4 * self._mirror.num_words()))
        return data


@contextmanager
def measured_termination() -> Iterator[list[tuple[int, int]]]:
    mods = (labelmap, colormap, maskmod)
    saved = [m.RangeEncoder for m in mods]  # type: ignore[attr-defined]
    _MirroredEncoder.log = []
    for m in mods:
        m.RangeEncoder = _MirroredEncoder  # type: ignore[attr-defined]
    try:
        yield _MirroredEncoder.log
    finally:
        for m, s in zip(mods, saved):
            m.RangeEncoder = s  # type: ignore[attr-defined]


def default_seed(rgb: np.ndarray) -> int:
    """The reference encoder's default seed (shared decision): 16 bits derived from the pixels."""
    h, w = rgb.shape[:2]
    return int.from_bytes(hashlib.sha256(rgb.tobytes() + f"{h}x{w}".encode()).digest()[:2], "big")


def v1_size(payload_v1: list[int], meta: dict[str, str]) -> int:
    """Bytes of the same content in the 1.0 layout (no ROI)."""
    meta_bytes = sum(V1_CHUNK + len(k) + 1 + len(v.encode()) for k, v in meta.items())
    return (V1_SIGNATURE + V1_CHUNK + V1_SHDR + meta_bytes + V1_CHUNK + V1_GENP
            + sum(V1_CHUNK + n for n in payload_v1) + V1_CHUNK)


def landscape() -> dict[str, Any]:
    from ssgc_ref import __version__
    from ssgc_ref.analysis import load_image
    from ssgc_ref.encoder import EncoderConfig, encode_image
    from ssgc_ref.examples import example_path

    rgb = load_image(example_path())
    with measured_termination() as log:
        res = encode_image(rgb, config=EncoderConfig(seed=default_seed(rgb)))
        terms = list(log)
    data = res.data
    pf = parse_file(data)
    payload = {p.name: p.size for p in pf.parts if p.kind == "payload"}
    v1_meta = {"encoder": f"ssgc-ref {__version__}", "segmenter": res.segmenter.split(":")[0]}
    # the file's payloads are the last LABL and CMAP encodings in the log
    lab, cmap = terms[-2], terms[-1]
    assert (lab[0], cmap[0]) == (payload["LABL"], payload["CMAP"])
    h, w = rgb.shape[:2]
    return {"image": "landscape-keong-macan.jpg", "size": [w, h], "file_bytes": len(data),
            "fixed_overhead": pf.fixed_overhead, "payload_bytes": payload,
            "parts": [{"name": p.name, "bytes": p.size, "kind": p.kind} for p in pf.parts],
            "v1_bytes_default": v1_size([lab[1], cmap[1]], v1_meta),
            "v1_bytes_no_meta": v1_size([lab[1], cmap[1]], {}),
            "v1_payload_bytes": {"LABL": lab[1], "CMAP": cmap[1]}}


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
    from ssgc_ref.analysis import load_image
    from ssgc_ref.examples import example_path

    land = load_image(example_path())
    out["landscape"] = np.asarray(Image.fromarray(land).resize((512, 512), Image.LANCZOS))
    return out


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def photo_rows(repeat: int) -> list[dict[str, Any]]:
    from ssgc_ref.analysis import color_grid, downsample_labels
    from ssgc_ref.analysis.segmenters import get_segmenter

    seg = get_segmenter("superpixel")
    rows = []
    for name, rgb in images().items():
        labels = downsample_labels(seg.segment(rgb), 4)
        colors = colormap.quantize_color_map(color_grid(rgb, 5), colormap.DEFAULT_COLOR_SPACE,
                                             colormap.DEFAULT_STEPS)
        img = SSGCImage(header=Header(512, 512, colormap.DEFAULT_COLOR_SPACE, colormap.DEFAULT_STEPS),
                        genparams=GenerationParams(seed=default_seed(rgb)), labels=labels, colors=colors)
        with measured_termination() as log:
            data = write_ssgc(img)
            (lab_new, lab_old), (col_new, col_old) = log[-2], log[-1]
        pf = parse_file(data)

        def read() -> None:
            im = read_ssgc(data)
            reconstruct.label_image(im)
            reconstruct.color_image(im)

        raw = labels.tobytes() + colors.astype(np.uint8).tobytes()
        z = zlib.compress(raw, 9)
        png = io.BytesIO()
        Image.fromarray(labels).save(png, format="PNG", optimize=True)
        png_bytes = png.getvalue()
        rows.append({
            "image": name, "file": len(data), "fixed_overhead": pf.fixed_overhead,
            "labels": lab_new, "labels_v1": lab_old, "colors": col_new, "colors_v1": col_old,
            "write_ms": 1e3 * timed(lambda: write_ssgc(img), repeat),
            "read_reconstruct_ms": 1e3 * timed(read, repeat),
            "baseline_zlib_ms": 1e3 * timed(lambda: zlib.decompress(z), repeat),
            "baseline_png_ms": 1e3 * timed(lambda: np.asarray(Image.open(io.BytesIO(png_bytes))), repeat),
        })
    return rows


def main() -> None:
    from results_dir import add_out_argument, results_path

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    add_out_argument(ap)
    args = ap.parse_args()
    lines: list[str] = []

    def say(s: str) -> None:
        print(s)
        lines.append(s)

    land = landscape()
    say(f"landscape {land['size'][0]}x{land['size'][1]}, default options (no ROI, no provenance, 16-bit seed):")
    say("  " + ", ".join(f"{p['name']} {p['bytes']}" for p in land["parts"]))
    ok_o = land["fixed_overhead"] <= TARGET_OVERHEAD
    ok_f = land["file_bytes"] <= TARGET_LANDSCAPE
    say(f"  fixed overhead {land['fixed_overhead']} bytes (target <= {TARGET_OVERHEAD}: "
        f"{'met' if ok_o else 'NOT met'}); version 1.0 layout: "
        f"{land['v1_bytes_no_meta'] - sum(land['v1_payload_bytes'].values())} bytes without meta, "
        f"{land['v1_bytes_default'] - sum(land['v1_payload_bytes'].values())} with its default meta")
    say(f"  file {land['file_bytes']} bytes (target <= {TARGET_LANDSCAPE}: {'met' if ok_f else 'NOT met'}); "
        f"version 1.0 layout, same content: {land['v1_bytes_default']} bytes with its default meta, "
        f"{land['v1_bytes_no_meta']} without ({land['file_bytes'] / land['v1_bytes_default']:.2f}x, "
        f"{land['file_bytes'] / land['v1_bytes_no_meta']:.2f}x)")
    say(f"  payloads: LABL {land['payload_bytes']['LABL']} (1.0 word flush {land['v1_payload_bytes']['LABL']}), "
        f"CMAP {land['payload_bytes']['CMAP']} (1.0 word flush {land['v1_payload_bytes']['CMAP']})")

    rows = photo_rows(args.repeat)
    say("512x512 photos, superpixel labels (not a trained COCO-Stuff model), defaults, derived 16-bit seed:")
    say(f"  {'image':<12}{'file':>6}{'fixed':>6}{'LABL':>6}{'(1.0)':>6}{'CMAP':>6}{'(1.0)':>6}"
        f"{'write ms':>10}{'read ms':>9}{'zlib ms':>9}{'png ms':>8}")
    for r in rows:
        say(f"  {r['image']:<12}{r['file']:>6}{r['fixed_overhead']:>6}{r['labels']:>6}{r['labels_v1']:>6}"
            f"{r['colors']:>6}{r['colors_v1']:>6}{r['write_ms']:>10.2f}{r['read_reconstruct_ms']:>9.2f}"
            f"{r['baseline_zlib_ms']:>9.3f}{r['baseline_png_ms']:>8.3f}")
    saved = [r["labels_v1"] - r["labels"] for r in rows] + [r["colors_v1"] - r["colors"] for r in rows]
    say(f"  termination saving per payload (2.0 byte-exact vs 1.0 whole-word flush, same symbols): "
        f"mean {statistics.mean(saved):.2f} bytes, min {min(saved)}, max {max(saved)} over {len(saved)} payloads")
    with open(results_path(args, "bitstream.json"), "w") as f:
        json.dump({"repeat": args.repeat, "landscape": land, "rows": rows,
                   "targets": {"fixed_overhead": TARGET_OVERHEAD, "landscape_bytes": TARGET_LANDSCAPE},
                   "termination_saving_bytes": saved}, f, indent=1)
    with open(results_path(args, "bitstream.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
