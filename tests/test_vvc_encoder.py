"""The VVC intra encoder against FFmpeg's native decoder (PyAV): every stream must decode to exactly
the encoder's reconstruction, for any size, QP, bit depth and any (forced) split/mode decision."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_format.errors import FormatError, InputError
from ssgc_ref.vvc import EncodeResult, encode_picture, encode_to_budget
from ssgc_ref.vvc.encoder import Forced
from ssgc_ref.vvc.oracle import decode_annexb, set_simd
from ssgc_ref.vvc.partition import BT_H, BT_V, NO_SPLIT, QT, TT_H, TT_V


class RandomDecisions(Forced):
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def split(self, x, y, size):
        return bool(self.rng.integers(2))

    def split_mode(self, x, y, w, h, options):
        # any allowed split (quad, binary, ternary) or none, the leaf as likely as all splits together
        if NO_SPLIT in options and self.rng.integers(2):
            return NO_SPLIT
        return int(self.rng.choice([o for o in options if o != NO_SPLIT] or list(options)))

    def luma_mode(self, x, y, size):
        return int(self.rng.integers(67))

    def chroma_idx(self, x, y, size):
        return int(self.rng.integers(5))


def _picture(rng: np.random.Generator, h: int, w: int, bd: int, kind: str):
    dt = np.uint8 if bd == 8 else np.uint16
    top = (1 << bd) - 1
    planes = []
    for ph, pw in ((h, w), ((h + 1) // 2, (w + 1) // 2), ((h + 1) // 2, (w + 1) // 2)):
        if kind == "noise":
            p = rng.integers(0, top + 1, (ph, pw))
        elif kind == "smooth":
            yy, xx = np.mgrid[0:ph, 0:pw]
            p = (top / 2 + top / 3 * np.sin(xx / rng.uniform(2, 9) + yy / rng.uniform(2, 9))
                 + rng.normal(0, top / 50, (ph, pw)))
        else:  # edges: random rectangles
            p = np.full((ph, pw), rng.integers(0, top + 1))
            for _ in range(4):
                y0, x0 = rng.integers(0, ph), rng.integers(0, pw)
                p[y0:y0 + rng.integers(1, 20), x0:x0 + rng.integers(1, 20)] = rng.integers(0, top + 1)
        planes.append(np.clip(np.round(p), 0, top).astype(dt))
    return planes


def _check_decodes_to_recon(res: EncodeResult, shape, simd_too: bool = False):
    if simd_too:  # FFmpeg's C code paths as well as its SIMD ones
        set_simd(False)
        try:
            _check_decodes_to_recon(res, shape)
        finally:
            set_simd(True)
    dec = decode_annexb(res.data)
    h, w = shape
    assert res.recon[0].shape == (h, w)
    assert res.recon[1].shape == res.recon[2].shape == ((h + 1) // 2, (w + 1) // 2)
    for d, r in zip(dec, res.recon):
        # an odd width/height decodes one sample larger (conformance window in chroma units)
        assert d.shape[0] - r.shape[0] in (0, 1) and d.shape[1] - r.shape[1] in (0, 1)
        assert d.dtype == r.dtype
        np.testing.assert_array_equal(d[: r.shape[0], : r.shape[1]], r)


@pytest.mark.parametrize("h,w", [(1, 1), (7, 13), (40, 24), (70, 33), (8, 64), (33, 8)])
@pytest.mark.parametrize("bd", [8, 10])
def test_sizes_decode_bit_exactly(h, w, bd):
    rng = np.random.default_rng(h * 1000 + w + bd)
    for kind, qp in (("noise", int(rng.integers(0, 64))), ("smooth", int(rng.integers(20, 50)))):
        planes = _picture(rng, h, w, bd, kind)
        res = encode_picture(*planes, qp=qp, bit_depth=bd)
        assert res.qp == qp and res.bit_depth == bd
        _check_decodes_to_recon(res, (h, w))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 140), st.integers(1, 140), st.integers(0, 63), st.sampled_from([8, 10]),
       st.sampled_from(["noise", "smooth", "edges"]), st.integers(0, 2**31), st.booleans(),
       st.sampled_from([32, 64]), st.booleans())
def test_random_pictures_and_decisions(h, w, qp, bd, kind, seed, forced, ctu, deblocking):
    rng = np.random.default_rng(seed)
    planes = _picture(rng, h, w, bd, kind)
    res = encode_picture(*planes, qp=qp, bit_depth=bd, ctu_size=ctu, deblocking=deblocking,
                         forced=RandomDecisions(rng) if forced else None)
    _check_decodes_to_recon(res, (h, w))


@pytest.mark.parametrize("mode", [0, 1, 2, 3, 17, 18, 19, 33, 34, 35, 49, 50, 51, 65, 66])
def test_every_mode_family_all_chroma_modes(mode):
    rng = np.random.default_rng(mode)
    planes = _picture(rng, 64, 64, 8, "edges")

    class F(Forced):
        def split(self, x, y, size):
            return bool(rng.integers(2))

        def luma_mode(self, x, y, size):
            return mode

        def chroma_idx(self, x, y, size):
            return int(rng.integers(5))

    _check_decodes_to_recon(encode_picture(*planes, qp=int(rng.integers(10, 45)), forced=F()), (64, 64))


def test_decodes_without_simd():
    rng = np.random.default_rng(7)
    for bd in (8, 10):
        planes = _picture(rng, 48, 80, bd, "smooth")
        res = encode_picture(*planes, qp=27, bit_depth=bd)
        set_simd(False)
        try:
            _check_decodes_to_recon(res, (48, 80))
        finally:
            set_simd(True)


@pytest.mark.parametrize("preset", ["fast", "medium", "slow"])
def test_presets(preset):
    rng = np.random.default_rng(3)
    planes = _picture(rng, 72, 80, 8, "edges")
    for qp in (32, 55):
        _check_decodes_to_recon(encode_picture(*planes, qp=qp, preset=preset), (72, 80))


@pytest.mark.parametrize("preset,qp,kind", [("medium", 30, "smooth"), ("medium", 45, "edges"), ("fast", 37, "smooth"),
                                            ("medium", 37, "noise")])
def test_abandoned_splits_do_not_change_decisions(monkeypatch, preset, qp, kind):
    # a split given up once its children cost more than the leaf must give the full search's stream
    from ssgc_ref.vvc import encoder

    planes = _picture(np.random.default_rng(11), 80, 72, 8, kind)
    pruned = encode_picture(*planes, qp=qp, preset=preset)
    from ssgc_ref.vvc import tree_search

    full_split = tree_search.TreeSearch._split
    monkeypatch.setattr(tree_search.TreeSearch, "_split",
                        lambda self, n, split, allowed, inside, ctx, bound=None: full_split(self, n, split, allowed,
                                                                                            inside, ctx))
    assert encode_picture(*planes, qp=qp, preset=preset).data == pruned.data


def test_quality_improves_with_lower_qp():
    rng = np.random.default_rng(5)
    planes = _picture(rng, 64, 64, 8, "smooth")
    sizes, errs = [], []
    for qp in (50, 35, 20):
        r = encode_picture(*planes, qp=qp)
        sizes.append(len(r.data))
        errs.append(float(np.mean((r.recon[0].astype(float) - planes[0]) ** 2)))
    assert sizes[0] < sizes[1] < sizes[2]
    assert errs[0] > errs[1] > errs[2]


def test_lossless_like_at_qp0_is_close():
    rng = np.random.default_rng(9)
    planes = _picture(rng, 16, 16, 8, "smooth")
    r = encode_picture(*planes, qp=0)
    assert np.abs(r.recon[0].astype(int) - planes[0]).max() <= 2


def test_encode_to_budget():
    rng = np.random.default_rng(11)
    planes = _picture(rng, 48, 48, 8, "smooth")
    r = encode_to_budget(*planes, max_bytes=400)
    assert len(r.data) <= 400
    if r.qp > 0:
        assert len(encode_picture(*planes, qp=r.qp - 1).data) > 400
    _check_decodes_to_recon(r, (48, 48))
    with pytest.raises(InputError):
        encode_to_budget(*planes, max_bytes=20)
    with pytest.raises(InputError):
        encode_to_budget(*planes, max_bytes=0)


def test_bad_input_raises_input_error():
    y = np.zeros((8, 8), np.uint8)
    c = np.zeros((4, 4), np.uint8)
    with pytest.raises(InputError):
        encode_picture(y, c, np.zeros((3, 4), np.uint8), qp=30)
    with pytest.raises(InputError):
        encode_picture(y, c, c, qp=64)
    with pytest.raises(InputError):
        encode_picture(y, c, c, qp=30, bit_depth=12)
    with pytest.raises(InputError):
        encode_picture(np.full((8, 8), 300, np.uint16), c, c, qp=30)
    with pytest.raises(InputError):
        encode_picture(np.zeros((0, 8), np.uint8), c, c, qp=30)
    with pytest.raises(InputError):
        encode_picture(y.astype(float), c, c, qp=30)
    with pytest.raises(InputError):
        encode_picture(y, c, c, qp=30, preset="ludicrous")
    with pytest.raises(InputError):
        encode_picture(y, c, c, qp=30, ctu_size=128)


def test_oracle_rejects_garbage():
    with pytest.raises(FormatError):
        decode_annexb(b"\x00\x00\x00\x01\x00\x79garbage")


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([4, 8, 16, 32]), st.integers(0, 63), st.sampled_from([8, 10]), st.integers(0, 2**31),
       st.integers(0, 2))
def test_rdoq_levels_stay_near_scalar_quantisation(n, qp, bd, seed, c_idx):
    from ssgc_ref.vvc.cabac import ContextStates
    from ssgc_ref.vvc.rdoq import rdoq

    rng = np.random.default_rng(seed)
    coef = (rng.laplace(0, rng.uniform(1, 3000), (n, n)) * np.exp(-np.add.outer(np.arange(n), np.arange(n)) / 4))
    coef = np.clip(np.round(coef), -32768, 32767).astype(np.int32)
    lam = 0.57 * 2 ** ((qp - 12) / 3) * 4 ** (bd - 8)
    lv = rdoq(coef, qp, bd, c_idx, lam, ContextStates(qp))
    assert lv.shape == (n, n) and lv.dtype == np.int32
    # never larger than rounding to nearest, never the opposite sign
    q = qp + 6 * (bd - 8)
    step = 16 * (40, 45, 51, 57, 64, 72)[q % 6] * 2 ** (q // 6) / 2 ** (bd + n.bit_length() - 1 - 5)
    assert np.all(np.abs(lv) <= np.floor(np.abs(coef) / step + 0.5) + 1)
    assert np.all(lv.astype(np.int64) * coef >= 0) and np.abs(lv).max() <= 32767
    assert not rdoq(np.zeros((n, n), np.int32), qp, bd, c_idx, lam, ContextStates(qp)).any()


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 100), st.integers(1, 100), st.integers(14, 63), st.sampled_from([8, 10]),
       st.sampled_from(["noise", "smooth", "edges"]), st.integers(0, 2**31), st.booleans(),
       st.sampled_from([32, 64]))
def test_deblocking_mirrors_the_decoder(h, w, qp, bd, kind, seed, forced, ctu):
    rng = np.random.default_rng(seed)
    planes = _picture(rng, h, w, bd, kind)
    res = encode_picture(*planes, qp=qp, bit_depth=bd, deblocking=True, ctu_size=ctu,
                         forced=RandomDecisions(rng) if forced else None)
    _check_decodes_to_recon(res, (h, w))


def test_deblocking_changes_output_and_decodes_without_simd():
    rng = np.random.default_rng(21)
    for bd in (8, 10):
        planes = _picture(rng, 64, 96, bd, "smooth")
        off = encode_picture(*planes, qp=50, bit_depth=bd, deblocking=False)
        on = encode_picture(*planes, qp=50, bit_depth=bd, deblocking=True)
        assert on.data != off.data  # the PPS differs
        assert not np.array_equal(off.recon[0], on.recon[0])  # the filter really acts at QP 50
        set_simd(False)
        try:
            _check_decodes_to_recon(on, (64, 96))
        finally:
            set_simd(True)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 130), st.integers(1, 130), st.integers(0, 63), st.sampled_from([8, 10]),
       st.sampled_from(["noise", "smooth", "edges"]), st.integers(0, 2**31), st.sampled_from([32, 64]),
       st.booleans(), st.sampled_from([1, 2, 3]))
def test_multi_type_tree_random_splits_decode_on_c_and_simd(h, w, qp, bd, kind, seed, ctu, deblocking, depth):
    # random quad/binary/ternary trees (implicit splits at the picture edges included), modes and
    # chroma choices: FFmpeg's C and SIMD decodes equal the encoder's reconstruction
    rng = np.random.default_rng(seed)
    planes = _picture(rng, h, w, bd, kind)
    res = encode_picture(*planes, qp=qp, bit_depth=bd, ctu_size=ctu, deblocking=deblocking, preset="medium",
                         max_mtt_depth=depth, forced=RandomDecisions(rng))
    _check_decodes_to_recon(res, (h, w), simd_too=True)


@settings(max_examples=12, deadline=None)
@given(st.integers(8, 100), st.integers(8, 100), st.integers(20, 55), st.sampled_from(["smooth", "edges"]),
       st.integers(0, 2**31), st.sampled_from(["medium", "slow"]))
def test_multi_type_tree_own_decisions_decode_on_c_and_simd(h, w, qp, kind, seed, preset):
    rng = np.random.default_rng(seed)
    planes = _picture(rng, h, w, 8, kind)
    _check_decodes_to_recon(encode_picture(*planes, qp=qp, preset=preset), (h, w), simd_too=True)


@pytest.mark.parametrize("split", [BT_H, BT_V, TT_H, TT_V])
def test_each_multi_type_split_decodes(split):
    # every CTU of 32x32 takes ``split`` at its root, then the encoder decides
    rng = np.random.default_rng(split)
    planes = _picture(rng, 64, 96, 8, "edges")

    class F(Forced):
        def split_mode(self, x, y, w, h, options):
            return split if (w, h) == (32, 32) and split in options else None

    res = encode_picture(*planes, qp=32, ctu_size=32, forced=F())
    _check_decodes_to_recon(res, (64, 96), simd_too=True)


def test_medium_uses_multi_type_splits_and_fast_does_not():
    from ssgc_ref.vvc import encoder

    shapes = {}
    orig = encoder._PictureEncoder.code_cu

    def spy(self, n, ctx, *args):
        shapes.setdefault(self.preset, set()).add((n.w, n.h))
        return orig(self, n, ctx, *args)

    planes = _picture(np.random.default_rng(4), 64, 64, 8, "edges")
    try:
        encoder._PictureEncoder.code_cu = spy
        for preset in ("fast", "medium"):
            encode_picture(*planes, qp=32, preset=preset)
    finally:
        encoder._PictureEncoder.code_cu = orig
    assert all(w == h for w, h in shapes["fast"])
    assert any(w != h for w, h in shapes["medium"])


def test_slow_searches_depth_two_and_ternary_splits_below_the_first_level():
    # presets.py: slow is medium's search at multi-type depth 2 with ternary splits at both levels
    from ssgc_ref.vvc import encoder
    from ssgc_ref.vvc.partition import TT_H, TT_V

    depth, tt_below = {}, {}
    orig_cu, orig_split = encoder._PictureEncoder.code_cu, encoder._PictureEncoder._split

    def spy_cu(self, n, ctx, *args):
        depth[self.preset] = max(depth.get(self.preset, 0), n.mtt_depth - n.depth_offset)
        return orig_cu(self, n, ctx, *args)

    def spy_split(self, n, split, *args, **kw):
        if split in (TT_H, TT_V) and n.mtt_depth - n.depth_offset >= 1:
            tt_below[self.preset] = tt_below.get(self.preset, 0) + 1
        return orig_split(self, n, split, *args, **kw)

    planes = _picture(np.random.default_rng(4), 64, 64, 8, "edges")
    try:
        encoder._PictureEncoder.code_cu, encoder._PictureEncoder._split = spy_cu, spy_split
        for preset in ("medium", "slow"):
            encode_picture(*planes, qp=32, preset=preset)
    finally:
        encoder._PictureEncoder.code_cu, encoder._PictureEncoder._split = orig_cu, orig_split
    assert depth == {"medium": 1, "slow": 2}
    assert "medium" not in tt_below and tt_below["slow"] > 0


def test_bad_mtt_depth_raises_input_error():
    y = np.zeros((8, 8), np.uint8)
    c = np.zeros((4, 4), np.uint8)
    with pytest.raises(InputError):
        encode_picture(y, c, c, qp=30, max_mtt_depth=4)
