"""Container, header and whole-file tests (spec clause 2): round trips, the exhaustive bit-flip and
truncation test, and every kind of bad input."""

from __future__ import annotations

import random
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ssgc_format import colormap, labelmap, mask as maskmod
from conformance.vector_edit import edit, join, set_header, split
from ssgc_format.bitio import BitReader, BitWriter, decode_varint, encode_varint
from ssgc_format.container import SIGNATURE, TAG_META, build_extensions, build_meta
from ssgc_format.errors import ChecksumError, FormatError, LimitError, SSGCError, UnsupportedError
from ssgc_format.file import MaskGrid, SSGCImage, parse_file, read_header, read_ssgc, write_ssgc
from ssgc_format.genparams import GenerationParams
from ssgc_format.header import Header, build_header, parse_header
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
    gp = GenerationParams(seed=int(rng.integers(0, 2**63)) >> int(rng.integers(0, 64)),
                          steps=int(rng.integers(1, 1001)))
    return SSGCImage(header=h, genparams=gp, labels=labels, colors=colors, mask=mask, roi=payload,
                     meta=(("encoder", "test"),))


@pytest.fixture(scope="module")
def sample() -> bytes:
    return write_ssgc(make_image(np.random.default_rng(1), 40, 24, roi=True))


def default_file(seed: int = 0x1234) -> bytes:
    """Default parameters, no ROI, no metadata: the file the overhead target is about."""
    img = make_image(np.random.default_rng(3), 64, 48, roi=False)
    import dataclasses
    return write_ssgc(dataclasses.replace(img, genparams=GenerationParams(seed=seed), meta=()))


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


def test_layout_of_a_default_file():
    data = default_file()
    assert data[:3] == SIGNATURE == b"\x89SG" and data[3] == 0x20
    assert int.from_bytes(data[-4:], "big") == zlib.crc32(data[:-4])
    pf = parse_file(data)
    assert [p.name for p in pf.parts] == ["signature + version", "header", "LABL length", "LABL",
                                          "CMAP length", "CMAP", "CRC-32"]
    # 64x48, defaults, 16-bit seed: 2+8 + 2+8 + 3 flags + gen_default + 2+16 seed = 42 bits -> 6 bytes
    assert pf.parts[1].size == 6
    assert pf.fixed_overhead == 4 + 6 + 1 + 1 + 4 <= 24
    assert sum(p.size for p in pf.parts) == len(data)
    assert read_header(data) == pf.image.header


def test_unknown_ancillary_segment_is_skipped(sample):
    def fn(p):
        p.extensions = [(0x42, b"anything"), *p.extensions]
    assert read_ssgc(edit(sample, fn)) == read_ssgc(sample)


def test_meta_round_trip_and_limits():
    items = [(TAG_META, build_meta("k", "v"))] * 64
    assert len(build_extensions(items)) == 64 * 5 + 2
    with pytest.raises(LimitError):
        build_extensions(items + items[:1])
    with pytest.raises(LimitError):
        build_extensions([(TAG_META, b"k\0" + b"x" * 65535)])


# --- integrity: every single-bit flip and every truncation --------------------------------

def _files() -> list[bytes]:
    rng = np.random.default_rng(5)
    return [default_file(),
            write_ssgc(make_image(rng, 40, 24, roi=True)),  # ROI, metadata, explicit generation fields
            write_ssgc(make_image(rng, 23, 9, roi=False, label_cell_log2=2, color_cell_log2=3))]


def test_every_single_bit_flip_and_every_truncation_is_an_error():
    """Exhaustive over a few files: 100% of single-bit flips anywhere and every truncation.

    A flip in the major-version nibble (byte 3, bits 4-7) reads as another major version, which
    is UnsupportedError (the CRC's place depends on the major version, so it is checked after it);
    every other flip is a FormatError, nearly all a ChecksumError."""
    for data in _files():
        for i in range(len(data)):
            for bit in range(8):
                bad = bytearray(data)
                bad[i] ^= 1 << bit
                expected = UnsupportedError if i == 3 and bit >= 4 else FormatError
                with pytest.raises(expected):
                    read_ssgc(bytes(bad))
        for n in range(len(data)):
            with pytest.raises(FormatError):
                read_ssgc(data[:n])


def test_trailing_bytes(sample):
    with pytest.raises(ChecksumError):
        read_ssgc(sample + b"\0")
    with pytest.raises(FormatError, match="bytes between"):
        read_ssgc(edit(sample, lambda p: setattr(p, "before_crc", b"\1")))


def test_version_1_file_is_unsupported():
    with pytest.raises(UnsupportedError, match="1.x"):
        read_ssgc(b"\x89SGC\r\n\x1a\n" + b"\0" * 20)


def test_wrong_major_version_is_unsupported(sample):
    with pytest.raises(UnsupportedError, match="version 3.0"):
        read_ssgc(set_header(sample, version=0x30))
    assert read_ssgc(set_header(sample, version=0x21)).header.version == (2, 1)  # a later minor reads


@pytest.mark.parametrize("fields, error, match", [
    (dict(width=16384, height=16384), LimitError, "pixels"),
    (dict(width_size=3), FormatError, "canonical"),
    (dict(pad=1), FormatError, "padding"),
    (dict(has_roi=0), FormatError, "bytes between"),  # MASK and ROIC present without has_roi
    (dict(seed=1, seed_size=3), FormatError, "canonical"),
    (dict(gen={"sampler": 3}), UnsupportedError, "sampler"),
    (dict(gen={"steps": 0}), FormatError, "steps"),
    (dict(sem=dict(label_set=9, label_cell_log2=4, color_cell_log2=5, color_space=2, color_steps=(1, 1, 1))),
     UnsupportedError, "label set"),
    (dict(sem=dict(label_set=1, label_cell_log2=8, color_cell_log2=5, color_space=2, color_steps=(1, 1, 1))),
     FormatError, "label_cell_log2"),
])
def test_bad_header_fields(sample, fields, error, match):
    with pytest.raises(error, match=match):
        read_ssgc(set_header(sample, **fields))


def test_crc_error_names_the_crc(sample):
    bad = bytearray(sample)
    bad[12] ^= 0x40
    with pytest.raises(ChecksumError) as e:
        read_ssgc(bytes(bad))
    assert e.value.chunk == "CRC" and e.value.offset == len(sample) - 4


def test_malformed_meta_is_an_error(sample):
    def with_ext(items):
        def fn(p):
            p.extensions = items
        return edit(sample, fn)
    with pytest.raises(FormatError, match="meta"):
        read_ssgc(with_ext([(TAG_META, b"no separator")]))
    with pytest.raises(FormatError, match="UTF-8"):
        read_ssgc(with_ext([(TAG_META, b"key\0\xff\xfe")]))
    with pytest.raises(UnsupportedError, match="critical"):
        read_ssgc(with_ext([(0x81, b"")]))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(blob):
    for data in (blob, SIGNATURE + b"\x20" + blob, SIGNATURE + b"\x20" + blob + zlib.crc32(
            SIGNATURE + b"\x20" + blob).to_bytes(4, "big")):
        with pytest.raises(SSGCError):
            read_ssgc(data)


def test_hostile_payloads_with_valid_crc(sample):
    """Mutate the header or a payload and rebuild with a correct CRC: the parsers see garbage and
    must answer with our errors (or decode something), never another exception, never hang."""
    rng = random.Random(7)
    parts = split(sample)
    for _ in range(400):
        p = split(sample)
        k = rng.randrange(len(parts.payloads) + 1)
        data = bytearray(p.header.to_bytes() if k == len(parts.payloads) else p.payloads[k])
        op = rng.randrange(3)
        if op == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:
            data = data[: rng.randrange(len(data) + 1)]
        else:
            data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        if k == len(parts.payloads):
            p.header = bytes(data)
        else:
            p.payloads[k] = bytes(data)
        try:
            read_ssgc(join(p))
        except SSGCError:
            pass


def test_header_builder_checks():
    h = Header(width=600, height=400, color_space=colormap.DEFAULT_COLOR_SPACE, color_steps=colormap.DEFAULT_STEPS)
    data = build_header(h, GenerationParams(), has_extensions=False)
    # 600x400: 2+10 + 2+10 + 3 flags + gen_default + 2 (seed 0) = 30 bits -> 4 bytes
    assert len(data) == 4
    assert parse_header(data, 0, (2, 0)).header == h
    with pytest.raises(LimitError):
        build_header(Header(width=0, height=1, color_space=h.color_space, color_steps=h.color_steps),
                     GenerationParams(), has_extensions=False)


# --- bit fields and varints ----------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 64).flatmap(lambda n: st.tuples(st.integers(0, 2**n - 1), st.just(n))),
                max_size=20))
def test_bit_fields_round_trip(fields):
    w = BitWriter()
    for v, n in fields:
        w.u(v, n)
    data = w.to_bytes()
    assert len(data) == (sum(n for _, n in fields) + 7) // 8
    r = BitReader(data)
    assert [r.u(n) for _, n in fields] == [v for v, _ in fields]
    assert r.finish() == len(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**28 - 1))
def test_varint_round_trip_and_canonical(v):
    b = encode_varint(v)
    assert len(b) == max(1, (v.bit_length() + 6) // 7)
    assert decode_varint(b + b"junk", 0, where="t") == (v, len(b))
    if len(b) < 4:  # the same value with a needless zero group is refused
        longer = b[:-1] + bytes([b[-1] | 0x80, 0])
        with pytest.raises(FormatError, match="canonical"):
            decode_varint(longer, 0, where="t")


def test_varint_limits():
    with pytest.raises(FormatError, match="longer than 4"):
        decode_varint(b"\xff\xff\xff\xff\x01", 0, where="t")
    with pytest.raises(FormatError, match="truncated"):
        decode_varint(b"\x80", 0, where="t")
    with pytest.raises(ValueError):
        encode_varint(2**28)


def test_hostile_extension_count_is_refused_early(sample):
    """100,000 ancillary segments (the 1.0 campaign's slow `info` case): LimitError at the 65th,
    after reading 65 tags, whatever follows."""
    def fn(p):
        p.extensions = [(0x7E, b"")] * 100_000
    data = edit(sample, fn)
    with pytest.raises(LimitError, match="more than 64") as e:
        read_ssgc(data)
    assert e.value.offset is not None and e.value.offset < 200
