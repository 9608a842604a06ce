"""The pictures ``batch eval`` draws from its manifest (matplotlib, no display needed):

- ``rate_quality.png``: bpp against PSNR-Y inside the ROI, SSGC (solid) and VVC alone at the same bytes
  (dashed); left one curve per image over its operating points, right the mean over the images at
  each operating point (only images measured by both codecs at that point);
- ``contact_sheet.png``: per image (its lowest-rate point) the original, the SSGC decode and the
  VVC-alone decode, titled with bpp and ROI PSNR-Y.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict

import numpy as np

RATE_QUALITY = "rate_quality.png"
CONTACT_SHEET = "contact_sheet.png"
SHEET_MAX_IMAGES = 12


def _points(rows: list[dict]) -> list[dict]:
    """Rows where both codecs have a bpp and an ROI PSNR-Y."""
    out = []
    for r in rows:
        s, v = r.get("ssgc") or {}, r.get("vvc_alone") or {}
        if r.get("status") == "ok" and s.get("psnr_y_roi") is not None and v.get("psnr_y_roi") is not None:
            out.append(r)
    return out


def _image_of(row: dict) -> str:
    return row["key"].rsplit("@", 1)[0]


def rate_quality(rows: list[dict], path: str) -> int:
    """Draw the curves; returns the number of points drawn (0: nothing to draw, no file written)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = _points(rows)
    if not pts:
        return 0
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    per_image: dict[str, list[dict]] = defaultdict(list)
    for r in pts:
        per_image[_image_of(r)].append(r)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, (name, rs) in enumerate(sorted(per_image.items())):
        rs = sorted(rs, key=lambda r: r["bpp"]["total"])
        c = colors[n % len(colors)]
        a.plot([r["bpp"]["total"] for r in rs], [r["ssgc"]["psnr_y_roi"] for r in rs], "o-", color=c, label=name)
        rv = sorted(rs, key=lambda r: r["vvc_alone"]["bpp"])
        a.plot([r["vvc_alone"]["bpp"] for r in rv], [r["vvc_alone"]["psnr_y_roi"] for r in rv], "s--", color=c)
    a.set_title("per image (solid SSGC, dashed VVC alone)")
    by_point: dict[object, list[dict]] = defaultdict(list)
    for r in pts:
        by_point[r.get("qp")].append(r)
    mean = sorted(((np.mean([r["bpp"]["total"] for r in rs]), np.mean([r["ssgc"]["psnr_y_roi"] for r in rs]),
                    np.mean([r["vvc_alone"]["bpp"] for r in rs]), np.mean([r["vvc_alone"]["psnr_y_roi"] for r in rs]),
                    len(rs)) for rs in by_point.values()))
    b.plot([m[0] for m in mean], [m[1] for m in mean], "o-", label="SSGC")
    b.plot([m[2] for m in mean], [m[3] for m in mean], "s--", label="VVC alone, same bytes")
    b.set_title(f"mean over images ({max(m[4] for m in mean)} images per point at most)")
    for ax in (a, b):
        ax.set_xlabel("bits per pixel (whole picture)")
        ax.set_ylabel("PSNR-Y inside the ROI (dB)")
        ax.grid(alpha=0.3)
    a.legend(fontsize=7)
    b.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return len(pts)


def _save(fig, path: str) -> None:
    from ssgc_ref.fileio import write_atomic

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    write_atomic(path, buf.getvalue(), force=True)


def contact_sheet(rows: list[dict], folder: str, path: str) -> int:
    """Draw the sheet from the files in ``folder``; returns the number of images shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from ssgc_ref.analysis import load_image

    chosen: dict[str, dict] = {}
    for r in rows:
        if r.get("status") != "ok" or "png" not in r.get("outputs", {}):
            continue
        name = _image_of(r)
        if name not in chosen or r["bpp"]["total"] < chosen[name]["bpp"]["total"]:
            chosen[name] = r
    shown = [chosen[k] for k in sorted(chosen)][:SHEET_MAX_IMAGES]
    if not shown:
        return 0
    fig, axes = plt.subplots(len(shown), 3, figsize=(9, 3.1 * len(shown)), squeeze=False)
    for ax_row, r in zip(axes, shown):
        s, v = r.get("ssgc") or {}, r.get("vvc_alone") or {}

        def db(m: dict) -> str:
            return f"{m['psnr_y_roi']:.2f} dB in ROI" if m.get("psnr_y_roi") is not None else "no ROI"

        panels = [(load_image(r["input"]), f"{_image_of(r)} (original)"),
                  (np.asarray(Image.open(os.path.join(folder, r["outputs"]["png"])).convert("RGB")),
                   f"SSGC {r['bpp']['total']:.3f} bpp, {db(s)}")]
        if "vvc_png" in r["outputs"]:
            panels.append((np.asarray(Image.open(os.path.join(folder, r["outputs"]["vvc_png"])).convert("RGB")),
                           f"VVC alone {v['bpp']:.3f} bpp, {db(v)}"))
        else:
            panels.append((None, "VVC alone: " + (v.get("error") or "absent")[:60]))
        for ax, (pic, title) in zip(ax_row, panels):
            if pic is not None:
                ax.imshow(pic)
            ax.set_title(title, fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return len(shown)
