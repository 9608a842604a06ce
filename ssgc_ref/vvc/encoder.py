"""The picture loop of the SSGC VVC intra encoder: CTUs, coding-tree (tree_search.py) and mode
decisions (cu_search.py) (informative),
reconstruction mirrored exactly on the decoder's processes (normative in H.266), and the final
Annex-B stream (VPS-less: SPS, PPS, one IDR_N_LP slice with the picture header inside).

Decisions (non-normative; each preset's settings and their measurements are in presets.py): per CU, all
67 luma modes are ranked by the SATD of an approximate prediction (mode_decision.py) plus sqrt(lambda) *
mode bits; the best few are compared by the rate-distortion cost D + lambda * R with the exact
prediction and R estimated from the CABAC context states; chroma: DM plus the best of
planar/vertical/horizontal/DC likewise; the coding tree by the same cost (tree_search.py): quad-tree
only in "fast" (CTU 32), quad-tree plus binary and ternary splits (multi-type tree) of depth 1 in
"medium" and 2 in "slow" (ternary splits only at the first level in "medium"; CTU 64; with the 64-point
transforms, tb64, on in both, a CU up to 64x64 is one TU and binary splits reach 64x64 blocks in both,
without them CUs above 32 samples on a side are split into 32-sample TUs); LFNST (lfnst.py, every
preset): in a CU of one TU, lfnst_idx 1 and 2 are tried on the best luma mode ("fast"), also on the two
runners-up whose cost is within 10% ("medium", "slow"), on a mode that leaves a luma residual, and kept
by the same cost (a choice that the CU's final residuals do not let the stream carry falls back to 0);
dependent quantisation (dep_quant.py, every preset unless ``dep_quant=False`` or ``sign_hiding=True``):
a four-state trellis chooses the levels in every trial, with two passes where RDOQ would run; without
it, RDOQ (rdoq.py) on the chosen modes ("medium", "slow"), plain rounding in the trials; intra
sub-partitions (isp.py, "medium"/"slow") tried with the chosen luma mode on CUs up to 32x32 (an ISP CU
has lfnst_idx 0); multiple reference lines (mrl.py, "medium" and "slow"): below a CTU's top row, the MPM
candidates on reference lines 1 and 2 ranked by SATD, the best few compared with the chosen regular mode
by the same cost, on CUs where ISP did not win (a CU on a farther line has no ISP); matrix-based intra
prediction (mip.py, every preset): the MIP modes of the CU in both transpositions, predicted exactly,
ranked by SATD + sqrt(lambda) * their bits on the scale of the regular modes' ranking, the best mip_rd
(1 / 2 / 4) within its limit join the RD comparison (a MIP CU then tries LFNST where Min(W, H) >= 16,
and no ISP or farther reference line). In "medium" and "slow", a block coded a second time (reached
through another split path) reuses the mode candidates of its first coding instead of ranking the 67
modes again. Sample adaptive offset (sao.py, every preset) is decided per CTU once the whole picture is
coded and deblocked.
lambda = 0.57 * 2^((QP - 12) / 3) * 4^(bitDepth - 8) (the HM/VTM intra choice, SSD at bitDepth).
With ``deblocking=True`` the PPS enables the deblocking filter and the returned reconstruction is the
deblocked picture (deblocking.py); decisions ignore the filter (intra prediction reads unfiltered
samples, so there is no drift).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .bitwriter import BitWriter
from .cabac import CabacWriter, ContextStates
from .deblocking import deblock
from .isp import sub_partitions
from .nal import IDR_N_LP, PPS_NUT, SPS_NUT, annexb, nal_unit
from .parameter_sets import PictureParams, pps_rbsp, slice_header, sps_rbsp
from .quant import chroma_qp
from .sao import OFF as SAO_OFF, apply_sao, decide as sao_decide, write_sao
from .forced import Forced
from .partition import Neighbours, Node, PartitionLimits
from .syntax import CHROMA_DM, mpm_list, transform_blocks, write_coding_unit
from .cu_search import CuSearch
from .presets import PRESETS, TOOL_DEFAULTS
from .tree_search import MIN_CB, TreeSearch

# MaxBtSizeY with the 64-point transforms (CTU 64): binary splits of 64x64 blocks give 64x32 / 32x64 CUs
# of one TU
_MAX_BT_TB64 = 64


@dataclass(frozen=True)
class EncodeResult:
    """An encoded picture: the Annex-B stream and the decoder's reconstruction (cropped planes)."""

    data: bytes
    recon: tuple[np.ndarray, np.ndarray, np.ndarray]
    qp: int
    bit_depth: int


class _PictureEncoder(TreeSearch, CuSearch):
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
        # the slice's initial states); None when off. Every trial uses the trellis: in development,
        # medium-dq of benchmarks/vvc_presets.py with plain scalar quantisation in the trials (never
        # the coded levels in medium) measured +3.9% / -0.2% luma BD-rate against medium on the face
        # / 96x64 crops, with a one-path greedy choice +1.4% / +2.4% at about the same CPU time, with
        # the trellis -1.1% / -2.1%
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
        st = PRESETS[preset]
        self.n_rd, self.prune_ratio, self.n_rd_chroma = st.n_rd, st.prune_ratio, st.n_rd_chroma
        self.lfnst_modes, self.lfnst_ratio = st.lfnst_modes, st.lfnst_ratio
        self.chroma_cands = (CHROMA_DM, 0, 1, 2, 3)
        self.skip_levels = st.skip_levels
        self.rdoq_final = st.rdoq_final  # RDOQ on the chosen modes (the trials quantise without it)
        # a block coded again (same place and size, reached through another split path) compares by
        # RD cost the luma (and, same luma mode, chroma) candidates of its first coding instead of
        # ranking the modes again by approximate SATD around its new neighbours
        self.reuse_modes = st.reuse_modes
        self.tt_first_level_only = st.tt_first_level_only
        self.mip_rd, self.mrl_rd = st.mip_rd, st.mrl_rd
        self.revisit: dict[tuple[int, int, int, int], tuple[list[int], list[int], int]] = {}
        self.lam = 0.57 * 2.0 ** ((qp - 12) / 3.0) * 4.0 ** (bd - 8)
        self.sqrt_lam = self.lam ** 0.5
        y, cb, cr = planes
        self.h, self.w = y.shape
        self.H = -(-self.h // MIN_CB) * MIN_CB
        self.W = -(-self.w // MIN_CB) * MIN_CB
        max_bt = max(st.max_bt, _MAX_BT_TB64) if tb64 else st.max_bt
        self.lim = PartitionLimits(self.W, self.H, st.max_mtt_depth if max_mtt_depth is None else max_mtt_depth,
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
    flags and the trellis quantiser, dep_quant.py; excludes ``sign_hiding``, which, asked for, turns
    the preset's off), ``mip`` matrix-based
    intra prediction (sps_mip_enabled_flag and the encoder's MIP candidates, mip.py); None = the
    preset's (tb64: off at CTU 32).
    ``forced`` is a test hook fixing decisions."""
    from ssgc_format.errors import InputError

    planes = _check_planes(y, cb, cr, bit_depth)
    if not isinstance(qp, (int, np.integer)) or not 0 <= int(qp) <= 63:
        raise InputError(f"VVC encoder: QP {qp!r} outside 0..63")
    if preset not in PRESETS:
        raise InputError(f"VVC encoder: unknown preset {preset!r} (one of {', '.join(PRESETS)})")
    if ctu_size is None:
        ctu_size = PRESETS[preset].ctu
    if ctu_size not in (32, 64):
        raise InputError(f"VVC encoder: CTU size {ctu_size!r} not supported (32 or 64)")
    if max_mtt_depth is not None and max_mtt_depth not in (0, 1, 2, 3):
        raise InputError(f"VVC encoder: multi-type-tree depth {max_mtt_depth!r} not supported (0..3)")
    tools = TOOL_DEFAULTS[preset]
    if tb64 is None:
        tb64 = tools["tb64"] and ctu_size == 64
    elif tb64 and ctu_size != 64:
        raise InputError("VVC encoder: 64-point transforms (tb64) need CTU size 64")
    asked = {"lfnst": lfnst, "isp": isp, "sign_hiding": sign_hiding, "sao": sao, "mrl": mrl,
             "dep_quant": dep_quant, "mip": mip}
    on = {k: tools[k] if v is None else bool(v) for k, v in asked.items()}
    if sign_hiding and dep_quant is None:
        on["dep_quant"] = False  # asked-for sign hiding replaces the preset's dependent quantisation
    if on["sign_hiding"] and on["dep_quant"]:
        raise InputError("VVC encoder: sign data hiding and dependent quantisation exclude each other")
    enc = _PictureEncoder(planes, int(qp), bit_depth, preset, forced, bool(deblocking), int(ctu_size),
                          max_mtt_depth, tb64=bool(tb64), **on)
    data = enc.encode()
    return EncodeResult(data=data, recon=enc.recon(np.uint8 if bit_depth == 8 else np.uint16),
                        qp=int(qp), bit_depth=bit_depth)
