"""MASK coding (spec §6) against general-purpose lossless coders, on region-of-interest masks.

Masks: the astronaut's face (scikit-image's LBP frontal-face cascade via
``ssgc_ref.analysis.roi.detect_faces``, the bounding box grown by 25% of its size on every side)
as that rectangle and as the ellipse inscribed in it; hand-made shapes on 512x512: a disc, a ring
(disc with a hole), two components (an ellipse and a rotated square), and a 768x513 blob with a
hole (non-multiple sizes). Each is coarsened to mask_cell_log2 0..3 with ``coarsen_mask`` (a cell
is set if any of its pixels is), and every coder codes that same grid:

* MASK: ``encode_mask`` (the payload bytes, a multiple of 4);
* PNG: 1-bit, Pillow ``optimize=True``; WebP: lossless, Pillow method=6, quality=100;
* zlib level 9 and LZMA2 raw (preset 9|EXTREME, no .xz container) of ``np.packbits`` of the grid.

"best" is the smallest of PNG/WebP/zlib/LZMA; "ratio" = MASK / best. Encode/decode times are per
grid, best of 3, on this machine. Run: ``python benchmarks/mask.py`` (prints a table, writes
mask.json in --out DIR, default out/benchmarks/).
"""

from __future__ import annotations

import io
import json

import numpy as np

import baselines
from baselines import best_time, webp_lossless_bytes

from ssgc_format import mask as mk

RESULTS_NAME = "mask.json"


# ---- masks -------------------------------------------------------------------------------------

def _ellipse(h: int, w: int, cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return ((yy + 0.5 - cy) / ry) ** 2 + ((xx + 0.5 - cx) / rx) ** 2 <= 1.0


def face_masks() -> dict[str, np.ndarray]:
    import skimage.data
    from ssgc_ref.analysis.roi import boxes_mask, detect_faces

    rgb = skimage.data.astronaut()
    h, w, _ = rgb.shape
    boxes = detect_faces(rgb)
    if not boxes:
        raise SystemExit("the cascade found no face in the astronaut: cannot run this benchmark")
    rect = boxes_mask(boxes[:1], h, w, margin=0.25)
    ys, xs = np.nonzero(rect)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    ellipse = _ellipse(h, w, (y0 + y1) / 2, (x0 + x1) / 2, (y1 - y0) / 2, (x1 - x0) / 2)
    box = f"{x1 - x0}x{y1 - y0}@{x0},{y0}"
    return {f"astronaut face rect {box}": rect, f"astronaut face ellipse {box}": ellipse}


def shape_masks() -> dict[str, np.ndarray]:
    n = 512
    disc = _ellipse(n, n, 256, 256, 150, 150)
    ring = disc & ~_ellipse(n, n, 256, 256, 70, 70)
    yy, xx = np.mgrid[0:n, 0:n]
    square = (np.abs((xx - 380) + (yy - 380)) + np.abs((xx - 380) - (yy - 380))) <= 120  # 45 deg
    two = _ellipse(n, n, 140, 150, 90, 60) | square
    h, w = 513, 768
    blob = _ellipse(h, w, 250, 380, 200, 300) & ~_ellipse(h, w, 230, 420, 60, 110)
    blob |= _ellipse(h, w, 460, 100, 40, 90)
    return {"disc r150": disc, "ring r150/r70": ring, "two components": two,
            "blob+hole 768x513": blob}


# ---- coders ------------------------------------------------------------------------------------

def png_bytes(g: np.ndarray) -> int:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(g).convert("1").save(buf, "PNG", optimize=True)
    return buf.tell()


def webp_bytes(g: np.ndarray) -> int:
    from PIL import Image
    return webp_lossless_bytes(Image.fromarray(g.astype(np.uint8) * 255))


def zlib_bytes(g: np.ndarray) -> int:
    return baselines.zlib_bytes(np.packbits(g, axis=1).tobytes())


def lzma_bytes(g: np.ndarray) -> int:
    return baselines.lzma_bytes(np.packbits(g, axis=1).tobytes())




def measure(name: str, full: np.ndarray, k: int) -> dict:
    h, w = full.shape
    g = mk.coarsen_mask(full, k)
    data = mk.encode_mask(g, k)
    cell_log2, back = mk.decode_mask(data, w, h)
    assert cell_log2 == k and np.array_equal(back, g), (name, k)
    assert (mk.rasterize_mask(back, k, w, h) >= full).all(), (name, k)  # S is covered
    row = {"mask": name, "size": f"{w}x{h}", "k": k, "grid": f"{g.shape[1]}x{g.shape[0]}",
           "set_pct": round(100 * float(full.mean()), 1),
           "extra_px": int(mk.rasterize_mask(g, k, w, h).sum() - full.sum()),
           "mask_bytes": len(data), "png": png_bytes(g), "webp": webp_bytes(g),
           "zlib": zlib_bytes(g), "lzma": lzma_bytes(g),
           "enc_ms": round(1e3 * best_time(lambda: mk.encode_mask(g, k)), 2),
           "dec_ms": round(1e3 * best_time(lambda: mk.decode_mask(data, w, h)), 2)}
    row["best_general"] = min(row["png"], row["webp"], row["zlib"], row["lzma"])
    row["ratio"] = round(row["mask_bytes"] / row["best_general"], 3)
    return row


def main() -> None:
    from results_dir import results_dir

    out_dir = results_dir()  # --out DIR, parsed before the work
    masks = {**face_masks(), **shape_masks()}
    rows = [measure(name, m, k) for name, m in masks.items() for k in range(mk.MAX_CELL_LOG2 + 1)]
    cols = ("k", "grid", "extra_px", "mask_bytes", "png", "webp", "zlib", "lzma", "ratio",
            "enc_ms", "dec_ms")
    print("MASK (spec §6) vs general-purpose coders on the same mask grid, bytes "
          "(extra_px: pixels added by coarsening)")
    print(f"{'mask':38s}{'size':>9s}" + "".join(f"{c:>11s}" for c in cols))
    for r in rows:
        print(f"{r['mask']:38s}{r['size']:>9s}" + "".join(f"{r[c]!s:>11s}" for c in cols))
    summary = {f"k={k}": {"mask_total": sum(r["mask_bytes"] for r in rows if r["k"] == k),
                          "best_general_total": sum(r["best_general"] for r in rows if r["k"] == k)}
               for k in range(mk.MAX_CELL_LOG2 + 1)}
    for k, s in summary.items():
        print(f"{k}: MASK {s['mask_total']} bytes in all, best general-purpose {s['best_general_total']}")
    RESULTS = out_dir / RESULTS_NAME
    RESULTS.write_text(json.dumps({"rows": rows, "summary": summary}, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
