"""One CU's decisions in the SSGC VVC intra encoder (informative): its luma mode (regular, MIP,
with LFNST, ISP or a farther reference line), its chroma mode, their RD trials and rate estimates
(the mixin CuSearch of the picture encoder; the coding tree around it is tree_search.py, the picture
loop and the stream encoder.py). The presets' search rules are described in encoder.py."""

from __future__ import annotations

import math

import numpy as np

from .block_coding import quantise, reconstruct
from .cabac import ContextStates, RateEstimator
from .contexts import TU_Y
from .intra_pred import predict_from_refs, reference_samples
from .isp import ISP_NO_SPLIT, choose_isp, isp_signalled, isp_trial, isp_tus, write_isp_flags
from .jit import kernel
from .lfnst import forward_lfnst, lfnst_pred_mode, lfnst_signalled, write_lfnst_idx
from .mip import (MIP_BASE, forced_mip_code, mip_candidates, mip_decode, mip_flag_ctx, mip_predict,
                  write_mip)
from .mode_decision import approx_satd_all, approx_satd_modes
from .mrl import choose_mrl, mrl_signalled, write_ref_idx
from .partition import Node
from .residual_coding import code_residual
from .syntax import CHROMA_DM, CodingUnit, chroma_mode, transform_blocks, write_chroma_mode, write_luma_mode
from .transform import forward_dct2


@kernel
def _ssd(a: np.ndarray, b: np.ndarray) -> int:
    """Sum of squared differences of two integer blocks (compiled: one call instead of four)."""
    h, w = a.shape
    total = 0
    for y in range(h):
        for x in range(w):
            d = np.int64(a[y, x]) - np.int64(b[y, x])
            total += d * d
    return total


class CuSearch:
    """Mixin of the picture encoder: code_cu() and the trials it compares. Needs the picture
    encoder's planes (org, rec, avail), 8x8 maps (mode, cbw, cbh, cqt, mip), mpm(), the test hook
    (forced) and its preset's settings (n_rd, prune_ratio, n_rd_chroma, chroma_cands, lfnst_modes,
    lfnst_ratio, rdoq_final, reuse_modes and revisit, mip_rd, lam, sqrt_lam, qp, qpc, bd, ctu,
    max_tb, and the tool switches lfnst, isp, sdh, mrl, mip, dq with dq_ctx)."""

    def _luma_candidates(self, refs, org, w, h, mpm) -> list[int]:
        """Up to n_rd luma modes with the lowest approximate SATD + sqrt(lambda) * mode bits (those
        within a factor prune_ratio of the best)."""
        cost = approx_satd_all(refs, org, w, h) + self.sqrt_lam * self._mode_bits(mpm)
        order = np.argsort(cost, kind="stable")[: self.n_rd]
        lim = cost[order[0]] * self.prune_ratio
        out = [int(m) for m in order if cost[m] <= lim]
        if self.mip:
            out += mip_candidates(refs, org, w, h, self.bd, self.sqrt_lam, self.mip_rd, lim)
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
                lv = quantise(coef, qp, bd, k, self.lam, rd, self.dq_ctx, self.sdh)
                if lv.any():
                    rec = reconstruct(lv, pred, qp, bd, lf, self.dq)
                else:
                    lv, rec = None, pred
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
                (lvs,), d = self._trial((0,), tbs, m, None, keep=False, memo=memo)
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
        rd_final = ctx if self.rdoq_final else None
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
                (lcb, lcr), dc = self._trial((1, 2), ctbs, cm, None, keep=False, memo=memo)
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
        rd = ctx if self.rdoq_final else None
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
        line = ref_idx or 0
        if zero is None:
            (lvs,), d = self._trial((0,), tbs, mode, None, keep=False, memo=memo, ref_idx=line)
            zero = (d + self.lam * self._luma_bits(ctx, mode, mpm, lvs, 0, True, w, h, ref_idx=ref_idx),
                    any(lv is not None for lv in lvs))
        if not zero[1] or no_lfnst:
            return zero[0], 0
        best = (zero[0], 0)
        for k in (1, 2):
            (lvs,), d = self._trial((0,), tbs, mode, None, keep=False, memo=memo, lfnst=k, ref_idx=line)
            if not lfnst_signalled(lvs, w, h, max_tb=self.max_tb):
                continue
            j = d + self.lam * self._luma_bits(ctx, mode, mpm, lvs, k, True, w, h, ref_idx=ref_idx)
            if j < best[0]:
                best = (j, k)
        return best
