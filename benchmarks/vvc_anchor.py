"""The project's H.266 intra encoder against the VVenC 1.6.1 anchor, x265 intra and JPEG.

Inputs and measurement exactly as reference/vvenc-anchor.md: scikit-image's astronaut and retina
(centre 512x512), coffee (600x400) and chelsea (centre 448x296 of 451x300); RGB -> YCbCr BT.601
limited range in float64, chroma averaged over 2x2 blocks, rounded and clipped to 8 bits; slice QP
55, 45, 37, 32; PSNR-Y of the FFmpeg-decoded luma against that 8-bit luma (peak 255; 10-bit output
divided by 4 first). Luma BD-rate (Bjontegaard: cubic fit of log10(rate) against PSNR-Y, integrated
over the overlapping PSNR range) against the VVenC `faster` and `medium` rows. In the same run:
x265 (PyAV's libx265, preset medium, tune psnr, one intra picture at constant QP 24..51, no SEI) and JPEG (Pillow, 4:2:0,
quality 1..95), both as BD-rate and as PSNR-Y interpolated at our rates.

Run: .venv/bin/python benchmarks/vvc_anchor.py [--preset medium] [--bit-depths 8 10] [--images ...]
Takes minutes (pure-Python encoder); not run in CI. Writes benchmarks/results/vvc_anchor.json.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np

QPS = (55, 45, 37, 32)
IMAGES = ("astronaut", "coffee", "chelsea", "retina")

# Source: reference/vvc-anchor numbers, /work/shared/reference/vvenc-anchor.md (VVenC 1.6.1 Release,
# vvencapp, 1 thread, one IDR picture, 10-bit internal, --qpa 0 --additional IntraQPOffset=0,
# measured on this project's 2-core machines). (image, preset, qp) -> (bytes, PSNR-Y dB, encode s).
VVENC_10BIT = {
    ("astronaut", "faster"): ((55, 869, 22.41, 0.13), (45, 2739, 27.84, 0.11), (37, 6588, 33.08, 0.15), (32, 10978, 36.51, 0.22)),
    ("astronaut", "medium"): ((55, 1002, 23.69, 0.32), (45, 2954, 29.49, 1.56), (37, 6822, 34.63, 3.47), (32, 11289, 37.88, 4.40)),
    ("coffee", "faster"): ((55, 584, 23.75, 0.16), (45, 1697, 27.52, 0.09), (37, 5509, 31.70, 0.15), (32, 11300, 34.89, 0.21)),
    ("coffee", "medium"): ((55, 634, 24.55, 0.20), (45, 1864, 28.62, 1.13), (37, 5744, 32.69, 3.24), (32, 11932, 36.05, 4.91)),
    ("chelsea", "faster"): ((55, 420, 25.13, 0.09), (45, 876, 29.10, 0.07), (37, 2287, 32.53, 0.08), (32, 4726, 35.47, 0.11)),
    ("chelsea", "medium"): ((55, 447, 25.77, 0.16), (45, 882, 29.46, 0.33), (37, 2315, 33.01, 1.04), (32, 4710, 36.00, 1.90)),
    ("retina", "faster"): ((55, 302, 35.90, 0.08), (45, 393, 38.03, 0.07), (37, 726, 40.64, 0.08), (32, 1281, 42.55, 0.08)),
    ("retina", "medium"): ((55, 330, 35.80, 0.13), (45, 412, 38.02, 0.08), (37, 728, 40.88, 0.22), (32, 1299, 42.94, 0.54)),
}
# Same source, "8-bit internal coding" table: PSNR-Y of the FFmpeg C-path decode (= vvenc recon).
VVENC_8BIT = {
    ("astronaut", "faster"): ((55, 852, 22.36), (45, 2752, 27.85), (37, 6683, 33.21), (32, 10984, 36.54)),
    ("astronaut", "medium"): ((55, 993, 23.70), (45, 3024, 29.50), (37, 6949, 34.65), (32, 11391, 37.83)),
    ("coffee", "faster"): ((55, 602, 23.70), (45, 1728, 27.61), (37, 5490, 31.79), (32, 11350, 34.91)),
    ("coffee", "medium"): ((55, 644, 24.61), (45, 1920, 28.67), (37, 5687, 32.66), (32, 11886, 35.98)),
}


def load_image(name: str) -> np.ndarray:
    """The anchor's inputs: centre crops of scikit-image's bundled images."""
    from skimage import data

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
    from ssgc_ref.vvc.oracle import decode_annexb, set_simd

    s = bd - 8
    t = time.perf_counter()
    res = encode_picture(y.astype(np.uint16) << s, cb.astype(np.uint16) << s, cr.astype(np.uint16) << s,
                         qp=qp, bit_depth=bd, preset=preset)
    enc = time.perf_counter() - t
    set_simd(False)
    dec = decode_annexb(res.data)
    set_simd(True)
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
    from ssgc_format.ycbcr import rgb_to_ycbcr420

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="medium")
    ap.add_argument("--bit-depths", type=int, nargs="+", default=[8])
    ap.add_argument("--images", nargs="+", default=list(IMAGES))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "vvc_anchor.json"))
    args = ap.parse_args()

    results: dict = {"settings": {"preset": args.preset, "bit_depths": args.bit_depths, "qps": QPS,
                                  "anchor_source": "reference/vvenc-anchor.md (VVenC 1.6.1)"},
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
                anchor = VVENC_10BIT.get((name, preset))
                if anchor:
                    bdr[f"ours_vs_vvenc_{preset}_10bit"] = bd_rate([(a[1], a[2]) for a in anchor], ours)
                anchor8 = VVENC_8BIT.get((name, preset))
                if anchor8:
                    bdr[f"ours_vs_vvenc_{preset}_8bit"] = bd_rate([(a[1], a[2]) for a in anchor8], ours)
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

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
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
