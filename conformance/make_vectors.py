"""Regenerate the conformance vectors: ``python -m conformance.make_vectors``.

Run it whenever the bitstream changes (and bump the version in spec/ if compatibility changed).
Every vector is built from deterministic synthetic content, so running this twice gives the same
files; the expected hashes are those of the reference decoder at generation time, the ROI decoded
by FFmpeg's VVC decoder (an independent implementation).
"""

from __future__ import annotations

import json
import shutil

import numpy as np

from PIL import Image

from conformance.hashes import file_sha256
from conformance.runner import HERE, VECTORS_JSON, expected_hashes
from ssgc_format.container import build_file, read_chunks
from ssgc_format.header import shdr_format
from ssgc_ref.decoder import decode_bytes

VECTOR_DIR = HERE / "vectors"


def synthetic_image(width: int, height: int, seed: int) -> np.ndarray:
    """A smooth 'landscape' (sky gradient, hills, a sun) with a little noise: uint8 RGB."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    horizon = height * (0.55 + 0.1 * np.sin(x / max(width, 1) * 6.0 + seed))
    sky = np.stack([90 + 80 * y / height, 150 + 60 * y / height, 235 - 20 * y / height], -1)
    ground = np.stack([60 + 40 * np.sin(x / 17.0), 120 + 30 * np.cos(y / 11.0), 50 + 0 * x], -1)
    img = np.where((y < horizon)[..., None], sky, ground)
    sun = (x - width * 0.7) ** 2 + (y - height * 0.2) ** 2 < (min(width, height) * 0.08) ** 2
    img[sun] = (250, 230, 120)
    img += rng.normal(0, 3, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def synthetic_labels(width: int, height: int, seed: int) -> np.ndarray:
    """Sky (156 'sky-other'), hills (125 'mountain'), grass (123), a tree blob (168 'tree'), some unlabeled."""
    y, x = np.mgrid[0:height, 0:width]
    horizon = height * (0.55 + 0.1 * np.sin(x / max(width, 1) * 6.0 + seed))
    lab = np.where(y < horizon, 156, 125).astype(np.uint8)
    lab[y > height * 0.8] = 123
    lab[(x - width * 0.25) ** 2 + (y - height * 0.6) ** 2 < (min(width, height) * 0.15) ** 2] = 168
    lab[:max(1, height // 20), :max(1, width // 20)] = 182
    return lab


def build(name: str, width: int, height: int, *, seed: int, roi: tuple[int, int, int, int] | None = None,
          mask_shape: str = "ellipse", mask_cell_log2: int = 0, bit_depth: int = 8, qp: int = 32,
          label_cell_log2: int = 4, color_cell_log2: int = 5, profile_id: int = 1, steps: int = 200,
          gen_flags: int = 0) -> bytes:
    """Encode synthetic content with the reference encoder's building blocks."""
    from ssgc_ref.encoder import EncoderConfig, encode_image

    rgb = synthetic_image(width, height, seed)
    labels = synthetic_labels(width, height, seed)
    mask = None
    if roi is not None:
        x0, y0, w, h = roi
        yy, xx = np.mgrid[0:height, 0:width]
        mask = np.zeros((height, width), bool)
        if mask_shape == "ellipse":
            mask = ((xx - x0 - w / 2) / (w / 2)) ** 2 + ((yy - y0 - h / 2) / (h / 2)) ** 2 <= 1
        else:  # a ring with a hole and a second component
            r = ((xx - x0 - w / 2) / (w / 2)) ** 2 + ((yy - y0 - h / 2) / (h / 2)) ** 2
            mask = (r <= 1) & (r >= 0.3)
            mask[y0: y0 + 3, x0 + w - 4: x0 + w] = True
    cfg = EncoderConfig(label_cell_log2=label_cell_log2, color_cell_log2=color_cell_log2,
                        mask_cell_log2=mask_cell_log2, qp=qp, roi_bit_depth=bit_depth, seed=seed,
                        profile_id=profile_id, steps=steps, gen_flags=gen_flags, provenance="none")
    return encode_image(rgb, mask=mask, labels=labels, config=cfg, meta={"vector": name}).data


def reframe(data: bytes, edit) -> bytes:
    chunks = [[c.type, c.data] for c in read_chunks(data)]
    edit(chunks)
    return build_file([(t, d) for t, d in chunks])


def set_header(data: bytes, extra: bytes = b"", **fields) -> bytes:
    def edit(cs):
        f = dict(shdr_format.parse(cs[0][1]))
        f.pop("_io", None)
        f.update(fields)
        cs[0][1] = shdr_format.build(f) + extra
    return reframe(data, edit)


def main() -> None:
    valid = [
        ("min-1x1", "1x1 image, no ROI, smallest grids", build("min-1x1", 1, 1, seed=1), "2 4 5 9"),
        ("odd-37x23-fine-cells", "odd size, label and color cells of 4 px", build(
            "odd-37x23-fine-cells", 37, 23, seed=2, label_cell_log2=2, color_cell_log2=2), "1.4 4 5"),
        ("landscape-200x136", "typical content, default parameters, no ROI", build(
            "landscape-200x136", 200, 136, seed=3), "4 5 9.5"),
        ("roi-ellipse-96x64", "elliptic ROI coded with VVC 8-bit, pixel-precise mask", build(
            "roi-ellipse-96x64", 96, 64, seed=4, roi=(30, 10, 40, 36)), "6 7 9.3 9.4"),
        ("roi-ring-cell4-10bit-90x70", "ring mask with a hole and a second component, 4-px mask cells, "
         "VVC 10-bit, odd-aligned rectangle", build(
             "roi-ring-cell4-10bit-90x70", 90, 70, seed=5, roi=(21, 13, 41, 37), mask_shape="ring",
             mask_cell_log2=2, bit_depth=10, qp=40), "6 7.5"),
        ("profile-0-preview", "profile 0: the preview is the decoded image", build(
            "profile-0-preview", 48, 40, seed=6, profile_id=0), "8.1 9.5"),
    ]
    from ssgc_format.genparams import FLAG_FEATHER, FLAG_ROI_AWARE

    generated = [  # decoded with the tiny conformance model (profile 2): checked within tolerance (8.9)
        ("tiny-model-64x48", "profile 2 (tiny conformance model), 8 DDIM steps, guidance 2, no ROI", build(
            "tiny-model-64x48", 64, 48, seed=7, profile_id=2, steps=8), "8.3 8.4 8.5 8.6"),
        ("tiny-model-roi-aware-feather-56x40", "profile 2, ROI-aware sampling and feathered composite", build(
            "tiny-model-roi-aware-feather-56x40", 56, 40, seed=8, profile_id=2, steps=6, roi=(14, 8, 24, 20),
            gen_flags=FLAG_ROI_AWARE | FLAG_FEATHER), "8.7 8.8 9.4"),
    ]
    base = valid[2][2]
    valid += [
        ("ancillary-unknown-skipped", "an unknown ancillary chunk between LABL and CMAP is skipped",
         reframe(base, lambda cs: cs.insert(4, [b"xTra", b"ignore me"])), "2.2"),
        ("minor-version-1.7-longer-shdr", "version 1.7 with 3 extra SHDR bytes a 1.0 decoder ignores",
         set_header(base, extra=b"\1\2\3", version_minor=7), "1.7 2.5"),
    ]
    invalid = [
        ("bad-signature", "text-mode transfer damage", b"\x89SGC\n\x1a\n" + base[8:], "FormatError", "signature"),
        ("crc-mismatch", "one bit flipped in LABL data", _flip(base, b"LABL"), "ChecksumError", "CRC"),
        ("truncated", "file cut in the middle of CMAP", base[: read_chunks(base)[-2].offset + 9], "FormatError", ""),
        ("trailing-bytes", "a byte after SEND", base + b"\0", "FormatError", "after the SEND"),
        ("unknown-critical", "an unknown critical chunk", reframe(base, lambda cs: cs.insert(2, [b"QQQQ", b""])),
         "FormatError", "unknown critical"),
        ("duplicate-labl", "LABL twice", reframe(base, lambda cs: cs.insert(3, list(cs[2]))), "FormatError", "duplicate"),
        ("missing-cmap", "no CMAP chunk", reframe(base, lambda cs: cs.pop(3)), "FormatError", ""),
        ("version-2", "major version 2", set_header(base, version_major=2), "UnsupportedError", "version 2"),
        ("reserved-flag", "a reserved SHDR flag bit", set_header(base, flags=0x40), "FormatError", "reserved"),
        ("huge-dimensions", "16384x16384 exceeds 2^26 pixels", set_header(base, width=16384, height=16384),
         "LimitError", "pixels"),
        ("shdr-1.0-too-long", "version 1.0 with a 15-byte SHDR", set_header(base, extra=b"\0"), "FormatError", "SHDR"),
    ]
    if VECTOR_DIR.exists():
        shutil.rmtree(VECTOR_DIR)
    VECTOR_DIR.mkdir()
    entries = []
    for name, desc, data, clauses in valid:
        (VECTOR_DIR / f"{name}.ssgc").write_bytes(data)
        entries.append({"name": name, "file": f"vectors/{name}.ssgc", "description": desc, "clauses": clauses,
                        "bytes": len(data), "file_sha256": file_sha256(data), "expect": expected_hashes(data)})
    for name, desc, data, clauses in generated:
        (VECTOR_DIR / f"{name}.ssgc").write_bytes(data)
        decoded = decode_bytes(data, generator="ldm").image
        Image.fromarray(decoded).save(VECTOR_DIR / f"{name}.expected.png")
        entries.append({"name": name, "file": f"vectors/{name}.ssgc", "description": desc, "clauses": clauses,
                        "bytes": len(data), "file_sha256": file_sha256(data), "expect": expected_hashes(data),
                        "generated": {"file": f"vectors/{name}.expected.png", "max_rmse": 1.0, "max_peak": 16}})
    for name, desc, data, err, msg in invalid:
        (VECTOR_DIR / f"{name}.ssgc").write_bytes(data)
        entries.append({"name": name, "file": f"vectors/{name}.ssgc", "description": desc, "clauses": "1.6 2",
                        "bytes": len(data), "file_sha256": file_sha256(data), "error": err, "message": msg})
    with open(VECTORS_JSON, "w") as f:
        json.dump({"format_version": "1.0", "hash": "SHA-256 of 8-bit samples, row-major (spec 9.6)",
                   "vectors": entries}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(entries)} vectors to {VECTOR_DIR}")


def _flip(data: bytes, chunk_type: bytes) -> bytes:
    c = next(c for c in read_chunks(data) if c.type == chunk_type)
    bad = bytearray(data)
    bad[c.offset + 8] ^= 0x10
    return bytes(bad)


if __name__ == "__main__":
    main()
