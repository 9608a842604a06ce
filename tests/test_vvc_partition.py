"""The coding-tree partition rules of the VVC encoder (H.266 §6.4, §7.3.11.4, §9.3.4.2.2). FFmpeg
checks them end to end (tests/test_vvc_encoder.py); these tests pin the cases one by one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_ref.vvc import contexts as C
from ssgc_ref.vvc.partition import (BT_H, BT_V, NO_SPLIT, QT, TT_H, TT_V, Neighbours, Node, PartitionLimits,
                                    allowed_splits, children, split_bins)

LIM = PartitionLimits(pic_w=128, pic_h=96, max_mtt_depth=2, max_bt=32, max_tt=32)


def _allowed(node, lim=LIM):
    a = allowed_splits(lim, node)
    return {s for s in (QT, BT_H, BT_V, TT_H, TT_V) if a[s]}


def test_quad_tree_only_without_mtt():
    lim = PartitionLimits(128, 96, max_mtt_depth=0)
    assert _allowed(Node(0, 0, 32, 32), lim) == {QT}
    assert _allowed(Node(0, 0, 8, 8), lim) == set()


def test_sizes_and_depths():
    assert _allowed(Node(0, 0, 64, 64)) == {QT}  # above MaxBtSizeY / MaxTtSizeY
    assert _allowed(Node(0, 0, 32, 32)) == {QT, BT_H, BT_V, TT_H, TT_V}
    assert _allowed(Node(0, 0, 16, 16)) == {QT, BT_H, BT_V}  # a ternary split would give 4-sample sides
    assert _allowed(Node(0, 0, 16, 8, mtt_depth=1)) == {BT_V}
    assert _allowed(Node(0, 0, 16, 8, mtt_depth=2)) == set()  # MaxMttDepth reached
    assert _allowed(Node(0, 0, 8, 8)) == set()


def test_middle_ternary_part_is_not_halved_in_the_same_direction():
    assert BT_V not in _allowed(Node(8, 0, 16, 32, mtt_depth=1, part_idx=1, parent_split=TT_V))
    assert BT_H in _allowed(Node(8, 0, 16, 32, mtt_depth=1, part_idx=1, parent_split=TT_V))
    assert BT_V in _allowed(Node(0, 0, 16, 32, mtt_depth=1, part_idx=0, parent_split=TT_V))


def test_picture_edges():
    lim = PartitionLimits(pic_w=40, pic_h=24, max_mtt_depth=2, max_bt=32, max_tt=32)
    # crossing the right edge only: quad or vertical binary; no ternary
    assert _allowed(Node(32, 0, 16, 16), lim) == {QT, BT_V}
    # crossing the bottom edge only: quad or horizontal binary
    assert _allowed(Node(0, 16, 16, 16), lim) == {QT, BT_H}
    # crossing both: quad only
    assert _allowed(Node(32, 16, 16, 16), lim) == {QT}
    # an implicit binary split raises the depth limit of its children (depthOffset)
    kids = children(lim, Node(32, 0, 16, 16), BT_V)
    assert [(k.x, k.w, k.depth_offset) for k in kids] == [(32, 8, 1)]  # the second half is outside
    assert children(lim, Node(32, 16, 16, 16), QT) == [Node(32, 16, 8, 8, 1, 0, 0, 0, QT)]


def _parse(bins, allowed, inside):
    """The decoder's reading of split syntax (inference rules of §7.4.12.4), from the coded bins."""
    _, qt, bth, btv, tth, ttv = allowed
    it = iter(bins)
    if not (qt or bth or btv or tth or ttv):
        assert inside and not bins
        return NO_SPLIT
    if inside:
        ci, b = next(it)
        assert C.SPLIT_CU <= ci < C.SPLIT_CU + 9
        if not b:
            return NO_SPLIT
    mtt = bth or btv or tth or ttv
    if mtt and qt:
        ci, b = next(it)
        assert C.SPLIT_QT <= ci < C.SPLIT_QT + 6
        is_qt = b
    else:
        is_qt = not mtt
    if is_qt:
        return QT
    if (bth or tth) and (btv or ttv):
        ci, ver = next(it)
        assert C.MTT_VER <= ci < C.MTT_VER + 5
    else:
        ver = 0 if (bth or tth) else 1
    if (btv and ttv and ver) or (bth and tth and not ver):
        ci, binary = next(it)
        assert C.MTT_BIN <= ci < C.MTT_BIN + 4
    else:
        binary = (btv if ver else bth) and not (ttv if ver else tth)
    assert next(it, None) is None
    return {(0, 0): TT_H, (0, 1): BT_H, (1, 0): TT_V, (1, 1): BT_V}[(ver, int(bool(binary)))]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 15), st.integers(0, 11), st.sampled_from([8, 16, 32, 64]), st.sampled_from([8, 16, 32, 64]),
       st.integers(0, 3), st.integers(0, 2), st.integers(0, 2), st.sampled_from([QT, BT_H, BT_V, TT_H, TT_V]),
       st.sampled_from([None, 8, 16, 32]), st.sampled_from([None, 8, 16, 32]), st.integers(0, 3))
def test_split_bins_parse_back(xu, yu, w, h, cqt, mtt, part, parent, lh, aw, mx):
    lim = PartitionLimits(pic_w=120, pic_h=88, max_mtt_depth=mx, max_bt=32, max_tt=32)
    x, y = xu * 8 - xu * 8 % w, yu * 8 - yu * 8 % h
    n = Node(x, y, w, h, cqt, mtt if w != h or mtt else 0, 0, part, parent)
    if x >= lim.pic_w or y >= lim.pic_h:
        return
    allowed = allowed_splits(lim, n)
    inside = x + w <= lim.pic_w and y + h <= lim.pic_h
    nb = Neighbours(lh, 1, aw, 2)
    options = ([NO_SPLIT] if inside else []) + [s for s in (QT, BT_H, BT_V, TT_H, TT_V) if allowed[s]]
    for s in options:
        assert _parse(split_bins(s, allowed, n, inside, nb), allowed, inside) == s
