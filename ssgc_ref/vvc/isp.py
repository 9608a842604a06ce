"""Intra sub-partitions (ISP) of the SSGC VVC intra encoder: the syntax (H.266 §7.3.11.5
intra_subpartitions_mode_flag / _split_flag, the transform_tree() / transform_unit() of an ISP CU,
§7.3.11.8-10) and the encoder's coding of an ISP CU (informative decision, normative
reconstruction).

An ISP CU splits its luma block into NumIntraSubPartitions = 4 sub-partitions (2 for 4x8 / 8x4 CUs,
which this encoder never has): horizontally (IntraSubPartitionsSplitType ISP_HOR_SPLIT, split flag
0) into w x h/4 rows, or vertically (ISP_VER_SPLIT, flag 1) into w/4 x h columns. Each is a transform
unit, predicted with the CU's one luma mode from the reconstruction of the previous ones (§8.4.5.1;
the prediction differences are in intra_pred.predict_from_refs(isp_cu=...)) and reconstructed before
the next is predicted. Chroma is one block of the whole CU, its cbfs and residuals coded with the last
sub-partition. tu_y_coded_flag has ctxInc 2 + the previous sub-partition's flag (0 for the first) and
is inferred 1 for the last sub-partition when all the earlier ones are 0, so such a CU must code a
non-zero last sub-partition. intra_luma_not_planar_flag takes ctxInc 0 in an ISP CU.

The syntax is present (sps_isp_enabled_flag = 1) on every CU with cbWidth, cbHeight <= MaxTbSizeY
(32, or 64 with the 64-point transforms) and cbWidth * cbHeight > 16 (MinTbSizeY = 4). Encoder choice
(not a bitstream restriction): this encoder uses ISP only on CUs up to 32x32 (a 64-sample CU codes
intra_subpartitions_mode_flag = 0; the test hook alone reaches ISP there) and only where the
sub-partitions are at least 4 samples on each side, the sizes its transforms and residual coding
handle: horizontal splits for CU heights >= 16, vertical splits for CU widths >= 16 (so never on 8x8
CUs, whose sub-partitions would be 8x2 / 2x8).
Decision (informative, choose_isp()): ISP is tried with the CU's best regular luma mode, on CUs
whose regular coding has a few luma levels, in the split that most often wins with that mode (both
splits for planar and DC), and kept when its cost D + lambda * R (R from the
CABAC rate estimator, RDOQ where the preset uses it) is lower than the regular coding's.
"""

from __future__ import annotations

import numpy as np

from . import contexts as C
from .block_coding import quantise, reconstruct
from .cabac import RateEstimator
from .intra_pred import predict_from_refs, reference_samples
from .lfnst import ISP_HOR_SPLIT, ISP_NO_SPLIT, ISP_VER_SPLIT  # IntraSubPartitionsSplitType (7.4.12.5)
from .lfnst import forward_lfnst, lfnst_pred_mode
from .residual_coding import code_residual
from .transform import forward_dct2

MAX_TB = 32  # the encoder's ISP range (MaxTbSizeY without 64-point transforms)
MIN_TB = 4  # MinTbSizeY


def isp_signalled(w: int, h: int, max_tb: int = MAX_TB) -> bool:
    """Whether coding_unit() carries intra_subpartitions_mode_flag for a w x h CU (ISP enabled,
    MaxTbSizeY ``max_tb``)."""
    return w <= max_tb and h <= max_tb and w * h > MIN_TB * MIN_TB


def isp_allowed(w: int, h: int, split: int, max_tb: int = MAX_TB) -> bool:
    """Whether this encoder may code a w x h CU with ``split`` (sub-partitions >= 4 on each side;
    the search keeps to CUs up to 32x32, ``max_tb`` = 64 lets the test hook reach 64-sample CUs)."""
    if not isp_signalled(w, h, max_tb):
        return False
    if split == ISP_HOR_SPLIT:
        return h >= 16
    if split == ISP_VER_SPLIT:
        return w >= 16
    return False


def sub_partitions(x: int, y: int, w: int, h: int, split: int) -> list[tuple[int, int, int, int]]:
    """The luma sub-partitions (x, y, w, h) of an ISP CU in decoding order (§7.3.11.8)."""
    n = 2 if (w, h) in ((4, 8), (8, 4)) else 4
    if split == ISP_HOR_SPLIT:
        return [(x, y + i * (h // n), w, h // n) for i in range(n)]
    return [(x + i * (w // n), y, w // n, h) for i in range(n)]


# -- syntax ------------------------------------------------------------------------------------
def write_isp_flags(sink, split: int) -> None:
    """intra_subpartitions_mode_flag and, when 1, intra_subpartitions_split_flag (= split - 1)."""
    sink.bin(C.ISP_MODE, 1 if split else 0)
    if split:
        sink.bin(C.ISP_SPLIT, split - 1)


def write_isp_transform_tree(sink, tus, sign_hiding: bool = False, dep_quant: bool = False) -> None:
    """The transform units of an ISP CU (§7.3.11.10): ``tus`` = [(luma levels or None, cb, cr)] per
    sub-partition, chroma only in the last. tu_cb/cr_coded_flag come first in the last unit;
    tu_y_coded_flag (ctxInc 2 + previous flag) is absent, inferred 1, in the last unit when every
    earlier one is 0."""
    n = len(tus)
    infer = True
    prev = 0
    for i, (ly, lcb, lcr) in enumerate(tus):
        last = i == n - 1
        if last:
            cbf_cb = 0 if lcb is None else 1
            sink.bin(C.TU_CB, cbf_cb)
            sink.bin(C.TU_CR + cbf_cb, 0 if lcr is None else 1)
        cbf = 0 if ly is None else 1
        if not last or not infer:
            sink.bin(C.TU_Y + 2 + prev, cbf)
            prev = cbf
        elif not cbf:
            raise ValueError("ISP CU: the last sub-partition must have luma coefficients when no other has")
        infer = infer and not cbf
        if ly is not None:
            code_residual(sink, ly, 0, sign_hiding, dep_quant)
        if last:
            if lcb is not None:
                code_residual(sink, lcb, 1, sign_hiding, dep_quant)
            if lcr is not None:
                code_residual(sink, lcr, 2, sign_hiding, dep_quant)


def isp_tus(lv_y: list, lcb: list, lcr: list) -> list:
    """An ISP CU's transform units from its sub-partitions' luma levels and its one chroma block."""
    return [(lv, None, None) for lv in lv_y[:-1]] + [(lv_y[-1], lcb[0], lcr[0])]


# -- encoder -----------------------------------------------------------------------------------
def isp_trial(enc, x: int, y: int, w: int, h: int, split: int, mode: int, mpm: tuple[int, ...], ctx, rd,
              bound: float = float("inf"), lfnst_idx: int = 0):
    """Predict, code and reconstruct the luma sub-partitions of the CU (x, y, w, h) with ``split``
    and ``mode``, writing the reconstruction and availability as it goes (the caller restores them
    if the trial loses); ``rd`` = context states for RDOQ or None. If every sub-partition quantises to
    zero, the last one gets a +-1 DC level (its cbf is inferred 1). Returns (levels per
    sub-partition, luma SSD, cost D + lambda * R of the luma syntax), or None as soon as the cost so
    far reaches ``bound`` (costs only grow). ``lfnst_idx`` > 0 codes every sub-partition with that
    LFNST candidate (predModeIntra: the luma mode wide-angle mapped with the CU's shape, 8.7.4.1)."""
    from .syntax import write_luma_mode  # syntax.py imports this module's writers

    bd, qp, lam = enc.bd, enc.qp, enc.lam
    rec, av, org = enc.rec[0], enc.avail[0], enc.org[0]
    av[y // 4:(y + h) // 4, x // 4:(x + w) // 4] = False
    parts = sub_partitions(x, y, w, h, split)
    lf_mode = lfnst_pred_mode(mode, w, h)
    snap = ctx.snapshot()
    est = RateEstimator(ctx)
    write_isp_flags(est, split)
    write_luma_mode(est, mode, mpm, isp=True)
    levels: list = []
    dist = 0
    prev, infer = 0, True
    for i, (sx, sy, sw, sh) in enumerate(parts):
        last = i == len(parts) - 1
        refs = reference_samples(rec, av, sx, sy, sw, sh, bd, 4, n_top=w + sw, n_left=h + sh)
        pred = predict_from_refs(refs, sw, sh, mode, 0, bd, isp_cu=(w, h))
        o = org[sy:sy + sh, sx:sx + sw]
        coef = forward_dct2(o - pred, bd)
        if lfnst_idx:
            coef = forward_lfnst(coef, lf_mode, lfnst_idx)
        lv = quantise(coef, qp, bd, 0, lam, rd, enc.dq_ctx, enc.sdh)
        if last and infer and not lv.any():
            lv = np.zeros_like(lv)
            lv[0, 0] = 1 if coef[0, 0] >= 0 else -1
        cbf = 1 if lv.any() else 0
        if cbf:
            out = reconstruct(lv, pred, qp, bd, (lf_mode, lfnst_idx) if lfnst_idx else None, enc.dq)
        else:
            out = pred
        levels.append(lv if cbf else None)
        if not last or not infer:
            est.bin(C.TU_Y + 2 + prev, cbf)
            prev = cbf
        infer = infer and not cbf
        if cbf:
            code_residual(est, lv, 0, enc.sdh, enc.dq)
        d = (o - out).astype(np.int64)
        dist += int((d * d).sum())
        rec[sy:sy + sh, sx:sx + sw] = out
        av[sy // 4:(sy + sh) // 4, sx // 4:(sx + sw) // 4] = True
        if dist + lam * est.bits >= bound:
            ctx.restore(snap)
            return None
    ctx.restore(snap)
    return levels, dist, dist + lam * est.bits


# the regular coding's non-zero luma levels below which ISP is not tried (it hardly ever wins there)
MIN_NONZERO = 2
# stage 1 trials (no RDOQ) go on to the RDOQ trial when within this factor of the regular cost (RDOQ'd)
RDOQ_MARGIN = 1.03


def choose_isp(enc, x: int, y: int, w: int, h: int, ctx, mode: int, mpm: tuple[int, ...], lv_y: list,
               dist: int, rd, forced_lfnst: int = 0) -> tuple[int, list, int, int]:
    """The ISP decision of one CU (ISP enabled, isp_signalled(w, h)), after its regular luma coding
    (levels ``lv_y``, SSD ``dist``, reconstruction in place) with ``mode``: returns (split, luma
    levels, luma SSD, lfnst_idx of the ISP coding) of the cheapest option and leaves its
    reconstruction in place. The test hook
    enc.forced.isp() fixes the split where the split is allowed; a forced split is coded with
    ``forced_lfnst`` (the test hook's lfnst_idx; the search itself codes ISP CUs without LFNST).

    Search (informative): skipped when the regular coding has fewer than MIN_NONZERO non-zero luma
    levels; only the split that wins most often with the mode is tried (both for planar and DC; on
    the face crop of benchmarks/vvc_presets.py this kept the gain and cut ISP's extra CPU time by
    about two thirds; both splits in slow measured +0.2% luma BD-rate for 1.15x CPU on the face
    crop, experiment script, medium at depth 2), if allowed, each coded with plain quantisation
    (stopped once its cost passes the best so far); with RDOQ (``rd``), the cheapest split within
    RDOQ_MARGIN of the regular cost is coded again with RDOQ and kept only if cheaper than the
    regular coding."""
    forced = enc.forced.isp(x, y, w, h) if enc.forced else None
    if forced is not None and forced != ISP_NO_SPLIT and not isp_allowed(w, h, forced, enc.max_tb):
        forced = None
    if forced == ISP_NO_SPLIT:
        return ISP_NO_SPLIT, lv_y, dist, 0
    ys, xs = slice(y, y + h), slice(x, x + w)
    ays, axs = slice(y // 4, (y + h) // 4), slice(x // 4, (x + w) // 4)

    def keep(t, s):
        return (t[2], s, t[0], t[1], (enc.rec[0][ys, xs].copy(), enc.avail[0][ays, axs].copy()))

    if forced is not None:
        t = isp_trial(enc, x, y, w, h, forced, mode, mpm, ctx, rd, lfnst_idx=forced_lfnst)
        return forced, t[0], t[1], forced_lfnst
    if sum(int(np.count_nonzero(lv)) for lv in lv_y if lv is not None) < MIN_NONZERO:
        return ISP_NO_SPLIT, lv_y, dist, 0
    # the split that wins most often: rows (horizontal) for modes 2..33, columns for 34..66
    likely = (ISP_HOR_SPLIT,) if 2 <= mode < 34 else (ISP_VER_SPLIT,) if mode >= 34 else (ISP_HOR_SPLIT, ISP_VER_SPLIT)
    splits = [s for s in likely if isp_allowed(w, h, s)]
    if not splits:
        return ISP_NO_SPLIT, lv_y, dist, 0
    # D + lambda R of the regular luma coding, R with intra_subpartitions_mode_flag = 0
    regular = (dist + enc.lam * enc._luma_bits(ctx, mode, mpm, lv_y, 0, False, w, h, isp_flag=True), ISP_NO_SPLIT,
               lv_y, dist,
               (enc.rec[0][ys, xs].copy(), enc.avail[0][ays, axs].copy()))
    margin = 1.0 if rd is None else RDOQ_MARGIN
    best = None
    for s in splits:
        bound = regular[0] * margin if best is None else min(best[0], regular[0] * margin)
        t = isp_trial(enc, x, y, w, h, s, mode, mpm, ctx, None, bound)
        if t is not None:
            best = keep(t, s)
    if best is not None and rd is not None:
        t = isp_trial(enc, x, y, w, h, best[1], mode, mpm, ctx, rd, regular[0])
        best = None if t is None else keep(t, best[1])
    _, split, levels, d, (r, a) = regular if best is None or best[0] >= regular[0] else best
    enc.rec[0][ys, xs], enc.avail[0][ays, axs] = r, a
    return split, levels, d, 0
