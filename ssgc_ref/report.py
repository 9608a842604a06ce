"""Bit budget of a file per component, for the CLI and the benchmarks."""

from __future__ import annotations

from ssgc_format.container import SIGNATURE, read_chunks

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


def budget(data: bytes) -> dict:
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
