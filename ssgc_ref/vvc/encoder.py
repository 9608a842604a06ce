"""The picture loop of the SSGC VVC intra encoder: CTUs, quad-tree and mode decisions (informative),
reconstruction mirrored exactly on the decoder's processes (normative in H.266), and the final
Annex-B stream (VPS-less: SPS, PPS, one IDR_N_LP slice with the picture header inside).

Decisions (non-normative): per CU, all 67 luma modes are ranked by the SATD of an approximate
prediction (mode_decision.py) plus sqrt(lambda) * mode bits; the best few are compared by the
rate-distortion cost D + lambda * R with the exact prediction and R estimated from the CABAC context
states; chroma: DM plus the best of planar/vertical/horizontal/DC likewise; split / no-split by the
same cost per CTU (CTU 64 for medium/slow, 32 for fast; a 64x64 CU is four 32x32 TUs), a CU needing
no luma residual ("fast") or only a DC luma level +-1 ("medium") ending the descent, a split
abandoned once its children cost more than the leaf, and a 64x64 leaf tried only when no 32x32 child split (not in
"slow"); RDOQ (rdoq.py) on the chosen modes ("medium") or in every trial ("slow").
lambda = 0.57 * 2^((QP - 12) / 3) * 4^(bitDepth - 8) (the HM/VTM intra choice, SSD at bitDepth).
With ``deblocking=True`` the PPS enables the deblocking filter and the returned reconstruction is the
deblocked picture (deblocking.py); decisions ignore the filter (intra prediction reads unfiltered
samples, so there is no drift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .bitwriter import BitWriter
from .cabac import CabacWriter, ContextStates, RateEstimator
from .contexts import TU_Y
from .deblocking import deblock
from .intra_pred import predict_from_refs, reference_samples
from .mode_decision import approx_predictions, approx_satd_all, approx_satd_modes, satd
from .nal import IDR_N_LP, PPS_NUT, SPS_NUT, annexb, nal_unit
from .parameter_sets import PictureParams, pps_rbsp, slice_header, sps_rbsp
from .quant import chroma_qp, dequantize, quantize
from .rdoq import rdoq
from .residual_coding import code_residual
from .syntax import (CHROMA_DM, CodingUnit, chroma_mode, mpm_list, write_chroma_mode, write_coding_unit,
                     write_luma_mode, write_split_flag)
from .transform import forward_dct2, inverse_dct2

MIN_CB = 8
MAX_TB = 32  # MaxTbSizeY (sps_max_luma_transform_size_64_flag = 0)

_PRESETS = {
    # name: (luma modes compared by RD cost, their approximate-SATD cost limit relative to the
    # best, chroma modes compared by RD cost, default CTU size)
    "fast": (1, 1.0, 1, 32),
    "medium": (3, 1.25, 2, 64),
    "slow": (6, 10.0, 5, 64),
}


@dataclass(frozen=True)
class EncodeResult:
    """An encoded picture: the Annex-B stream and the decoder's reconstruction (cropped planes)."""

    data: bytes
    recon: tuple[np.ndarray, np.ndarray, np.ndarray]
    qp: int
    bit_depth: int


def _code_block(coef: np.ndarray, pred: np.ndarray, qp: int, bd: int, rd=None):
    """Quantise (RDOQ when ``rd`` = (c_idx, lambda, context states)) the transformed residual
    ``coef`` of one block predicted by ``pred`` and reconstruct it: (levels or None, reconstruction
    int32)."""
    lv = quantize(coef, qp, bd) if rd is None else rdoq(coef, qp, bd, rd[0], rd[1], rd[2])
    if not lv.any():
        return None, pred
    r = inverse_dct2(dequantize(lv, qp, bd), bd)
    return lv, np.clip(pred + r, 0, (1 << bd) - 1).astype(np.int32)


def _ssd(a: np.ndarray, b: np.ndarray) -> int:
    d = (a - b).astype(np.int64)
    return int((d * d).sum())


def _loosen(bound: float) -> float:
    """A child's bound from its parent's remaining budget, widened past any rounding of the parent's
    running sum: a child cost above it keeps the parent's sum above the parent's bound."""
    return bound + 1e-9 * abs(bound) + 1e-6


def _luma_level_sum(cu: CodingUnit) -> int:
    """Sum of |luma levels| of the CU, counting a level off the DC position as 2."""
    total = 0
    for tu in cu.tus:
        if tu[0] is not None:
            a = np.abs(tu[0])
            total += 2 * int(a.sum()) - int(a[0, 0])
    return total


class Forced:
    """Test hook: fixed decisions. Each method returns None to let the encoder decide."""

    def split(self, x: int, y: int, size: int) -> bool | None:  # pragma: no cover - interface
        return None

    def luma_mode(self, x: int, y: int, size: int) -> int | None:  # pragma: no cover
        return None

    def chroma_idx(self, x: int, y: int, size: int) -> int | None:  # pragma: no cover
        return None


class _PictureEncoder:
    def __init__(self, planes, qp: int, bd: int, preset: str, forced: Forced | None, deblocking: bool = False,
                 ctu: int = 32):
        self.bd = bd
        self.ctu = ctu
        self.deblocking = deblocking
        self.qp = qp
        self.qpc = (chroma_qp(qp, 1, bd), chroma_qp(qp, 2, bd))
        self.forced = forced
        self.n_rd, self.prune_ratio, self.n_rd_chroma, _ = _PRESETS[preset]
        self.chroma_cands = (CHROMA_DM, 0, 1, 2, 3)
        self.early_skip = preset != "slow"
        # _luma_level_sum up to which a leaf ends the descent (early_skip presets): 1 = a lone DC +-1
        self.skip_levels = 1 if preset == "medium" else 0
        self.rdoq_all = preset == "slow"  # RDOQ inside every mode trial
        self.rdoq_final = preset == "medium"  # RDOQ on the chosen modes only
        self.lam = 0.57 * 2.0 ** ((qp - 12) / 3.0) * 4.0 ** (bd - 8)
        self.sqrt_lam = self.lam ** 0.5
        y, cb, cr = planes
        self.h, self.w = y.shape
        self.H = -(-self.h // MIN_CB) * MIN_CB
        self.W = -(-self.w // MIN_CB) * MIN_CB
        self.org = [self._pad(y, self.H, self.W), self._pad(cb, self.H // 2, self.W // 2),
                    self._pad(cr, self.H // 2, self.W // 2)]
        self.rec = [np.zeros_like(p) for p in self.org]
        g = (self.H // 4, self.W // 4)
        self.avail = [np.zeros(g, dtype=bool), np.zeros(g, dtype=bool)]  # luma (unit 4), chroma (unit 2)
        m = (self.H // MIN_CB, self.W // MIN_CB)
        self.mode_map = np.zeros(m, dtype=np.int16)
        self.size_map = np.zeros(m, dtype=np.int16)

    @staticmethod
    def _pad(p: np.ndarray, h: int, w: int) -> np.ndarray:
        p = np.asarray(p, dtype=np.int32)
        return np.pad(p, ((0, h - p.shape[0]), (0, w - p.shape[1])), mode="edge")

    # -- state save / restore for RD trials --------------------------------------------------
    def _save(self, x: int, y: int, s: int):
        c = s // 2
        return (self.rec[0][y:y + s, x:x + s].copy(), self.rec[1][y // 2:y // 2 + c, x // 2:x // 2 + c].copy(),
                self.rec[2][y // 2:y // 2 + c, x // 2:x // 2 + c].copy(),
                self.avail[0][y // 4:(y + s) // 4, x // 4:(x + s) // 4].copy(),
                self.avail[1][y // 4:(y + s) // 4, x // 4:(x + s) // 4].copy(),
                self.mode_map[y // 8:(y + s) // 8, x // 8:(x + s) // 8].copy(),
                self.size_map[y // 8:(y + s) // 8, x // 8:(x + s) // 8].copy())

    def _restore(self, x: int, y: int, s: int, st) -> None:
        c = s // 2
        self.rec[0][y:y + s, x:x + s] = st[0]
        self.rec[1][y // 2:y // 2 + c, x // 2:x // 2 + c] = st[1]
        self.rec[2][y // 2:y // 2 + c, x // 2:x // 2 + c] = st[2]
        self.avail[0][y // 4:(y + s) // 4, x // 4:(x + s) // 4] = st[3]
        self.avail[1][y // 4:(y + s) // 4, x // 4:(x + s) // 4] = st[4]
        self.mode_map[y // 8:(y + s) // 8, x // 8:(x + s) // 8] = st[5]
        self.size_map[y // 8:(y + s) // 8, x // 8:(x + s) // 8] = st[6]

    # -- neighbourhood-derived syntax contexts -----------------------------------------------
    def split_ctx(self, x: int, y: int, s: int) -> int:
        inc = 0
        if x > 0 and self.size_map[y // 8, (x - 1) // 8] < s:
            inc += 1
        if y > 0 and self.size_map[(y - 1) // 8, x // 8] < s:
            inc += 1
        return inc

    def mpm(self, x: int, y: int, s: int) -> tuple[int, ...]:
        a = int(self.mode_map[(y + s - 1) // 8, (x - 1) // 8]) if x > 0 else 0
        b = int(self.mode_map[(y - 1) // 8, (x + s - 1) // 8]) if y % self.ctu else 0
        return mpm_list(a, b)

    # -- one CU --------------------------------------------------------------------------------
    def _luma_candidates(self, refs, org, s, mpm) -> list[int]:
        """Up to n_rd luma modes with the lowest approximate SATD + sqrt(lambda) * mode bits (those
        within a factor prune_ratio of the best)."""
        if s <= 16:
            sa = approx_satd_all(refs, org, s)
        else:
            sa = satd(org[None].astype(np.int64) - approx_predictions(refs, s))
        cost = sa + self.sqrt_lam * self._mode_bits(mpm)
        order = np.argsort(cost, kind="stable")[: self.n_rd]
        lim = cost[order[0]] * self.prune_ratio
        return [int(m) for m in order if cost[m] <= lim]

    def _mode_bits(self, mpm) -> np.ndarray:
        bits = np.full(67, 6.9)
        bits[0] = 2.0
        for i, m in enumerate(mpm):
            bits[m] = 2.0 + min(i + 1, 4)
        return bits

    def _chroma_candidates(self, crefs, corg, c, luma_mode) -> list[int]:
        """intra_chroma_pred_mode values to try: DM plus the other ones whose approximate SATD beats
        DM's, best first, n_rd_chroma in all."""
        if self.n_rd_chroma <= 1:
            return [CHROMA_DM]
        idxs = [CHROMA_DM] + [i for i in self.chroma_cands if i != CHROMA_DM]
        modes = [chroma_mode(i, luma_mode) for i in idxs]
        cost = approx_satd_modes(crefs[0], corg[0], c, modes) + approx_satd_modes(crefs[1], corg[1], c, modes)
        better = [k for k in np.argsort(cost[1:], kind="stable") + 1 if cost[k] < cost[0]]
        return [CHROMA_DM] + [idxs[k] for k in better[: self.n_rd_chroma - 1]]

    def _trial(self, comps: tuple[int, ...], tbs, mode: int, rd, keep: bool, memo: dict | None = None):
        """Predict, code and reconstruct the transform blocks ``tbs`` [(x, y, size)] of the planes
        ``comps`` (luma, or Cb and Cr) in decoding order with intra mode ``mode``. Later blocks
        predict from earlier ones, so the reconstruction is written as it goes; ``keep`` = False
        restores the planes afterwards. Returns ([[levels or None per block] per comp], distortion).

        ``memo`` (one transform block only): the CU's trials share it; it holds the reference
        samples (key ("refs", comp)) and each (comp, mode)'s prediction and transformed residual,
        which do not depend on the other trials as long as the block's neighbourhood is unchanged."""
        bd = self.bd
        if len(tbs) != 1:
            memo = None
        unit = 4 if comps[0] == 0 else 2
        av = self.avail[0 if comps[0] == 0 else 1]
        saved = []
        levels: list[list] = [[] for _ in comps]
        dist = 0
        for tx, ty, t in tbs:
            if not keep:
                saved.append((tx, ty, t, [self.rec[k][ty:ty + t, tx:tx + t].copy() for k in comps],
                               av[ty // unit:(ty + t) // unit, tx // unit:(tx + t) // unit].copy()))
            for i, k in enumerate(comps):
                qp = self.qp if k == 0 else self.qpc[k - 1]
                org = self.org[k][ty:ty + t, tx:tx + t]
                hit = None if memo is None else memo.get((k, mode))
                if hit is None:
                    refs = None if memo is None else memo.get(("refs", k))
                    if refs is None:
                        refs = reference_samples(self.rec[k], av, tx, ty, t, t, bd, unit)
                    pred = predict_from_refs(refs, t, t, mode, k, bd)
                    coef = forward_dct2(org - pred, bd)
                    if memo is not None:
                        memo[(k, mode)] = (pred, coef)
                else:
                    pred, coef = hit
                lv, rec = _code_block(coef, pred, qp, bd, None if rd is None else (k, self.lam, rd))
                levels[i].append(lv)
                dist += _ssd(org, rec)
                self.rec[k][ty:ty + t, tx:tx + t] = rec
            av[ty // unit:(ty + t) // unit, tx // unit:(tx + t) // unit] = True
        for tx, ty, t, old, oldav in reversed(saved):
            for k, o in zip(comps, old):
                self.rec[k][ty:ty + t, tx:tx + t] = o
            av[ty // unit:(ty + t) // unit, tx // unit:(tx + t) // unit] = oldav
        return levels, dist

    def code_cu(self, x: int, y: int, s: int, ctx: ContextStates) -> tuple[CodingUnit, int]:
        """Decide and reconstruct one CU (one TU, or four 32x32 TUs for a 64x64 CU); returns it and
        its distortion (luma + chroma SSD)."""
        bd = self.bd
        mpm = self.mpm(x, y, s)
        t = min(s, MAX_TB)
        tbs = [(x + dx, y + dy, t) for dy in range(0, s, t) for dx in range(0, s, t)]
        ctbs = [(tx // 2, ty // 2, t // 2) for tx, ty, _ in tbs]
        fm = self.forced.luma_mode(x, y, s) if self.forced else None
        memo: dict = {}
        if fm is not None:
            cands = [fm]
        else:
            refs = reference_samples(self.rec[0], self.avail[0], x, y, s, s, bd, 4)
            memo[("refs", 0)] = refs
            cands = self._luma_candidates(refs, self.org[0][y:y + s, x:x + s], s, mpm)
        best = None
        if len(cands) > 1:
            for m in cands:
                (lvs,), d = self._trial((0,), tbs, m, ctx if self.rdoq_all else None, keep=False, memo=memo)
                snap = ctx.snapshot()
                est = RateEstimator(ctx)
                write_luma_mode(est, m, mpm)
                for lv in lvs:
                    est.bin(TU_Y, 0 if lv is None else 1)
                    if lv is not None:
                        code_residual(est, lv, 0)
                ctx.restore(snap)
                j = d + self.lam * est.bits
                if best is None or j < best[0]:
                    best = (j, m)
        mode = cands[0] if best is None else best[1]
        (lv_y,), dist = self._trial((0,), tbs, mode, ctx if (self.rdoq_final or self.rdoq_all) else None, keep=True,
                                     memo=memo)
        self.mode_map[y // 8:(y + s) // 8, x // 8:(x + s) // 8] = mode
        self.size_map[y // 8:(y + s) // 8, x // 8:(x + s) // 8] = s

        c, xc, yc = s // 2, x // 2, y // 2
        fc = self.forced.chroma_idx(x, y, s) if self.forced else None
        if fc is not None:
            ccands = [fc]
        else:
            crefs = [reference_samples(self.rec[k], self.avail[1], xc, yc, c, c, bd, 2) for k in (1, 2)]
            memo[("refs", 1)], memo[("refs", 2)] = crefs
            corg = [self.org[k][yc:yc + c, xc:xc + c] for k in (1, 2)]
            ccands = self._chroma_candidates(crefs, corg, c, mode)
        bestc = None
        seen = set()
        if len(ccands) > 1:
            for idx in ccands:
                cm = chroma_mode(idx, mode)
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
                            code_residual(est, lv, k)
                ctx.restore(snap)
                j = dc + self.lam * est.bits
                if bestc is None or j < bestc[0]:
                    bestc = (j, idx)
        cidx = ccands[0] if bestc is None else bestc[1]
        cm = chroma_mode(cidx, mode)
        rd = ctx if (self.rdoq_final or self.rdoq_all) else None
        (lcb, lcr), dc = self._trial((1, 2), ctbs, cm, rd, keep=True, memo=memo)
        cu = CodingUnit(x, y, s, mode, cidx, mpm, list(zip(lv_y, lcb, lcr)))
        return cu, dist + dc

    # -- quad-tree -------------------------------------------------------------------------------
    def _leaf(self, x: int, y: int, s: int, can_split: bool, ctx: ContextStates):
        """Code the block as one CU: (('cu', split ctx or None, cu), cost)."""
        est = RateEstimator(ctx)
        inc = self.split_ctx(x, y, s) if can_split else None
        if can_split:
            write_split_flag(est, inc, 0)
        cu, dist = self.code_cu(x, y, s, ctx)
        write_coding_unit(est, cu)
        return ("cu", inc, cu), dist + self.lam * est.bits

    def _split(self, x: int, y: int, s: int, inside: bool, ctx: ContextStates, bound: float = math.inf):
        """Code the block as four quad-tree children: (('split', ctx or None, children), cost), or
        None as soon as the cost of the children coded so far exceeds ``bound`` (costs are
        non-negative, so the split could only cost more; the caller restores its state)."""
        est = RateEstimator(ctx)
        inc = self.split_ctx(x, y, s) if inside else None
        if inside:
            write_split_flag(est, inc, 1)
        cost = self.lam * est.bits
        children = []
        h = s // 2
        for dy in (0, h):
            for dx in (0, h):
                if x + dx < self.W and y + dy < self.H:
                    t, c = self.code_tree(x + dx, y + dy, h, ctx, _loosen(bound - cost))
                    children.append(t)
                    cost += c
                    if cost > bound:
                        return None
        return ("split", inc, children), cost

    def code_tree(self, x: int, y: int, s: int, ctx: ContextStates, bound: float = math.inf):
        """Decide the coding tree of the block at (x, y), size s. Returns (tree, cost) where tree is
        ('cu', ctx_inc or None, CodingUnit) or ('split', ctx_inc or None, [children]); ctx, the
        reconstruction and the maps are left in the chosen option's state.

        ``bound``: the caller drops this block's option when its cost exceeds ``bound`` (a split
        parent whose partial cost went past its leaf's). The split of a block whose leaf costs more
        than ``bound`` may then be abandoned early and the leaf returned: its cost also exceeds
        ``bound``, so the caller's decision is the same as with the full search.

        Below 64: the leaf is tried first, and a leaf needing no luma residual ends the descent
        (presets fast/medium). At 64: the split is tried first, and the 64x64 leaf only when none of
        the four 32x32 children was split further."""
        inside = x + s <= self.W and y + s <= self.H
        can_split = s > MIN_CB
        fs = self.forced.split(x, y, s) if (self.forced and inside and can_split) else None
        try_leaf = inside and fs is not True
        try_split = can_split and (not inside or fs is not False)
        if not try_split:
            return self._leaf(x, y, s, can_split, ctx)
        if not try_leaf:
            return self._split(x, y, s, inside, ctx)
        snap0 = ctx.snapshot()
        if s > MAX_TB:
            split = self._split(x, y, s, inside, ctx)
            if fs is None and self.early_skip and any(t[0] == "split" for t in split[0][2]):
                return split
            split_state, split_ctx = self._save(x, y, s), ctx.snapshot()
            ctx.restore(snap0)
            self._restore_empty(x, y, s)
            leaf = self._leaf(x, y, s, can_split, ctx)
            if leaf[1] <= split[1]:
                return leaf
            self._restore(x, y, s, split_state)
            ctx.restore(split_ctx)
            return split
        leaf = self._leaf(x, y, s, can_split, ctx)
        # early termination: a CU predicted well enough to need (almost) no luma residual is not split
        if fs is None and self.early_skip and _luma_level_sum(leaf[0][2]) <= self.skip_levels:
            return leaf
        leaf_state, leaf_ctx = self._save(x, y, s), ctx.snapshot()
        ctx.restore(snap0)
        self._restore_empty(x, y, s)
        split = self._split(x, y, s, inside, ctx, min(leaf[1], bound))
        if split is None or leaf[1] <= split[1]:
            self._restore(x, y, s, leaf_state)
            ctx.restore(leaf_ctx)
            return leaf
        return split

    def _restore_empty(self, x: int, y: int, s: int) -> None:
        self.avail[0][y // 4:(y + s) // 4, x // 4:(x + s) // 4] = False
        self.avail[1][y // 4:(y + s) // 4, x // 4:(x + s) // 4] = False

    def write_tree(self, sink, tree) -> None:
        if tree[0] == "cu":
            if tree[1] is not None:
                write_split_flag(sink, tree[1], 0)
            write_coding_unit(sink, tree[2])
        else:
            if tree[1] is not None:
                write_split_flag(sink, tree[1], 1)
            for t in tree[2]:
                self.write_tree(sink, t)

    def encode(self) -> bytes:
        # conformance window offsets are in chroma units (2 luma samples): an odd width or height
        # decodes one sample larger than the input; the recon is cropped to the input size.
        params = PictureParams(width=self.W, height=self.H, conf_right=(self.W - self.w) & ~1,
                               conf_bottom=(self.H - self.h) & ~1, bit_depth=self.bd, qp=self.qp,
                               deblocking=self.deblocking, log2_ctu=self.ctu.bit_length() - 1)
        wctx = ContextStates(self.qp)
        writer = CabacWriter(wctx)
        ectx = wctx.copy()
        for cy in range(0, self.H, self.ctu):
            for cx in range(0, self.W, self.ctu):
                ectx.restore(wctx.snapshot())
                tree, _ = self.code_tree(cx, cy, self.ctu, ectx)
                self.write_tree(writer, tree)
        writer.term(1)  # end_of_slice_one_bit after the last CTU
        body, tail, nbits = writer.finish()
        bw = BitWriter()
        slice_header(bw, params)
        bw.write_bytes(body)
        bw.u(nbits, tail)
        bw.rbsp_trailing_bits()
        return annexb([nal_unit(SPS_NUT, sps_rbsp(params)), nal_unit(PPS_NUT, pps_rbsp(params)),
                       nal_unit(IDR_N_LP, bw.getvalue())])

    def recon(self, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The decoder's output picture, cropped: the reconstruction, deblocked when enabled."""
        rec = (deblock(self.rec, np.minimum(self.size_map, MAX_TB), self.qp, self.bd, self.ctu)
               if self.deblocking else self.rec)
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
                   forced: Forced | None = None) -> EncodeResult:
    """Encode one 4:2:0 picture (uint8/uint16 planes, cb/cr = ceil(h/2) x ceil(w/2)) as an H.266
    intra stream at slice QP ``qp`` (0..63). ``deblocking`` enables the in-loop deblocking filter
    (``recon`` is always the decoder's output, deblocked or not). ``ctu_size`` is 32 or 64 (64x64
    CUs are coded as four 32x32 TUs); None = the preset's (fast 32, medium/slow 64). ``forced`` is a
    test hook fixing decisions."""
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
    enc = _PictureEncoder(planes, int(qp), bit_depth, preset, forced, bool(deblocking), int(ctu_size))
    data = enc.encode()
    return EncodeResult(data=data, recon=enc.recon(np.uint8 if bit_depth == 8 else np.uint16),
                        qp=int(qp), bit_depth=bit_depth)
