"""Regenerate the conformance vectors: ``python -m conformance.make_vectors``.

Run it whenever the bitstream changes (and bump the version in spec/ if compatibility changed).
Vectors come from the functions listed in :data:`VECTOR_SETS`, each returning valid, invalid and
generated (tiny-model) vectors; a new group of vectors is a new function appended there.
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
from conformance.vector_edit import FileParts, edit, replace_payload, set_header
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
          gen_flags: int = 0, color_space: int | None = None, color_steps: tuple[int, int, int] | None = None,
          meta: dict[str, str] | None = None, provenance: str = "none", **gen: int) -> bytes:
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
                        profile_id=profile_id, steps=steps, gen_flags=gen_flags, provenance=provenance)
    data = encode_image(rgb, mask=mask, labels=labels, config=cfg, meta=meta).data
    return set_genparams(data, **gen) if gen else data


def set_genparams(data: bytes, **fields: int) -> bytes:
    """The same file with generation parameters changed (valid values: rebuilt by the library)."""
    import dataclasses

    from ssgc_format.file import read_ssgc, write_ssgc

    img = read_ssgc(data)
    return write_ssgc(dataclasses.replace(img, genparams=dataclasses.replace(img.genparams, **fields)))




# --------------------------------------------------------------------------- vector definitions
# valid:   (name, description, data, clauses)
# invalid: (name, description, data, error class, message substring, clauses)
Valid = tuple[str, str, bytes, str]
Invalid = tuple[str, str, bytes, str, str, str]


def with_mask_beyond_rectangle(data: bytes) -> bytes:
    """The same file with every mask cell set: the mask now reaches outside the ROI rectangle."""
    import dataclasses

    from ssgc_format.file import MaskGrid, read_ssgc, write_ssgc

    img = read_ssgc(data)
    assert img.mask is not None
    grid = np.ones_like(img.mask.grid)
    return write_ssgc(dataclasses.replace(img, mask=MaskGrid(img.mask.cell_log2, grid)))


def roic_with(data: bytes, **fields: int) -> bytes:
    from ssgc_format.roi import ROIC_HEAD_LENGTH, roic_head_format

    def fn(payload: bytes) -> bytes:
        f = dict(roic_head_format.parse(payload[:ROIC_HEAD_LENGTH]))
        f.pop("_io", None)
        f.update(fields)
        return roic_head_format.build(f) + payload[ROIC_HEAD_LENGTH:]
    return replace_payload(data, "ROIC", fn)


def _flip(data: bytes, byte: int, bit: int = 0x10) -> bytes:
    bad = bytearray(data)
    bad[byte] ^= bit
    return bytes(bad)


def _gen(data: bytes, **fields: int) -> bytes:
    """Generation fields coded explicitly with the given (possibly invalid) values."""
    return set_header(data, gen=fields)


def _sem(data: bytes, **fields: object) -> bytes:
    s = dict(label_set=1, label_cell_log2=4, color_cell_log2=5, color_space=2, color_steps=(15, 20, 20))
    s.update(fields)
    return set_header(data, sem=s)


def _ext(data: bytes, items: list[tuple[int, bytes]], end: bytes = b"\x00\x00", payloads: bool = True) -> bytes:
    def fn(p: FileParts) -> None:
        if not payloads:
            p.payloads.clear()
        p.extensions = items
        p.end_segment = end
        p.header.has_extensions = 1  # type: ignore[union-attr]
    return edit(data, fn)


def _meta(key: bytes, value: bytes) -> tuple[int, bytes]:
    return (0x01, key + b"\0" + value)


def container_vectors() -> tuple[list[Valid], list[Invalid]]:
    """Clauses 2, 3.6 and 8.2: the container, the header, the generation parameters (fmt2)."""
    from ssgc_format.genparams import FLAG_FEATHER, FLAG_ROI_AWARE

    base = build("landscape-200x136", 200, 136, seed=3)
    with_roi = build("roi-ellipse-96x64", 96, 64, seed=4, roi=(30, 10, 40, 36))
    valid: list[Valid] = [
        ("min-1x1", "1x1 image, no ROI, smallest grids, seed 1 (16 bits)", build("min-1x1", 1, 1, seed=1),
         "2.3 4 5 9"),
        ("odd-37x23-fine-cells", "odd size, label and color cells of 4 px (semantic fields explicit)", build(
            "odd-37x23-fine-cells", 37, 23, seed=2, label_cell_log2=2, color_cell_log2=2), "1.4 2.3 4 5"),
        ("landscape-200x136", "typical content, every default (semantic_default, gen_default)", base,
         "2.3 4 5 9.5"),
        ("roi-ellipse-96x64", "elliptic ROI coded with VVC 8-bit, pixel-precise mask (has_roi)", with_roi,
         "2.3 2.4 6 7 9.3 9.4"),
        ("roi-ring-cell4-10bit-90x70", "ring mask with a hole and a second component, 4-px mask cells, "
         "VVC 10-bit", build(
             "roi-ring-cell4-10bit-90x70", 90, 70, seed=5, roi=(21, 13, 41, 37), mask_shape="ring",
             mask_cell_log2=2, bit_depth=10, qp=40), "6 7.5"),
        ("profile-0-preview", "profile 0: the preview is the decoded image", build(
            "profile-0-preview", 48, 40, seed=6, profile_id=0), "8.1 8.2 9.5"),
        ("color-rgb-steps24-cell256-300x260", "color space 0 (RGB), steps 24, 256-px color cells (2x2 grid)",
         build("color-rgb-steps24-cell256-300x260", 300, 260, seed=9, profile_id=0, color_space=0,
               color_steps=(24, 24, 24), color_cell_log2=8), "2.3 5.2 5.4 5.5"),
        ("color-ycocg-full-steps16-32-75x41", "color space 1 (YCoCg-R, chroma at full resolution), "
         "steps (16, 32, 32), 8-px color cells (10x6 grid)",
         build("color-ycocg-full-steps16-32-75x41", 75, 41, seed=11, profile_id=0, color_space=1,
               color_steps=(16, 32, 32), color_cell_log2=3), "2.3 5.2 5.3 5.4"),
        ("color-ycocg-half-steps7-3-250-37x27", "color space 2 (YCoCg-R, half-resolution chroma), "
         "odd 10x7 grid (5x4 chroma planes), steps (7, 3, 250): escapes in Co, Cg with 5 indices and no escape",
         build("color-ycocg-half-steps7-3-250-37x27", 37, 27, seed=12, profile_id=0, color_space=2,
               color_steps=(7, 3, 250), color_cell_log2=2), "2.3 5.2 5.3 5.4"),
        ("feather-border-mask2px-64x48", "FEATHER with the mask at the picture's corner (edge replication), "
         "2-px mask cells, preview", build(
             "feather-border-mask2px-64x48", 64, 48, seed=10, profile_id=0, roi=(0, 0, 30, 26),
             mask_cell_log2=1, gen_flags=FLAG_FEATHER), "6.6 8.2 8.8 9.4"),
        ("mask8px-66x50", "8-px mask cells over an odd-sized picture", build(
            "mask8px-66x50", 66, 50, seed=11, roi=(20, 9, 30, 28), mask_cell_log2=3), "6.1 6.6"),
        ("mask-beyond-rectangle", "every mask cell set: only the ROI rectangle is pasted",
         with_mask_beyond_rectangle(with_roi), "9.3"),
        # header sizes (2.3): each width_size / height_size at its limits
        ("dims-256x1024", "width_size 0 at its largest (W = 256), height_size 1 at its largest (H = 1024)",
         build("dims-256x1024", 256, 1024, seed=13, profile_id=0), "2.3"),
        ("dims-257x1025", "width_size 1 at its smallest, height_size 2 at its smallest",
         build("dims-257x1025", 257, 1025, seed=14, profile_id=0), "2.3"),
        ("dims-4097x2", "width_size 3 (W = 4097)", build("dims-4097x2", 4097, 2, seed=15, profile_id=0), "2.3"),
        ("dims-16384x3", "the largest width, 16384 (width_minus1 = 16383 in 14 bits)",
         build("dims-16384x3", 16384, 3, seed=16, profile_id=0), "1.5 2.3"),
        # seeds (8.2): each seed_size at its limits
        ("seed-0", "seed 0 (seed_size 0, no seed bits)", build("seed-0", 40, 24, seed=0), "8.2"),
        ("seed-65535", "seed 2^16 - 1 (seed_size 1)", build("seed-65535", 40, 24, seed=65535), "8.2"),
        ("seed-65536", "seed 2^16 (seed_size 2)", build("seed-65536", 40, 24, seed=65536), "8.2"),
        ("seed-2p32", "seed 2^32 (seed_size 3)", build("seed-2p32", 40, 24, seed=1 << 32), "8.2"),
        ("seed-max", "seed 2^64 - 1", build("seed-max", 40, 24, seed=(1 << 64) - 1), "8.2"),
        # generation parameters (8.2): every field explicit at least once, at its limits
        ("gen-sampler-dpm-steps20", "sampler 1 (DPM-Solver++(2M)), 20 steps", build(
            "gen-sampler-dpm-steps20", 40, 24, seed=17, sampler=1, steps=20), "8.2"),
        ("gen-steps-1-strength-0", "steps 1, strength_permille 0", build(
            "gen-steps-1-strength-0", 40, 24, seed=18, steps=1, strength_permille=0), "8.2 8.3"),
        ("gen-steps-1000-strength-1000", "steps 1000, strength_permille 1000", build(
            "gen-steps-1000-strength-1000", 40, 24, seed=19, steps=1000, strength_permille=1000), "8.2 8.3"),
        ("gen-guidance-0-eta-256", "guidance_q8 0, eta_q8 256", build(
            "gen-guidance-0-eta-256", 40, 24, seed=20, guidance_q8=0, eta_q8=256), "8.2"),
        ("gen-guidance-max", "guidance_q8 65535", build("gen-guidance-max", 40, 24, seed=21, guidance_q8=65535),
         "8.2"),
        ("gen-flags-roi-aware", "flags = ROI_AWARE with an ROI", build(
            "gen-flags-roi-aware", 64, 48, seed=22, roi=(16, 8, 24, 20), gen_flags=FLAG_ROI_AWARE), "8.2 8.7"),
        ("gen-profile-65535", "an unknown profile id (65535) parses; the decoder falls back to the preview",
         build("gen-profile-65535", 40, 24, seed=23, profile_id=65535), "8.1 8.2"),
        # extension segments (2.5)
        ("meta-provenance", "provenance meta segments (encoder --provenance full)", build(
            "meta-provenance", 40, 24, seed=24, provenance="full", meta={"vector": "meta-provenance"}), "2.5"),
        ("ancillary-unknown-skipped", "an unknown ancillary extension segment (tag 0x7f) is skipped",
         _ext(base, [(0x7F, b"ignore me")]), "2.5"),
        ("extensions-at-limits", "64 extension segments holding 65536 data bytes in all (both limits met)",
         _ext(base, [(0x7E, b"x" * 1024)] * 64), "1.5 2.5"),
        ("minor-version-2.15", "version 2.15: a 2.0 decoder reads it as 2.0", set_header(base, version=0x2F),
         "1.7 2.2"),
    ]
    crc_at = len(base) - 4
    invalid: list[Invalid] = [
        # lead (2.2) and size
        ("bad-signature", "the signature's first byte with its high bit cleared (7-bit transfer)",
         b"\x09" + base[1:], "FormatError", "signature", "2.2"),
        ("version-1-file", "a file that starts with the 8-byte SSGC 1.x signature",
         b"\x89SGC\r\n\x1a\n" + base[4:], "UnsupportedError", "1.x", "2.2"),
        ("version-3.0", "major version 3", set_header(base, version=0x30), "UnsupportedError", "version 3.0",
         "1.7 2.2"),
        ("version-1.0-byte", "version byte 0x10 (major 1) after the 2.x signature", set_header(base, version=0x10),
         "UnsupportedError", "version 1.0", "1.7 2.2"),
        ("too-short", "signature, version and 4 bytes: shorter than any file", base[:4] + b"\0\0\0\0",
         "FormatError", "truncated", "2.2"),
        # CRC (2.6)
        ("crc-flip-payload", "one bit flipped in the LABL payload", _flip(base, 20), "ChecksumError", "CRC", "2.6"),
        ("crc-flip-header", "one bit flipped in the header", _flip(base, 5, 0x01), "ChecksumError", "CRC", "2.6"),
        ("crc-flip-crc", "one bit flipped in the CRC itself", _flip(base, crc_at + 3, 0x80), "ChecksumError",
         "CRC", "2.6"),
        ("truncated", "the last 7 bytes cut off", base[:-7], "ChecksumError", "CRC", "2.6"),
        ("trailing-byte", "a byte after the CRC", base + b"\0", "ChecksumError", "CRC", "2.6"),
        ("bytes-before-crc", "a byte between the last payload and the CRC (CRC recomputed)",
         edit(base, lambda p: setattr(p, "before_crc", b"\x01")), "FormatError", "bytes between", "2.4 2.7"),
        # payload framing (2.4)
        ("varint-overlong", "the LABL length coded with a needless zero byte (non-canonical)",
         edit(base, lambda p: p.raw_lengths.update({0: bytes([0x80 | len(p.payloads[0]), 0x00])})),
         "FormatError", "canonical", "2.4"),
        ("varint-5-bytes", "a length of 5 varint bytes", edit(
            base, lambda p: p.raw_lengths.update({0: b"\x80\x80\x80\x80\x01"})), "FormatError", "varint", "2.4"),
        ("payload-past-crc", "the CMAP length runs past the CRC", edit(
            base, lambda p: p.raw_lengths.update({1: bytes([0x7F])})), "FormatError", "truncated", "2.4"),
        ("missing-cmap", "no CMAP segment", edit(base, lambda p: p.payloads.pop()), "FormatError", "truncated",
         "2.4"),
        ("roi-payloads-without-has-roi", "MASK and ROIC present but has_roi = 0", set_header(with_roi, has_roi=0),
         "FormatError", "bytes between", "2.4"),
        ("payload-trailing-zero", "a range-coded payload (LABL) that ends with a zero byte", replace_payload(
            base, "LABL", lambda d: d + b"\0"), "FormatError", "zero byte", "3.6"),
        # header (2.3)
        ("header-padding", "a nonzero padding bit after the header", set_header(base, pad=1), "FormatError",
         "padding", "2.3"),
        ("header-truncated", "the header runs into the CRC", base[:4] + b"\x55" + _crc_of(base[:4] + b"\x55"),
         "FormatError", "truncated", "2.3"),
        ("width-size-overlong", "width_size 2 for W = 200 (non-canonical)", set_header(base, width_size=2),
         "FormatError", "canonical", "2.3"),
        ("height-size-overlong", "height_size 3 for H = 136 (non-canonical)", set_header(base, height_size=3),
         "FormatError", "canonical", "2.3"),
        ("huge-dimensions", "16384x16384 exceeds 2^26 pixels", set_header(base, width=16384, height=16384),
         "LimitError", "pixels", "1.5 2.3"),
        ("semantic-explicit-defaults", "semantic_default = 0 with every semantic field at its default",
         _sem(base), "FormatError", "canonical", "2.3"),
        ("label-set-2", "label_set 2", _sem(base, label_set=2), "UnsupportedError", "label set", "1.6 2.3"),
        ("label-set-0", "label_set 0", _sem(base, label_set=0), "UnsupportedError", "label set", "1.6 2.3"),
        ("label-cell-log2-7", "label_cell_log2 7 (largest 6)", _sem(base, label_cell_log2=7), "FormatError",
         "label_cell_log2", "1.6 2.3"),
        ("color-cell-log2-9", "color_cell_log2 9 (largest 8)", _sem(base, color_cell_log2=9), "FormatError",
         "color_cell_log2", "1.6 2.3"),
        ("color-space-3", "color_space 3 (reserved)", _sem(base, color_space=3), "UnsupportedError", "color_space",
         "1.6 2.3 5.2"),
        ("color-step-0", "color_steps[1] = 0", _sem(base, color_steps=(15, 0, 20)), "FormatError", "color_steps",
         "2.3 5.2"),
        # generation parameters (8.2)
        ("gen-explicit-defaults", "gen_default = 0 with every field at its default", _gen(base), "FormatError",
         "canonical", "8.2"),
        ("gen-explicit-default-steps", "steps coded explicitly with its default 200", _gen(base, steps=200),
         "FormatError", "canonical", "8.2"),
        ("gen-steps-0", "steps 0", _gen(base, steps=0), "FormatError", "steps", "8.2"),
        ("gen-steps-1001", "steps 1001", _gen(base, steps=1001), "FormatError", "steps", "8.2"),
        ("gen-strength-1001", "strength_permille 1001", _gen(base, strength_permille=1001), "FormatError",
         "strength", "8.2"),
        ("gen-eta-257", "eta_q8 257", _gen(base, eta_q8=257), "FormatError", "eta", "8.2"),
        ("gen-flags-reserved", "flags bit 2 (reserved)", _gen(base, flags=4), "FormatError", "reserved", "8.2"),
        ("gen-flags-reserved-3", "flags bit 3 (reserved) with ROI_AWARE", _gen(base, flags=9), "FormatError",
         "reserved", "8.2"),
        ("gen-sampler-1-eta", "sampler 1 (DPM-Solver++(2M)) with eta_q8 64: it is deterministic",
         _gen(base, sampler=1, eta_q8=64), "FormatError", "deterministic", "8.2 8.10"),
        ("gen-sampler-2", "sampler 2 (reserved)", _gen(base, sampler=2), "UnsupportedError", "sampler", "1.6 8.2"),
        ("gen-sampler-15", "sampler 15 (reserved)", _gen(base, sampler=15), "UnsupportedError", "sampler",
         "1.6 8.2"),
        ("seed-size-overlong", "seed 3 coded in 32 bits (non-canonical)", set_header(base, seed=3, seed_size=2),
         "FormatError", "canonical", "8.2"),
        ("seed-0-in-16-bits", "seed 0 coded with seed_size 1 (non-canonical)", set_header(base, seed=0, seed_size=1),
         "FormatError", "canonical", "8.2"),
        # extension segments (2.5)
        ("end-with-data", "an END segment with one data byte", _ext(base, [_meta(b"k", b"v")], end=b"\x00\x01\x00"),
         "FormatError", "END", "2.5"),
        ("extensions-empty", "has_extensions = 1 and END right away (non-canonical)", _ext(base, []),
         "FormatError", "canonical", "2.5"),
        ("extensions-without-end", "has_extensions = 1 but the extension segments run into the CRC",
         _ext(base, [(0x7E, b"abc")], end=b"", payloads=False), "FormatError", "END", "2.5"),
        ("unknown-critical", "an unknown critical extension segment (tag 0x80)", _ext(base, [(0x80, b"")]),
         "UnsupportedError", "critical", "2.5"),
        ("too-many-extensions", "65 extension segments", _ext(base, [(0x7E, b"")] * 65), "LimitError",
         "extension segments", "1.5 2.5"),
        ("extension-bytes-over-limit", "65537 bytes of extension data in all",
         _ext(base, [(0x7E, b"x" * 65536), (0x7E, b"y")]), "LimitError", "extension data", "1.5 2.5"),
        ("meta-not-utf8", "a meta value that is not UTF-8", _ext(base, [_meta(b"k", b"\xff\xfe")]),
         "FormatError", "UTF-8", "2.5"),
        ("meta-no-nul", "a meta segment without the NUL separator", _ext(base, [(0x01, b"key")]), "FormatError",
         "key", "2.5"),
        ("meta-empty-key", "a meta segment with an empty key", _ext(base, [_meta(b"", b"v")]), "FormatError",
         "key", "2.5"),
        ("meta-key-80", "a meta key of 80 bytes", _ext(base, [_meta(b"k" * 80, b"v")]), "FormatError", "key", "2.5"),
        ("meta-key-control", "a meta key with a control byte", _ext(base, [_meta(b"a\x01b", b"v")]), "FormatError",
         "key", "2.5"),
        # ROIC head (7.2, rules may add more)
        ("roic-codec-2", "a reserved ROI codec id", roic_with(with_roi, codec_id=2), "UnsupportedError", "codec",
         "7.2"),
        ("roic-outside-image", "the ROI rectangle crosses the right edge", roic_with(with_roi, x=90),
         "FormatError", "rectangle", "7.3"),
        ("roic-odd-width", "an odd ROI width", roic_with(with_roi, width=39), "FormatError", "even", "7.3"),
    ]
    return valid, invalid


def _crc_of(body: bytes) -> bytes:
    import zlib

    return zlib.crc32(body).to_bytes(4, "big")


def generated_vectors() -> list[Valid]:
    """Decoded with the tiny conformance model (profile 2): checked within tolerance (8.9)."""
    from ssgc_format.genparams import FLAG_FEATHER, FLAG_ROI_AWARE

    return [
        ("tiny-model-64x48", "profile 2 (tiny conformance model), 8 DDIM steps, guidance 2, no ROI", build(
            "tiny-model-64x48", 64, 48, seed=7, profile_id=2, steps=8), "8.3 8.4 8.5 8.6"),
        ("tiny-model-roi-aware-feather-56x40", "profile 2, ROI-aware sampling and feathered composite", build(
            "tiny-model-roi-aware-feather-56x40", 56, 40, seed=8, profile_id=2, steps=6, roi=(14, 8, 24, 20),
            gen_flags=FLAG_ROI_AWARE | FLAG_FEATHER), "8.7 8.8 9.4"),
    ]




def main() -> None:
    valid: list[Valid] = []
    invalid: list[Invalid] = []
    generated: list[Valid] = []
    for vector_set in VECTOR_SETS:
        v, i, g = vector_set()
        valid += v
        invalid += i
        generated += g
    names = [v[0] for v in valid + generated + invalid]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"duplicate vector names: {sorted(dup)}")
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
    for name, desc, data, err, msg, clauses in invalid:
        (VECTOR_DIR / f"{name}.ssgc").write_bytes(data)
        entries.append({"name": name, "file": f"vectors/{name}.ssgc", "description": desc,
                        "clauses": f"1.6 {clauses}", "bytes": len(data), "file_sha256": file_sha256(data),
                        "error": err, "message": msg})
    with open(VECTORS_JSON, "w") as f:
        json.dump({"format_version": "2.0", "hash": "SHA-256 of 8-bit samples, row-major (spec 9.6)",
                   "vectors": entries}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(entries)} vectors to {VECTOR_DIR}")


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
        return replace_payload(with_roi, "MASK", lambda _: payload)

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
         "6 steps at t = 5..0", build("tiny-model-steps-1000-64x48", 64, 48, seed=13, profile_id=2,
                                        steps=1000, strength_permille=5), "8.3"),
    ]
    invalid = [
        ("shdr-color-steps-0", "a color step of 0", _sem(base, color_steps=(15, 0, 20)),
         "FormatError", "step", "5.2"),
        ("labl-grid-over-limit", "16384x4096 with 4-px label cells: 2^22 cells > 2^18",
         set_header(_sem(base, label_cell_log2=2), width=16384, height=4096), "LimitError", "exceeds", "4.1"),
        ("cmap-grid-over-limit", "4096x1028 with 4-px color cells: 1024x257 cells > 2^18",
         _sem(write_ssgc(big_img), color_cell_log2=2), "LimitError", "exceeds", "5.1"),
        ("labl-range-q-overflow", "LABL payload of 0xFF bytes: q >= 2^24 at the first symbol",
         replace_payload(base, "LABL", lambda _: b"\xff" * 8), "FormatError", "range-coded", "3.2 4.3"),
        ("cmap-range-q-overflow", "CMAP payload of 0xFF bytes: q >= 2^24 at the first symbol",
         replace_payload(base, "CMAP", lambda _: b"\xff" * 8), "FormatError", "range-coded", "3.2 5.3"),
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
         replace_payload(with_roi, "ROIC", lambda p: p[:10]), "FormatError", "ROIC", "7.2 7.3"),
        ("roic-bit-depth-mismatch", "ROIC bit_depth 10 for an 8-bit substream (rule 3)",
         roic_with(with_roi, bit_depth=10), "FormatError", "bit depth", "7.4"),
        ("roic-size-mismatch", "ROIC rectangle 2 columns narrower than the decoded picture (rule 4)",
         roic_with(with_roi, width=rw - 2), "FormatError", "rectangle", "7.4"),
        ("roic-sps-too-large", "an SPS of 16384x16384 for a 40x36 rectangle (rule 5)",
         with_substream(with_sps_size(sub, 16384, 16384)), "LimitError", "exceeds", "7.4"),
        ("roic-sps-too-large-behind-gci", "an SPS of 16384x16384 after general_constraints_info (the "
         "67-bit probe read a small size and let the decoder allocate 2 GB)",
         with_substream(with_sps_size(with_gci(sub), 16384, 16384)), "LimitError", "exceeds", "7.4 7.4.1"),
        ("roic-two-pictures", "the substream twice: two coded pictures (rule 1)",
         with_substream(two_pictures(sub)), "FormatError", "picture", "7.4 7.4.1"),
        ("roic-too-many-nal-units", f"{max_nal_units(rw, rh) + 1} NAL units for a {rw}x{rh} rectangle (rule 6)",
         with_substream(with_filler_nal_units(sub, max_nal_units(rw, rh) + 1 - 3)), "LimitError", "NAL units",
         "7.4"),
        ("roic-non-idr-slice", "the slice relabelled TRAIL_NUT (rule 1: IDR only)",
         with_substream(with_vcl_type(sub, TRAIL_NUT)), "FormatError", "IDR", "7.4"),
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
    return replace_payload(write_ssgc(img), "MASK", lambda _: payload)


def _container_set() -> tuple[list[Valid], list[Invalid], list[Valid]]:
    valid, invalid = container_vectors()
    return valid, invalid, generated_vectors()


def _payload_set() -> tuple[list[Valid], list[Invalid], list[Valid]]:
    valid, generated, invalid = payload_rule_vectors()
    return valid, invalid, generated


# Each function returns (valid, invalid, generated); another group of vectors is appended here.
VECTOR_SETS = [_container_set, _payload_set]


if __name__ == "__main__":
    main()
