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
          gen_flags: int = 0, color_space: int | None = None, color_steps: tuple[int, int, int] | None = None) -> bytes:
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
    colors = {} if color_space is None else {"color_space": color_space, "color_steps": color_steps}
    cfg = EncoderConfig(**colors, label_cell_log2=label_cell_log2, color_cell_log2=color_cell_log2,
                        mask_cell_log2=mask_cell_log2, qp=qp, roi_bit_depth=bit_depth, seed=seed,
                        profile_id=profile_id, steps=steps, gen_flags=gen_flags, provenance="none")
    return encode_image(rgb, mask=mask, labels=labels, config=cfg, meta={"vector": name}).data


def reframe(data: bytes, edit) -> bytes:
    chunks = [[c.type, c.data] for c in read_chunks(data)]
    edit(chunks)
    return build_file([(t, d) for t, d in chunks])


def _index(chunks, chunk_type: bytes) -> int:
    return next(i for i, c in enumerate(chunks) if c[0] == chunk_type)


def insert_before(data: bytes, before: bytes, chunk_type: bytes, payload: bytes) -> bytes:
    return reframe(data, lambda cs: cs.insert(_index(cs, before), [chunk_type, payload]))


def duplicate(data: bytes, chunk_type: bytes) -> bytes:
    return reframe(data, lambda cs: cs.insert(_index(cs, chunk_type), list(cs[_index(cs, chunk_type)])))


def remove(data: bytes, chunk_type: bytes) -> bytes:
    return reframe(data, lambda cs: cs.pop(_index(cs, chunk_type)))


def swap(data: bytes, a: bytes, b: bytes) -> bytes:
    def edit(cs):
        i, j = _index(cs, a), _index(cs, b)
        cs[i], cs[j] = cs[j], cs[i]
    return reframe(data, edit)


def replace_payload(data: bytes, chunk_type: bytes, fn) -> bytes:
    def edit(cs):
        i = _index(cs, chunk_type)
        cs[i][1] = fn(cs[i][1])
    return reframe(data, edit)


def with_mask_beyond_rectangle(data: bytes) -> bytes:
    """The same file with every mask cell set: the mask now reaches outside the ROI rectangle."""
    import dataclasses

    import numpy as np

    from ssgc_format.file import MaskGrid, read_ssgc, write_ssgc

    img = read_ssgc(data)
    grid = np.ones_like(img.mask.grid)
    return write_ssgc(dataclasses.replace(img, mask=MaskGrid(img.mask.cell_log2, grid)))


def genp_with(data: bytes, **fields) -> bytes:
    from ssgc_format.genparams import genp_format

    def edit(payload: bytes) -> bytes:
        f = dict(genp_format.parse(payload))
        f.pop("_io", None)
        f.update(fields)
        return genp_format.build(f)
    return replace_payload(data, b"GENP", edit)


def roic_with(data: bytes, **fields) -> bytes:
    from ssgc_format.roi import ROIC_HEAD_LENGTH, roic_head_format

    def edit(payload: bytes) -> bytes:
        f = dict(roic_head_format.parse(payload[:ROIC_HEAD_LENGTH]))
        f.pop("_io", None)
        f.update(fields)
        return roic_head_format.build(f) + payload[ROIC_HEAD_LENGTH:]
    return replace_payload(data, b"ROIC", edit)


def set_header(data: bytes, extra: bytes = b"", **fields) -> bytes:
    def edit(cs):
        f = dict(shdr_format.parse(cs[0][1]))
        f.pop("_io", None)
        f.update(fields)
        cs[0][1] = shdr_format.build(f) + extra
    return reframe(data, edit)


def main() -> None:
    from ssgc_format.genparams import FLAG_FEATHER, FLAG_ROI_AWARE

    valid = [
        ("min-1x1", "1x1 image, no ROI, smallest grids", build("min-1x1", 1, 1, seed=1), "2 4 5 9"),
        ("odd-37x23-fine-cells", "odd size, label and color cells of 4 px", build(
            "odd-37x23-fine-cells", 37, 23, seed=2, label_cell_log2=2, color_cell_log2=2), "1.4 4 5"),
        ("landscape-200x136", "typical content, default parameters, no ROI", build(
            "landscape-200x136", 200, 136, seed=3), "4 5 9.5"),
        ("roi-ellipse-96x64", "elliptic ROI coded with VVC 8-bit, pixel-precise mask", build(
            "roi-ellipse-96x64", 96, 64, seed=4, roi=(30, 10, 40, 36)), "6 7 9.3 9.4"),
        ("roi-ring-cell4-10bit-90x70", "ring mask with a hole and a second component, 4-px mask cells, "
         "VVC 10-bit", build(
             "roi-ring-cell4-10bit-90x70", 90, 70, seed=5, roi=(21, 13, 41, 37), mask_shape="ring",
             mask_cell_log2=2, bit_depth=10, qp=40), "6 7.5"),
        ("profile-0-preview", "profile 0: the preview is the decoded image", build(
            "profile-0-preview", 48, 40, seed=6, profile_id=0), "8.1 9.5"),
        ("color-rgb-steps24-cell256-300x260", "color space 0 (RGB), steps 24, 256-px color cells (2x2 grid)",
         build("color-rgb-steps24-cell256-300x260", 300, 260, seed=9, profile_id=0, color_space=0,
               color_steps=(24, 24, 24), color_cell_log2=8), "5.2 5.4 5.5"),
        ("color-ycocg-full-steps16-32-75x41", "color space 1 (YCoCg-R, chroma at full resolution), "
         "steps (16, 32, 32), 8-px color cells (10x6 grid)",
         build("color-ycocg-full-steps16-32-75x41", 75, 41, seed=11, profile_id=0, color_space=1,
               color_steps=(16, 32, 32), color_cell_log2=3), "5.2 5.3 5.4"),
        ("color-ycocg-half-steps7-3-250-37x27", "color space 2 (YCoCg-R, half-resolution chroma), "
         "odd 10x7 grid (5x4 chroma planes), steps (7, 3, 250): escapes in Co, Cg with 5 indices and no escape",
         build("color-ycocg-half-steps7-3-250-37x27", 37, 27, seed=12, profile_id=0, color_space=2,
               color_steps=(7, 3, 250), color_cell_log2=2), "5.2 5.3 5.4"),
        ("feather-border-mask2px-64x48", "FEATHER with the mask at the picture's corner (edge replication), "
         "2-px mask cells, preview", build(
             "feather-border-mask2px-64x48", 64, 48, seed=10, profile_id=0, roi=(0, 0, 30, 26),
             mask_cell_log2=1, gen_flags=FLAG_FEATHER), "6.6 8.8 9.4"),
        ("mask8px-66x50", "8-px mask cells over an odd-sized picture", build(
            "mask8px-66x50", 66, 50, seed=11, roi=(20, 9, 30, 28), mask_cell_log2=3), "6.1 6.6"),
    ]
    generated = [  # decoded with the tiny conformance model (profile 2): checked within tolerance (8.9)
        ("tiny-model-64x48", "profile 2 (tiny conformance model), 8 DDIM steps, guidance 2, no ROI", build(
            "tiny-model-64x48", 64, 48, seed=7, profile_id=2, steps=8), "8.3 8.4 8.5 8.6"),
        ("tiny-model-roi-aware-feather-56x40", "profile 2, ROI-aware sampling and feathered composite", build(
            "tiny-model-roi-aware-feather-56x40", 56, 40, seed=8, profile_id=2, steps=6, roi=(14, 8, 24, 20),
            gen_flags=FLAG_ROI_AWARE | FLAG_FEATHER), "8.7 8.8 9.4"),
    ]
    base = valid[2][2]
    with_roi = valid[3][2]
    valid += [
        ("ancillary-unknown-skipped", "an unknown ancillary chunk between LABL and CMAP is skipped",
         insert_before(base, b"CMAP", b"xTra", b"ignore me"), "2.2"),
        ("mask-beyond-rectangle", "every mask cell set: only the ROI rectangle is pasted",
         with_mask_beyond_rectangle(with_roi), "9.3"),
        ("minor-version-1.7-longer-shdr", "version 1.7 with 3 extra SHDR bytes a 1.0 decoder ignores",
         set_header(base, extra=b"\1\2\3", version_minor=7), "1.7 2.5"),
    ]
    invalid = [
        ("bad-signature", "text-mode transfer damage", b"\x89SGC\n\x1a\n" + base[8:], "FormatError", "signature"),
        ("crc-mismatch", "one bit flipped in LABL data", _flip(base, b"LABL"), "ChecksumError", "CRC"),
        ("truncated", "file cut in the middle of CMAP", base[: read_chunks(base)[-2].offset + 9], "FormatError", ""),
        ("trailing-bytes", "a byte after SEND", base + b"\0", "FormatError", "after the SEND"),
        ("unknown-critical", "an unknown critical chunk", insert_before(base, b"GENP", b"QQQQ", b""),
         "FormatError", "unknown critical"),
        ("duplicate-labl", "LABL twice", duplicate(base, b"LABL"), "FormatError", "duplicate"),
        ("missing-cmap", "no CMAP chunk", remove(base, b"CMAP"), "FormatError", "CMAP"),
        ("labl-cmap-swapped", "CMAP before LABL", swap(base, b"LABL", b"CMAP"), "FormatError", "out of order"),
        ("mask-without-has-roi", "MASK and ROIC present but HAS_ROI = 0", set_header(with_roi, flags=0),
         "FormatError", "HAS_ROI"),
        ("genp-zero-steps", "GENP steps = 0", genp_with(base, steps=0), "FormatError", "steps"),
        ("genp-reserved-flag", "a reserved GENP flag bit", genp_with(base, flags=0x8000), "FormatError", "reserved"),
        ("meta-not-utf8", "a meta value that is not UTF-8", insert_before(base, b"GENP", b"meta", b"k\0\xff\xfe"),
         "FormatError", "UTF-8"),
        ("roic-codec-2", "a reserved ROI codec id", roic_with(with_roi, codec_id=2), "UnsupportedError", "codec"),
        ("roic-outside-image", "the ROI rectangle crosses the right edge", roic_with(with_roi, x=90),
         "FormatError", "rectangle"),
        ("roic-odd-width", "an odd ROI width", roic_with(with_roi, width=39), "FormatError", "even"),
        ("version-2", "major version 2", set_header(base, version_major=2), "UnsupportedError", "version 2"),
        ("reserved-flag", "a reserved SHDR flag bit", set_header(base, flags=0x40), "FormatError", "reserved"),
        ("huge-dimensions", "16384x16384 exceeds 2^26 pixels", set_header(base, width=16384, height=16384),
         "LimitError", "pixels"),
        ("shdr-1.0-too-long", "version 1.0 with a 15-byte SHDR", set_header(base, extra=b"\0"), "FormatError", "SHDR"),
    ]
    rule_valid, rule_generated, rule_invalid = payload_rule_vectors()
    valid += rule_valid
    generated += rule_generated
    invalid += rule_invalid
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
    for name, desc, data, err, msg, *clauses in invalid:
        (VECTOR_DIR / f"{name}.ssgc").write_bytes(data)
        entries.append({"name": name, "file": f"vectors/{name}.ssgc", "description": desc,
                        "clauses": clauses[0] if clauses else "1.6 2",
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



# ------------------------------------------------------------------ payload rules (clauses 4-8)

def _mask_payload(mw: int, mh: int, cell_log2: int, contours: list[tuple[int, int, list[int]]],
                  count: int | None = None, delta_override: int | None = None) -> bytes:
    """A MASK payload written with the syntax of spec 6.2 by the payload's own models, for the
    (possibly invalid) contours given as (start corner index delta, first direction, turns);
    ``count`` overrides num_contours, ``delta_override`` the first start_delta."""
    from ssgc_format import mask as mk
    from ssgc_format.entropy import RangeEncoder

    enc = RangeEncoder()
    enc.encode_bits(cell_log2, mk.CELL_LOG2_BITS)
    max_contours = mk._max_contours(mw, mh)
    mk._encode_count(enc, len(contours) if count is None else count, max_contours)
    models = mk._Models()
    corners = (mw + 1) * (mh + 1)
    previous = -1
    for n, (delta, first, turns) in enumerate(contours):
        remaining = corners - previous - 1
        d = delta_override if (n == 0 and delta_override is not None) else delta
        if remaining >= 2:
            enc.encode_bits(d, (remaining - 1).bit_length())
        previous = previous + 1 + d
        enc.encode(first, models.first_direction)
        ctx = mk._TurnContext()
        for t in turns:
            enc.encode(t, models.turn[ctx.index()])
            ctx.update(t)
    return enc.to_bytes()


def payload_rule_vectors() -> tuple[list, list, list]:
    """One vector per error rule of clauses 4-7 (and the 7.4 rules), plus positive vectors for
    GENP steps = 1000 (8.3, n = T) and a substream with general_constraints_info (7.4.1).

    Returns (valid, generated, invalid): valid and generated entries as in main(), invalid ones
    (name, description, data, error class, message, clauses). Built with write_ssgc and the payload
    builders; re-run it after a container change (the edits go through this module's helpers).
    """
    import dataclasses

    from conformance.substreams import (TRAIL_NUT, two_pictures, with_filler_nal_units, with_gci,
                                        with_sps_size, with_vcl_type)
    from ssgc_format.colormap import color_grid_size
    from ssgc_format.contour import EAST, RIGHT, SOUTH
    from ssgc_format.file import SSGCImage, read_ssgc, write_ssgc
    from ssgc_format.genparams import GenerationParams
    from ssgc_format.header import Header
    from ssgc_format.labelmap import label_grid_size
    from ssgc_ref.roi_codec import max_nal_units

    base = build("rules-base-200x136", 200, 136, seed=3, profile_id=0)
    with_roi = build("rules-roi-96x64", 96, 64, seed=4, roi=(30, 10, 40, 36), profile_id=0)
    roi_img = read_ssgc(with_roi)
    sub = roi_img.roi.substream
    rw, rh = roi_img.roi.width, roi_img.roi.height

    def with_substream(s: bytes) -> bytes:
        return write_ssgc(dataclasses.replace(roi_img, roi=dataclasses.replace(roi_img.roi, substream=s)))

    # 4096x1028: a valid 256x65 label grid, and a 1024x257 color grid at 4-px cells (> 2^18 cells)
    big = Header(width=4096, height=1028, color_space=2, color_steps=(15, 20, 20))
    big_img = SSGCImage(header=big, genparams=GenerationParams(profile_id=0),
                        labels=np.full(label_grid_size(4096, 1028, 4), 156, np.uint8),
                        colors=np.zeros(color_grid_size(4096, 1028, 5) + (3,), np.int64))
    mw, mh = 12, 8  # the MASK grid of with_roi's 96x64 picture at 8-px cells
    mask_hdr = roi_img.header

    def with_mask(payload: bytes) -> bytes:
        return replace_payload(with_roi, b"MASK", lambda _: payload)

    square = [(0, EAST, [RIGHT, RIGHT, RIGHT])]  # E S W N around cell (0, 0): closes after N
    assert mask_hdr.width == 96 and mask_hdr.height == 64
    max_contours = (mh + 1) * mw + (mw + 1) * mh
    max_contours //= 4
    over = (1 << max_contours.bit_length()) - 1  # same bit length as the limit, above it

    valid = [
        ("roic-gci-present", "the ROI substream's SPS with general_constraints_info (71 constraint bits, "
         "9 more): read right by the 7.4.1 walk", with_substream(with_gci(sub)), "7.4.1"),
    ]
    generated = [
        ("tiny-model-steps-1000-64x48", "profile 2 with steps = 1000 = T (tau_i = i), strength 5 per mille: "
         "6 steps at t = 5..0", genp_with(build("tiny-model-steps-1000-64x48", 64, 48, seed=13, profile_id=2,
                                                steps=1000), strength_permille=5), "8.3"),
    ]
    invalid = [
        ("shdr-label-set-2", "label_set 2 (not defined)", set_header(base, label_set=2),
         "UnsupportedError", "label set", "4.1 1.6"),
        ("shdr-color-space-3", "color_space 3 (not defined)", set_header(base, color_space=3),
         "UnsupportedError", "color", "5.2 1.6"),
        ("shdr-color-steps-0", "a color step of 0", set_header(base, color_steps=[15, 0, 20]),
         "FormatError", "step", "5.2"),
        ("shdr-label-cell-log2-7", "label_cell_log2 7 (range 2..6)", set_header(base, label_cell_log2=7),
         "FormatError", "label_cell_log2", "4.1 2"),
        ("shdr-label-cell-log2-1", "label_cell_log2 1 (range 2..6)", set_header(base, label_cell_log2=1),
         "FormatError", "label_cell_log2", "4.1 2"),
        ("shdr-color-cell-log2-9", "color_cell_log2 9 (range 2..8)", set_header(base, color_cell_log2=9),
         "FormatError", "color_cell_log2", "5.2 2"),
        ("labl-grid-over-limit", "16384x4096 with 4-px label cells: 2^22 cells > 2^18",
         set_header(base, width=16384, height=4096, label_cell_log2=2), "LimitError", "exceeds", "4.1"),
        ("cmap-grid-over-limit", "4096x1028 with 4-px color cells: 1024x257 cells > 2^18",
         set_header(write_ssgc(big_img), color_cell_log2=2), "LimitError", "exceeds", "5.1"),
        ("labl-range-q-overflow", "LABL payload of 0xFF bytes: q >= 2^24 at the first symbol",
         replace_payload(base, b"LABL", lambda _: b"\xff" * 8), "FormatError", "range-coded", "3.2 4.3"),
        ("cmap-range-q-overflow", "CMAP payload of 0xFF bytes: q >= 2^24 at the first symbol",
         replace_payload(base, b"CMAP", lambda _: b"\xff" * 8), "FormatError", "range-coded", "3.2 5.3"),
        ("labl-length-not-words", "a LABL payload of 5 bytes (the syntax has whole 32-bit words)",
         replace_payload(base, b"LABL", lambda p: p + b"\0"), "FormatError", "multiple of 4", "3.6"),
        ("mask-too-many-contours", f"num_contours {over} > max_contours {max_contours}",
         with_mask(_mask_payload(mw, mh, 3, square, count=over)), "LimitError", "contours", "6.2.1 6.5"),
        ("mask-start-beyond-last-corner", "start_delta beyond the last lattice corner",
         with_mask(_mask_payload(mw, mh, 3, square, delta_override=127)), "FormatError", "start_delta", "6.3"),
        ("mask-leaves-lattice", "a contour stepping off the corner lattice (SOUTH, then RIGHT = WEST at x 0)",
         with_mask(_mask_payload(mw, mh, 3, [(0, SOUTH, [RIGHT])])), "FormatError", "lattice", "6.3"),
        ("mask-edge-twice", "a second contour walking an edge of the first",
         with_mask(_mask_payload(mw, mh, 3, square + [(0, SOUTH, [])])),
         "FormatError", "edge", "6.3"),
        ("roic-bit-depth-9", "ROIC bit_depth 9", roic_with(with_roi, bit_depth=9), "FormatError", "bit_depth", "7.3"),
        ("roic-10-bytes", "a ROIC payload of its 10-byte head only (no substream)",
         replace_payload(with_roi, b"ROIC", lambda p: p[:10]), "FormatError", "ROIC", "7.2 7.3"),
        ("roic-bit-depth-mismatch", "ROIC bit_depth 10 for an 8-bit substream (rule 3)",
         roic_with(with_roi, bit_depth=10), "FormatError", "bit depth", "7.4 rule 3"),
        ("roic-size-mismatch", "ROIC rectangle 2 columns narrower than the decoded picture (rule 4)",
         roic_with(with_roi, width=rw - 2), "FormatError", "rectangle", "7.4 rule 4"),
        ("roic-sps-too-large", "an SPS of 16384x16384 for a 40x36 rectangle (rule 5)",
         with_substream(with_sps_size(sub, 16384, 16384)), "LimitError", "exceeds", "7.4 rule 5"),
        ("roic-sps-too-large-behind-gci", "an SPS of 16384x16384 after general_constraints_info (the "
         "67-bit probe read a small size and let the decoder allocate 2 GB)",
         with_substream(with_sps_size(with_gci(sub), 16384, 16384)), "LimitError", "exceeds", "7.4 rule 5, 7.4.1"),
        ("roic-two-pictures", "the substream twice: two coded pictures (rule 1)",
         with_substream(two_pictures(sub)), "FormatError", "picture", "7.4 rule 1, 7.4.1"),
        ("roic-too-many-nal-units", f"{max_nal_units(rw, rh) + 1} NAL units for a {rw}x{rh} rectangle (rule 6)",
         with_substream(with_filler_nal_units(sub, max_nal_units(rw, rh) + 1 - 3)), "LimitError", "NAL units",
         "7.4 rule 6"),
        ("roic-non-idr-slice", "the slice relabelled TRAIL_NUT (rule 1: IDR only)",
         with_substream(with_vcl_type(sub, TRAIL_NUT)), "FormatError", "IDR", "7.4 rule 1"),
    ]
    invalid.append(("mask-too-many-steps", "one contour of 1081410 steps (a snake of 33 rows of 16384 cells) "
                    "beyond the 2^20 steps a payload may walk", _snake_mask_file(roi_img),
                    "LimitError", "steps", "6.5"))
    return valid, generated, invalid


def _snake_mask_file(roi_img) -> bytes:  # type: ignore[no-untyped-def]
    """A 16384x65 picture whose MASK payload walks the boundary of a snake of 1-px cells: one
    contour of 1081410 edges, more than max_steps = 2^20 (spec 6.5). encode_mask refuses such a
    mask, so the payload is written by _mask_payload from the traced contour."""
    import dataclasses

    from ssgc_format.contour import EAST, directions_to_turns, trace_contours
    from ssgc_format.file import MaskGrid, SSGCImage, write_ssgc
    from ssgc_format.genparams import GenerationParams
    from ssgc_format.header import Header

    w, k = 16384, 33
    grid = np.zeros((2 * k - 1, w), bool)
    for i in range(k):
        grid[2 * i] = True
        if i < k - 1:
            grid[2 * i + 1, w - 1 if i % 2 == 0 else 0] = True
    (x0, y0, dirs), = trace_contours(grid)
    small = np.zeros_like(grid)
    small[:2, :2] = True
    hdr = Header(width=w, height=2 * k - 1, color_space=2, color_steps=(15, 20, 20), has_roi=True)
    img = SSGCImage(header=hdr, genparams=GenerationParams(profile_id=0),
                    labels=np.full((5, 1024), 156, np.uint8), colors=np.zeros((3, 512, 3), np.int64),
                    mask=MaskGrid(0, small), roi=dataclasses.replace(roi_img.roi, x=0, y=0))
    payload = _mask_payload(w, 2 * k - 1, 0, [(y0 * (w + 1) + x0, 0 if dirs[0] == EAST else 1,
                                               directions_to_turns(dirs))])
    return replace_payload(write_ssgc(img), b"MASK", lambda _: payload)


if __name__ == "__main__":
    main()
