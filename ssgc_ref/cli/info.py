"""``ssgc-ref info``: what a file contains, field by field, and what each part costs."""

from __future__ import annotations

import argparse
import json
from typing import Any

NAME = "info"
HELP = "show the version, size, header fields, segments (bytes and bits per pixel) and generation parameters"
DESCRIPTION = """Show what an .ssgc file contains without generating the image: format version,
dimensions, grids, every header field with its bits, every segment with its offset, size in bytes
and bits per pixel, the fixed container overhead, the generation parameters and provenance
metadata. The whole file is validated (CRC, header, segments, every payload); a damaged file gives
a one-line error and exit code 1."""

# What each part is, for people reading the table.
ROLES = {
    "signature + version": "signature 89 53 47, version", "header": "header (bit-packed)",
    "LABL": "label map", "CMAP": "color map", "MASK": "mask contours", "ROIC head": "ROI placement",
    "ROIC substream": "ROI substream (VVC)", "CRC-32": "CRC-32 of the file", "END": "end of extensions",
    "meta": "metadata",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="an .ssgc file ('-' reads standard input)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def describe(data: bytes) -> dict[str, Any]:
    """Everything ``info`` reports, as a JSON-ready dict (raises SSGCError on a bad file)."""
    from ssgc_format.file import parse_file
    from ssgc_format.genparams import SAMPLERS
    from ssgc_format.profiles import get_profile

    pf = parse_file(data)
    img = pf.image
    h, g = img.header, img.genparams
    pixels = h.width * h.height
    rows = []
    for p in pf.parts:
        role = ROLES.get(p.name, "length (varint)" if p.name.endswith(" length") else "unknown ancillary")
        rows.append({"type": p.name, "role": role, "kind": p.kind, "offset": p.offset, "bytes": p.size,
                     "bpp": round(8 * p.size / pixels, 6)})
    payload = sum(p.size for p in pf.parts if p.kind == "payload")
    out: dict[str, Any] = {
        "version": f"{h.version[0]}.{h.version[1]}",
        "width": h.width, "height": h.height,
        "label_set": h.label_set,
        "label_grid": list(img.label_grid), "label_cell": 1 << h.label_cell_log2,
        "color_grid": list(img.color_grid), "color_cell": 1 << h.color_cell_log2,
        "color_space": h.color_space, "color_steps": list(h.color_steps),
        "has_roi": h.has_roi,
        "total_bytes": len(data), "total_bpp": round(8 * len(data) / pixels, 6),
        "fixed_overhead_bytes": pf.fixed_overhead,
        "payload_bytes": payload,
        "extension_bytes": sum(p.size for p in pf.parts if p.kind == "extension"),
        "segments": rows,
        "header_fields": [{"field": n, "bit": b, "bits": k, "value": v} for n, b, k, v in pf.header_fields],
        "generation": {
            "profile_id": g.profile_id,
            "profile": getattr(get_profile(g.profile_id), "name", "none" if g.profile_id == 0 else "unknown"),
            "sampler": g.sampler, "sampler_name": SAMPLERS.get(g.sampler, "reserved"), "seed": g.seed,
            "steps": g.steps, "strength": g.strength_permille / 1000, "guidance": g.guidance_q8 / 256,
            "eta": g.eta_q8 / 256, "flags": g.flags,
        },
        "meta": dict(img.meta),
    }
    if img.roi is not None and img.mask is not None:
        r = img.roi
        out["roi"] = {"codec_id": r.codec_id, "x": r.x, "y": r.y, "width": r.width, "height": r.height,
                      "bit_depth": r.bit_depth, "substream_bytes": len(r.substream),
                      "mask_cell": 1 << img.mask.cell_log2}
    return out


def _print_table(d: dict[str, Any], name: str) -> None:
    print(f"{name}: SSGC {d['version']}, {d['width']}x{d['height']}, {d['total_bytes']} bytes "
          f"({d['total_bpp']:.4f} bpp): {d['payload_bytes']} payload, {d['fixed_overhead_bytes']} fixed "
          f"overhead, {d['extension_bytes']} extensions")
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
    print(f"  generation profile {g['profile_id']} ({g['profile']}), {g['sampler_name']}, seed {g['seed']}, "
          f"{g['steps']} steps, strength {g['strength']:.3f}, guidance {g['guidance']:.3f}, eta {g['eta']:.3f}, "
          f"flags 0x{g['flags']:x}")
    fields = " ".join(f"{f['field']}={f['value']}({f['bits']}b)" for f in d["header_fields"])
    print(f"  header fields: {fields}")
    print(f"  {'segment':<22}{'role':<30}{'offset':>8}{'bytes':>8}{'bpp':>10}")
    for r in d["segments"]:
        print(f"  {r['type']:<22}{r['role']:<30}{r['offset']:>8}{r['bytes']:>8}{r['bpp']:>10.4f}")
    for k, v in d["meta"].items():
        print(f"  meta {printable(k)}: {printable(v)}")


def printable(text: str) -> str:
    """``text`` with control characters (ESC, CR, BEL, ...) escaped, so a file cannot drive the
    terminal; other characters, non-ASCII included, are kept."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def run(args: argparse.Namespace) -> int:
    from ssgc_ref.fileio import read_ssgc_bytes

    d = describe(read_ssgc_bytes(args.file))
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        _print_table(d, args.file)
    return 0
