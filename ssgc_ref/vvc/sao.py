"""Sample adaptive offset (H.266 7.3.8.3 sao(), 7.4.9.3, 8.8.4): the CTU syntax, the filter
(bit-exact, applied to the whole deblocked picture), and the encoder's per-CTU decision
(informative).

Per CTU and component, SaoTypeIdx 0 = off, 1 = band offset (four consecutive bands of 32 from
sao_band_position, offsets of either sign), 2 = edge offset (class 0..3 = horizontal, vertical,
135 and 45 degrees; categories local minimum, edge below, edge above, local maximum with offsets
>= 0, >= 0, <= 0, <= 0). Cr shares Cb's type and edge class. A CTU may instead copy every
component's parameters of its left or upper neighbour (sao_merge_left_flag / sao_merge_up_flag).
Offsets are at most (1 << (Min(BitDepth, 10) - 5)) - 1 and are not scaled for bit depths <= 10.
The filter reads only deblocked samples; an edge-offset sample whose neighbour lies outside the
coded picture is left as it is.

The encoder (:func:`decide`) measures, on the deblocked reconstruction against the source, every
edge class's category sums and the band sums of each CTU and component, chooses offsets by
D + lambda R (R: the offsets' bypass bins), then the cheapest of off / band / edge / merge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import contexts as C
from .cabac import ContextStates, RateEstimator

OFF, BAND, EDGE = 0, 1, 2
_EO_DIRS = (((0, -1), (0, 1)), ((-1, 0), (1, 0)), ((-1, -1), (1, 1)), ((-1, 1), (1, -1)))  # (dy, dx)
_NO = (0, 0, 0, 0)


@dataclass(frozen=True)
class SaoComp:
    """One component's parameters: SaoTypeIdx, SaoOffsetVal[1..4], band position, edge class."""

    type: int = OFF
    offsets: tuple[int, int, int, int] = _NO
    band: int = 0
    eo_class: int = 0


OFF_COMP = SaoComp()


@dataclass(frozen=True)
class SaoCtu:
    """A CTU's SAO: ``merge`` 'left', 'up' or None, and the (Y, Cb, Cr) parameters in effect."""

    comps: tuple[SaoComp, SaoComp, SaoComp] = (OFF_COMP, OFF_COMP, OFF_COMP)
    merge: str | None = None


def max_offset(bd: int) -> int:
    """cMax of sao_offset_abs."""
    return (1 << (min(bd, 10) - 5)) - 1


def _tr_bypass(sink, v: int, cmax: int) -> None:
    """Truncated-rice (rice 0) bypass bins: v ones, then a zero unless v == cmax."""
    if v:
        sink.bypass_bits((1 << v) - 1, v)
    if v < cmax:
        sink.bypass(0)


def write_sao(sink, ctu: SaoCtu, rx: int, ry: int, bd: int) -> None:
    """sao(rx, ry) with sh_sao_luma_used_flag = sh_sao_chroma_used_flag = 1 (one slice, one tile);
    ValueError for parameters check_ctu() refuses."""
    if rx > 0:
        sink.bin(C.SAO_MERGE, 1 if ctu.merge == "left" else 0)
    if ry > 0 and ctu.merge != "left":
        sink.bin(C.SAO_MERGE, 1 if ctu.merge == "up" else 0)
    if ctu.merge is not None:
        return
    check_ctu(ctu, bd)  # what the syntax cannot carry (a Cr type of its own, say) would decode otherwise
    cmax = max_offset(bd)
    for c, p in enumerate(ctu.comps):
        if c < 2:  # sao_type_idx_luma / _chroma: TR cMax 2, first bin context coded
            sink.bin(C.SAO_TYPE, 0 if p.type == OFF else 1)
            if p.type != OFF:
                sink.bypass(1 if p.type == EDGE else 0)
        if p.type == OFF:
            continue
        for o in p.offsets:
            _tr_bypass(sink, abs(o), cmax)
        if p.type == BAND:
            for o in p.offsets:
                if o:
                    sink.bypass(1 if o < 0 else 0)
            sink.bypass_bits(p.band, 5)
        elif c < 2:
            sink.bypass_bits(p.eo_class, 2)


def check_ctu(ctu: SaoCtu, bd: int) -> None:
    """ValueError unless ``ctu`` is codable: offset ranges and signs, Cr following Cb."""
    cmax = max_offset(bd)
    for c, p in enumerate(ctu.comps):
        if p.type not in (OFF, BAND, EDGE) or any(abs(o) > cmax for o in p.offsets):
            raise ValueError(f"SAO component {c}: bad parameters {p}")
        if p.type == EDGE and (p.offsets[0] < 0 or p.offsets[1] < 0 or p.offsets[2] > 0 or p.offsets[3] > 0):
            raise ValueError(f"SAO component {c}: edge offsets {p.offsets} have the wrong signs")
        if p.type == OFF and (p.offsets != _NO):
            raise ValueError(f"SAO component {c}: offsets without a type")
    if ctu.comps[2].type != ctu.comps[1].type or (
            ctu.comps[1].type == EDGE and ctu.comps[2].eo_class != ctu.comps[1].eo_class):
        raise ValueError("SAO: Cr must share Cb's type and edge class")


# -- the filter (8.8.4) ----------------------------------------------------------------------------

def _edge_category(p: np.ndarray, y0: int, x0: int, h: int, w: int, eo_class: int) -> np.ndarray:
    """edgeIdx 0..4 (0 = no offset) of the block p[y0:y0+h, x0:x0+w] for one class; samples whose
    neighbour is outside the plane get 0."""
    H, W = p.shape
    a = p[y0:y0 + h, x0:x0 + w].astype(np.int64)
    s = np.zeros((h, w), dtype=np.int64)
    valid = np.ones((h, w), dtype=bool)
    for dy, dx in _EO_DIRS[eo_class]:
        ys, xs = y0 + dy, x0 + dx
        # neighbour block, clamped into the plane; out-of-plane positions are masked
        yy = np.clip(np.arange(ys, ys + h), 0, H - 1)
        xx = np.clip(np.arange(xs, xs + w), 0, W - 1)
        n = p[np.ix_(yy, xx)].astype(np.int64)
        s += np.sign(a - n)
        vy = (np.arange(ys, ys + h) >= 0) & (np.arange(ys, ys + h) < H)
        vx = (np.arange(xs, xs + w) >= 0) & (np.arange(xs, xs + w) < W)
        valid &= vy[:, None] & vx[None, :]
    raw = s + 2  # 0..4; 0, 1, 2 -> 1, 2, 0 (H.266 8.8.4.2)
    cat = np.where(raw == 2, 0, np.where(raw < 2, raw + 1, raw))
    return np.where(valid, cat, 0)


def _band_index(a: np.ndarray, band: int, bd: int) -> np.ndarray:
    """bandIdx 0..4 (0 = no offset): bandTable[(k + sao_band_position) & 31] = k + 1."""
    b = (a.astype(np.int64) >> (bd - 5)) - band
    b &= 31
    return np.where(b < 4, b + 1, 0)


def apply_sao(planes: list[np.ndarray], grid: list[list[SaoCtu]], ctu: int, bd: int) -> list[np.ndarray]:
    """SAO of the deblocked (coded-size) planes: grid[ry][rx] holds each CTU's parameters (merges
    already resolved into ``comps``)."""
    out = [p.copy() for p in planes]
    vmax = (1 << bd) - 1
    for ry, row in enumerate(grid):
        for rx, s in enumerate(row):
            for c, prm in enumerate(s.comps):
                if prm.type == OFF:
                    continue
                size = ctu if c == 0 else ctu // 2
                src = planes[c]
                y0, x0 = ry * size, rx * size
                h, w = min(size, src.shape[0] - y0), min(size, src.shape[1] - x0)
                if prm.type == EDGE:
                    idx = _edge_category(src, y0, x0, h, w, prm.eo_class)
                else:
                    idx = _band_index(src[y0:y0 + h, x0:x0 + w], prm.band, bd)
                table = np.array((0,) + prm.offsets, dtype=np.int64)
                blk = src[y0:y0 + h, x0:x0 + w].astype(np.int64) + table[idx]
                out[c][y0:y0 + h, x0:x0 + w] = np.clip(blk, 0, vmax)
    return out


# -- the encoder's decision (informative) ----------------------------------------------------------

def _best_offset(n: int, s: int, lo: int, hi: int, lam: float, cmax: int, signed: bool) -> tuple[int, float]:
    """The offset o in lo..hi minimising n*o^2 - 2*o*s + lam * bins(o) (bins: TR + a sign for a
    band offset), and that cost (0 for o = 0 is the reference)."""
    if n == 0:
        return 0, lam * 1.0
    best_o, best_j = 0, lam * 1.0
    o0 = max(lo, min(hi, round(s / n)))
    step = -1 if o0 > 0 else 1
    o = o0
    while o != 0:
        bins = min(abs(o) + 1, cmax) + (1 if signed else 0)
        j = n * o * o - 2 * o * s + lam * bins
        if j < best_j:
            best_o, best_j = o, j
        o += step
    return best_o, best_j


class _PlaneMaps:
    """One plane's (source - deblocked) differences, edge categories of the four classes and band
    indices, computed once for the whole picture (a CTB's neighbours outside it are read from the
    plane, as the filter reads them)."""

    def __init__(self, org: np.ndarray, rec: np.ndarray, bd: int) -> None:
        H, W = rec.shape
        self.diff = org.astype(np.int64) - rec
        self.cat = [_edge_category(rec, 0, 0, H, W, k) for k in range(4)]
        self.band = rec.astype(np.int64) >> (bd - 5)


class _Stats:
    """One CTB component's sums of (source - deblocked) and counts per edge class and category,
    and per band, over the visible part (vh x vw from (y0, x0)) of the CTB."""

    def __init__(self, maps: _PlaneMaps, y0: int, x0: int, vh: int, vw: int) -> None:
        sl = (slice(y0, y0 + vh), slice(x0, x0 + vw))
        diff = maps.diff[sl].ravel()
        self.eo = []
        for k in range(4):
            cat = maps.cat[k][sl].ravel()
            n = np.bincount(cat, minlength=5)
            s = np.bincount(cat, weights=diff, minlength=5)
            self.eo.append((n.astype(np.int64), np.round(s).astype(np.int64)))
        bands = maps.band[sl].ravel()
        self.bn = np.bincount(bands, minlength=32).astype(np.int64)
        self.bs = np.round(np.bincount(bands, weights=diff, minlength=32)).astype(np.int64)

    def delta(self, p: SaoComp) -> int:
        """Change of SSD when ``p`` is applied (before clipping to the sample range)."""
        if p.type == OFF:
            return 0
        if p.type == EDGE:
            n, s = self.eo[p.eo_class]
            return int(sum(n[k + 1] * o * o - 2 * o * s[k + 1] for k, o in enumerate(p.offsets)))
        d = 0
        for k, o in enumerate(p.offsets):
            b = (p.band + k) & 31
            d += int(self.bn[b] * o * o - 2 * o * self.bs[b])
        return d


def _edge_params(st: _Stats, k: int, lam: float, cmax: int) -> SaoComp:
    """The edge offsets of class ``k``, each category's chosen on its own."""
    n, s = st.eo[k]
    offs = tuple(_best_offset(int(n[cat]), int(s[cat]), *((0, cmax) if cat < 3 else (-cmax, 0)), lam, cmax,
                              False)[0] for cat in range(1, 5))
    return SaoComp(EDGE, offs, 0, k)  # type: ignore[arg-type]


def _band_params(st: _Stats, lam: float, cmax: int) -> SaoComp:
    """The band position whose four bands' best offsets cost least, with those offsets."""
    per = [_best_offset(int(st.bn[b]), int(st.bs[b]), -cmax, cmax, lam, cmax, True) for b in range(32)]
    start = min(range(32), key=lambda b: sum(per[(b + k) & 31][1] for k in range(4)))
    offs = tuple(per[(start + k) & 31][0] for k in range(4))
    return SaoComp(BAND, offs, start, 0)  # type: ignore[arg-type]


def _syntax_bits(ctx: ContextStates, ctu: SaoCtu, rx: int, ry: int, bd: int) -> float:
    snap = ctx.snapshot()
    est = RateEstimator(ctx)
    write_sao(est, ctu, rx, ry, bd)
    ctx.restore(snap)
    return est.bits


def _cost(stats: list[_Stats], ctu: SaoCtu, ctx: ContextStates, rx: int, ry: int, bd: int, lam: float) -> float:
    """D + lambda R of the CTU's SAO ``ctu``: the SSD change of its three components and its syntax."""
    return sum(st.delta(p) for st, p in zip(stats, ctu.comps)) + lam * _syntax_bits(ctx, ctu, rx, ry, bd)


def decide(org: list[np.ndarray], rec: list[np.ndarray], ctu: int, visible: tuple[int, int], bd: int,
           lam: float, qp: int) -> list[list[SaoCtu]]:
    """Per-CTU SAO parameters for the deblocked planes ``rec`` against the source ``org`` (both
    coded size); ``visible`` = (height, width) of the picture before padding."""
    cmax = max_offset(bd)
    H, W = rec[0].shape
    rows, cols = -(-H // ctu), -(-W // ctu)
    ctx = ContextStates(qp)  # only the SAO contexts are read: they evolve with the decisions
    maps = [_PlaneMaps(org[c], rec[c], bd) for c in range(3)]
    grid: list[list[SaoCtu]] = []
    for ry in range(rows):
        row: list[SaoCtu] = []
        for rx in range(cols):
            stats = []
            for c in range(3):
                size = ctu if c == 0 else ctu // 2
                y0, x0 = ry * size, rx * size
                h, w = min(size, rec[c].shape[0] - y0), min(size, rec[c].shape[1] - x0)
                vis_h = (visible[0] if c == 0 else (visible[0] + 1) // 2) - y0
                vis_w = (visible[1] if c == 0 else (visible[1] + 1) // 2) - x0
                stats.append(_Stats(maps[c], y0, x0, max(0, min(h, vis_h)), max(0, min(w, vis_w))))
            # luma: off, band, or one of the four edge classes, first by distortion alone
            cands = [OFF_COMP, _band_params(stats[0], lam, cmax)] + [_edge_params(stats[0], k, lam, cmax)
                                                                     for k in range(4)]
            luma = min(cands, key=stats[0].delta)
            # chroma: a shared type (and edge class), band positions of their own
            copts = [(OFF_COMP, OFF_COMP), (_band_params(stats[1], lam, cmax), _band_params(stats[2], lam, cmax))]
            copts += [(_edge_params(stats[1], k, lam, cmax), _edge_params(stats[2], k, lam, cmax)) for k in range(4)]
            best = None
            for cb, cr in copts:
                new = SaoCtu((luma, cb, cr))
                j = _cost(stats, new, ctx, rx, ry, bd, lam)
                if best is None or j < best[0]:
                    best = (j, new)
            # the luma choice again, with the chosen chroma (rate of the whole syntax)
            for p in cands:
                new = SaoCtu((p, best[1].comps[1], best[1].comps[2]))
                j = _cost(stats, new, ctx, rx, ry, bd, lam)
                if j < best[0]:
                    best = (j, new)
            for merge, src in (("left", row[rx - 1] if rx else None), ("up", grid[ry - 1][rx] if ry else None)):
                if src is None:
                    continue
                new = SaoCtu(src.comps, merge)
                j = _cost(stats, new, ctx, rx, ry, bd, lam)
                if j <= best[0]:
                    best = (j, new)
            choice = best[1]
            write_sao(RateEstimator(ctx), choice, rx, ry, bd)  # advance the SAO contexts
            row.append(choice)
        grid.append(row)
    return grid
