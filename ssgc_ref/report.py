"""Bit budget of a file per component, for the CLI and the benchmarks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ssgc_format.container import SIGNATURE, read_chunks

if TYPE_CHECKING:
    import numpy as np

    from ssgc_ref.encoder import EncodeResult

# component -> chunk types (the signature counts with the header)
COMPONENTS = (
    ("header", ("signature", "SHDR", "SEND")),
    ("generation", ("GENP",)),
    ("labels", ("LABL",)),
    ("color map", ("CMAP",)),
    ("mask", ("MASK",)),
    ("ROI (VVC)", ("ROIC",)),
    ("metadata", ("meta",)),
)


def budget(data: bytes) -> dict[str, Any]:
    """Bytes per component (chunk framing included) and the totals of a valid file."""
    from ssgc_format.header import parse_header

    chunks = read_chunks(data)
    h = parse_header(chunks[0].data)
    sizes = {"signature": len(SIGNATURE)}
    other = 0
    for c in chunks:
        if c.name in ("SHDR", "GENP", "SEND", "LABL", "CMAP", "MASK", "ROIC", "meta"):
            sizes[c.name] = sizes.get(c.name, 0) + c.size
        else:
            other += c.size
    rows = {name: sum(sizes.get(t, 0) for t in types) for name, types in COMPONENTS}
    if other:
        rows["other ancillary"] = other
    pixels = h.width * h.height
    return {"width": h.width, "height": h.height, "components": rows, "total": len(data),
            "semantic": rows["header"] + rows["labels"] + rows["color map"],
            "bpp": {k: 8 * v / pixels for k, v in rows.items()}, "total_bpp": 8 * len(data) / pixels}


def budget_table(data: bytes) -> str:
    b = budget(data)
    lines = [f"  {'component':<16}{'bytes':>8}{'bpp':>10}"]
    for k, v in b["components"].items():
        if v:
            lines.append(f"  {k:<16}{v:>8}{b['bpp'][k]:>10.4f}")
    lines.append(f"  {'total':<16}{b['total']:>8}{b['total_bpp']:>10.4f}")
    lines.append(f"  semantic part (header + labels + color map): {b['semantic']} bytes"
                 f" (+ {b['components']['generation']} bytes of generation parameters)")
    return "\n".join(lines)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 studio-range luma Y' (16..235) as float64, the PSNR-Y of the README's tables."""
    import numpy as np

    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y: np.ndarray = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    return y


def psnr_y(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR of luma between two uint8 RGB pictures, inside ``mask`` (bool) when given."""
    import numpy as np

    d = luma(a) - luma(b)
    if mask is not None:
        d = d[mask]
    mse = float((d * d).mean()) if d.size else 0.0
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def roi_psnr_y(rgb: np.ndarray, res: EncodeResult) -> float:
    """PSNR-Y inside the ROI mask of an encoder result (``ssgc_ref.encoder.EncodeResult``):
    the decoder's ROI pixels against the input."""
    from ssgc_format import reconstruct

    img = res.image
    m = reconstruct.mask_image(img)
    r = img.roi
    if r is None or res.roi_rgb is None:
        raise ValueError("the file has no ROI")
    placed = rgb.copy()
    placed[r.y: r.y + r.height, r.x: r.x + r.width] = res.roi_rgb
    return psnr_y(placed, rgb, m)
