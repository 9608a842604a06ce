"""The picture loop of the SSGC VVC intra encoder: CTUs, coding-tree and mode decisions (informative),
reconstruction mirrored exactly on the decoder's processes (normative in H.266), and the final
Annex-B stream (VPS-less: SPS, PPS, one IDR_N_LP slice with the picture header inside).

Decisions (non-normative): per CU, all 67 luma modes are ranked by the SATD of an approximate
prediction (mode_decision.py) plus sqrt(lambda) * mode bits; the best few are compared by the
rate-distortion cost D + lambda * R with the exact prediction and R estimated from the CABAC context
states; chroma: DM plus the best of planar/vertical/horizontal/DC likewise; the coding tree by the
same cost (tree_search.py): quad-tree only in "fast" (CTU 32), quad-tree plus binary and ternary
splits (multi-type tree) of depth 1 in "medium" and 2 in "slow" (CTU 64; with the 64-point
transforms, tb64, on in both, a CU up to 64x64 is one TU and binary splits reach 64x64 blocks in
both, without them CUs above 32 samples on a side are split into 32-sample TUs); LFNST (lfnst.py,
every preset): in a CU of one TU, lfnst_idx 1 and 2 are tried on the best luma mode ("fast"),
also on the runner-up when its cost is within 10% ("medium"), on every compared mode ("slow"), on
a mode that leaves a luma residual, and kept by the same cost (a choice that the CU's final
residuals do not let the stream carry falls back to 0);
RDOQ (rdoq.py) on the chosen modes ("medium") or in every trial ("slow"); with dependent
quantisation (``dep_quant=True``, dep_quant.py) a four-state trellis replaces both the plain
quantiser and RDOQ everywhere (the RDOQ codings with two trellis passes); intra sub-partitions
(isp.py, "medium"/"slow") tried with the chosen luma mode on CUs up to 32x32 (an ISP CU has
lfnst_idx 0); multiple reference lines (mrl.py, "medium"/"slow" with mrl=True): below a
CTU's top row, the MPM candidates on reference lines 1 and 2 ranked by SATD, the best few compared
with the chosen regular mode by the same cost, on CUs where ISP did not win (a CU on a farther line
has no ISP); matrix-based intra prediction (mip.py, every preset): the MIP modes of the CU in both
transpositions, predicted exactly, ranked by SATD + sqrt(lambda) * their bits on the scale of the
regular modes' ranking, the best MIP_RD[preset] within its limit join the RD comparison (a MIP CU
then tries LFNST where Min(W, H) >= 16, and no ISP or farther reference line). In "medium", a block
coded a second time (reached through another split path) reuses the mode candidates of its first
coding instead of ranking the 67 modes again. Sample adaptive offset (sao.py, every preset) is
decided per CTU once the whole picture is coded and deblocked.
lambda = 0.57 * 2^((QP - 12) / 3) * 4^(bitDepth - 8) (the HM/VTM intra choice, SSD at bitDepth).
With ``deblocking=True`` the PPS enables the deblocking filter and the returned reconstruction is the
deblocked picture (deblocking.py); decisions ignore the filter (intra prediction reads unfiltered
samples, so there is no drift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .bitwriter import BitWriter
from .cabac import CabacWriter, ContextStates, RateEstimator
from .contexts import TU_Y
from .deblocking import deblock
from .intra_pred import predict_from_refs, reference_samples
from .lfnst import forward_lfnst, inverse_lfnst, lfnst_pred_mode, lfnst_signalled, write_lfnst_idx
from .isp import ISP_NO_SPLIT, choose_isp, isp_signalled, isp_trial, isp_tus, sub_partitions, write_isp_flags
from .mip import (MIP_BASE, MIP_RD, forced_mip_code, mip_candidates, mip_decode, mip_flag_ctx, mip_predict,
                  write_mip)
from .mode_decision import approx_satd_all, approx_satd_modes
from .mrl import choose_mrl, mrl_signalled, write_ref_idx
from .nal import IDR_N_LP, PPS_NUT, SPS_NUT, annexb, nal_unit
from .parameter_sets import PictureParams, pps_rbsp, slice_header, sps_rbsp
from .quant import chroma_qp, dequantize, quantize
from .rdoq import rdoq
from .dep_quant import dq_dequantize, dq_quantize
from .sao import OFF as SAO_OFF, apply_sao, decide as sao_decide, write_sao
from .sign_hiding import hide_signs
from .forced import Forced
from .partition import Neighbours, Node, PartitionLimits
from .residual_coding import code_residual
from .syntax import (CHROMA_DM, CodingUnit, chroma_mode, mpm_list, transform_blocks, write_chroma_mode,
                     write_coding_unit, write_luma_mode)
from .transform import forward_dct2, inverse_dct2
from .tree_search import MIN_CB, TreeSearch

_PRESETS = {
    # name: (luma modes compared by RD cost, their approximate-SATD cost limit relative to the
    # best, chroma modes compared by RD cost, default CTU size, MaxMttDepth (0 = quad-tree only),
    # MaxBtSizeY, how many of the best luma modes try LFNST and the cost limit of a runner-up for
    # it relative to the best mode, both without LFNST)
    "fast": (1, 1.0, 1, 32, 0, 32, 1, 1.0),
    # medium: multi-type depth 1, not 2: with LFNST and ISP, depth 2 took 1.6-2.2x depth 1's CPU for
    # 0.2-3.3% luma BD-rate (benchmarks/vvc_presets.py, configs medium-mtt2 / medium)
    "medium": (3, 1.25, 2, 64, 1, 32, 2, 1.1),
    "slow": (6, 10.0, 5, 64, 2, 64, 6, math.inf),
}
# MaxBtSizeY with the 64-point transforms (CTU 64): binary splits of 64x64 blocks give 64x32 / 32x64 CUs
# of one TU
_MAX_BT_TB64 = 64

# the tools each preset switches on when encode_picture's lfnst / isp / tb64 / sign_hiding / sao / mrl / mip
# are None (tb64 needs CTU 64: off whatever this says when the CTU is 32); sign data hiding is off: with
# this encoder's parity fix it does not pay (benchmarks/vvc_presets.py, configs medium-sdh / fast-sdh);
# MRL is off: on, it changed luma BD-rate by -0.6..+0.4% (mean about 0) in medium for 0-24% more CPU,
# by -0.2..+0.1% in slow for 15-22% (configs medium-mrl / slow-mrl, measured before tb64 and SAO);
# dependent quantisation is off: in medium it changed luma BD-rate by -1.5..-0.5% for 2.0-2.65x the
# CPU time, in fast by -4.7..-2.1% for 1.7-2.1x (configs medium-dq / fast-dq on astronaut, coffee,
# chelsea and the 200x200 face crop)
# MIP is on in medium: -0.9 / 0.0 / -3.7 / -0.1% luma BD-rate on astronaut / coffee / chelsea / the
# 200x200 face crop for 1.02-1.34x CPU (configs medium-mip / medium), and in fast: -1.8 / -2.8 / -4.4 /
# -1.9% for 1.04-1.50x (fast-mip / fast), and in slow: -3.4 / -1.7% on chelsea / the face crop (the
# only images measured) for 1.05-1.20x (slow-mip / slow)
_TOOL_DEFAULTS = {"fast": {"lfnst": True, "isp": False, "tb64": False, "sign_hiding": False, "sao": True,
                           "mrl": False, "dep_quant": False, "mip": True},
                  "medium": {"lfnst": True, "isp": True, "tb64": True, "sign_hiding": False, "sao": True,
                             "mrl": False, "dep_quant": False, "mip": True},
                  "slow": {"lfnst": True, "isp": True, "tb64": True, "sign_hiding": False, "sao": True,
                           "mrl": False, "dep_quant": False, "mip": True}}


@dataclass(frozen=True)
class EncodeResult:
    """An encoded picture: the Annex-B stream and the decoder's reconstruction (cropped planes)."""

    data: bytes
    recon: tuple[np.ndarray, np.ndarray, np.ndarray]
    qp: int
    bit_depth: int


def _code_block(coef: np.ndarray, pred: np.ndarray, qp: int, bd: int, rd=None, lfnst=None,
                sdh_lam: float | None = None, dq=None):
    """Quantise (RDOQ when ``rd`` = (c_idx, lambda, context states)) the transformed residual
    ``coef`` of one block predicted by ``pred`` and reconstruct it: (levels or None, reconstruction
    int32). ``lfnst`` = (predModeIntra, lfnst_idx): ``coef`` holds LFNST coefficients, inverted
    between the scaling and the DCT-II as the decoder does. ``sdh_lam``: sign data hiding is on,
    the levels get its parity (sign_hiding.hide_signs, with this lambda). ``dq`` = (c_idx, lambda,
    context states): dependent quantisation is on, the levels are the trellis' (dep_quant.py) with
    the rates of ``rd``'s context states, or of these when ``rd`` is None."""
    if dq is not None:
        # the RDOQ codings (a preset's final ones) with a second trellis pass
        lv = dq_quantize(coef, qp, bd, dq[0], dq[1], dq[2] if rd is None else rd[2], 1 if rd is None else 2)
    else:
        lv = quantize(coef, qp, bd) if rd is None else rdoq(coef, qp, bd, rd[0], rd[1], rd[2])
    if not lv.any():
        return None, pred
    if sdh_lam is not None:
        lv = hide_signs(lv, coef, qp, bd, sdh_lam)
    d = dq_dequantize(lv, qp, bd) if dq is not None else dequantize(lv, qp, bd)
    if lfnst is not None:
        d = inverse_lfnst(d, lfnst[0], lfnst[1])
    r = inverse_dct2(d, bd)
    return lv, np.minimum(np.maximum(pred + r, 0), (1 << bd) - 1).astype(np.int32)


def _ssd(a: np.ndarray, b: np.ndarray) -> int:
    d = (a - b).astype(np.int64)
    return int((d * d).sum())


class _PictureEncoder(TreeSearch):
    def __init__(self, planes, qp: int, bd: int, preset: str, forced: Forced | None, deblocking: bool = False,
                 ctu: int = 32, max_mtt_depth: int | None = None, lfnst: bool = False,
                 isp: bool = False, tb64: bool = False, sign_hiding: bool = False, sao: bool = False,
                 mrl: bool = False, dep_quant: bool = False, mip: bool = False):
        self.bd = bd
        self.mip = mip  # sps_mip_enabled_flag and the MIP search (mip.py)
        self._mip_inc = 0  # ctxInc of intra_mip_flag of the CU being decided
        self.max_tb = 64 if tb64 else 32  # MaxTbSizeY
        self.lfnst = lfnst
        self.isp = isp
        self.sdh = sign_hiding
        if sign_hiding and dep_quant:
            raise ValueError("sign data hiding and dependent quantisation exclude each other")
        self.dq = dep_quant
        # dependent quantisation: the trellis' rates in trials without RDOQ context states (fixed:
        # the slice's initial states)
        self.dq_ctx = ContextStates(qp) if dep_quant else None
        self.sao = sao
        self.sao_grid: list | None = None  # per CTU SAO parameters once decided (sao.decide)
        self._deblocked: list[np.ndarray] | None = None
        self.mrl = mrl
        self.ctu = ctu
        self.deblocking = deblocking
        self.qp = qp
        self.qpc = (chroma_qp(qp, 1, bd), chroma_qp(qp, 2, bd))
        self.forced = forced
        self.preset = preset
        (self.n_rd, self.prune_ratio, self.n_rd_chroma, _, mtt, max_bt, self.lfnst_modes,
         self.lfnst_ratio) = _PRESETS[preset]
        self.chroma_cands = (CHROMA_DM, 0, 1, 2, 3)
        self.early_skip = preset != "slow"
        # _luma_level_sum up to which a leaf ends the descent (early_skip presets): 1 = a lone DC +-1
        self.skip_levels = 1 if preset == "medium" else 0
        self.rdoq_all = preset == "slow"  # RDOQ inside every mode trial
        self.rdoq_final = preset == "medium"  # RDOQ on the chosen modes only
        # medium: a block coded again (same place and size, reached through another split path)
        # compares by RD cost the luma (and, same luma mode, chroma) candidates of its first coding
        # instead of ranking the modes again by approximate SATD around its new neighbours
        self.reuse_modes = preset == "medium"
        self.revisit: dict[tuple[int, int, int, int], tuple[list[int], list[int], int]] = {}
        self.lam = 0.57 * 2.0 ** ((qp - 12) / 3.0) * 4.0 ** (bd - 8)
        self.sqrt_lam = self.lam ** 0.5
        y, cb, cr = planes
        self.h, self.w = y.shape
        self.H = -(-self.h // MIN_CB) * MIN_CB
        self.W = -(-self.w // MIN_CB) * MIN_CB
        if tb64:
            max_bt = max(max_bt, _MAX_BT_TB64)
        self.lim = PartitionLimits(self.W, self.H, mtt if max_mtt_depth is None else max_mtt_depth,
                                   min(max_bt, ctu), min(32, ctu))
        self.org = [self._pad(y, self.H, self.W), self._pad(cb, self.H // 2, self.W // 2),
                    self._pad(cr, self.H // 2, self.W // 2)]
        self.rec = [np.zeros_like(p) for p in self.org]
        g = (self.H // 4, self.W // 4)
        self.avail = [np.zeros(g, dtype=bool), np.zeros(g, dtype=bool)]  # luma (unit 4), chroma (unit 2)
        m = (self.H // MIN_CB, self.W // MIN_CB)
        # per 8x8 luma unit, of the CU covering it: luma mode, CbWidth, CbHeight, CqtDepth
        self.mode_map = np.zeros(m, dtype=np.int16)
        self.cbw_map = np.zeros(m, dtype=np.int16)
        self.cbh_map = np.zeros(m, dtype=np.int16)
        self.cqt_map = np.zeros(m, dtype=np.int16)
        self.mip_map = np.zeros(m, dtype=bool)  # intra_mip_flag of the CU covering the unit

    @staticmethod
    def _pad(p: np.ndarray, h: int, w: int) -> np.ndarray:
        p = np.asarray(p, dtype=np.int32)
        return np.pad(p, ((0, h - p.shape[0]), (0, w - p.shape[1])), mode="edge")

    # -- state save / restore for RD trials --------------------------------------------------
    def _save(self, x: int, y: int, w: int, h: int):
        ys, xs = slice(y, y + h), slice(x, x + w)
        cys, cxs = slice(y // 2, (y + h) // 2), slice(x // 2, (x + w) // 2)
        ays, axs = slice(y // 4, (y + h) // 4), slice(x // 4, (x + w) // 4)
        mys, mxs = slice(y // 8, (y + h) // 8), slice(x // 8, (x + w) // 8)
        return (self.rec[0][ys, xs].copy(), self.rec[1][cys, cxs].copy(), self.rec[2][cys, cxs].copy(),
                self.avail[0][ays, axs].copy(), self.avail[1][ays, axs].copy(),
                self.mode_map[mys, mxs].copy(), self.cbw_map[mys, mxs].copy(), self.cbh_map[mys, mxs].copy(),
                self.cqt_map[mys, mxs].copy(), self.mip_map[mys, mxs].copy())

    def _restore(self, x: int, y: int, w: int, h: int, st) -> None:
        ys, xs = slice(y, y + h), slice(x, x + w)
        cys, cxs = slice(y // 2, (y + h) // 2), slice(x // 2, (x + w) // 2)
        ays, axs = slice(y // 4, (y + h) // 4), slice(x // 4, (x + w) // 4)
        mys, mxs = slice(y // 8, (y + h) // 8), slice(x // 8, (x + w) // 8)
        self.rec[0][ys, xs], self.rec[1][cys, cxs], self.rec[2][cys, cxs] = st[0], st[1], st[2]
        self.avail[0][ays, axs], self.avail[1][ays, axs] = st[3], st[4]
        self.mode_map[mys, mxs], self.cbw_map[mys, mxs], self.cbh_map[mys, mxs] = st[5], st[6], st[7]
        self.cqt_map[mys, mxs] = st[8]
        self.mip_map[mys, mxs] = st[9]

    def _restore_empty(self, x: int, y: int, w: int, h: int) -> None:
        self.avail[0][y // 4:(y + h) // 4, x // 4:(x + w) // 4] = False
        self.avail[1][y // 4:(y + h) // 4, x // 4:(x + w) // 4] = False

    # -- neighbourhood-derived syntax contexts -----------------------------------------------
    def neighbours(self, x: int, y: int) -> Neighbours:
        """The left (x-1, y) and above (x, y-1) CUs' CbHeight / CbWidth / CqtDepth."""
        lh = lq = aw = aq = None
        if x > 0:
            lh, lq = int(self.cbh_map[y // 8, (x - 1) // 8]), int(self.cqt_map[y // 8, (x - 1) // 8])
        if y > 0:
            aw, aq = int(self.cbw_map[(y - 1) // 8, x // 8]), int(self.cqt_map[(y - 1) // 8, x // 8])
        return Neighbours(lh, lq or 0, aw, aq or 0)

    def mpm(self, x: int, y: int, w: int, h: int) -> tuple[int, ...]:
        a = int(self.mode_map[(y + h - 1) // 8, (x - 1) // 8]) if x > 0 else 0
        b = int(self.mode_map[(y - 1) // 8, (x + w - 1) // 8]) if y % self.ctu else 0
        return mpm_list(a, b)

    # -- one CU --------------------------------------------------------------------------------
    def _luma_candidates(self, refs, org, w, h, mpm) -> list[int]:
        """Up to n_rd luma modes with the lowest approximate SATD + sqrt(lambda) * mode bits (those
        within a factor prune_ratio of the best)."""
        cost = approx_satd_all(refs, org, w, h) + self.sqrt_lam * self._mode_bits(mpm)
        order = np.argsort(cost, kind="stable")[: self.n_rd]
        lim = cost[order[0]] * self.prune_ratio
        out = [int(m) for m in order if cost[m] <= lim]
        if self.mip:
            out += mip_candidates(refs, org, w, h, self.bd, self.sqrt_lam, MIP_RD.get(self.preset, 0), lim)
        return out

    def _mode_bits(self, mpm) -> np.ndarray:
        bits = np.full(67, 6.9)
        bits[0] = 2.0
        for i, m in enumerate(mpm):
            bits[m] = 2.0 + min(i + 1, 4)
        return bits

    def _chroma_candidates(self, crefs, corg, cw, ch, luma_mode) -> list[int]:
        """intra_chroma_pred_mode values to try: DM plus the other ones whose approximate SATD beats
        DM's, best first, n_rd_chroma in all."""
        if self.n_rd_chroma <= 1:
            return [CHROMA_DM]
        idxs = [CHROMA_DM] + [i for i in self.chroma_cands if i != CHROMA_DM]
        modes = [chroma_mode(i, luma_mode) for i in idxs]
        cost = (approx_satd_modes(crefs[0], corg[0], cw, ch, modes)
                + approx_satd_modes(crefs[1], corg[1], cw, ch, modes))
        better = [k for k in np.argsort(cost[1:], kind="stable") + 1 if cost[k] < cost[0]]
        return [CHROMA_DM] + [idxs[k] for k in better[: self.n_rd_chroma - 1]]

    def _trial(self, comps: tuple[int, ...], tbs, mode: int, rd, keep: bool, memo: dict | None = None,
               lfnst: int = 0, ref_idx: int = 0):
        """Predict, code and reconstruct the transform blocks ``tbs`` [(x, y, w, h)] of the planes
        ``comps`` (luma, or Cb and Cr) in decoding order with intra mode ``mode``. Later blocks
        predict from earlier ones, so the reconstruction is written as it goes; ``keep`` = False
        restores the planes afterwards. Returns ([[levels or None per block] per comp], distortion).

        ``memo`` (one transform block only): the CU's trials share it; it holds the reference
        samples (key ("refs", comp)) and each (comp, mode)'s prediction and transformed residual,
        which do not depend on the other trials as long as the block's neighbourhood is unchanged.
        ``lfnst`` > 0: the luma blocks go through that LFNST candidate; ``ref_idx`` > 0: luma
        predicts from that reference line (memo keys get it appended)."""
        bd = self.bd
        if len(tbs) != 1:
            memo = None
        unit = 4 if comps[0] == 0 else 2
        av = self.avail[0 if comps[0] == 0 else 1]
        saved = []
        levels: list[list] = [[] for _ in comps]
        dist = 0
        for tx, ty, tw, th in tbs:
            if not keep:
                saved.append((tx, ty, tw, th, [self.rec[k][ty:ty + th, tx:tx + tw].copy() for k in comps],
                              av[ty // unit:(ty + th) // unit, tx // unit:(tx + tw) // unit].copy()))
            for i, k in enumerate(comps):
                qp = self.qp if k == 0 else self.qpc[k - 1]
                org = self.org[k][ty:ty + th, tx:tx + tw]
                line = ref_idx if k == 0 else 0
                key = (k, mode) if not line else (k, mode, line)
                hit = None if memo is None else memo.get(key)
                if hit is None:
                    refs = None if memo is None else memo.get(("refs", k) if not line else ("refs", k, line))
                    if refs is None:
                        refs = reference_samples(self.rec[k], av, tx, ty, tw, th, bd, unit, ref_idx=line)
                    mip = mip_decode(mode) if k == 0 else None
                    if mip is not None:
                        pred = mip_predict(refs.top, refs.left, tw, th, mip[0], mip[1], bd)
                    else:
                        pred = predict_from_refs(refs, tw, th, mode, k, bd)
                    coef = forward_dct2(org - pred, bd)
                    if memo is not None:
                        memo[key] = (pred, coef)
                else:
                    pred, coef = hit
                lf = None
                if lfnst and k == 0:
                    # a MIP CU's LFNST reads PLANAR
                    lf = (lfnst_pred_mode(0 if mode >= MIP_BASE else mode, tw, th), lfnst)
                    coef = forward_lfnst(coef, lf[0], lfnst)
                lv, rec = _code_block(coef, pred, qp, bd, None if rd is None else (k, self.lam, rd), lf,
                                      self.lam if self.sdh else None, self.dq_args(k))
                levels[i].append(lv)
                dist += _ssd(org, rec)
                self.rec[k][ty:ty + th, tx:tx + tw] = rec
            av[ty // unit:(ty + th) // unit, tx // unit:(tx + tw) // unit] = True
        for tx, ty, tw, th, old, oldav in reversed(saved):
            for k, o in zip(comps, old):
                self.rec[k][ty:ty + th, tx:tx + tw] = o
            av[ty // unit:(ty + th) // unit, tx // unit:(tx + tw) // unit] = oldav
        return levels, dist

    def code_cu(self, n: Node, ctx: ContextStates, budget: float = math.inf) -> tuple[CodingUnit | None, int]:
        """Decide and reconstruct one CU (its TUs of at most 32x32); returns it and its distortion
        (luma + chroma SSD). ``budget``: the caller drops the CU when its distortion exceeds it
        (rate >= 0), so once the luma distortion alone does, (None, luma distortion) is returned
        without the chroma decisions (the state is left half-coded; the caller restores it)."""
        bd = self.bd
        x, y, w, h = n.x, n.y, n.w, n.h
        mpm = self.mpm(x, y, w, h)
        tbs = transform_blocks(x, y, w, h, self.max_tb)
        ctbs = [(tx // 2, ty // 2, tw // 2, th // 2) for tx, ty, tw, th in tbs]
        fm = self.forced.luma_mode(x, y, w) if self.forced else None
        fmip = self.forced.mip(x, y, w, h) if self.forced and self.mip else None
        if fmip is not None:
            fm = forced_mip_code(fmip, w, h)
        if self.mip:
            self._mip_inc = mip_flag_ctx(w, h, x > 0 and bool(self.mip_map[y // 8, (x - 1) // 8]),
                                         y > 0 and bool(self.mip_map[(y - 1) // 8, x // 8]))
        memo: dict = {}
        prev = self.revisit.get((x, y, w, h)) if self.reuse_modes else None
        if fm is not None:
            cands = [fm]
        else:
            refs = reference_samples(self.rec[0], self.avail[0], x, y, w, h, bd, 4)
            memo[("refs", 0)] = refs
            if prev is None:
                cands = self._luma_candidates(refs, self.org[0][y:y + h, x:x + w], w, h, mpm)
            else:
                cands = prev[0]
        lf_on = self.lfnst and max(w, h) <= self.max_tb  # a CU of several TUs never carries lfnst_idx
        best = None
        tried: dict = {}  # mode: (cost, any luma level) of its lfnst_idx-0 trial
        if len(cands) > 1:
            for m in cands:
                (lvs,), d = self._trial((0,), tbs, m, ctx if self.rdoq_all else None, keep=False, memo=memo)
                j = d + self.lam * self._luma_bits(ctx, m, mpm, lvs, 0, lf_on, w, h)
                tried[m] = (j, any(lv is not None for lv in lvs))
                if best is None or j < best[0]:
                    best = (j, m)
        mode = cands[0] if best is None else best[1]
        lfnst_idx = 0
        j_reg = tried[mode][0] if mode in tried else None
        if lf_on:
            j_best, lfnst_idx = self._lfnst_choice(n, tbs, mode, mpm, ctx, memo, tried.get(mode))
            # the runners-up of the mode search, with LFNST, may beat the best mode
            for m in sorted(tried, key=lambda m: tried[m][0])[1:self.lfnst_modes]:
                if tried[m][0] > self.lfnst_ratio * tried[mode][0]:
                    break
                j, k = self._lfnst_choice(n, tbs, m, mpm, ctx, memo, tried[m])
                if k and j < j_best:
                    mode, lfnst_idx, j_best = m, k, j
            j_reg = j_best  # 0 when the test hook fixed lfnst_idx: no MRL search then
        rd_final = ctx if (self.rdoq_final or self.rdoq_all) else None
        (lv_y,), dist = self._trial((0,), tbs, mode, rd_final, keep=True, memo=memo, lfnst=lfnst_idx)
        isp = None
        mip = mip_decode(mode)  # a MIP CU has no ISP and no intra_luma_ref_idx
        if self.isp and mip is None and isp_signalled(w, h, self.max_tb):
            f_lf = (self.forced.lfnst_idx(x, y, w, h) or 0) if self.forced and self.lfnst else 0
            # the search codes ISP CUs without LFNST; only the test hook combines them
            isp, lv_y, dist, isp_lfnst = choose_isp(self, x, y, w, h, ctx, mode, mpm, lv_y, dist, rd_final, f_lf)
            if isp:
                lfnst_idx = isp_lfnst
        ref_idx = None  # intra_luma_ref_idx, None = not coded
        if self.mrl and mip is None and mrl_signalled(y, self.ctu):
            ref_idx = 0
            # tried where ISP did not beat the regular coding (ISP wins more where it applies)
            got = None if isp else choose_mrl(self, n, tbs, mpm, ctx, memo, mode, j_reg, lf_on, lfnst_idx,
                                              fm is not None)
            if got is not None:
                ref_idx, mode, lfnst_idx = got
                isp = None  # no ISP syntax after intra_luma_ref_idx > 0
                (lv_y,), dist = self._trial((0,), tbs, mode, rd_final, keep=True, memo=memo, lfnst=lfnst_idx,
                                            ref_idx=ref_idx)
        if dist > budget:
            return None, dist
        ms = (slice(y // 8, (y + h) // 8), slice(x // 8, (x + w) // 8))
        luma_c = mode if mip is None else 0  # neighbours' MPM and the chroma DM read a MIP CU as PLANAR
        self.mode_map[ms] = luma_c
        self.mip_map[ms] = mip is not None
        self.cbw_map[ms] = w
        self.cbh_map[ms] = h
        self.cqt_map[ms] = n.cqt_depth

        cw, ch, xc, yc = w // 2, h // 2, x // 2, y // 2
        fc = self.forced.chroma_idx(x, y, w) if self.forced else None
        if fc is not None:
            ccands = [fc]
        else:
            crefs = [reference_samples(self.rec[k], self.avail[1], xc, yc, cw, ch, bd, 2) for k in (1, 2)]
            memo[("refs", 1)], memo[("refs", 2)] = crefs
            corg = [self.org[k][yc:yc + ch, xc:xc + cw] for k in (1, 2)]
            if prev is None or prev[2] != mode:
                ccands = self._chroma_candidates(crefs, corg, cw, ch, luma_c)
            else:
                ccands = prev[1]
        bestc = None
        seen = set()
        if len(ccands) > 1:
            for idx in ccands:
                cm = chroma_mode(idx, luma_c)
                if cm in seen:
                    continue
                seen.add(cm)
                rd = ctx if self.rdoq_all else None
                (lcb, lcr), dc = self._trial((1, 2), ctbs, cm, rd, keep=False, memo=memo)
                snap = ctx.snapshot()
                est = RateEstimator(ctx)
                write_chroma_mode(est, idx)
                for k, lvs in ((1, lcb), (2, lcr)):
                    for lv in lvs:
                        if lv is not None:
                            code_residual(est, lv, k, self.sdh, self.dq)
                ctx.restore(snap)
                j = dc + self.lam * est.bits
                if bestc is None or j < bestc[0]:
                    bestc = (j, idx)
        cidx = ccands[0] if bestc is None else bestc[1]
        cm = chroma_mode(cidx, luma_c)
        rd = ctx if (self.rdoq_final or self.rdoq_all) else None
        (lcb, lcr), dc = self._trial((1, 2), ctbs, cm, rd, keep=True, memo=memo)
        if lfnst_idx and not (lfnst_signalled(lv_y + lcb + lcr, w, h, isp_split=isp or 0, max_tb=self.max_tb)
                              and (mip is None or min(w, h) >= 16)):
            # the final quantisation or the chroma residual leaves lfnst_idx uncoded (read as 0):
            # luma without the secondary transform (chroma prediction does not read luma)
            lfnst_idx = 0
            if isp:
                lv_y, dist = isp_trial(self, x, y, w, h, isp, mode, mpm, ctx, rd_final)[:2]
            else:
                (lv_y,), dist = self._trial((0,), tbs, mode, rd_final, keep=True, memo=memo,
                                            ref_idx=ref_idx or 0)
        if self.reuse_modes and fm is None and fc is None and prev is None:
            self.revisit[(x, y, w, h)] = (cands, ccands, mode)
        tus = isp_tus(lv_y, lcb, lcr) if isp else list(zip(lv_y, lcb, lcr))
        cu = CodingUnit(x, y, w, h, luma_c, cidx, mpm, tus, lfnst_idx, self.lfnst, isp, max_tb=self.max_tb,
                        sign_hiding=self.sdh, ref_idx=ref_idx, dep_quant=self.dq, mip=mip,
                        mip_ctx=self._mip_inc if self.mip else None)
        return cu, dist + dc

    def dq_args(self, c_idx: int):
        """_code_block's ``dq`` for a block of component ``c_idx``: None without dependent quantisation.
        Every trial uses the trellis: in development, medium-dq of benchmarks/vvc_presets.py with
        plain scalar quantisation in the trials (never the coded levels in medium) measured +3.9% /
        -0.2% luma BD-rate against medium on the face / 96x64 crops, with a one-path greedy choice
        +1.4% / +2.4% at about the same CPU time, with the trellis -1.1% / -2.1%."""
        return None if self.dq_ctx is None else (c_idx, self.lam, self.dq_ctx)

    def _luma_bits(self, ctx: ContextStates, mode: int, mpm, lvs, lfnst_idx: int, lf_on: bool, w: int,
                   h: int, isp_flag: bool = False, ref_idx: int | None = None) -> float:
        """Estimated bits of a luma trial: the mode, tu_y_coded_flags, residuals and lfnst_idx (when
        the luma blocks alone let it be coded; chroma is decided later); ``isp_flag``: also the
        intra_subpartitions_mode_flag = 0 that precedes the mode (the ISP decision's regular option);
        ``ref_idx``: also intra_luma_ref_idx (> 0: the mode as an MRL CU codes it)."""
        snap = ctx.snapshot()
        est = RateEstimator(ctx)
        mip = mip_decode(mode)
        # intra_mip_flag: not in the ISP decision's regular option (isp_trial's ISP options leave it out)
        if self.mip and not isp_flag:
            write_mip(est, self._mip_inc, w, h, mip)
        if mip is None:
            if ref_idx is not None:
                write_ref_idx(est, ref_idx)
            if isp_flag:
                write_isp_flags(est, ISP_NO_SPLIT)
            write_luma_mode(est, mode, mpm, ref_idx=ref_idx or 0)
        for lv in lvs:
            est.bin(TU_Y, 0 if lv is None else 1)
            if lv is not None:
                code_residual(est, lv, 0, self.sdh, self.dq)
        if lf_on and (mip is None or min(w, h) >= 16) and lfnst_signalled(lvs, w, h, max_tb=self.max_tb):
            write_lfnst_idx(est, lfnst_idx)
        ctx.restore(snap)
        return est.bits

    def _lfnst_choice(self, n: Node, tbs, mode: int, mpm, ctx: ContextStates, memo: dict,
                      zero, ref_idx: int | None = None) -> tuple[float, int]:
        """(cost, lfnst_idx) of a one-TU CU with luma mode ``mode``: the forced lfnst_idx (cost 0), else
        the cheapest of 0, 1, 2 by D + lambda R (quantised like the mode trials); ``zero`` = (cost, any
        level) of the lfnst_idx-0 trial when the mode search made it. No luma level without LFNST: no
        LFNST trial. ``ref_idx``: the CU's intra_luma_ref_idx (None: not coded)."""
        x, y, w, h = n.x, n.y, n.w, n.h
        f = self.forced.lfnst_idx(x, y, w, h) if self.forced else None
        no_lfnst = mode >= MIP_BASE and min(w, h) < 16  # a MIP CU below 16x16 has no lfnst_idx
        if f is not None:
            if f not in (0, 1, 2):
                raise ValueError(f"forced lfnst_idx {f!r} is not 0, 1 or 2")
            return 0.0, 0 if no_lfnst else f
        rd = ctx if self.rdoq_all else None
        line = ref_idx or 0
        if zero is None:
            (lvs,), d = self._trial((0,), tbs, mode, rd, keep=False, memo=memo, ref_idx=line)
            zero = (d + self.lam * self._luma_bits(ctx, mode, mpm, lvs, 0, True, w, h, ref_idx=ref_idx),
                    any(lv is not None for lv in lvs))
        if not zero[1] or no_lfnst:
            return zero[0], 0
        best = (zero[0], 0)
        for k in (1, 2):
            (lvs,), d = self._trial((0,), tbs, mode, rd, keep=False, memo=memo, lfnst=k, ref_idx=line)
            if not lfnst_signalled(lvs, w, h, max_tb=self.max_tb):
                continue
            j = d + self.lam * self._luma_bits(ctx, mode, mpm, lvs, k, True, w, h, ref_idx=ref_idx)
            if j < best[0]:
                best = (j, k)
        return best

    def write_tree(self, sink, tree) -> None:
        for ci, b in tree[1]:
            sink.bin(ci, b)
        if tree[0] == "cu":
            write_coding_unit(sink, tree[2])
        else:
            for t in tree[2]:
                self.write_tree(sink, t)

    def _tb_maps(self, trees):
        """The deblocking filter's transform-block maps: per 4x4 luma unit, x0, width, y0, height of
        the luma transform block covering it; per 8x8 luma unit, the same of the chroma transform
        block (in luma samples; an ISP CU has one chroma block but luma sub-partitions)."""
        maps = []
        for unit in (4, 8):
            m = (self.H // unit, self.W // unit)
            maps.append(tuple(np.zeros(m, dtype=np.int32) for _ in range(4)))
        stack = list(trees)
        while stack:
            t = stack.pop()
            if t[0] == "split":
                stack.extend(t[2])
                continue
            cu = t[2]
            tbs = transform_blocks(cu.x, cu.y, cu.w, cu.h, self.max_tb)
            for (x0, tw, y0, th), unit, blocks in ((maps[0], 4, sub_partitions(cu.x, cu.y, cu.w, cu.h, cu.isp)
                                                   if cu.isp else tbs), (maps[1], 8, tbs)):
                for bx, by, bw, bh in blocks:
                    s = (slice(by // unit, (by + bh) // unit), slice(bx // unit, (bx + bw) // unit))
                    x0[s], tw[s], y0[s], th[s] = bx, bw, by, bh
        return maps[0], maps[1]

    def encode(self) -> bytes:
        # conformance window offsets are in chroma units (2 luma samples): an odd width or height
        # decodes one sample larger than the input; the recon is cropped to the input size.
        lim = self.lim
        params = PictureParams(width=self.W, height=self.H, conf_right=(self.W - self.w) & ~1,
                               conf_bottom=(self.H - self.h) & ~1, bit_depth=self.bd, qp=self.qp,
                               deblocking=self.deblocking, log2_ctu=self.ctu.bit_length() - 1,
                               max_mtt_depth=lim.max_mtt_depth, log2_max_bt=lim.max_bt.bit_length() - 1,
                               log2_max_tt=lim.max_tt.bit_length() - 1, lfnst=self.lfnst,
                               isp=self.isp, tb64=self.max_tb == 64, sign_hiding=self.sdh, sao=self.sao,
                               mrl=self.mrl, dep_quant=self.dq, mip=self.mip)
        wctx = ContextStates(self.qp)
        writer = CabacWriter(wctx)
        ectx = wctx.copy()
        trees = []
        for cy in range(0, self.H, self.ctu):
            for cx in range(0, self.W, self.ctu):
                ectx.restore(wctx.snapshot())
                tree, _ = self.code_tree(Node(cx, cy, self.ctu, self.ctu), ectx)
                self.write_tree(writer, tree)
                trees.append(tree)
        self.tb_maps = self._tb_maps(trees)
        if self.sao:
            # SAO is decided on the deblocked picture, but its syntax opens each CTU: the CTUs are
            # written again behind their sao() (its contexts are its own, so the coding-tree bins
            # code exactly as in the first writing)
            rec = self._in_loop_input()
            grid = sao_decide(self.org, rec, self.ctu, (self.h, self.w), self.bd, self.lam, self.qp)
            if any(c.type != SAO_OFF for row in grid for s in row for c in s.comps):
                self.sao_grid = grid
                writer = CabacWriter(ContextStates(self.qp))
                cols = -(-self.W // self.ctu)
                for i, tree in enumerate(trees):
                    write_sao(writer, grid[i // cols][i % cols], i % cols, i // cols, self.bd)
                    self.write_tree(writer, tree)
        params = replace(params, sao_used=self.sao_grid is not None)
        writer.term(1)  # end_of_slice_one_bit after the last CTU
        body, tail, nbits = writer.finish()
        bw = BitWriter()
        slice_header(bw, params)
        bw.write_bytes(body)
        bw.u(nbits, tail)
        bw.rbsp_trailing_bits()
        return annexb([nal_unit(SPS_NUT, sps_rbsp(params)), nal_unit(PPS_NUT, pps_rbsp(params)),
                       nal_unit(IDR_N_LP, bw.getvalue())])

    def _in_loop_input(self) -> list[np.ndarray]:
        """The reconstruction after deblocking (when enabled), computed once: SAO's input."""
        if self._deblocked is None:
            self._deblocked = (deblock(self.rec, self.tb_maps, self.qp, self.bd, self.ctu) if self.deblocking
                               else self.rec)
        return self._deblocked

    def recon(self, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The decoder's output picture, cropped: the reconstruction, deblocked when enabled, then
        SAO when a CTU uses it."""
        rec = self._in_loop_input()
        if self.sao_grid is not None:
            rec = apply_sao(rec, self.sao_grid, self.ctu, self.bd)
        ch, cw = (self.h + 1) // 2, (self.w + 1) // 2
        return (rec[0][:self.h, :self.w].astype(dtype), rec[1][:ch, :cw].astype(dtype),
                rec[2][:ch, :cw].astype(dtype))


def _check_planes(y, cb, cr, bit_depth: int):
    from ssgc_format.errors import InputError

    if bit_depth not in (8, 10):
        raise InputError(f"VVC encoder: bit depth {bit_depth} not supported (8 or 10)")
    planes = []
    for name, p in (("Y", y), ("Cb", cb), ("Cr", cr)):
        a = np.asarray(p)
        if a.ndim != 2 or a.dtype.kind not in "ui":
            raise InputError(f"VVC encoder: plane {name} must be a 2-D integer array, got {a.dtype} {a.shape}")
        if a.size and (int(a.min()) < 0 or int(a.max()) >= (1 << bit_depth)):
            raise InputError(f"VVC encoder: plane {name} has samples outside 0..{(1 << bit_depth) - 1}")
        planes.append(a)
    h, w = planes[0].shape
    if h < 1 or w < 1 or h > 8192 or w > 8192:
        raise InputError(f"VVC encoder: picture size {w}x{h} outside 1x1..8192x8192")
    ch, cw = (h + 1) // 2, (w + 1) // 2
    for name, a in zip(("Cb", "Cr"), planes[1:]):
        if a.shape != (ch, cw):
            raise InputError(f"VVC encoder: plane {name} is {a.shape[1]}x{a.shape[0]}, expected {cw}x{ch} (4:2:0)")
    return planes


def encode_picture(y, cb, cr, *, qp: int, bit_depth: int = 8, preset: str = "medium",
                   deblocking: bool = True, ctu_size: int | None = None,
                   forced: Forced | None = None, max_mtt_depth: int | None = None,
                   lfnst: bool | None = None, isp: bool | None = None,
                   tb64: bool | None = None, sign_hiding: bool | None = None,
                   sao: bool | None = None, mrl: bool | None = None,
                   dep_quant: bool | None = None, mip: bool | None = None) -> EncodeResult:
    """Encode one 4:2:0 picture (uint8/uint16 planes, cb/cr = ceil(h/2) x ceil(w/2)) as an H.266
    intra stream at slice QP ``qp`` (0..63). ``deblocking`` enables the in-loop deblocking filter
    (``recon`` is always the decoder's output, deblocked or not). ``ctu_size`` is 32 or 64; None =
    the preset's (fast 32, medium/slow 64).
    ``max_mtt_depth`` (0..3) overrides the preset's multi-type-tree depth (0 = quad-tree only: fast's,
    and medium's search before binary/ternary splits). ``lfnst`` switches the low-frequency
    non-separable transform (sps_lfnst_enabled_flag and the encoder's lfnst_idx decisions), ``isp``
    intra sub-partitions (sps_isp_enabled_flag and the encoder's ISP decision, isp.py), ``tb64`` the
    64-point transforms (sps_max_luma_transform_size_64_flag: MaxTbSizeY 64, so a CU up to 64x64 is
    one TU; CTU 64 only), ``sign_hiding`` sign data hiding (sps/sh flags; sign_hiding.py), ``sao``
    sample adaptive offset (sao.py), ``mrl`` multiple reference lines (sps_mrl_enabled_flag and the
    encoder's intra_luma_ref_idx decision, mrl.py), ``dep_quant`` dependent quantisation (sps/sh
    flags and the trellis quantiser, dep_quant.py; excludes ``sign_hiding``), ``mip`` matrix-based
    intra prediction (sps_mip_enabled_flag and the encoder's MIP candidates, mip.py); None = the
    preset's (tb64: off at CTU 32).
    ``forced`` is a test hook fixing decisions."""
    from ssgc_format.errors import InputError

    planes = _check_planes(y, cb, cr, bit_depth)
    if not isinstance(qp, (int, np.integer)) or not 0 <= int(qp) <= 63:
        raise InputError(f"VVC encoder: QP {qp!r} outside 0..63")
    if preset not in _PRESETS:
        raise InputError(f"VVC encoder: unknown preset {preset!r} (one of {', '.join(_PRESETS)})")
    if ctu_size is None:
        ctu_size = _PRESETS[preset][3]
    if ctu_size not in (32, 64):
        raise InputError(f"VVC encoder: CTU size {ctu_size!r} not supported (32 or 64)")
    if max_mtt_depth is not None and max_mtt_depth not in (0, 1, 2, 3):
        raise InputError(f"VVC encoder: multi-type-tree depth {max_mtt_depth!r} not supported (0..3)")
    tools = _TOOL_DEFAULTS[preset]
    if tb64 is None:
        tb64 = tools["tb64"] and ctu_size == 64
    elif tb64 and ctu_size != 64:
        raise InputError("VVC encoder: 64-point transforms (tb64) need CTU size 64")
    asked = {"lfnst": lfnst, "isp": isp, "sign_hiding": sign_hiding, "sao": sao, "mrl": mrl,
             "dep_quant": dep_quant, "mip": mip}
    on = {k: tools[k] if v is None else bool(v) for k, v in asked.items()}
    if on["sign_hiding"] and on["dep_quant"]:
        raise InputError("VVC encoder: sign data hiding and dependent quantisation exclude each other")
    enc = _PictureEncoder(planes, int(qp), bit_depth, preset, forced, bool(deblocking), int(ctu_size),
                          max_mtt_depth, tb64=bool(tb64), **on)
    data = enc.encode()
    return EncodeResult(data=data, recon=enc.recon(np.uint8 if bit_depth == 8 else np.uint16),
                        qp=int(qp), bit_depth=bit_depth)
