"""``ssgc-ref info``: what a file contains, chunk by chunk, and what each part costs."""

from __future__ import annotations

import json

NAME = "info"
HELP = "show the version, size, chunks (bytes and bits per pixel) and generation parameters of a file"
DESCRIPTION = """Show what an .ssgc file contains without decoding the image: format version,
dimensions, grids, every chunk with its size in bytes and bits per pixel (framing included), the
generation parameters and provenance metadata. The whole file is validated (CRCs, chunk order,
every payload); a damaged file gives a one-line error and exit code 1."""

# What each chunk is, for people reading the table.
ROLES = {
    "SHDR": "header", "GENP": "generation parameters", "LABL": "label map", "CMAP": "color map",
    "MASK": "mask contours", "ROIC": "ROI substream (VVC)", "SEND": "end", "meta": "metadata",
}


def add_arguments(p) -> None:
    p.add_argument("file", help="an .ssgc file ('-' reads standard input)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def describe(data: bytes) -> dict:
    """Everything ``info`` reports, as a JSON-ready dict (raises SSGCError on a bad file)."""
    from ssgc_format.container import SIGNATURE, read_chunks
    from ssgc_format.file import read_ssgc
    from ssgc_format.profiles import get_profile

    chunks = read_chunks(data)
    img = read_ssgc(data)
    h, g = img.header, img.genparams
    pixels = h.width * h.height
    rows = [{"type": "signature", "role": "signature", "offset": 0, "bytes": len(SIGNATURE)}]
    rows += [{"type": c.name, "role": ROLES.get(c.name, "unknown ancillary"), "offset": c.offset,
              "bytes": c.size} for c in chunks]
    for r in rows:
        r["bpp"] = round(8 * r["bytes"] / pixels, 6)
    semantic = sum(r["bytes"] for r in rows if r["type"] in ("signature", "SHDR", "LABL", "CMAP", "SEND"))
    out = {
        "version": f"{h.version[0]}.{h.version[1]}",
        "width": h.width, "height": h.height,
        "label_set": h.label_set,
        "label_grid": list(img.label_grid), "label_cell": 1 << h.label_cell_log2,
        "color_grid": list(img.color_grid), "color_cell": 1 << h.color_cell_log2,
        "color_space": h.color_space, "color_steps": list(h.color_steps),
        "has_roi": h.has_roi,
        "total_bytes": len(data), "total_bpp": round(8 * len(data) / pixels, 6),
        "semantic_bytes": semantic,
        "chunks": rows,
        "generation": {
            "profile_id": g.profile_id, "profile": getattr(get_profile(g.profile_id), "name", "none" if g.profile_id == 0 else "unknown"), "seed": g.seed,
            "steps": g.steps, "strength": g.strength_permille / 1000, "guidance": g.guidance_q8 / 256,
            "eta": g.eta_q8 / 256, "flags": g.flags,
        },
        "meta": dict(img.meta),
    }
    if img.roi is not None:
        r = img.roi
        out["roi"] = {"codec_id": r.codec_id, "x": r.x, "y": r.y, "width": r.width, "height": r.height,
                      "bit_depth": r.bit_depth, "substream_bytes": len(r.substream),
                      "mask_cell": 1 << img.mask.cell_log2}
    return out


def _print_table(d: dict, name: str) -> None:
    print(f"{name}: SSGC {d['version']}, {d['width']}x{d['height']}, {d['total_bytes']} bytes "
          f"({d['total_bpp']:.4f} bpp)")
    print(f"  label map  {d['label_grid'][1]}x{d['label_grid'][0]} cells of {d['label_cell']} px, label set {d['label_set']}")
    print(f"  color map  {d['color_grid'][1]}x{d['color_grid'][0]} cells of {d['color_cell']} px, "
          f"color space {d['color_space']}, steps {d['color_steps']}")
    if "roi" in d:
        r = d["roi"]
        print(f"  ROI        {r['width']}x{r['height']} at ({r['x']},{r['y']}), codec {r['codec_id']} (VVC), "
              f"{r['bit_depth']}-bit, mask cell {r['mask_cell']} px")
    else:
        print("  ROI        none (the whole image is generated)")
    g = d["generation"]
    print(f"  generation profile {g['profile_id']} ({g['profile']}), seed {g['seed']}, {g['steps']} DDIM steps, "
          f"strength {g['strength']:.3f}, guidance {g['guidance']:.3f}, eta {g['eta']:.3f}, flags 0x{g['flags']:x}")
    print(f"  {'chunk':<10}{'role':<24}{'offset':>8}{'bytes':>9}{'bpp':>10}")
    for r in d["chunks"]:
        print(f"  {r['type']:<10}{r['role']:<24}{r['offset']:>8}{r['bytes']:>9}{r['bpp']:>10.4f}")
    print(f"  semantic part (signature, SHDR, LABL, CMAP, SEND): {d['semantic_bytes']} bytes")
    for k, v in d["meta"].items():
        print(f"  meta {printable(k)}: {printable(v)}")


def printable(text: str) -> str:
    """``text`` with control characters (ESC, CR, BEL, ...) escaped, so a file cannot drive the
    terminal; other characters, non-ASCII included, are kept."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def run(args) -> int:
    from ssgc_ref.fileio import read_ssgc_bytes

    d = describe(read_ssgc_bytes(args.file))
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        _print_table(d, args.file)
    return 0
