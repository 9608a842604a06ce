"""Container, header and whole-file tests (spec clause 2): round trips and every kind of bad input."""

from __future__ import annotations

import random
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ssgc_format import colormap, labelmap, mask as maskmod
from ssgc_format.container import (
    CMAP, GENP, LABL, MASK, META, ROIC, SEND, SHDR, SIGNATURE, build_chunk, build_file, read_chunks,
)
from ssgc_format.errors import ChecksumError, FormatError, LimitError, SSGCError, UnsupportedError
from ssgc_format.file import MaskGrid, SSGCImage, read_ssgc, write_ssgc
from ssgc_format.genparams import GenerationParams
from ssgc_format.header import Header, build_header, shdr_format
from ssgc_format.roi import ROIPayload


def make_image(rng: np.random.Generator, width: int, height: int, *, roi: bool, mask_cell_log2: int = 0,
               label_cell_log2: int = 4, color_cell_log2: int = 5, classes: int = 6) -> SSGCImage:
    h = Header(width=width, height=height, color_space=colormap.DEFAULT_COLOR_SPACE,
               color_steps=colormap.DEFAULT_STEPS, label_cell_log2=label_cell_log2,
               color_cell_log2=color_cell_log2, has_roi=roi)
    gh, gw = labelmap.label_grid_size(width, height, label_cell_log2)
    palette = rng.choice(183, size=classes, replace=False).astype(np.uint8)
    labels = palette[rng.integers(0, classes, (gh, gw))]
    ch, cw = colormap.color_grid_size(width, height, color_cell_log2)
    colors = colormap.quantize_color_map(rng.integers(0, 256, (ch, cw, 3), dtype=np.uint8),
                                         h.color_space, h.color_steps)
    mask = payload = None
    roi = roi and width >= 2 and height >= 2  # a 4:2:0 VVC picture has even dimensions (spec 7.3)
    h = Header(**{**h.__dict__, "has_roi": roi})
    if roi:
        m = rng.random((height, width)) < 0.3
        grid = maskmod.coarsen_mask(m, mask_cell_log2)
        mask = MaskGrid(mask_cell_log2, grid)
        x, y = int(rng.integers(0, width - 1)), int(rng.integers(0, height - 1))
        payload = ROIPayload(codec_id=1, x=x, y=y, width=2 * int(rng.integers(1, (width - x) // 2 + 1)),
                             height=2 * int(rng.integers(1, (height - y) // 2 + 1)), bit_depth=8,
                             substream=rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes())
    gp = GenerationParams(seed=int(rng.integers(0, 2**63)), steps=int(rng.integers(1, 1001)))
    return SSGCImage(header=h, genparams=gp, labels=labels, colors=colors, mask=mask, roi=payload,
                     meta=(("encoder", "test"),))


@pytest.fixture(scope="module")
def sample() -> bytes:
    return write_ssgc(make_image(np.random.default_rng(1), 40, 24, roi=True))


def rebuild(data: bytes, edit) -> bytes:
    """Re-frame a file after ``edit(list of [type, data])`` changed its chunks (CRCs recomputed)."""
    chunks = [[c.type, c.data] for c in read_chunks(data)]
    edit(chunks)
    return build_file([(t, d) for t, d in chunks])


# --- round trips ---------------------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=st.integers(1, 80), h=st.integers(1, 80), roi=st.booleans(), seed=st.integers(0, 2**32 - 1),
       mcell=st.integers(0, 3), lcell=st.integers(2, 6), ccell=st.integers(2, 8))
def test_round_trip_any_content(w, h, roi, seed, mcell, lcell, ccell):
    img = make_image(np.random.default_rng(seed), w, h, roi=roi, mask_cell_log2=mcell,
                     label_cell_log2=lcell, color_cell_log2=ccell)
    data = write_ssgc(img)
    assert read_ssgc(data) == img
    assert write_ssgc(img) == data  # deterministic


def test_chunk_layout_and_crc(sample):
    assert sample.startswith(SIGNATURE)
    chunks = read_chunks(sample)
    assert [c.type for c in chunks if c.type.isupper()] == [SHDR, GENP, LABL, CMAP, MASK, ROIC, SEND]
    for c in chunks:
        raw = sample[c.offset: c.offset + c.size]
        assert int.from_bytes(raw[:4], "big") == len(c.data)
        assert int.from_bytes(raw[-4:], "big") == zlib.crc32(c.type + c.data)
    assert zlib.crc32(b"IEND") == 0xAE426082  # the test value spec 2.2 gives


def test_unknown_ancillary_chunk_is_skipped(sample):
    data = rebuild(sample, lambda cs: cs.insert(3, [b"zzTp", b"anything"]))
    assert read_ssgc(data) == read_ssgc(sample)


# --- bad input -----------------------------------------------------------------------------

def test_truncation_at_every_offset(sample):
    for n in range(len(sample)):
        with pytest.raises(FormatError):
            read_ssgc(sample[:n])


def test_every_single_bit_flip_is_detected(sample):
    for i in range(len(sample)):
        for bit in range(8):
            bad = bytearray(sample)
            bad[i] ^= 1 << bit
            with pytest.raises(FormatError):
                read_ssgc(bytes(bad))


def test_trailing_bytes(sample):
    with pytest.raises(FormatError, match="after the SEND"):
        read_ssgc(sample + b"\0")


def test_text_mode_damage_is_named():
    with pytest.raises(FormatError, match="text-mode"):
        read_ssgc(b"\x89SGC\n\x1a\n" + b"\0" * 20)


@pytest.mark.parametrize("edit, message", [
    (lambda cs: cs.insert(2, [b"ABCD", b""]), "unknown critical"),
    (lambda cs: cs.insert(3, list(cs[2])), "duplicate"),
    (lambda cs: cs.pop(3), "out of order"),
    (lambda cs: cs.insert(0, [b"meta", b"k\0v"]), "first chunk must be SHDR"),
    (lambda cs: cs.__setitem__(slice(3, 5), [cs[4], cs[3]]), "out of order"),
])
def test_order_rules(sample, edit, message):
    with pytest.raises(FormatError, match=message):
        read_ssgc(rebuild(sample, edit))


def _with_header(sample, **fields):
    def edit(cs):
        f = dict(shdr_format.parse(cs[0][1]))
        f.pop("_io", None)
        f.update(fields)
        cs[0][1] = shdr_format.build(f)
    return rebuild(sample, edit)


def test_wrong_major_version_is_unsupported(sample):
    with pytest.raises(UnsupportedError, match="version 2"):
        read_ssgc(_with_header(sample, version_major=2))


@pytest.mark.parametrize("fields, error", [
    (dict(width=0), LimitError), (dict(height=20000), LimitError), (dict(width=16384, height=16384), LimitError),
    (dict(label_set=9), UnsupportedError), (dict(label_cell_log2=9), FormatError),
    (dict(color_cell_log2=1), FormatError), (dict(flags=0x81), FormatError),
    (dict(flags=0), FormatError),  # MASK and ROIC present without HAS_ROI
])
def test_bad_header_fields(sample, fields, error):
    with pytest.raises(error):
        read_ssgc(_with_header(sample, **fields))


def test_absurd_chunk_length_is_refused_before_reading():
    data = SIGNATURE + (2**31).to_bytes(4, "big") + b"SHDR"
    with pytest.raises(LimitError, match="exceeds"):
        read_chunks(data + b"\0" * 8)
    data = SIGNATURE + (1000).to_bytes(4, "big") + b"SHDR" + b"\0" * 20
    with pytest.raises(FormatError, match="runs past the end"):
        read_chunks(data)


def test_bad_chunk_type_bytes(sample):
    bad = bytearray(sample)
    bad[len(SIGNATURE) + 4] = ord("1")
    with pytest.raises(FormatError, match="invalid chunk type"):
        read_ssgc(bytes(bad))


def test_crc_error_names_chunk_and_offset(sample):
    c = read_chunks(sample)[2]
    bad = bytearray(sample)
    bad[c.offset + 9] ^= 0x40
    with pytest.raises(ChecksumError) as e:
        read_ssgc(bytes(bad))
    assert e.value.chunk == c.name and e.value.offset is not None


def test_malformed_meta_is_an_error(sample):
    with pytest.raises(FormatError, match="meta"):
        read_ssgc(rebuild(sample, lambda cs: cs.insert(1, [META, b"no separator"])))
    with pytest.raises(FormatError, match="UTF-8"):
        read_ssgc(rebuild(sample, lambda cs: cs.insert(1, [META, b"key\0\xff\xfe"])))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(blob):
    for data in (blob, SIGNATURE + blob):
        with pytest.raises(SSGCError):
            read_ssgc(data)


def test_hostile_payloads_with_valid_crcs(sample):
    """Mutate payload bytes and re-frame with correct CRCs: payload decoders see garbage and must
    answer with our errors (or decode something), never another exception, never hang."""
    rng = random.Random(7)
    chunks = read_chunks(sample)
    for _ in range(400):
        k = rng.randrange(len(chunks) - 1)
        data = bytearray(chunks[k].data)
        op = rng.randrange(3)
        if op == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:
            data = data[: rng.randrange(len(data) + 1)]
        else:
            data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        parts = [(c.type, bytes(data) if i == k else c.data) for i, c in enumerate(chunks)]
        try:
            read_ssgc(build_file(parts))
        except SSGCError:
            pass


def test_header_round_trip_and_builder_checks():
    h = Header(width=600, height=400, color_space=colormap.DEFAULT_COLOR_SPACE, color_steps=colormap.DEFAULT_STEPS)
    assert len(build_header(h)) == 14
    with pytest.raises(LimitError):
        build_header(Header(width=0, height=1, color_space=h.color_space, color_steps=h.color_steps))
    with pytest.raises(ValueError):
        build_chunk(b"ab1d", b"")
