"""Multiple reference lines (MRL) of the SSGC VVC intra encoder: the syntax element
intra_luma_ref_idx (H.266 §7.3.11.5, semantics §7.4.12.5) and the encoder's choice of a farther
reference line (informative).

Syntax: with sps_mrl_enabled_flag = 1, every intra CU that does not start on its CTU's top row
((y0 % CtbSizeY) > 0) codes intra_luma_ref_idx first among its luma-mode syntax elements,
truncated unary with cMax 2, bin 0 with ctxInc 0 and bin 1 with ctxInc 1 (§9.3.4.2, Table 132;
initValue 25 and 60, shiftIdx 5 and 8 for I slices); the value is IntraLumaRefLineIdx
(0, 1, 2: Table 16 of the 2020 edition; FFmpeg's and VVdeC's decoders use the value as the line
index too). With a value above 0, intra_subpartitions_mode_flag, intra_luma_mpm_flag and
intra_luma_not_planar_flag are absent (no ISP, mpm_flag and not_planar_flag inferred 1), so the
luma mode is candModeList[intra_luma_mpm_idx], never planar. lfnst_idx keeps its usual condition.
The prediction (intra_pred.py, ``ReferenceSamples.ref_idx``) reads line refIdx, without smoothing,
Gaussian interpolation or PDPC; chroma always uses line 0.

Search (informative, choose_mrl()): after the regular luma mode decision of a CU and its ISP
decision, where ISP did not win (ISP's gain is larger where it applies), the 10
candidates candModeList[0..4] x lines 1 and 2 are predicted exactly on the CU's first transform
block and ranked by SATD + sqrt(lambda) * their bits (MPM index and intra_luma_ref_idx); those
within MRL_SATD_RATIO of the chosen regular mode's own SATD cost, the best mrl_rd (presets.py) of them,
are coded (the mode trials' quantisation) and compared by D + lambda * R with the regular coding;
the winner also tries LFNST like a regular mode and, in a preset that codes its chosen modes with
RDOQ ("medium", "slow"), is kept only if it also wins with RDOQ (the coding the stream will carry).
"""

from __future__ import annotations

import numpy as np

from . import contexts as C
from .cabac import RateEstimator
from .intra_pred import predict_from_refs, reference_samples
from .mode_decision import satd

MAX_REF_IDX = 2  # intra_luma_ref_idx cMax
# an MRL candidate is RD-tested only when its SATD cost is within this factor of the regular mode's
MRL_SATD_RATIO = 1.0


def mrl_signalled(y0: int, ctb_size: int) -> bool:
    """Whether coding_unit() carries intra_luma_ref_idx (MRL enabled): not on the CTU's top row."""
    return y0 % ctb_size > 0


def write_ref_idx(sink, ref_idx: int) -> None:
    """intra_luma_ref_idx: TR, cMax 2, ctxInc 0 and 1."""
    if not 0 <= ref_idx <= MAX_REF_IDX:
        raise ValueError(f"intra_luma_ref_idx {ref_idx} outside 0..{MAX_REF_IDX}")
    sink.bin(C.REF_IDX, 1 if ref_idx else 0)
    if ref_idx:
        sink.bin(C.REF_IDX + 1, 1 if ref_idx == 2 else 0)


def _ref_idx_bits(ctx) -> list[float]:
    """Estimated bits of intra_luma_ref_idx 0, 1, 2 in the current context states."""
    out = []
    for r in range(MAX_REF_IDX + 1):
        snap = ctx.snapshot()
        est = RateEstimator(ctx)
        write_ref_idx(est, r)
        ctx.restore(snap)
        out.append(est.bits)
    return out


def choose_mrl(enc, n, tbs, mpm: tuple[int, ...], ctx, memo: dict, mode: int, cost: float | None,
               lf_on: bool, lfnst_idx: int = 0, forced_mode: bool = False) -> tuple[int, int, int] | None:
    """The MRL decision of a CU whose intra_luma_ref_idx is coded, after its regular luma decision
    of the CU ``n`` (a partition.Node) with transform blocks ``tbs`` (``mode``, its cost
    D + lambda R without intra_luma_ref_idx or None when not measured, its ``lfnst_idx``):
    (intra_luma_ref_idx > 0, luma mode, lfnst_idx) when a farther line wins, else None (the
    regular coding, intra_luma_ref_idx 0). The test hook enc.forced.ref_idx() / mpm_idx() fixes
    the line and the MPM index; ``forced_mode``: the hook fixed the luma mode (line 0 then, unless
    the line is fixed too). Nothing in the picture state changes."""
    x, y, w, h = n.x, n.y, n.w, n.h
    fr = enc.forced.ref_idx(x, y, w, h) if enc.forced else None
    if fr is not None:
        if fr not in (0, 1, 2):
            raise ValueError(f"forced intra_luma_ref_idx {fr!r} is not 0, 1 or 2")
        if fr == 0:
            return None
        fi = enc.forced.mpm_idx(x, y, w, h)
        if fi is not None:
            if fi not in range(5):
                raise ValueError(f"forced MPM index {fi!r} is not 0..4")
            lf = (enc.forced.lfnst_idx(x, y, w, h) or 0) if lf_on else 0
            return fr, mpm[fi], lf
        lines = (fr,)
    elif forced_mode:
        return None
    else:
        n_rd = enc.mrl_rd  # the preset's (presets.py)
        if not n_rd:
            return None
        lines = (1, 2)
    bd, lam = enc.bd, enc.lam
    tx, ty, tw, th = tbs[0]
    org = enc.org[0][ty:ty + th, tx:tx + tw]
    rbits = _ref_idx_bits(ctx)
    cands, preds, bits = [], [], []
    for r in lines:
        refs = reference_samples(enc.rec[0], enc.avail[0], tx, ty, tw, th, bd, 4, ref_idx=r)
        if len(tbs) == 1:
            memo[("refs", 0, r)] = refs
        for i, m in enumerate(mpm):
            cands.append((r, m))
            preds.append(predict_from_refs(refs, tw, th, m, 0, bd))
            bits.append(rbits[r] + min(i + 1, 4))
    sat = satd(org[None].astype(np.int64) - np.stack(preds)) + enc.sqrt_lam * np.asarray(bits)
    order = np.argsort(sat, kind="stable")
    if fr is None:
        # the regular mode on the same measure (exact prediction, its mode bits)
        refs0 = memo.get(("refs", 0)) if len(tbs) == 1 else None
        if refs0 is None:
            refs0 = reference_samples(enc.rec[0], enc.avail[0], tx, ty, tw, th, bd, 4)
        p0 = predict_from_refs(refs0, tw, th, mode, 0, bd)
        s0 = float(satd(org[None].astype(np.int64) - p0[None])[0])
        s0 += enc.sqrt_lam * (rbits[0] + enc._mode_bits(mpm)[mode])
        order = [k for k in order[:n_rd] if sat[k] <= MRL_SATD_RATIO * s0]
        if not order:
            return None
        if cost is None:
            (lvs,), d = enc._trial((0,), tbs, mode, None, keep=False, memo=memo)
            cost = d + lam * enc._luma_bits(ctx, mode, mpm, lvs, 0, lf_on, w, h)
        best = (cost + lam * rbits[0], 0, mode, None)
    else:
        best = None
    for k in order:
        r, m = cands[k]
        (lvs,), d = enc._trial((0,), tbs, m, None, keep=False, memo=memo, ref_idx=r)
        j = d + lam * enc._luma_bits(ctx, m, mpm, lvs, 0, lf_on, w, h, ref_idx=r)
        if best is None or j < best[0]:
            best = (j, r, m, (j, any(lv is not None for lv in lvs)))
    if best[1] == 0:
        return None
    j, r, m, zero = best
    lf = 0
    if lf_on:
        _, lf = enc._lfnst_choice(n, tbs, m, mpm, ctx, memo, zero, ref_idx=r)
    if fr is None and enc.rdoq_final:
        # the preset codes the chosen mode with RDOQ: the farther line must win there too
        def final(m_, lf_, r_):
            (lvs_,), d_ = enc._trial((0,), tbs, m_, ctx, keep=False, memo=memo, lfnst=lf_, ref_idx=r_)
            return d_ + lam * enc._luma_bits(ctx, m_, mpm, lvs_, lf_, lf_on, w, h, ref_idx=r_)
        if final(m, lf, r) >= final(mode, lfnst_idx, 0):
            return None
    return r, m, lf
