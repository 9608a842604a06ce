"""LABL coding (spec §4) against general-purpose lossless coders, on label maps.

NO REAL SEGMENTER IS AVAILABLE HERE. The "real" maps are SYNTHETIC, CLUSTERING-DERIVED label maps of
real photographs (scikit-image's bundled images): colours clustered at full resolution (k-means
on blurred CIELAB, or SLIC superpixels), each cluster given a fixed pseudo-random COCO-Stuff id,
then majority-downsampled by 16 as the reference encoder does. A DeepLab COCO-Stuff map is
smoother and has fewer classes than the raw k-means maps, so those are pessimistic; "kmeans8-smooth"
adds a full-resolution majority filter (radius 12) to imitate a CNN's smooth output. If
``ssgc_ref.analysis`` offers its ``superpixel`` segmenter (SLIC + hand-written colour rules, not
a trained model either), its maps are included too. The purely
synthetic maps (Voronoi blobs, stripes, uniform noise) bound the cases.

Baselines, each on the raw uint8 grid: PNG palette (palette cut to the labels used, Pillow
optimize=True), WebP lossless (Pillow,
method=6, quality=100), zlib level 9, LZMA2 raw stream preset 9|EXTREME (no .xz container), and the
order-0 empirical entropy of the map (a lower bound for a static memoryless model, model cost not
counted). "best" is the smallest of PNG/WebP/zlib/LZMA. Encode/decode times are per map, best of 3.

Run: ``python benchmarks/labelmap.py`` (prints a table, writes labelmap.json in --out DIR, default out/benchmarks/).
"""

from __future__ import annotations

import io
import json

import numpy as np

import baselines
from baselines import best_time, webp_lossless_bytes

from ssgc_format import labelmap as lm

CELL_LOG2 = 4
RESULTS_NAME = "labelmap.json"
IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "horse", "immunohistochemistry", "hubble_deep_field",
          "retina", "camera", "coins", "colorwheel", "logo")


# ---- map sources -------------------------------------------------------------------------------

def _ids(n: int, seed: int) -> np.ndarray:
    """n distinct pseudo-random COCO-Stuff ids (0..181) for the clusters."""
    return np.random.default_rng(seed).permutation(182)[:n].astype(np.uint8)


def _majority_downsample(full: np.ndarray, cell_log2: int) -> np.ndarray:
    """Most frequent label of each 2^k x 2^k cell (smallest id on ties); edge cells partial."""
    h, w = full.shape
    gh, gw = lm.label_grid_size(w, h, cell_log2)
    cell = (np.arange(h)[:, None] >> cell_log2) * gw + (np.arange(w)[None, :] >> cell_log2)
    hist = np.zeros((gh * gw, 256), dtype=np.int64)
    np.add.at(hist, (cell.ravel(), full.ravel()), 1)
    return hist.argmax(axis=1).astype(np.uint8).reshape(gh, gw)


def _rgb(name: str) -> np.ndarray:
    import skimage.data
    from skimage.color import gray2rgb
    from skimage.util import img_as_ubyte
    img = img_as_ubyte(getattr(skimage.data, name)())
    if img.ndim == 2:
        img = gray2rgb(img)
    return img[..., :3]


def _kmeans_map(img: np.ndarray, k: int, seed: int) -> np.ndarray:
    from skimage.color import rgb2lab
    from skimage.filters import gaussian
    lab = rgb2lab(gaussian(img, sigma=4, channel_axis=-1)).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    sample = lab[rng.choice(len(lab), size=min(20000, len(lab)), replace=False)]
    centres = sample[rng.choice(len(sample), size=k, replace=False)]
    for _ in range(20):  # Lloyd iterations on a sample, then label every pixel
        d = ((sample[:, None, :] - centres[None]) ** 2).sum(-1)
        a = d.argmin(1)
        centres = np.stack([sample[a == j].mean(0) if (a == j).any() else centres[j] for j in range(k)])
    full = np.concatenate([((lab[i:i + 65536, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
                           for i in range(0, len(lab), 65536)]).reshape(img.shape[:2])
    return _ids(k, seed)[full]


def _slic_map(img: np.ndarray, n: int, seed: int) -> np.ndarray:
    from skimage.segmentation import slic
    seg = slic(img, n_segments=n, compactness=10, start_label=0, channel_axis=-1)
    return _ids(int(seg.max()) + 1, seed)[seg % 182]


def _smooth(full: np.ndarray, radius: int) -> np.ndarray:
    """Majority (modal) filter at full resolution: a CNN segmenter's output is this smooth."""
    from skimage.filters.rank import majority
    from skimage.morphology import disk
    return majority(full, disk(radius))


def _ssgc_ref_segmenter():
    """Another engineer's weight-free segmenter (ssgc_ref.analysis), if it has landed, else None."""
    try:
        from ssgc_ref.analysis.segmenters import get_segmenter
        return get_segmenter("superpixel")
    except Exception as e:  # absent or broken: benchmark the rest, say so
        print(f"ssgc_ref superpixel segmenter not used: {e}")
        return None


def real_maps() -> dict[str, np.ndarray]:
    """CLUSTERING-DERIVED (synthetic) label grids of real photographs; see the module docstring."""
    out = {}
    seg = _ssgc_ref_segmenter()
    for i, name in enumerate(IMAGES):
        img = _rgb(name)
        for k in (5, 8, 12, 15):
            full = _kmeans_map(img, k, 100 + i)
            out[f"{name}/kmeans{k}"] = _majority_downsample(full, CELL_LOG2)
            if k == 8:
                out[f"{name}/kmeans8-smooth"] = _majority_downsample(_smooth(full, 12), CELL_LOG2)
        out[f"{name}/slic12"] = _majority_downsample(_slic_map(img, 12, 200 + i), CELL_LOG2)
        if seg is not None:
            out[f"{name}/ssgc_ref-superpixel"] = _majority_downsample(seg.segment(img), CELL_LOG2)
    return out


def synthetic_maps() -> dict[str, np.ndarray]:
    out = {}
    rng = np.random.default_rng(7)
    for gh, gw in ((32, 32), (24, 40), (64, 64)):
        yy, xx = np.mgrid[0:gh, 0:gw]
        for n in (5, 10, 15):
            seeds = rng.uniform(0, [gh, gw], size=(n, 2))
            vor = ((yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2).argmin(-1)
            out[f"voronoi{n}/{gh}x{gw}"] = _ids(n, n)[vor]
    out["stripes/32x32"] = ((np.arange(32)[:, None] // 5 + np.zeros((1, 32), int)) % 4 * 40).astype(np.uint8)
    out["uniform/32x32"] = np.full((32, 32), 156, np.uint8)
    out["noise183/32x32"] = rng.integers(0, 183, (32, 32)).astype(np.uint8)
    out["noise4/32x32"] = _ids(4, 3)[rng.integers(0, 4, (32, 32))]
    return out


# ---- coders ------------------------------------------------------------------------------------

def png_bytes(a: np.ndarray) -> int:
    """Palette PNG with the palette reduced to the labels used (as optipng would), optimize=True."""
    from PIL import Image
    used, index = np.unique(a, return_inverse=True)
    im = Image.frombytes("P", (a.shape[1], a.shape[0]), index.astype(np.uint8).reshape(a.shape).tobytes())
    im.putpalette(bytes(v for i in used.tolist() for v in (i, (i * 7) & 255, (i * 13) & 255)))
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.tell()


def webp_bytes(a: np.ndarray) -> int:
    from PIL import Image
    return webp_lossless_bytes(Image.fromarray(np.ascontiguousarray(a)).convert("RGB"))


def zlib_bytes(a: np.ndarray) -> int:
    return baselines.zlib_bytes(a.tobytes())


def lzma_bytes(a: np.ndarray) -> int:
    return baselines.lzma_bytes(a.tobytes())


def order0_bytes(a: np.ndarray) -> float:
    p = np.bincount(a.ravel(), minlength=256) / a.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum() * a.size / 8)




def measure(name: str, a: np.ndarray) -> dict:
    data = lm.encode_label_map(a)
    assert np.array_equal(lm.decode_label_map(data, *a.shape), a), name
    row = {"map": name, "shape": list(a.shape), "classes": int(len(np.unique(a))),
           "labl": len(data), "png": png_bytes(a), "webp": webp_bytes(a), "zlib": zlib_bytes(a),
           "lzma": lzma_bytes(a), "order0": round(order0_bytes(a), 1),
           "enc_ms": round(1e3 * best_time(lambda: lm.encode_label_map(a)), 2),
           "dec_ms": round(1e3 * best_time(lambda: lm.decode_label_map(data, *a.shape)), 2)}
    row["best_general"] = min(row["png"], row["webp"], row["zlib"], row["lzma"])
    row["ratio"] = round(row["labl"] / row["best_general"], 3)
    return row


def _group(name: str) -> str:
    source = name.split("/")[1] if name.split("/")[0] in IMAGES else name.split("/")[0]
    for key in ("kmeans8-smooth", "kmeans", "slic", "superpixel"):
        if key in source:
            return "ssgc_ref-superpixel" if key == "superpixel" else key
    return source.rstrip("0123456789")


def main() -> None:
    from results_dir import results_dir

    out_dir = results_dir()  # --out DIR, parsed before the work
    maps = {**real_maps(), **synthetic_maps()}
    rows = [measure(k, v) for k, v in maps.items()]
    cols = ("map", "shape", "classes", "labl", "png", "webp", "zlib", "lzma", "order0", "ratio",
            "enc_ms", "dec_ms")
    print("LABL (spec §4) vs general-purpose coders, bytes. Real-image maps are SYNTHETIC "
          "(k-means / SLIC clustering, majority x16), not a COCO-Stuff segmenter.")
    print(f"{cols[0]:36s}" + "".join(f"{c:>9s}" for c in cols[1:]))
    for r in rows:
        shape = "x".join(map(str, r["shape"]))
        print(f"{r['map']:36s}{shape:>9s}" + "".join(f"{r[c]!s:>9s}" for c in cols[2:]))
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(_group(r["map"]), []).append(r)
    print("\nper group (bytes summed over the group's maps; ratio = LABL / best general-purpose coder):")
    coders = ("labl", "png", "webp", "zlib", "lzma", "best")
    print(f"{'group':20s}{'maps':>5s}" + "".join(f"{c:>8s}" for c in coders)
          + f"{'ratio med':>10s}{'max':>7s}{'<=0.5':>6s}{'dec ms med':>11s}")
    summary = {}
    for g, rs in groups.items():
        sums = {c: sum(r[c] for r in rs) for c in ("labl", "png", "webp", "zlib", "lzma", "best_general")}
        ratios = [r["ratio"] for r in rs]
        summary[g] = {"maps": len(rs), **sums, "ratio_median": float(np.median(ratios)),
                      "ratio_max": max(ratios), "maps_at_most_half": sum(x <= 0.5 for x in ratios),
                      "dec_ms_median": float(np.median([r["dec_ms"] for r in rs]))}
        s = summary[g]
        print(f"{g:20s}{len(rs):5d}" + "".join(f"{v:8d}" for v in sums.values())
              + f"{s['ratio_median']:10.3f}{s['ratio_max']:7.3f}{s['maps_at_most_half']:6d}"
              + f"{s['dec_ms_median']:11.2f}")
    ratios = [r["ratio"] for r in rows]
    print(f"all {len(rows)} maps: LABL {sum(r['labl'] for r in rows)} B vs best general-purpose "
          f"{sum(r['best_general'] for r in rows)} B, ratio median {np.median(ratios):.3f}, "
          f"{sum(x <= 0.5 for x in ratios)} maps at <= 0.5. Times: best of 3 on a shared machine.")
    RESULTS = out_dir / RESULTS_NAME
    RESULTS.write_text(json.dumps({"note": __doc__.split("\n\n")[1], "cell_log2": CELL_LOG2,
                                   "constants": {k: getattr(lm, k) for k in (
                                       "RANK_INCREMENT", "RANK_LIMIT", "RANK_INIT_ZERO",
                                       "LABEL_INCREMENT", "LABEL_LIMIT", "LABEL_INIT")},
                                   "summary": summary, "rows": rows}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
