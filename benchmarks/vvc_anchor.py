"""The project's H.266 intra encoder against the all-intra VVenC 1.6.1 anchor, x265 intra and JPEG.

Inputs and measurement exactly as the anchor's (VVENC_AI below): scikit-image's astronaut and retina
(centre 512x512), coffee (600x400) and chelsea (centre 448x296 of 451x300); RGB -> YCbCr BT.601
limited range in float64, chroma averaged over 2x2 blocks, rounded and clipped to 8 bits; slice QP
55, 45, 37, 32; PSNR-Y of the FFmpeg-decoded luma against that 8-bit luma (peak 255; 10-bit output
divided by 4 first). Luma BD-rate (Bjontegaard: cubic fit of log10(rate) against PSNR-Y, integrated
over the overlapping PSNR range) against the VVenC `faster` and `medium` rows (8- and 10-bit). Two
ROI-sized crops (CROPS) are coded beside the whole pictures. In the same run:
x265 (PyAV's libx265, preset medium, tune psnr, one intra picture at constant QP 24..51, no SEI) and JPEG (Pillow, 4:2:0,
quality 1..95), both as BD-rate and as PSNR-Y interpolated at our rates.

Run: .venv/bin/python benchmarks/vvc_anchor.py [--preset medium] [--bit-depths 8 10] [--images ...] [--out DIR]
Takes minutes (pure-Python encoder); not run in CI. Writes vvc_anchor.json in --out DIR (default
out/benchmarks/; ``--out benchmarks/results`` updates the committed results; an --out ending in
.json is still the file itself, as before).
"""

from __future__ import annotations

import argparse
import io
import json
import time

import numpy as np

QPS = (55, 45, 37, 32)
IMAGES = ("astronaut", "coffee", "chelsea", "retina")
# ROI-sized pictures (the codec's real use: a face ROI is a few hundred pixels across): crops of the
# anchor images, (image, top, left, height, width) in load_image()'s picture. No VVenC rows exist
# for them; they are compared with x265, JPEG and our other presets.
CROPS = {"astronaut-face-200x200": ("astronaut", 20, 150, 200, 200),
         "coffee-96x64": ("coffee", 150, 250, 64, 96)}

# The anchor: VVenC 1.6.1 (Fraunhofer HHI's encoder, the version of the paper), Release build,
# `vvencapp` in its all-intra configuration: one IDR picture with `--IntraPeriod 1`, single thread,
# `--qpa 0 -t 1 --additional IntraQPOffset=0` (slice QP = the given QP), preset faster or medium,
# internal bit depth 8 (`--internal-bitdepth 8`) or 10 (its default), the inputs of load_image().
# Measured on this project's 2-core machines; every VVenC reconstruction equals FFmpeg's C-path decode.
# (image, preset, bit depth) -> ((slice QP, stream bytes, PSNR-Y dB), ...).
# Why all-intra: left in its default random-access configuration, VVenC writes ~241 bytes of SPS for
# a single picture (reference picture lists of its group of pictures, HRD data) against 43-50 bytes
# with --IntraPeriod 1, the slice data staying within a byte: ~200 bytes more per stream, a third of
# astronaut's QP 55 stream and twice retina's, which flattered any encoder compared with it.
VVENC_AI: dict[tuple[str, str, int], tuple[tuple[int, int, float], ...]] = {
    ('astronaut', 'faster', 8): ((55, 654, 22.36), (45, 2529, 27.84), (37, 6416, 33.17), (32, 10766, 36.53)),
    ('astronaut', 'faster', 10): ((55, 662, 22.44), (45, 2540, 27.84), (37, 6435, 33.14), (32, 10797, 36.51)),
    ('astronaut', 'medium', 8): ((55, 807, 23.68), (45, 2799, 29.41), (37, 6700, 34.59), (32, 11209, 37.82)),
    ('astronaut', 'medium', 10): ((55, 797, 23.66), (45, 2718, 29.45), (37, 6648, 34.63), (32, 11117, 37.91)),
    ('chelsea', 'faster', 8): ((55, 220, 25.11), (45, 670, 29.07), (37, 2119, 32.5), (32, 4533, 35.44)),
    ('chelsea', 'faster', 10): ((55, 221, 25.13), (45, 677, 29.1), (37, 2087, 32.53), (32, 4552, 35.47)),
    ('chelsea', 'medium', 8): ((55, 241, 25.63), (45, 672, 29.4), (37, 2156, 33.05), (32, 4590, 36.04)),
    ('chelsea', 'medium', 10): ((55, 250, 25.77), (45, 686, 29.46), (37, 2111, 32.97), (32, 4521, 36.02)),
    ('coffee', 'faster', 8): ((55, 404, 23.7), (45, 1548, 27.6), (37, 5277, 31.78), (32, 11078, 34.89)),
    ('coffee', 'faster', 10): ((55, 384, 23.75), (45, 1504, 27.53), (37, 5305, 31.7), (32, 11053, 34.86)),
    ('coffee', 'medium', 8): ((55, 446, 24.61), (45, 1691, 28.62), (37, 5477, 32.66), (32, 11631, 35.95)),
    ('coffee', 'medium', 10): ((55, 433, 24.57), (45, 1701, 28.68), (37, 5556, 32.69), (32, 11799, 36.07)),
    ('retina', 'faster', 8): ((55, 100, 35.6), (45, 190, 37.94), (37, 541, 40.47), (32, 1114, 42.46)),
    ('retina', 'faster', 10): ((55, 103, 35.9), (45, 194, 38.03), (37, 526, 40.64), (32, 1083, 42.55)),
    ('retina', 'medium', 8): ((55, 116, 35.83), (45, 203, 38.01), (37, 536, 40.75), (32, 1115, 42.78)),
    ('retina', 'medium', 10): ((55, 132, 35.8), (45, 215, 38.02), (37, 525, 40.89), (32, 1091, 42.92)),
}


def load_image(name: str) -> np.ndarray:
    """The anchor's inputs: centre crops of scikit-image's bundled images (or a CROPS entry)."""
    from skimage import data

    if name in CROPS:
        base, top, left, h, w = CROPS[name]
        return np.ascontiguousarray(load_image(base)[top:top + h, left:left + w])

    size = {"astronaut": (512, 512), "retina": (512, 512), "coffee": (400, 600), "chelsea": (296, 448)}[name]
    im = getattr(data, name)()
    h, w = size
    top, left = (im.shape[0] - h) // 2, (im.shape[1] - w) // 2
    return np.ascontiguousarray(im[top:top + h, left:left + w, :3])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    from ssgc_ref.metrics import psnr as library_psnr  # scikit-image's

    return library_psnr(a, b)


def bd_rate(anchor: list[tuple[float, float]], test: list[tuple[float, float]]) -> float | None:
    """Bjontegaard delta rate (%) of ``test`` against ``anchor``, points (bytes, PSNR dB)."""
    if len(anchor) < 4 or len(test) < 4:
        return None
    ra, pa = np.log10([p[0] for p in anchor]), np.array([p[1] for p in anchor])
    rt, pt = np.log10([p[0] for p in test]), np.array([p[1] for p in test])
    lo, hi = max(pa.min(), pt.min()), min(pa.max(), pt.max())
    if hi <= lo:
        return None
    fa, ft = np.polyint(np.polyfit(pa, ra, 3)), np.polyint(np.polyfit(pt, rt, 3))
    avg = ((np.polyval(ft, hi) - np.polyval(ft, lo)) - (np.polyval(fa, hi) - np.polyval(fa, lo))) / (hi - lo)
    return float((10 ** avg - 1) * 100)


def near_points(curve: list[tuple[float, float]], ref: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points of a dense ``curve`` that bracket the rate span of ``ref`` (one beyond each end), so
    the cubic of the BD-rate fit sees a span comparable to the 4-point curve it is compared with."""
    pts = sorted(curve)
    lo, hi = min(p[0] for p in ref), max(p[0] for p in ref)
    i0 = max([i for i, p in enumerate(pts) if p[0] <= lo], default=0)
    i1 = min([i for i, p in enumerate(pts) if p[0] >= hi], default=len(pts) - 1)
    sel = pts[i0:i1 + 1]
    return sel if len(sel) >= 4 else pts


def psnr_at_rate(curve: list[tuple[float, float]], rate: float) -> float | None:
    """PSNR interpolated linearly in log-rate on a (bytes, PSNR) curve; None outside its range."""
    pts = sorted(curve)
    r = np.log10([p[0] for p in pts])
    if not r[0] <= np.log10(rate) <= r[-1]:
        return None
    return float(np.interp(np.log10(rate), r, [p[1] for p in pts]))


def run_ours(y, cb, cr, qp: int, bd: int, preset: str) -> dict:
    from ssgc_ref.vvc.encoder import encode_picture
    from ssgc_ref.vvc.oracle import decode_annexb

    s = bd - 8
    t = time.perf_counter()
    res = encode_picture(y.astype(np.uint16) << s, cb.astype(np.uint16) << s, cr.astype(np.uint16) << s,
                         qp=qp, bit_depth=bd, preset=preset)
    enc = time.perf_counter() - t
    dec = decode_annexb(res.data, simd=False)
    exact = all(np.array_equal(a.astype(np.int64), b.astype(np.int64)) for a, b in zip(dec, res.recon))
    return dict(bytes=len(res.data), psnr_y=psnr(dec[0].astype(np.float64) / (1 << s), y), enc_s=enc,
                decode_equals_recon=exact)


def run_x265(y, cb, cr, qp: int) -> dict:
    import av

    h, w = y.shape
    ctx = av.CodecContext.create("libx265", "w")
    ctx.width, ctx.height, ctx.pix_fmt = w, h, "yuv420p"
    ctx.time_base = __import__("fractions").Fraction(1, 25)
    ctx.options = {"preset": "medium", "tune": "psnr", "x265-params": f"qp={qp}:keyint=1:info=0:aq-mode=0:log-level=error"}
    frame = av.VideoFrame(w, h, "yuv420p")
    for plane, arr in zip(frame.planes, (y, cb, cr)):
        stride = plane.line_size
        buf = np.zeros((arr.shape[0], stride), np.uint8)
        buf[:, :arr.shape[1]] = arr
        plane.update(buf.tobytes())
    t = time.perf_counter()
    data = b"".join(bytes(p) for p in ctx.encode(frame)) + b"".join(bytes(p) for p in ctx.encode(None))
    enc = time.perf_counter() - t
    dec = av.CodecContext.create("hevc", "r")
    frames = []
    for pkt in dec.parse(data) + dec.parse(None):
        frames.extend(dec.decode(pkt))
    frames.extend(dec.decode(None))
    pl = frames[0].planes[0]  # the Y plane itself (a 'gray' conversion would rescale the range)
    yy = np.frombuffer(bytes(pl), np.uint8).reshape(-1, pl.line_size)[:h, :w]
    return dict(bytes=len(data), psnr_y=psnr(yy, y), enc_s=enc)


def run_jpeg(rgb: np.ndarray, y: np.ndarray, quality: int) -> dict:
    from PIL import Image

    buf = io.BytesIO()
    t = time.perf_counter()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, subsampling=2, optimize=True)
    enc = time.perf_counter() - t
    out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")).astype(np.float64)
    yy = np.clip(np.floor(16 + (65.481 * out[..., 0] + 128.553 * out[..., 1] + 24.966 * out[..., 2]) / 255 + 0.5), 0, 255)
    return dict(bytes=len(buf.getvalue()), psnr_y=psnr(yy, y), enc_s=enc)


def main() -> None:
    from results_dir import add_out_argument, results_file

    from ssgc_format.ycbcr import rgb_to_ycbcr420

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="medium")
    ap.add_argument("--bit-depths", type=int, nargs="+", default=[8])
    ap.add_argument("--images", nargs="+", default=list(IMAGES) + list(CROPS))
    add_out_argument(ap)
    args = ap.parse_args()

    results: dict = {"settings": {"preset": args.preset, "bit_depths": args.bit_depths, "qps": QPS,
                                  "anchor": "VVenC 1.6.1 all-intra (--IntraPeriod 1), see VVENC_AI"},
                     "images": {}}
    print(f"{'image':<10} {'coder':<16} {'QP':>4} {'bytes':>7} {'bpp':>7} {'PSNR-Y':>7} {'enc s':>7}  note")
    for name in args.images:
        rgb = load_image(name)
        y, cb, cr = rgb_to_ycbcr420(rgb, 8)
        h, w = y.shape
        entry: dict = {"size": [w, h], "ours": {}, "x265": [], "jpeg": [], "bd_rate": {}, "at_our_rates": {}}
        for bd in args.bit_depths:
            rows = []
            for qp in QPS:
                r = run_ours(y, cb, cr, qp, bd, args.preset)
                r.update(qp=qp, bpp=8 * r["bytes"] / (w * h))
                rows.append(r)
                print(f"{name:<10} {'ours ' + str(bd) + '-bit':<16} {qp:>4} {r['bytes']:>7} {r['bpp']:>7.4f} "
                      f"{r['psnr_y']:>7.2f} {r['enc_s']:>7.2f}  decode==recon: {r['decode_equals_recon']}",
                      flush=True)
            entry["ours"][str(bd)] = rows
        for qp in range(51, 21, -3):
            r = run_x265(y, cb, cr, qp)
            r.update(qp=qp, bpp=8 * r["bytes"] / (w * h))
            entry["x265"].append(r)
        for q in (1, 2, 3, 5, 8, 12, 20, 30, 50, 75, 95):
            r = run_jpeg(rgb, y, q)
            r.update(quality=q, bpp=8 * r["bytes"] / (w * h))
            entry["jpeg"].append(r)
        x265_curve = [(r["bytes"], r["psnr_y"]) for r in entry["x265"]]
        jpeg_curve = [(r["bytes"], r["psnr_y"]) for r in entry["jpeg"]]
        for bd, rows in entry["ours"].items():
            ours = [(r["bytes"], r["psnr_y"]) for r in rows]
            bdr = {}
            for preset in ("faster", "medium"):
                for vbd in (8, 10):
                    anchor = VVENC_AI.get((name, preset, vbd))
                    if anchor:
                        bdr[f"ours_vs_vvenc_ai_{preset}_{vbd}bit"] = bd_rate([(a[1], a[2]) for a in anchor], ours)
            # x265/JPEG against ours: positive = they need more bytes for the same PSNR-Y
            bdr["x265_vs_ours"] = bd_rate(ours, near_points(x265_curve, ours))
            bdr["jpeg_vs_ours"] = bd_rate(ours, near_points(jpeg_curve, ours))
            entry["bd_rate"][bd] = bdr
            entry["at_our_rates"][bd] = [
                dict(qp=r["qp"], bytes=r["bytes"], ours=r["psnr_y"], x265=psnr_at_rate(x265_curve, r["bytes"]),
                     jpeg=psnr_at_rate(jpeg_curve, r["bytes"])) for r in rows]
        for r in entry["x265"]:
            print(f"{name:<10} {'x265 intra':<16} {r['qp']:>4} {r['bytes']:>7} {r['bpp']:>7.4f} {r['psnr_y']:>7.2f} "
                  f"{r['enc_s']:>7.2f}")
        for r in entry["jpeg"]:
            print(f"{name:<10} {'JPEG q' + str(r['quality']):<16} {'':>4} {r['bytes']:>7} {r['bpp']:>7.4f} "
                  f"{r['psnr_y']:>7.2f} {r['enc_s']:>7.3f}")
        results["images"][name] = entry
        _summary(name, entry)

    out = results_file(args, "vvc_anchor.json")
    out.write_text(json.dumps(results, indent=1, default=float))
    print(f"\nwrote {out}")


def _fmt(v) -> str:
    return "   n/a" if v is None else f"{v:+6.1f}%"


def _summary(name: str, entry: dict) -> None:
    for bd, bdr in entry["bd_rate"].items():
        parts = "  ".join(f"{k}: {_fmt(v)}" for k, v in bdr.items())
        print(f"BD-rate luma, {name}, ours {bd}-bit: {parts}")
        for a in entry["at_our_rates"][bd]:
            x = "n/a" if a["x265"] is None else f"{a['x265']:.2f}"
            j = "n/a" if a["jpeg"] is None else f"{a['jpeg']:.2f}"
            print(f"  at {a['bytes']:>6} B (QP {a['qp']}): ours {a['ours']:.2f} dB, x265 {x} dB, JPEG {j} dB")


if __name__ == "__main__":
    main()
