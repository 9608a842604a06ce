"""coding_tree() / coding_unit() / transform_unit() syntax of the SSGC VVC profile (H.266 §7.3.11.4,
§7.3.11.5, §7.3.11.10) and the derivations it needs: split_cu_flag context (§9.3.4.2.2), the MPM
candidate list (§8.4.2) and the chroma mode table (§8.4.3, CCLM off).

Profile: I slice, single tree, CTU 32 or 64, quad-tree plus (optionally) binary/ternary splits
(partition.py), MinCb 8, MaxTb 32 or 64 (larger CUs are split into TUs), the 67 regular modes with
optional intra sub-partitions (isp.py), multiple reference lines (intra_luma_ref_idx, mrl.py),
matrix-based intra prediction (intra_mip_flag first, mip.py) and LFNST (lfnst_idx after the
transform tree, lfnst.py), every other intra tool off. Writers take a ``sink``
(CabacWriter or RateEstimator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import contexts as C
from .lfnst import lfnst_signalled, write_lfnst_idx
from .isp import write_isp_flags, write_isp_transform_tree
from .mip import write_mip
from .mrl import write_ref_idx
from .residual_coding import code_residual

INTRA_PLANAR, INTRA_DC, INTRA_HOR, INTRA_VER = 0, 1, 18, 50
CHROMA_DM = 4  # intra_chroma_pred_mode value meaning "derived from luma"
_CHROMA_LIST = (INTRA_PLANAR, INTRA_VER, INTRA_HOR, INTRA_DC)


def mpm_list(cand_a: int, cand_b: int) -> tuple[int, int, int, int, int]:
    """candModeList[0..4] (§8.4.2) from candIntraPredModeA (left) and B (above); planar is
    signalled separately (intra_luma_not_planar_flag)."""
    a, b = cand_a, cand_b
    if a == b and a > INTRA_DC:
        return (a, 2 + ((a + 61) % 64), 2 + ((a - 1) % 64), 2 + ((a + 60) % 64), 2 + (a % 64))
    mn, mx = min(a, b), max(a, b)
    if a > INTRA_DC and b > INTRA_DC:
        d = mx - mn
        if d == 1:
            rest = (2 + ((mn + 61) % 64), 2 + ((mx - 1) % 64), 2 + ((mn + 60) % 64))
        elif d >= 62:
            rest = (2 + ((mn - 1) % 64), 2 + ((mx + 61) % 64), 2 + (mn % 64))
        elif d == 2:
            rest = (2 + ((mn - 1) % 64), 2 + ((mn + 61) % 64), 2 + ((mx - 1) % 64))
        else:
            rest = (2 + ((mn + 61) % 64), 2 + ((mn - 1) % 64), 2 + ((mx + 61) % 64))
        return (a, b) + rest
    if a > INTRA_DC or b > INTRA_DC:
        return (mx, 2 + ((mx + 61) % 64), 2 + ((mx - 1) % 64), 2 + ((mx + 60) % 64), 2 + (mx % 64))
    return (INTRA_DC, INTRA_VER, INTRA_HOR, INTRA_VER - 4, INTRA_VER + 4)


def chroma_mode(idx: int, luma_mode: int) -> int:
    """IntraPredModeC from intra_chroma_pred_mode (Table 20, cclm off, 4:2:0: no 4:2:2 mapping)."""
    if idx == CHROMA_DM:
        return luma_mode
    m = _CHROMA_LIST[idx]
    return 66 if m == luma_mode else m


def write_split_flag(sink, ctx_inc: int, flag: int) -> None:
    sink.bin(C.SPLIT_CU + ctx_inc, flag)


def _write_mpm_idx(sink, idx: int) -> None:
    """intra_luma_mpm_idx: TR, cMax 4, bypass."""
    sink.bypass_bits(((1 << idx) - 1) << 1 if idx < 4 else 15, idx + 1 if idx < 4 else 4)


def write_luma_mode(sink, mode: int, mpm: tuple[int, ...], isp: bool = False, ref_idx: int = 0) -> None:
    """intra_luma_mpm_flag, intra_luma_not_planar_flag, intra_luma_mpm_idx / _remainder; ``isp`` =
    intra_subpartitions_mode_flag. With intra_luma_ref_idx ``ref_idx`` > 0 only intra_luma_mpm_idx
    is present (mpm_flag and not_planar_flag inferred 1): the mode must be one of ``mpm``."""
    not_planar = C.NOT_PLANAR + (0 if isp else 1)  # ctxInc = !intra_subpartitions_mode_flag
    if ref_idx:
        if mode not in mpm:
            raise ValueError(f"intra_luma_ref_idx {ref_idx}: luma mode {mode} is not in the MPM list {mpm}")
        _write_mpm_idx(sink, mpm.index(mode))
        return
    if mode == INTRA_PLANAR:
        sink.bin(C.MPM_FLAG, 1)
        sink.bin(not_planar, 0)
        return
    if mode in mpm:
        sink.bin(C.MPM_FLAG, 1)
        sink.bin(not_planar, 1)
        _write_mpm_idx(sink, mpm.index(mode))
        return
    sink.bin(C.MPM_FLAG, 0)
    rem = mode - 1 - sum(1 for c in mpm if c < mode)
    # truncated binary, cMax 60: n = 61, k = 5, u = 3
    if rem < 3:
        sink.bypass_bits(rem, 5)
    else:
        sink.bypass_bits(rem + 3, 6)


def decode_remainder(rem: int, mpm: tuple[int, ...]) -> int:
    """Inverse of the remainder mapping (§8.4.2), used by tests."""
    m = rem + 1
    for c in sorted(mpm):
        if m >= c:
            m += 1
    return m


def write_chroma_mode(sink, idx: int) -> None:
    """intra_chroma_pred_mode: '0' for DM (4), else '1' + 2 bypass bits (cclm off)."""
    if idx == CHROMA_DM:
        sink.bin(C.CHROMA_MODE, 0)
    else:
        sink.bin(C.CHROMA_MODE, 1)
        sink.bypass_bits(idx, 2)


@dataclass
class CodingUnit:
    """Everything coding_unit() writes for one intra CU, plus its distortion."""

    x: int
    y: int
    w: int
    h: int
    luma_mode: int
    chroma_idx: int
    mpm: tuple[int, ...]
    # per transform unit, in decoding order: (luma, cb, cr) TransCoeffLevel arrays, None = not coded
    tus: list[tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]]
    lfnst_idx: int = 0  # 0 = no secondary transform; 1, 2 = the LFNST candidate of the luma blocks
    lfnst_enabled: bool = False  # sps_lfnst_enabled_flag: lfnst_idx is coded where lfnst_signalled() says
    # IntraSubPartitionsSplitType (isp.py: 0 none, 1 horizontal, 2 vertical); None = the ISP syntax is
    # absent (sps_isp_enabled_flag 0 or a CU outside isp_signalled())
    isp: int | None = None
    max_tb: int = 32  # MaxTbSizeY: a CU larger on a side has several TUs and never lfnst_idx
    sign_hiding: bool = False  # sh_sign_data_hiding_used_flag (the levels obey its parity rule)
    # intra_luma_ref_idx (0, 1, 2; mrl.py); None = absent (sps_mrl_enabled_flag 0 or the CU on its
    # CTU's top row), inferred 0
    ref_idx: int | None = None
    dep_quant: bool = False  # sh_dep_quant_used_flag (the levels are dependent quantisation's k)
    # (intra_mip_mode, intra_mip_transposed_flag) of a MIP CU, None = regular intra prediction
    mip: tuple[int, int] | None = None
    # ctxInc of intra_mip_flag (mip.mip_flag_ctx); None = absent (sps_mip_enabled_flag 0)
    mip_ctx: int | None = None


def cu_lfnst_signalled(cu: CodingUnit) -> bool:
    """Whether coding_unit() carries lfnst_idx for this CU (its blocks as coded; an ISP CU's
    lfnstWidth/Height are its sub-partitions', and its DC-only rule does not apply; a MIP CU needs Min(W, H) >= 16)."""
    if cu.mip is not None and min(cu.w, cu.h) < 16:
        return False
    return cu.lfnst_enabled and lfnst_signalled((lv for tu in cu.tus for lv in tu), cu.w, cu.h,
                                                isp_split=cu.isp or 0, max_tb=cu.max_tb)


def write_coding_unit(sink, cu: CodingUnit) -> None:
    """coding_unit() + transform_tree() + transform_unit()s of one intra CU (a CU wider or taller
    than MaxTbSizeY (32, or 64 with sps_max_luma_transform_size_64_flag) has several TUs, in the order of transform_blocks(); an ISP CU one per
    sub-partition), then lfnst_idx when the CU's blocks let it be coded (a CU whose lfnst_idx is
    not coded must have lfnst_idx 0). intra_luma_ref_idx comes first; a CU with ref_idx > 0 has no
    ISP syntax. With MIP enabled, intra_mip_flag opens the CU; a MIP CU codes its MIP mode and no
    other luma-mode syntax."""
    if cu.mip_ctx is not None:
        write_mip(sink, cu.mip_ctx, cu.w, cu.h, cu.mip)
    elif cu.mip is not None:
        raise ValueError(f"CU at ({cu.x}, {cu.y}): a MIP CU needs intra_mip_flag (sps_mip_enabled_flag)")
    if cu.mip is not None:
        if cu.ref_idx is not None or cu.isp is not None:
            raise ValueError(f"CU at ({cu.x}, {cu.y}): a MIP CU has no intra_luma_ref_idx / ISP syntax")
    else:
        if cu.ref_idx is not None:
            write_ref_idx(sink, cu.ref_idx)
        if cu.ref_idx and cu.isp is not None:
            raise ValueError(f"CU at ({cu.x}, {cu.y}): intra_luma_ref_idx {cu.ref_idx} leaves no ISP syntax")
        if cu.isp is not None:
            write_isp_flags(sink, cu.isp)
        write_luma_mode(sink, cu.luma_mode, cu.mpm, isp=bool(cu.isp), ref_idx=cu.ref_idx or 0)
    write_chroma_mode(sink, cu.chroma_idx)
    if cu.isp:
        write_isp_transform_tree(sink, cu.tus, cu.sign_hiding, cu.dep_quant)
    else:
        for tu in cu.tus:
            write_transform_unit(sink, tu, cu.sign_hiding, cu.dep_quant)
    if cu_lfnst_signalled(cu):
        write_lfnst_idx(sink, cu.lfnst_idx)
    elif cu.lfnst_idx:
        raise ValueError(f"CU at ({cu.x}, {cu.y}): lfnst_idx {cu.lfnst_idx} cannot be coded (it would be read as 0)")


def transform_blocks(x: int, y: int, w: int, h: int, max_tb: int = 32) -> list[tuple[int, int, int, int]]:
    """The luma transform blocks (x, y, w, h) of a CU in transform_tree() order (§7.3.11.8): a side
    above MaxTbSizeY is halved, vertically first when the block is wider than tall."""
    if w <= max_tb and h <= max_tb:
        return [(x, y, w, h)]
    if w > max_tb and w > h:
        return transform_blocks(x, y, w // 2, h, max_tb) + transform_blocks(x + w // 2, y, w // 2, h, max_tb)
    return transform_blocks(x, y, w, h // 2, max_tb) + transform_blocks(x, y + h // 2, w, h // 2, max_tb)


def write_transform_unit(sink, tu, sign_hiding: bool = False, dep_quant: bool = False) -> None:
    """tu_cb_coded_flag, tu_cr_coded_flag, tu_y_coded_flag (always coded for intra), residuals."""
    ly, lcb, lcr = tu
    cbf_cb = 0 if lcb is None else 1
    cbf_cr = 0 if lcr is None else 1
    sink.bin(C.TU_CB, cbf_cb)
    sink.bin(C.TU_CR + cbf_cb, cbf_cr)
    sink.bin(C.TU_Y, 0 if ly is None else 1)
    if ly is not None:
        code_residual(sink, ly, 0, sign_hiding, dep_quant)
    if lcb is not None:
        code_residual(sink, lcb, 1, sign_hiding, dep_quant)
    if lcr is not None:
        code_residual(sink, lcr, 2, sign_hiding, dep_quant)
