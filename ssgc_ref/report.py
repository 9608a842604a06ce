"""Bit budget of a file per component, for the CLI and the benchmarks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ssgc_ref.encoder import EncodeResult

# Generation parameter fields of the header (spec 8.2): their bits are the "generation" component.
_GEN_FIELD_PREFIXES = ("gen_default", "profile_id", "sampler", "steps", "strength_permille", "guidance_q8",
                       "eta_q8", "flags", "seed")


def budget(data: bytes) -> dict[str, Any]:
    """Bytes per component and the totals of a valid file.

    ``header`` is the fixed container overhead (signature, version, header bits, payload lengths,
    CRC, ROIC head) less the generation parameters; ``generation`` is the generation parameters'
    header bits (seed included) rounded up to bytes; the payload components are the payload bytes
    alone; ``metadata`` is every extension segment (meta and others, END included).
    """
    from ssgc_format.file import parse_file

    pf = parse_file(data)
    h = pf.image.header
    gen_bits = sum(bits for name, _, bits, _ in pf.header_fields if name.startswith(_GEN_FIELD_PREFIXES))
    generation = (gen_bits + 7) // 8
    by_name: dict[str, int] = {}
    for p in pf.parts:
        by_name[p.name] = by_name.get(p.name, 0) + p.size
    rows = {
        "header": pf.fixed_overhead - generation,
        "generation": generation,
        "labels": by_name.get("LABL", 0),
        "color map": by_name.get("CMAP", 0),
        "mask": by_name.get("MASK", 0),
        "ROI (VVC)": by_name.get("ROIC substream", 0),
        "metadata": sum(p.size for p in pf.parts if p.kind == "extension"),
    }
    pixels = h.width * h.height
    return {"width": h.width, "height": h.height, "components": rows, "total": len(data),
            "fixed_overhead": pf.fixed_overhead,
            "semantic": rows["header"] + rows["generation"] + rows["labels"] + rows["color map"],
            "bpp": {k: 8 * v / pixels for k, v in rows.items()}, "total_bpp": 8 * len(data) / pixels}


def budget_table(data: bytes) -> str:
    b = budget(data)
    lines = [f"  {'component':<16}{'bytes':>8}{'bpp':>10}"]
    for k, v in b["components"].items():
        if v:
            lines.append(f"  {k:<16}{v:>8}{b['bpp'][k]:>10.4f}")
    lines.append(f"  {'total':<16}{b['total']:>8}{b['total_bpp']:>10.4f}")
    lines.append(f"  semantic part (header, generation, labels, color map): {b['semantic']} bytes; "
                 f"fixed container overhead {b['fixed_overhead']} bytes")
    return "\n".join(lines)


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
    from ssgc_ref.metrics import psnr_y

    return psnr_y(placed, rgb, m)
