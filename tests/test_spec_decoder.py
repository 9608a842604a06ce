"""The clean-room decoder (conformance/spec_decoder.py, written from spec/ alone) passes every vector.

Every vector of conformance/vectors.json is run (the whole suite takes well under a second): valid
ones must reproduce every normative hash of "expect", invalid ones must be rejected with the listed
error class. The "generated" part of the two tiny-model vectors (the diffusion output, clause 8,
within tolerance) is out of scope of this decoder and skipped; their "expect" hashes (labels,
colors, mask, ROI, preview) are checked like any other vector's. The worked examples of the spec
(3.8, 4.5, 5.7, 6.8) are checked too.
"""
from __future__ import annotations

import hashlib
import json
import os

import pytest

from conformance import spec_decoder as sd

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance")
with open(os.path.join(ROOT, "vectors.json")) as _f:
    VECTORS = json.load(_f)["vectors"]


def _read(v) -> bytes:
    with open(os.path.join(ROOT, v["file"]), "rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == v["file_sha256"]
    return data


@pytest.mark.parametrize("v", [v for v in VECTORS if "error" not in v], ids=lambda v: v["name"])
def test_valid_vector(v):
    out = sd.decode(_read(v))
    # "generated" (tiny-model-*) is the diffusion output: not produced by this decoder, skipped.
    assert set(out) == set(v["expect"])
    for key, expected in v["expect"].items():
        assert hashlib.sha256(out[key]).hexdigest() == expected, key


@pytest.mark.parametrize("v", [v for v in VECTORS if "error" in v], ids=lambda v: v["name"])
def test_invalid_vector(v):
    with pytest.raises(sd.SSGCError) as info:
        sd.decode(_read(v))
    assert type(info.value).__name__ == v["error"]
    assert v["message"].lower() in str(info.value).lower()


def test_runner_all_pass(capsys):
    passed, failed, _ = sd.run_vectors(verbose=False)
    assert (passed, failed) == (len(VECTORS), 0)


def test_spec_example_3_8():
    rd = sd.RangeDecoder(bytes.fromhex("5b593c51bb78340c22a9f0ea61d95080"), "test")
    table = sd.quantize([5, 1, 2])
    assert [table[i + 1] - table[i] for i in range(3)] == [10485760, 2097152, 4194304]
    assert [rd.decode(table) for _ in range(8)] == [0, 0, 2, 1, 0, 0, 0, 2]
    m = sd.AdaptiveModel([1] * 4, 24, 256)
    assert [rd.decode_adaptive(m) for _ in range(12)] == [3, 3, 3, 1, 3, 3, 0, 3, 3, 3, 2, 3]
    assert m.c == [13, 13, 13, 121]
    assert rd.read_bits(20) == 0xABCDE
    assert rd.read_bits(64) == 0x0123456789ABCDEF
    assert rd.read_bits(1) == 1


def test_spec_example_4_5():
    assert sd.decode_labels(bytes.fromhex("08107c"), 2, 3) == [[5, 5, 7], [5, 7, 7]]


def test_spec_example_5_7():
    Q = sd.decode_colors(bytes.fromhex("85e7f17c8a29"), 2, 3, 1, (16, 32, 32))
    assert Q == [[[8, 8, 7], [8, 8, 7]], [[5, 4, -4], [3, -2, -5]], [[0, 0, -1], [0, -1, -2]]]
    CR = sd.dequantize(Q, 2, 3, 1, (16, 32, 32))
    assert CR == [[(208, 128, 48), (192, 128, 64), (64, 96, 192)],
                  [(176, 128, 80), (112, 112, 176), (64, 80, 224)]]
    C = sd.upsample_colors(CR, 2, 3, 6, 10, 2)
    red = [[C[(y * 10 + x) * 3] for x in range(10)] for y in range(6)]
    assert red == [
        [208, 208, 206, 202, 198, 194, 176, 144, 112, 80],
        [208, 208, 206, 202, 198, 194, 176, 144, 112, 80],
        [204, 204, 201, 196, 190, 185, 167, 138, 108, 79],
        [196, 196, 192, 183, 175, 166, 150, 125, 101, 76],
        [188, 188, 182, 171, 159, 148, 132, 113, 93, 74],
        [180, 180, 173, 158, 144, 129, 115, 100, 86, 71],
    ]


def test_spec_example_6_8():
    k, mh, mw, g = sd.decode_mask(bytes.fromhex("6049b2dc02"), 6, 8)
    assert (k, mh, mw) == (1, 3, 4)
    assert [list(r) for r in g] == [[0, 1, 1, 1], [0, 1, 0, 1], [0, 1, 1, 1]]
    m = sd.rasterize_mask(g, k, 6, 8)
    expect = [int(2 <= x <= 7 and not (4 <= x <= 5 and 2 <= y <= 3)) for y in range(6) for x in range(8)]
    assert list(m) == expect


def test_crc_example_2_2():
    import zlib
    assert zlib.crc32(b"IEND") == 0xAE426082


# ---- clause 8.3 and Annex C, transcribed in the clean-room decoder (issues 8 and 14) ----------

def test_spec_decoder_noise_vectors():
    with open(os.path.join(ROOT, "noise_vectors.json")) as f:
        doc = json.load(f)
    for v in doc["vectors"]:
        count = 1
        for d in v["shape"]:
            count *= d
        raw = sd.gaussian_noise_f32(int(v["seed"]), int(v["stream"]), count)
        assert hashlib.sha256(raw).hexdigest() == v["sha256"]
        assert [raw[4 * i: 4 * i + 4][::-1].hex() for i in range(min(8, count))] == v["first_bits"]


def test_spec_decoder_timesteps_match_reference():
    from ssgc_format.schedule import ddim_timesteps

    for n in (1, 15, 30, 200, 300, 600, 999, 1000):
        assert sd.ddim_timesteps(n) == ddim_timesteps(n)
    assert sd.ddim_timesteps(1000)[-1] == 999 and sd.ddim_timesteps(200)[-1] == 996


def test_spec_decoder_substream_walk():
    """7.4.1 in the clean-room decoder: GCI present accepted, 2 pictures, NAL limit, non-IDR refused."""
    from conformance.substreams import TRAIL_NUT, two_pictures, with_filler_nal_units, with_gci, with_vcl_type
    from ssgc_ref.roi_codec import encode_roi
    from skimage import data

    sub, _ = encode_roi(data.astronaut()[60:108, 190:254], qp=40, preset="fast")
    sd.walk_substream(sub, 64, 48)
    sd.walk_substream(with_gci(sub), 64, 48)
    with pytest.raises(sd.FormatError, match="picture"):
        sd.walk_substream(two_pictures(sub), 64, 48)
    with pytest.raises(sd.LimitError, match="NAL units"):
        sd.walk_substream(with_filler_nal_units(sub, 78), 64, 48)
    sd.walk_substream(with_filler_nal_units(sub, 77), 64, 48)
    with pytest.raises(sd.FormatError, match="IDR"):
        sd.walk_substream(with_vcl_type(sub, TRAIL_NUT), 64, 48)
