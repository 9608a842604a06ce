"""Coding-tree partitioning of the SSGC VVC profile (single tree, I slice, MinCbSizeY 8):
the allowed-split processes of H.266 §6.4.1 (quad), §6.4.2 (binary) and §6.4.3 (ternary), the
children of each split (§7.3.11.4 coding_tree(), with the implicit splits at the picture's right
and bottom edges), and the split syntax elements split_cu_flag, split_qt_flag,
mtt_split_cu_vertical_flag and mtt_split_cu_binary_flag with their context selection
(§9.3.4.2.2, Table 133). Partition constraints: MinQtSizeY = MinCbSizeY, MaxBtSizeY/MaxTtSizeY
and MaxMttDepthY from the SPS (no override), dual tree off.

With MinCbSizeY = 8 no split can create a luma block of 32 samples or fewer, so the mode-type
(local dual tree) rules of §7.4.9.4 never apply: every coding unit codes luma and chroma together.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import contexts as C

NO_SPLIT, QT, BT_H, BT_V, TT_H, TT_V = range(6)
SPLIT_NAMES = ("none", "QT", "BT_H", "BT_V", "TT_H", "TT_V")
MIN_CB = 8


@dataclass(frozen=True)
class PartitionLimits:
    """SPS partition constraints (luma, intra slice) and the coded picture size."""

    pic_w: int
    pic_h: int
    max_mtt_depth: int = 0  # 0 = quad-tree only
    max_bt: int = 32
    max_tt: int = 32
    min_qt: int = MIN_CB


@dataclass(frozen=True)
class Node:
    """A coding-tree node: position, size and the state its allowed splits depend on."""

    x: int
    y: int
    w: int
    h: int
    cqt_depth: int = 0
    mtt_depth: int = 0
    depth_offset: int = 0
    part_idx: int = 0
    parent_split: int = NO_SPLIT


def allowed_splits(lim: PartitionLimits, n: Node) -> tuple[bool, bool, bool, bool, bool, bool]:
    """(unused, QT, BT_H, BT_V, TT_H, TT_V) allowed, indexed by the split constants."""
    x, y, w, h = n.x, n.y, n.w, n.h
    right_out = x + w > lim.pic_w
    bottom_out = y + h > lim.pic_h
    qt = n.mtt_depth == 0 and w > lim.min_qt  # §6.4.1 (square blocks only reach mtt_depth 0)
    mtt_ok = n.mtt_depth < lim.max_mtt_depth + n.depth_offset
    # §6.4.2 binary
    bt = {}
    for split, size in ((BT_H, h), (BT_V, w)):
        ok = mtt_ok and size > MIN_CB and w <= lim.max_bt and h <= lim.max_bt
        if ok:
            if split == BT_V and bottom_out:
                ok = False
            elif split == BT_V and h > 64 and right_out:
                ok = False
            elif split == BT_H and w > 64 and bottom_out:
                ok = False
            elif right_out and bottom_out and w > lim.min_qt:
                ok = False
            elif split == BT_H and right_out and not bottom_out:
                ok = False
            elif n.mtt_depth > 0 and n.part_idx == 1 and n.parent_split == (TT_H if split == BT_H else TT_V):
                ok = False  # the middle TT part may not be halved in the TT's own direction
            elif split == BT_V and w <= 64 and h > 64:
                ok = False
            elif split == BT_H and w > 64 and h <= 64:
                ok = False
        bt[split] = ok
    # §6.4.3 ternary: the split side must exceed 2 * MinTtSizeY; max size Min(64, MaxTtSizeY)
    tt = {}
    for split, size in ((TT_H, h), (TT_V, w)):
        tmax = min(64, lim.max_tt)
        tt[split] = (mtt_ok and size > 2 * MIN_CB and w <= tmax and h <= tmax
                     and not right_out and not bottom_out)
    return (False, qt, bt[BT_H], bt[BT_V], tt[TT_H], tt[TT_V])


def children(lim: PartitionLimits, n: Node, split: int) -> list[Node]:
    """The child nodes of ``split`` in decoding order; QT/BT children starting outside the picture
    are not coded (§7.3.11.4)."""
    x, y, w, h = n.x, n.y, n.w, n.h
    out: list[Node] = []
    if split == QT:
        hw, hh = w // 2, h // 2
        for i, (dx, dy) in enumerate(((0, 0), (hw, 0), (0, hh), (hw, hh))):
            if x + dx < lim.pic_w and y + dy < lim.pic_h:
                out.append(Node(x + dx, y + dy, hw, hh, n.cqt_depth + 1, 0, 0, i, QT))
        return out
    d = n.mtt_depth + 1
    if split == BT_H:
        off = n.depth_offset + (1 if y + h > lim.pic_h else 0)
        for i in range(2):
            if y + i * h // 2 < lim.pic_h:
                out.append(Node(x, y + i * h // 2, w, h // 2, n.cqt_depth, d, off, i, BT_H))
    elif split == BT_V:
        off = n.depth_offset + (1 if x + w > lim.pic_w else 0)
        for i in range(2):
            if x + i * w // 2 < lim.pic_w:
                out.append(Node(x + i * w // 2, y, w // 2, h, n.cqt_depth, d, off, i, BT_V))
    elif split == TT_H:
        for i, (o, s) in enumerate(((0, h // 4), (h // 4, h // 2), (3 * h // 4, h // 4))):
            out.append(Node(x, y + o, w, s, n.cqt_depth, d, n.depth_offset, i, TT_H))
    elif split == TT_V:
        for i, (o, s) in enumerate(((0, w // 4), (w // 4, w // 2), (3 * w // 4, w // 4))):
            out.append(Node(x + o, y, s, h, n.cqt_depth, d, n.depth_offset, i, TT_V))
    else:
        raise ValueError(f"not a split: {split}")
    return out


@dataclass(frozen=True)
class Neighbours:
    """What the split contexts read from the left (x-1, y) and above (x, y-1) coding units;
    None = not available (outside the picture; one slice, no tiles)."""

    left_h: int | None
    left_cqt: int
    above_w: int | None
    above_cqt: int


def split_bins(split: int, allowed, n: Node, inside: bool, nb: Neighbours) -> list[tuple[int, int]]:
    """The (context index, bin) pairs coding_tree() codes for ``split`` at node ``n``: nothing when
    the decision is inferred. ``split`` must be NO_SPLIT (only inside the picture) or allowed."""
    _, qt, bth, btv, tth, ttv = allowed
    bins: list[tuple[int, int]] = []
    any_split = qt or bth or btv or tth or ttv
    if any_split and inside:
        inc = (1 if nb.left_h is not None and nb.left_h < n.h else 0)
        inc += 1 if nb.above_w is not None and nb.above_w < n.w else 0
        inc += 3 * ((btv + bth + ttv + tth + 2 * qt - 1) // 2)
        bins.append((C.SPLIT_CU + inc, 0 if split == NO_SPLIT else 1))
    if split == NO_SPLIT:
        return bins
    mtt = bth or btv or tth or ttv
    if mtt and qt:
        inc = (1 if nb.left_h is not None and nb.left_cqt > n.cqt_depth else 0)
        inc += 1 if nb.above_w is not None and nb.above_cqt > n.cqt_depth else 0
        bins.append((C.SPLIT_QT + inc + (3 if n.cqt_depth >= 2 else 0), 1 if split == QT else 0))
    if split == QT:
        return bins
    vertical = 1 if split in (BT_V, TT_V) else 0
    if (bth or tth) and (btv or ttv):
        v, hz = btv + ttv, bth + tth
        if v > hz:
            inc = 4
        elif v < hz:
            inc = 3
        elif nb.left_h is None or nb.above_w is None:
            inc = 0
        else:
            da, dl = n.w // nb.above_w, n.h // nb.left_h
            inc = 0 if da == dl else (1 if da < dl else 2)
        bins.append((C.MTT_VER + inc, vertical))
    if (btv and ttv and vertical) or (bth and tth and not vertical):
        bins.append((C.MTT_BIN + 2 * vertical + (1 if n.mtt_depth <= 1 else 0),
                     1 if split in (BT_H, BT_V) else 0))
    return bins
