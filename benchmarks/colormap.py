"""Color map (CMAP, spec §5): bytes per map vs. color error, for color spaces, steps and coder variants.

Pictures: scikit-image's bundled photos, each resized to 512x512 (anti-aliased), so the color grid
is 16x16 at the default color_cell_log2 = 5. The grid comes from
``ssgc_ref.analysis.color_map.color_grid`` (Gaussian blur + x2 downsampling series, the paper's
§2.2.2). Error = dequantized grid vs. the unquantized grid, in RGB: mean absolute error (levels)
and PSNR. Baselines on the same quantized indices: zlib-9, lzma (raw, extreme), PNG and WebP
lossless (pillow; indices offset to 0..255 as an RGB picture), and the order-0 entropy of the
indices (per channel, ideal static code with the histogram for free). For color space 2 (half-
resolution chroma) the baselines see the canonical (gh, gw, 3) index array, chroma replicated over
2x2 blocks, as a file of that layout would store it.

    python benchmarks/colormap.py            # prints tables, writes colormap.json to --out DIR (default out/benchmarks/)
"""

from __future__ import annotations

import io
import json
import lzma
import sys
import time
import zlib

import numpy as np
from PIL import Image
from skimage import data
from skimage.transform import resize

from ssgc_format import colormap as cm
from ssgc_ref.analysis.color_map import color_grid
from ssgc_ref.metrics import psnr as library_psnr

IMAGES = ["astronaut", "coffee", "chelsea", "rocket", "horse", "retina", "camera",
          "immunohistochemistry", "colorwheel", "hubble_deep_field"]
SIZE = 512
CELL_LOG2 = 5
PREVIOUS_DEFAULT = (1, (16, 32, 32))  # the default before color space 2, for comparison


def load(name: str) -> np.ndarray:
    im = np.asarray(getattr(data, name)())
    if im.dtype == bool:
        im = im.astype(np.uint8) * 255
    if im.ndim == 2:
        im = np.repeat(im[..., None], 3, axis=2)
    im = im[..., :3]
    im = resize(im, (SIZE, SIZE), order=1, anti_aliasing=True, preserve_range=True)
    return np.clip(np.rint(im), 0, 255).astype(np.uint8)


def errors(grid: np.ndarray, rgb: np.ndarray) -> tuple[float, float, float]:
    d = rgb.astype(np.float64) - grid.astype(np.float64)
    psnr = min(99.0, library_psnr(rgb, grid))  # 99 stands for equal pictures, as before
    return float(np.abs(d).mean()), psnr, float(np.abs(d).max())


def order0_bytes(q: np.ndarray) -> float:
    bits = 0.0
    for ch in range(3):
        _, counts = np.unique(q[..., ch], return_counts=True)
        p = counts / counts.sum()
        bits += float(-(counts * np.log2(p)).sum())
    return bits / 8


def baselines(q: np.ndarray, color_space: int, steps) -> dict[str, float]:
    lo = np.array([r[0] for r in cm.index_range(color_space, steps)])
    img = (q - lo).astype(np.uint8)  # every default index range fits in 0..255
    raw = img.tobytes()
    out = {"zlib": len(zlib.compress(raw, 9)),
           "lzma": len(lzma.compress(raw, format=lzma.FORMAT_RAW,
                                     filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]))}
    for fmt, kw in (("png", {"optimize": True}), ("webp", {"lossless": True, "quality": 100, "method": 6})):
        buf = io.BytesIO()
        Image.fromarray(img, "RGB").save(buf, fmt.upper(), **kw)
        out[fmt] = len(buf.getvalue())
    out["order0"] = order0_bytes(q)
    return out


def measure(grids, color_space, steps, coding=None):
    coding = coding or cm._CODING
    rows = []
    for name, g in grids.items():
        q = cm.quantize_color_map(g, color_space, steps)
        payload = cm._encode(q, color_space, steps, coding)
        assert (cm._decode(payload, *g.shape[:2], color_space, steps, coding) == q).all()
        mae, psnr, mx = errors(g, cm.dequantize_color_map(q, color_space, steps))
        rows.append({"image": name, "bytes": len(payload), "mae": mae, "psnr": psnr, "max": mx, "q": q})
    return rows


def summary(rows):
    return {"bytes_mean": float(np.mean([r["bytes"] for r in rows])),
            "bytes_max": int(max(r["bytes"] for r in rows)),
            "mae_mean": float(np.mean([r["mae"] for r in rows])),
            "psnr_mean": float(np.mean([r["psnr"] for r in rows])),
            "max_err": float(max(r["max"] for r in rows))}


def main() -> int:
    from results_dir import results_dir

    out_dir = results_dir()  # --out DIR, parsed before the work
    t0 = time.time()
    grids = {n: color_grid(load(n), CELL_LOG2) for n in IMAGES}
    results = {"images": IMAGES, "size": SIZE, "cell_log2": CELL_LOG2,
               "grid_source": "ssgc_ref.analysis.color_map.color_grid"}

    # 1. color space x steps, default coder
    sweep = []
    configs = [(0, (s, s, s)) for s in (8, 12, 16, 20, 24, 32)]
    configs += [(1, (y, c, c)) for y in (8, 12, 16, 20, 24) for c in (12, 16, 24, 32, 40, 48) if c >= y]
    configs += [(2, (y, c, c)) for y in (12, 14, 15, 16, 20) for c in (12, 16, 20, 24, 32) if c >= y]
    print("== 1. color space / steps (default coder), mean over", len(IMAGES), "images, 16x16 grids")
    print(f"{'space':10} {'steps':14} {'bytes':>6} {'max':>5} {'MAE':>6} {'PSNR':>6} {'maxerr':>6}")
    for cs, steps in configs:
        s = summary(measure(grids, cs, steps))
        sweep.append({"color_space": cs, "steps": list(steps), **s})
        print(f"{cm.COLOR_SPACES[cs][0]:10} {str(steps):14} {s['bytes_mean']:6.1f} {s['bytes_max']:5d} "
              f"{s['mae_mean']:6.2f} {s['psnr_mean']:6.2f} {s['max_err']:6.0f}")
    results["sweep"] = sweep
    best = {}  # per color space: the smallest mean bytes at MAE and PSNR no worse than the v1 default
    ref = next(r for r in sweep if r["color_space"] == 1 and r["steps"] == [16, 32, 32])
    for r in sweep:
        if r["mae_mean"] <= ref["mae_mean"] and r["psnr_mean"] >= ref["psnr_mean"]:
            if r["color_space"] not in best or r["bytes_mean"] < best[r["color_space"]]["bytes_mean"]:
                best[r["color_space"]] = r
    print(f"\nsmallest at MAE <= {ref['mae_mean']:.2f} and PSNR >= {ref['psnr_mean']:.2f} (YCoCg-R (16, 32, 32)):")
    for cs_, r in sorted(best.items()):
        print(f"  {cm.COLOR_SPACES[cs_][0]:10} {str(tuple(r['steps'])):14} {r['bytes_mean']:6.1f} bytes "
              f"(max {r['bytes_max']}), MAE {r['mae_mean']:.2f}, PSNR {r['psnr_mean']:.2f}")
    results["best_at_reference_error"] = {str(k): v for k, v in best.items()}
    # color space 2 dequantizes chroma by 3/4-1/4 interpolation (spec 5.4); replication instead
    # (the same indices read as color space 1, chroma constant over each 2x2 block) for comparison
    cs2 = (cm.COLOR_SPACE_YCOCG_R_HALF, cm.DEFAULT_STEPS)
    rep = [errors(g, cm.dequantize_color_map(cm.quantize_color_map(g, *cs2), cm.COLOR_SPACE_YCOCG_R, cs2[1]))
           for g in grids.values()]
    itp = summary(measure(grids, *cs2))
    print(f"{cm.COLOR_SPACES[cs2[0]][0]} {cs2[1]}: chroma interpolated (5.4) MAE {itp['mae_mean']:.2f}, "
          f"PSNR {itp['psnr_mean']:.2f}; chroma replicated MAE {np.mean([r[0] for r in rep]):.2f}, "
          f"PSNR {np.mean([r[1] for r in rep]):.2f}")
    results["cs2_chroma_replicated"] = {"mae_mean": float(np.mean([r[0] for r in rep])),
                                        "psnr_mean": float(np.mean([r[1] for r in rep]))}

    # 2. coder variants at the default steps
    cs, steps = cm.DEFAULT_COLOR_SPACE, cm.DEFAULT_STEPS
    base = cm._CODING
    variants = {
        "default": base,
        "one context": base._replace(thresholds=()),
        "thresholds (0,2)": base._replace(thresholds=(0, 2)),
        "thresholds (1,)": base._replace(thresholds=(1,)),
        "init all 1": base._replace(init=()),
        "init flatter": base._replace(init=(16, 12, 8, 6, 4, 3, 2, 2, 1)),
        "increment 24": base._replace(increment=24),
        "increment 48": base._replace(increment=48),
        "escape 6": base._replace(escape=6, init=base.init[:7]),
        "escape 12": base._replace(escape=12),
    }
    print(f"\n== 2. coder variants at {cm.COLOR_SPACES[cs][0]} {steps}")
    var = {}
    for name, coding in variants.items():
        s = summary(measure(grids, cs, steps, coding))
        var[name] = s["bytes_mean"]
        print(f"{name:22} {s['bytes_mean']:6.1f} bytes (max {s['bytes_max']})")
    results["variants"] = var

    # 3. per image at the defaults, against general-purpose coders
    rows = measure(grids, cs, steps)
    prev = {r["image"]: r for r in measure(grids, *PREVIOUS_DEFAULT)}
    print(f"\n== 3. per image at the defaults {cm.COLOR_SPACES[cs][0]} {steps}; 'prev' = "
          f"{cm.COLOR_SPACES[PREVIOUS_DEFAULT[0]][0]} {PREVIOUS_DEFAULT[1]} (bytes / MAE)")
    print(f"{'image':22} {'prev':>10} {'CMAP':>5} {'order0':>7} {'zlib':>5} {'lzma':>5} {'png':>5} {'webp':>5} "
          f"{'MAE':>6} {'PSNR':>6}")
    per = []
    for r in rows:
        b = baselines(r["q"], cs, steps)
        p = prev[r["image"]]
        per.append({k: v for k, v in r.items() if k != "q"} | b | {"prev_bytes": p["bytes"], "prev_mae": p["mae"]})
        print(f"{r['image']:22} {p['bytes']:4d}/{p['mae']:5.2f} {r['bytes']:5d} {b['order0']:7.1f} {b['zlib']:5d} {b['lzma']:5d} "
              f"{b['png']:5d} {b['webp']:5d} {r['mae']:6.2f} {r['psnr']:6.2f}")
    mean = {k: float(np.mean([p[k] for p in per])) for k in ("prev_bytes", "prev_mae", "bytes", "order0", "zlib", "lzma", "png", "webp", "mae", "psnr")}
    print(f"{'mean':22} {mean['prev_bytes']:4.0f}/{mean['prev_mae']:5.2f} {mean['bytes']:5.1f} {mean['order0']:7.1f} {mean['zlib']:5.1f} {mean['lzma']:5.1f} "
          f"{mean['png']:5.1f} {mean['webp']:5.1f} {mean['mae']:6.2f} {mean['psnr']:6.2f}")
    results["defaults"] = {"color_space": cs, "steps": list(steps), "per_image": per, "mean": mean}

    # 4. speed of the Python reference coder (one 16x16 map) and of the upsampler (512x512)
    q = rows[0]["q"]
    t = time.perf_counter(); payload = cm.encode_color_map(q, cs, steps); te = time.perf_counter() - t
    t = time.perf_counter(); cm.decode_color_map(payload, 16, 16, cs, steps); td = time.perf_counter() - t
    rgb = cm.dequantize_color_map(q, cs, steps)
    t = time.perf_counter(); cm.upsample_color_map(rgb, SIZE, SIZE, CELL_LOG2); tu = time.perf_counter() - t
    print(f"\n== 4. time: encode {te * 1e3:.1f} ms, decode {td * 1e3:.1f} ms (16x16), "
          f"upsample {tu * 1e3:.1f} ms (512x512)")
    results["time_ms"] = {"encode": te * 1e3, "decode": td * 1e3, "upsample_512": tu * 1e3}

    out = out_dir / "colormap.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out} ({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
