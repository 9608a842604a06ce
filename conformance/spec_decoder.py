"""A clean-room SSGC 2.0 decoder written from the Markdown specification (spec/) alone.

It exists to show that the specification is complete: it was written without reading any other
Python file of the project. Pure standard library, except PyAV (``import av``) which is used only
as the "any conforming H.266 decoder" of spec 7.4 to decode the ROI substream; everything else
(container, range decoder, label map, color map, mask, YCbCr->RGB, mask rule, preview, composite
and feathered composite) follows the spec's clauses, cited in the comments.

    decode(data) -> dict of raw sample bytes: label_grid, color_grid, label_image, color_image,
                    mask, roi_rgb (with an ROI) and preview (spec 9.6 sample order).

    python -m conformance.spec_decoder [--vectors]     checks every vector of vectors.json
"""
from __future__ import annotations

import bisect
import hashlib
import json
import os
import struct
import sys
import time
import zlib

__all__ = ["decode", "SSGCError", "FormatError", "ChecksumError", "LimitError", "UnsupportedError"]


# ----------------------------------------------------------------------------------------- errors

class SSGCError(Exception):
    """Any reason a file is not decoded (spec 1.6)."""


class FormatError(SSGCError):
    """The file is not a conforming file."""


class ChecksumError(FormatError):
    """The file's CRC-32 does not match (spec 2.6)."""


class LimitError(FormatError):
    """A value exceeds a limit of spec 1.5 / 6.5."""


class UnsupportedError(SSGCError):
    """Valid syntax of another version (major version, label set, color space, codec_id)."""


# -------------------------------------------------------------------------------- clause 1 helpers

def ceil_div(a: int, b: int) -> int:
    return (a + b - 1) // b


def clip(x: int, lo: int, hi: int) -> int:
    return lo if x < lo else hi if x > hi else x


def bit_length(v: int) -> int:
    return v.bit_length()


# ----------------------------------------------------------------------------- clause 3: entropy

P = 24
ONE = 1 << P


def quantize(c: list[int]) -> list[int]:
    """Spec 3.3: counts -> cumulative frequency table C[0..n] (C[n] = 2^24)."""
    n = len(c)
    T = sum(c)
    if T == 0:
        c = [1] * n
        T = n
    k = ONE - n
    f = [1 + (ci * k) // T for ci in c]
    R = ONE - sum(f)
    m = c.index(max(c))
    f[m] += R
    C = [0] * (n + 1)
    acc = 0
    for i, fi in enumerate(f):
        C[i] = acc
        acc += fi
    C[n] = acc
    assert acc == ONE
    return C


_UNIFORM_CACHE: dict[int, list[int]] = {}


def uniform(n: int) -> list[int]:
    """Static uniform model U(n) of 3.3."""
    t = _UNIFORM_CACHE.get(n)
    if t is None:
        t = _UNIFORM_CACHE[n] = quantize([1] * n)
    return t


class AdaptiveModel:
    """Spec 3.4."""

    __slots__ = ("c", "inc", "limit")

    def __init__(self, init: list[int], inc: int, limit: int):
        self.c = list(init)
        self.inc = inc
        self.limit = limit

    def table(self) -> list[int]:
        return quantize(self.c)

    def update(self, s: int) -> None:
        c = self.c
        c[s] += self.inc
        if sum(c) > self.limit:
            self.c = [(x + 1) >> 1 for x in c]


class RangeDecoder:
    """Spec 3.2, 3.5, 3.6, 3.7."""

    def __init__(self, payload: bytes, chunk: str):
        if payload and payload[-1] == 0:  # 3.6: the last byte of a payload is not zero
            raise FormatError(f"{chunk}: range-coded payload ends with a zero byte")
        self.chunk = chunk
        self.payload = bytes(payload)
        self.pos = 0
        self.range = (1 << 64) - 1
        hi = self._read_word()
        lo = self._read_word()
        self.value = (hi << 32) | lo

    def _read_word(self) -> int:
        # 3.2 read_word(): bytes 4*pos .. 4*pos+3, big-endian, zero past the end (3.7)
        chunk = self.payload[4 * self.pos:4 * self.pos + 4]
        self.pos += 1
        return int.from_bytes(chunk + bytes(4 - len(chunk)), "big")

    def decode(self, C: list[int]) -> int:
        scale = self.range >> 24
        q = self.value // scale
        if q >= ONE:
            raise FormatError(f"{self.chunk}: invalid range-coded data (q >= 2^24) at word {self.pos}")
        s = bisect.bisect_right(C, q) - 1
        self.value -= scale * C[s]
        self.range = scale * (C[s + 1] - C[s])
        if self.range < (1 << 32):
            self.range <<= 32
            self.value = (self.value << 32) | self._read_word()
        return s

    def decode_adaptive(self, model: AdaptiveModel) -> int:
        s = self.decode(model.table())
        model.update(s)
        return s

    def read_bits(self, N: int) -> int:
        assert 1 <= N <= 64
        v = 0
        w = N - 16 * ((N - 1) // 16)
        k = N
        while k > 0:
            v = (v << w) | self.decode(uniform(1 << w))
            k -= w
            w = 16
        return v


# ---------------------------------------------------------------------------- clause 2: container

SIGNATURE = b"\x89SG"                      # 2.2
V1_SIGNATURE = b"\x89SGC\r\n\x1a\n"       # 2.2: an SSGC 1.x file
MAX_FILE = 1 << 30                          # 1.5
MAX_EXT_SEGMENTS, MAX_EXT_BYTES = 64, 65536  # 2.5
SEM_DEFAULTS = dict(label_set=1, label_cell_log2=4, color_cell_log2=5, color_space=2,
                    color_steps=(15, 20, 20))  # 2.3 semantic_default
# 8.2: (field, bits, default) in syntax order
GEN_FIELDS = [("profile_id", 16, 1), ("sampler", 4, 0), ("steps", 10, 200),
              ("strength_permille", 10, 700), ("guidance_q8", 16, 512), ("eta_q8", 9, 0), ("flags", 4, 0)]
SEED_BITS = [0, 16, 32, 64]


class Bits:
    """u(n) fields, most significant bit first (1.3, 2.3), of data[start:end]."""

    def __init__(self, data: bytes, start: int, end: int):
        self.data, self.bit, self.end = data, 8 * start, 8 * end

    def u(self, n: int) -> int:
        if self.bit + n > self.end:
            raise FormatError("header: the file ends inside the header (truncated)")
        v = 0
        for _ in range(n):
            v = (v << 1) | ((self.data[self.bit >> 3] >> (7 - (self.bit & 7))) & 1)
            self.bit += 1
        return v


def smallest_size(v: int, widths: list[int]) -> int:
    for i, b in enumerate(widths):
        if v < (1 << b):
            return i
    return len(widths) - 1


def read_varint(data: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    """2.4: LEB128, 1 to 4 bytes, canonical."""
    v = 0
    for i in range(4):
        if pos + i >= end:
            raise FormatError(f"{what}: the file ends inside a length (truncated)")
        b = data[pos + i]
        v |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            if b == 0 and i > 0:
                raise FormatError(f"{what}: non-canonical varint")
            return v, pos + i + 1
    raise FormatError(f"{what}: varint longer than 4 bytes")


def check_lead(data: bytes) -> tuple[int, int]:
    """2.7 steps 1-4: size, signature, major version, length, CRC."""
    if len(data) > MAX_FILE:
        raise LimitError(f"file size {len(data)} exceeds 2^30 bytes")
    if data[:8] == V1_SIGNATURE:
        raise UnsupportedError("an SSGC 1.x file: not read by a 2.0 decoder")
    if data[:3] != SIGNATURE:
        raise FormatError("bad signature (not an SSGC file)")
    if len(data) < 4:
        raise FormatError("truncated after the signature")
    major, minor = data[3] >> 4, data[3] & 15
    if major != 2:
        raise UnsupportedError(f"version {major}.{minor} is not supported by a 2.0 decoder")
    if len(data) < 9:
        raise FormatError(f"file of {len(data)} bytes: truncated")
    crc, = struct.unpack(">I", data[-4:])
    if zlib.crc32(data[:-4]) & 0xFFFFFFFF != crc:
        raise ChecksumError("CRC-32 mismatch (damaged or truncated file)")
    return major, minor


def parse_header(data: bytes, end: int) -> tuple[dict, dict, int]:
    """2.3 header() with 8.2 generation_params(); returns (header, genparams, next offset)."""
    r = Bits(data, 4, end)
    dims = []
    for name in ("width", "height"):
        size = r.u(2)
        v = r.u(8 + 2 * size)
        if smallest_size(v, [8, 10, 12, 14]) != size:
            raise FormatError(f"header: {name}_size {size} is non-canonical")
        dims.append(v + 1)
    W, H = dims
    if W * H > (1 << 26):
        raise LimitError(f"header: {W}x{H} = {W * H} pixels exceeds 2^26 pixels")
    has_roi, has_ext = r.u(1), r.u(1)
    sem = dict(SEM_DEFAULTS)
    explicit = r.u(1) == 0
    if explicit:
        label_set = r.u(4)
        if label_set != 1:
            raise UnsupportedError(f"header: label set {label_set} is not supported")
        lk = r.u(3) + 2
        if lk > 6:
            raise FormatError(f"header: label_cell_log2 {lk} outside 2..6")
        ck = r.u(3) + 2
        if ck > 8:
            raise FormatError(f"header: color_cell_log2 {ck} outside 2..8")
        cs = r.u(4)
        if cs not in (0, 1, 2):
            raise UnsupportedError(f"header: color_space {cs} is not supported")
        steps = tuple(r.u(8) for _ in range(3))
        if 0 in steps:
            raise FormatError("header: a color_steps value is 0")
        sem = dict(label_set=label_set, label_cell_log2=lk, color_cell_log2=ck, color_space=cs,
                   color_steps=steps)
        if sem == SEM_DEFAULTS:
            raise FormatError("header: semantic_default = 0 with the default values (non-canonical)")
    # 8.2 generation_params()
    gen = {name: d for name, _, d in GEN_FIELDS}
    if r.u(1) == 0:
        for name, bits, d in GEN_FIELDS:
            if r.u(1) == 0:
                v = r.u(bits)
                if v == d:
                    raise FormatError(f"generation parameters: {name} coded with its default (non-canonical)")
                gen[name] = v
                if name == "sampler" and v not in (0, 1):
                    raise UnsupportedError(f"generation parameters: sampler {v} is reserved")
                if name == "steps" and not 1 <= v <= 1000:
                    raise FormatError(f"generation parameters: steps {v} outside 1..1000")
                if name == "strength_permille" and v > 1000:
                    raise FormatError(f"generation parameters: strength_permille {v} > 1000")
                if name == "eta_q8" and v > 256:
                    raise FormatError(f"generation parameters: eta_q8 {v} > 256")
                if name == "flags" and v & 0xC:
                    raise FormatError(f"generation parameters: reserved flag bits set ({v:#x})")
        if gen["sampler"] == 1 and gen["eta_q8"] != 0:  # 8.2 / 8.10: DPM-Solver++(2M) is deterministic
            raise FormatError("generation parameters: eta_q8 with sampler 1 (it is deterministic)")
        if all(gen[name] == d for name, _, d in GEN_FIELDS):
            raise FormatError("generation parameters: gen_default = 0 with the defaults (non-canonical)")
    seed_size = r.u(2)
    gen["seed"] = r.u(SEED_BITS[seed_size])
    if smallest_size(gen["seed"], SEED_BITS) != seed_size:
        raise FormatError("generation parameters: seed_size is non-canonical")
    while r.bit & 7:
        if r.u(1):
            raise FormatError("header: a padding bit is not zero")
    hdr = dict(W=W, H=H, has_roi=has_roi, has_extensions=has_ext, **sem)
    return hdr, gen, r.bit >> 3


def check_meta(body: bytes) -> None:
    """Spec 2.5 meta."""
    z = body.find(b"\x00")
    if z < 1 or z > 79:
        raise FormatError("meta: key missing or too long")
    if not all(0x20 <= b <= 0x7E for b in body[:z]):
        raise FormatError("meta: invalid byte in key")
    try:
        body[z + 1:].decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("meta: value is not UTF-8") from None


def parse_extensions(data: bytes, pos: int, end: int) -> int:
    """2.5: extension segments up to END; returns the offset after END."""
    count = total = 0
    while True:
        if pos >= end:
            raise FormatError("extension segments run into the CRC (no END)")
        tag = data[pos]
        length, pos = read_varint(data, pos + 1, end, f"extension tag {tag:#04x}")
        if tag == 0:
            if length:
                raise FormatError(f"END segment with {length} data bytes")
            if count == 0:
                raise FormatError("has_extensions = 1 but END comes first (non-canonical)")
            return pos
        count += 1
        total += length
        if count > MAX_EXT_SEGMENTS:
            raise LimitError("more than 64 extension segments")
        if total > MAX_EXT_BYTES:
            raise LimitError("extension data exceeds 65536 bytes")
        if pos + length > end:
            raise FormatError("extension segment runs into the CRC (truncated)")
        if tag & 0x80:
            raise UnsupportedError(f"unknown critical extension segment (tag {tag:#04x})")
        if tag == 1:
            check_meta(data[pos:pos + length])
        pos += length   # other ancillary tags are skipped


def parse_file(data: bytes) -> tuple[dict, dict, dict[str, bytes]]:
    """Spec 2.1 and the order of checks of 2.7."""
    check_lead(data)
    end = len(data) - 4
    hdr, gen, pos = parse_header(data, end)
    if hdr["has_extensions"]:
        pos = parse_extensions(data, pos, end)
    payloads = {}
    for name in ["LABL", "CMAP"] + (["MASK", "ROIC"] if hdr["has_roi"] else []):
        if pos >= end:
            raise FormatError(f"{name}: the file ends before this segment (truncated)")
        length, pos = read_varint(data, pos, end, name)
        if pos + length > end:
            raise FormatError(f"{name}: the segment runs into the CRC (truncated)")
        payloads[name] = data[pos:pos + length]
        pos += length
    if pos != end:
        raise FormatError(f"{end - pos} bytes between the last payload and the CRC")
    return hdr, gen, payloads


# ---------------------------------------------------------------------------- clause 4: label map

NUM_LABELS = 183


MAX_GRID_CELLS = 1 << 18   # spec 4.1 and 5.1


def decode_labels(payload: bytes, grid_h: int, grid_w: int) -> list[list[int]]:
    if grid_h * grid_w > MAX_GRID_CELLS:
        raise LimitError(f"LABL: label grid of {grid_h * grid_w} cells exceeds 2^18 (4.1)")
    rd = RangeDecoder(payload, "LABL")
    LABEL = AdaptiveModel([1] * NUM_LABELS, 32, 8192)
    RANK: dict[int, AdaptiveModel] = {}
    G = [[0] * grid_w for _ in range(grid_h)]
    for i in range(grid_h):
        for j in range(grid_w):
            v = (G[i][j - 1] if j >= 1 else -1,
                 G[i - 1][j] if i >= 1 else -1,
                 G[i - 1][j + 1] if i >= 1 and j + 1 < grid_w else -1,
                 G[i - 1][j - 1] if i >= 1 and j >= 1 else -1)
            cand: list[int] = []
            ctx = 0
            for x in v:
                t = 0
                if x != -1:
                    if x in cand:
                        t = cand.index(x) + 1
                    else:
                        cand.append(x)
                        t = len(cand)
                ctx = 5 * ctx + t
            k = len(cand)
            if k == 0:
                G[i][j] = rd.decode_adaptive(LABEL)
                continue
            m = RANK.get(ctx)
            if m is None:
                m = RANK[ctx] = AdaptiveModel([4] + [1] * k, 16, 8192)
            rank = rd.decode_adaptive(m)
            if rank < k:
                G[i][j] = cand[rank]
            else:
                c2 = list(LABEL.c)
                for e in cand:
                    c2[e] = 0
                lab = rd.decode(quantize(c2))
                LABEL.update(lab)
                G[i][j] = lab
    return G


def label_image(G, H, W, k) -> bytes:
    """Spec 4.4."""
    out = bytearray(H * W)
    for y in range(H):
        row = G[y >> k]
        base = y * W
        for x in range(W):
            out[base + x] = row[x >> k]
    return bytes(out)


# ---------------------------------------------------------------------------- clause 5: color map

CM_E = 8
CM_INIT = [48, 20, 10, 5, 3, 2, 1, 1, 1]
CM_INC = 32
CM_LIMIT = 8192
CS_RANGES = {0: ((0, 255), (0, 255), (0, 255)), 1: ((0, 255), (-255, 255), (-255, 255)),
             2: ((0, 255), (-255, 255), (-255, 255))}


def plane_size(grid_h: int, grid_w: int, cs: int, ch: int) -> tuple:
    """Spec 5.2 index planes: (ph[ch], pw[ch]); chroma of color space 2 on the half grid."""
    if cs == 2 and ch > 0:
        return ceil_div(grid_h, 2), ceil_div(grid_w, 2)
    return grid_h, grid_w


def decode_colors(payload: bytes, grid_h: int, grid_w: int, cs: int, steps) -> list:
    """Spec 5.3: returns the index planes P[ch][y][x] (spec 5.2; = Q[ch][i][j] for cs 0 and 1)."""
    if grid_h * grid_w > MAX_GRID_CELLS:
        raise LimitError(f"CMAP: color grid of {grid_h * grid_w} cells exceeds 2^18 (5.1)")
    qlo, qhi, M, n = [], [], [], []
    for ch in range(3):
        lo, hi = CS_RANGES[cs][ch]
        s = steps[ch]
        qlo.append(-ceil_div(-lo, s))
        qhi.append(ceil_div(hi, s))
        M.append(qhi[ch] - qlo[ch] + 1)
        n.append(min(M[ch], CM_E + 1))
    A = [[AdaptiveModel(CM_INIT[:n[ch]], CM_INC, CM_LIMIT) for _ in range(2)] for ch in range(3)]
    T = [uniform(M[ch] - CM_E) if M[ch] > CM_E + 1 else None for ch in range(3)]
    rd = RangeDecoder(payload, "CMAP")
    Q = []
    for ch in range(3):
        ph, pw = plane_size(grid_h, grid_w, cs, ch)
        Q.append([[0] * pw for _ in range(ph)])
    for ci in range(grid_h):
        for cj in range(grid_w):
            for ch in range(3):
                i, j = ci, cj
                if cs == 2 and ch > 0:
                    if (ci & 1) or (cj & 1):
                        continue  # spec 5.3.1: no chroma symbol at this cell
                    i, j = ci >> 1, cj >> 1
                q = Q[ch]
                if i == 0 and j == 0:
                    pred, act = (qlo[ch] + qhi[ch]) >> 1, 0
                elif i == 0:
                    pred = q[0][j - 1]
                    act = abs(pred - q[0][j - 2]) if j >= 2 else 0
                elif j == 0:
                    pred = q[i - 1][0]
                    act = abs(pred - q[i - 2][0]) if i >= 2 else 0
                else:
                    Wv, Nv, NWv = q[i][j - 1], q[i - 1][j], q[i - 1][j - 1]
                    if NWv >= max(Wv, Nv):
                        pred = min(Wv, Nv)
                    elif NWv <= min(Wv, Nv):
                        pred = max(Wv, Nv)
                    else:
                        pred = Wv + Nv - NWv
                    act = abs(Wv - NWv) + abs(Nv - NWv)
                ctx = 1 if act > 0 else 0
                z = rd.decode_adaptive(A[ch][ctx])
                if M[ch] > CM_E + 1 and z == CM_E:
                    z = CM_E + rd.decode(T[ch])
                r = -((z + 1) >> 1) if z & 1 else z >> 1
                q[i][j] = qlo[ch] + (pred - qlo[ch] + r) % M[ch]
    return Q


def ctaps(p: int, n: int) -> tuple:
    """Spec 5.4: the nearer half-grid sample (weight 3) and the other one (weight 1)."""
    a = p >> 1
    b = min(a + 1, n - 1) if p & 1 else max(a - 1, 0)
    return a, b


def dequantize(Q, grid_h, grid_w, cs, steps) -> list:
    """Spec 5.4: CR[i][j] = (R, G, B); Q are the index planes of decode_colors."""
    CR = [[None] * grid_w for _ in range(grid_h)]
    for i in range(grid_h):
        for j in range(grid_w):
            if cs == 2:
                v = [Q[0][i][j] * steps[0]]
                for ch in (1, 2):
                    ph, pw = plane_size(grid_h, grid_w, cs, ch)
                    a, b = ctaps(i, ph)
                    c, d = ctaps(j, pw)
                    P, s = Q[ch], steps[ch]
                    acc = 3 * (3 * P[a][c] * s + P[b][c] * s) + (3 * P[a][d] * s + P[b][d] * s)
                    v.append((acc + 8) >> 4)
            else:
                v = [Q[ch][i][j] * steps[ch] for ch in range(3)]
            if cs == 0:
                R, G, B = v
            else:
                t = v[0] - (v[2] >> 1)
                G = v[2] + t
                B = t - (v[1] >> 1)
                R = B + v[1]
            CR[i][j] = (clip(R, 0, 255), clip(G, 0, 255), clip(B, 0, 255))
    return CR


def upsample_colors(CR, grid_h, grid_w, H, W, k) -> bytes:
    """Spec 5.5."""
    c = 1 << k

    def taps(p, n):
        t = 2 * p + 1 - c
        j = t >> (k + 1)
        w1 = t & (2 * c - 1)
        return clip(j, 0, n - 1), clip(j + 1, 0, n - 1), 2 * c - w1, w1

    xt = [taps(x, grid_w) for x in range(W)]
    sh = 2 * k + 2
    rnd = 1 << (2 * k + 1)
    out = bytearray(H * W * 3)
    o = 0
    for y in range(H):
        i0, i1, v0, v1 = taps(y, grid_h)
        r0, r1 = CR[i0], CR[i1]
        for (j0, j1, h0, h1) in xt:
            a, b, cc, d = r0[j0], r1[j0], r0[j1], r1[j1]
            for ch in range(3):
                acc = h0 * (v0 * a[ch] + v1 * b[ch]) + h1 * (v0 * cc[ch] + v1 * d[ch])
                out[o] = (acc + rnd) >> sh
                o += 1
    return bytes(out)


# --------------------------------------------------------------------------------- clause 6: mask

STRAIGHT, LEFT, RIGHT = 0, 1, 2
DELTA = (0, 3, 1)
DX = (1, 0, -1, 0)
DY = (0, 1, 0, -1)


def decode_mask(payload: bytes, H: int, W: int):
    """Spec 6.2-6.4. Returns (k, mh, mw, g)."""
    rd = RangeDecoder(payload, "MASK")
    k = rd.read_bits(2)
    c = 1 << k
    mw, mh = ceil_div(W, c), ceil_div(H, c)
    E = 2 * mw * mh + mw + mh
    max_steps = min(E, 1 << 20)
    max_contours = max_steps // 4
    B = bit_length(max_contours)
    prefix = rd.decode(uniform(B + 1))
    if prefix >= 2:
        num = (1 << (prefix - 1)) | rd.read_bits(prefix - 1)
    else:
        num = prefix
    if num > max_contours:
        raise LimitError(f"MASK: {num} contours exceed max_contours {max_contours}")
    used = bytearray(E)
    V = []
    DIR = AdaptiveModel([1, 1], 24, 256)
    TURN = [AdaptiveModel([1, 1, 1], 24, 256) for _ in range(45)]
    n_corners = (mw + 1) * (mh + 1)
    s_prev = -1
    steps = 0
    hbase = (mh + 1) * mw
    for _ in range(num):
        remaining = n_corners - s_prev - 1
        if remaining <= 0:
            raise FormatError("MASK: no corner left for a contour start")
        delta = rd.read_bits(bit_length(remaining - 1)) if remaining >= 2 else 0
        if delta >= remaining:
            raise FormatError("MASK: start_delta beyond the last corner")
        s = s_prev + 1 + delta
        s_prev = s
        x0, y0 = s % (mw + 1), s // (mw + 1)
        first = rd.decode_adaptive(DIR)
        d = 0 if first == 0 else 1
        t1 = t2 = STRAIGHT
        run = prev_run = 0
        x, y = x0, y0
        length = 0
        while True:
            nx, ny = x + DX[d], y + DY[d]
            if nx < 0 or nx > mw or ny < 0 or ny > mh:
                raise FormatError("MASK: contour leaves the corner lattice")
            if d & 1:
                top = min(y, ny)
                eid = hbase + top * (mw + 1) + x
                V.append((x, top))
            else:
                eid = y * mw + min(x, nx)
            if used[eid]:
                raise FormatError("MASK: an edge is walked twice")
            used[eid] = 1
            length += 1
            steps += 1
            if steps > max_steps:
                raise LimitError(f"MASK: more than max_steps = {max_steps} steps")
            x, y = nx, ny
            if x == x0 and y == y0:
                break
            rel = 4 if prev_run == 0 else clip(run - prev_run, -2, 1) + 2
            ctx = (3 * t1 + t2) * 5 + rel
            turn = rd.decode_adaptive(TURN[ctx])
            d = (d + DELTA[turn]) & 3
            if turn == STRAIGHT:
                run += 1
            else:
                if run > 0:
                    prev_run = run
                run = 0
            t2 = t1
            t1 = turn
        if length < 4:
            raise FormatError("MASK: contour shorter than 4 steps")
    T = [bytearray(mw + 1) for _ in range(mh)]
    for (x, top) in V:
        T[top][x] = 1
    g = []
    for j in range(mh):
        p = 0
        row = bytearray(mw)
        Tj = T[j]
        for i in range(mw):
            p ^= Tj[i]
            row[i] = p
        g.append(row)
    return k, mh, mw, g


def rasterize_mask(g, k, H, W) -> bytearray:
    """Spec 6.6."""
    out = bytearray(H * W)
    for y in range(H):
        row = g[y >> k]
        base = y * W
        for x in range(W):
            out[base + x] = row[x >> k]
    return out


# ---------------------------------------------------------------------------------- clause 7: ROI

def parse_roic_head(body: bytes, H: int, W: int) -> dict:
    """Spec 7.2, 7.3."""
    if len(body) < 11:
        raise FormatError(f"ROIC: payload of {len(body)} bytes is shorter than 11")
    codec_id, x, y, w, h, bd = struct.unpack_from(">BHHHHB", body, 0)
    if codec_id != 1:
        raise UnsupportedError(f"ROIC: codec_id {codec_id} is not supported")
    if w < 2 or h < 2 or w & 1 or h & 1 or w > W or h > H:
        raise FormatError(f"ROIC: rectangle size {w}x{h} invalid (even, 2..W / 2..H)")
    if x + w > W or y + h > H:
        raise FormatError(f"ROIC: rectangle ({x},{y},{w},{h}) outside the {W}x{H} image")
    if bd not in (8, 10):
        raise FormatError(f"ROIC: bit_depth {bd} is not 8 or 10")
    return dict(x=x, y=y, width=w, height=h, bit_depth=bd, substream=body[10:])


class _BitReader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        v = 0
        for _ in range(n):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise FormatError("ROIC: SPS truncated")
            v = (v << 1) | ((self.data[byte] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 32:
                raise FormatError("ROIC: bad ue(v) in SPS")
        return (1 << zeros) - 1 + self.u(zeros)

    def align(self) -> None:
        while self.pos & 7:
            self.u(1)


def _nal_units(stream: bytes):
    """Annex-B byte stream -> NAL unit payloads (with their 2-byte header)."""
    i, n = 0, len(stream)
    starts = []
    while True:
        j = stream.find(b"\x00\x00\x01", i)
        if j < 0:
            break
        starts.append(j + 3)
        i = j + 3
    for a, s in enumerate(starts):
        e = starts[a + 1] - 3 if a + 1 < len(starts) else n
        nal = stream[s:e]
        while nal.endswith(b"\x00"):   # trailing zeros (trailing_zero_8bits, 4-byte start codes): 7.4.1
            nal = nal[:-1]
        yield nal


def _rbsp(nal: bytes) -> bytes:
    out = bytearray()
    zeros = 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def _sps_max_size(rbsp: bytes) -> tuple[int, int]:
    """H.266 7.3.2.4 up to sps_pic_height_max_in_luma_samples (spec 7.4 rule 5)."""
    r = _BitReader(rbsp)
    r.u(4)                    # sps_seq_parameter_set_id
    r.u(4)                    # sps_video_parameter_set_id
    max_sub = r.u(3)          # sps_max_sublayers_minus1
    if max_sub > 6:
        raise FormatError("ROIC: sps_max_sublayers_minus1 > 6")
    r.u(2)                    # sps_chroma_format_idc
    r.u(2)                    # sps_log2_ctu_size_minus5
    if r.u(1):                # sps_ptl_dpb_hrd_params_present_flag -> profile_tier_level(1, max_sub)
        r.u(7); r.u(1)        # general_profile_idc, general_tier_flag
        r.u(8)                # general_level_idc
        r.u(1); r.u(1)        # ptl_frame_only_constraint_flag, ptl_multilayer_enabled_flag
        _general_constraints_info(r)
        present = [r.u(1) for _ in range(max_sub)]
        r.align()             # ptl_reserved_zero_bit
        for p in present:
            if p:
                r.u(8)        # sublayer_level_idc
        for _ in range(r.u(8)):   # ptl_num_sub_profiles
            r.u(32)
    r.u(1)                    # sps_gdr_enabled_flag
    if r.u(1):                # sps_ref_pic_resampling_enabled_flag
        r.u(1)                # sps_res_change_in_clvs_allowed_flag
    return r.ue(), r.ue()


def _general_constraints_info(r: _BitReader) -> None:
    """H.266 7.3.3.2 as spec 7.4.1 skips it."""
    if r.u(1):                # gci_present_flag
        r.u(71)               # gci_intra_only_constraint_flag .. gci_no_virtual_boundaries_constraint_flag
        r.u(r.u(8))           # gci_num_additional_bits, then those bits
    r.align()                 # gci_alignment_zero_bit


def max_nal_units(w: int, h: int) -> int:
    """Spec 7.4 rule 6."""
    return 64 + ceil_div(w + 64, 32) * ceil_div(h + 64, 32)


def walk_substream(stream: bytes, w: int, h: int) -> None:
    """Spec 7.4.1: NAL unit limit, headers, SPS sizes, IDR slices, exactly one picture header."""
    n_max = max_nal_units(w, h)
    nals = []
    for nal in _nal_units(stream):
        nals.append(nal)
        if len(nals) > n_max:
            raise LimitError(f"ROIC: more than {n_max} NAL units (7.4 rule 6)")
    pictures = slices = 0
    types = []
    sizes = []
    for nal in nals:
        if len(nal) < 2 or nal[0] >> 7:
            raise FormatError("ROIC: bad NAL unit header")
        nut = nal[1] >> 3
        if nut <= 11:
            if len(nal) < 3:
                raise FormatError("ROIC: slice NAL unit without a slice header")
            types.append(nut)
            slices += 1
            pictures += nal[2] >> 7
        elif nut == 19:
            pictures += 1
        elif nut == 15:
            sizes.append(_sps_max_size(_rbsp(nal[2:])))
    if not sizes:
        raise FormatError("ROIC: substream without an SPS")
    for mw_, mh_ in sizes:
        if mw_ > w + 64 or mh_ > h + 64:
            raise LimitError(f"ROIC: SPS picture size {mw_}x{mh_} exceeds the rectangle + 64")
    for nut in types:
        if nut not in (7, 8):
            raise FormatError(f"ROIC: VCL NAL unit type {nut} is not IDR_W_RADL or IDR_N_LP (7.4 rule 1)")
    if slices == 0 or pictures != 1:
        raise FormatError(f"ROIC: {pictures} picture headers, not exactly one coded picture (7.4 rule 1)")


def decode_roi(roi: dict) -> bytes:
    """Spec 7.4 (with PyAV as the H.266 decoder) and 7.5. Returns the height x width RGB bytes."""
    w, h, bd = roi["width"], roi["height"], roi["bit_depth"]
    stream = roi["substream"]
    if not stream:
        raise FormatError("ROIC: empty substream")
    walk_substream(stream, w, h)
    import av  # the "any conforming H.266 decoder" of 7.4
    try:
        ctx = av.CodecContext.create("vvc", "r")
        frames = []
        for pkt in ctx.parse(stream) + ctx.parse(None) + [None]:   # None: flush the decoder
            frames.extend(ctx.decode(pkt))
            if len(frames) > 1:   # 7.4.2: stop at the second output picture
                raise FormatError("ROIC: the substream outputs more than one picture")
    except av.error.FFmpegError as e:
        raise FormatError(f"ROIC: the H.266 decoder rejects the substream: {e}") from None
    if not frames:
        raise FormatError("ROIC: the H.266 decoder outputs no picture")
    fr = frames[0]
    fmt = fr.format.name
    want = "yuv420p" if bd == 8 else "yuv420p10le"
    if fmt != want:
        raise FormatError(f"ROIC: decoded format {fmt}, expected {want} (4:2:0, bit depth {bd})")
    if fr.width != w or fr.height != h:
        raise FormatError(f"ROIC: decoded picture {fr.width}x{fr.height}, rectangle {w}x{h}")
    bps = 1 if bd == 8 else 2

    def plane(idx, pw, ph):
        p = fr.planes[idx]
        buf = bytes(p)
        ls = p.line_size
        rows = []
        for yy in range(ph):
            row = buf[yy * ls: yy * ls + pw * bps]
            rows.append(list(row) if bps == 1 else list(struct.unpack(f"<{pw}H", row)))
        return rows

    CW, CH = w // 2, h // 2
    Y = plane(0, w, h)
    Cb = plane(1, CW, CH)
    Cr = plane(2, CW, CH)
    return ycbcr_to_rgb(Y, Cb, Cr, w, h, bd)


KY, KR_CR, KG_CB, KG_CR, KB_CB = 19077, 26149, -6419, -13320, 33050


def ycbcr_to_rgb(Y, Cb, Cr, w, h, bd) -> bytes:
    """Spec 7.5."""
    s = bd - 8
    CW, CH = w // 2, h // 2

    def near(t):
        return t >> 1

    def far(t, n):
        return min(near(t) + 1, n - 1) if t & 1 else max(near(t) - 1, 0)

    jx = [(near(px), far(px, CW)) for px in range(w)]
    y16 = 16 << s
    c0 = 2048 << s
    sh = 18 + s
    rnd = 1 << (sh - 1)
    out = bytearray(w * h * 3)
    o = 0
    for py in range(h):
        i0, i1 = near(py), far(py, CH)
        cb0, cb1, cr0, cr1 = Cb[i0], Cb[i1], Cr[i0], Cr[i1]
        Yr = Y[py]
        for px in range(w):
            j0, j1 = jx[px]
            U16 = 9 * cb0[j0] + 3 * cb0[j1] + 3 * cb1[j0] + cb1[j1]
            V16 = 9 * cr0[j0] + 3 * cr0[j1] + 3 * cr1[j0] + cr1[j1]
            yd = (Yr[px] - y16) << 4
            ud = U16 - c0
            vd = V16 - c0
            out[o] = clip((KY * yd + KR_CR * vd + rnd) >> sh, 0, 255)
            out[o + 1] = clip((KY * yd + KG_CB * ud + KG_CR * vd + rnd) >> sh, 0, 255)
            out[o + 2] = clip((KY * yd + KB_CB * ud + rnd) >> sh, 0, 255)
            o += 3
    return bytes(out)


# ------------------------------------------------------- clause 8.3 (timesteps) and Annex C (noise)

def ddim_timesteps(n: int, T: int = 1000) -> list[int]:
    """Spec 8.3: tau_i = floor(i*T/n) + 1 - floor(n/T), i = 0..n-1, for 1 <= n <= T."""
    if not 1 <= n <= T:
        raise FormatError(f"GENP: steps {n} outside 1..{T}")
    return [i * T // n + 1 - n // T for i in range(n)]


def sdedit_start_index(n: int, s: int) -> int:
    """Spec 8.3: k0 = min(n - 1, floor(n * s / 1000))."""
    return min(n - 1, n * s // 1000)


def _f64(bits: int) -> float:
    return struct.unpack(">d", bits.to_bytes(8, "big"))[0]


C_LN2 = _f64(0x3FE62E42FEFA39EF)        # Annex C.3
C_SQRT2 = _f64(0x3FF6A09E667F3BCD)
C_HALFPI_30 = _f64(0x3E1921FB54442D18)
M32 = 0xFFFFFFFF


def philox4x32_10(c0: int, c1: int, c2: int, c3: int, k0: int, k1: int) -> tuple[int, int, int, int]:
    """Annex C.1."""
    for r in range(10):
        if r > 0:
            k0 = (k0 + 0x9E3779B9) & M32
            k1 = (k1 + 0xBB67AE85) & M32
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
    return c0, c1, c2, c3


def gaussian_block(seed: int, stream: int, b: int) -> tuple[float, float]:
    """Annex C.2 and C.3: the two binary64 values (g0, g1) of block b."""
    w0, w1, w2, _ = philox4x32_10(b & M32, b >> 32, stream & M32, stream >> 32, seed & M32, seed >> 32)
    K = (w0 >> 5) * (1 << 26) + (w1 >> 6) + 1
    q, F = w2 >> 30, w2 & ((1 << 30) - 1)
    n = K.bit_length()
    m = K * 2.0 ** (1 - n)
    e = n - 54
    if m >= C_SQRT2:
        m = m * 0.5
        e = e + 1
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = 1.0 / 23.0
    for j in range(10, -1, -1):
        p = z * p
        p = p + (1.0 / (2 * j + 1))
    L = (e * C_LN2) + ((s * p) * 2.0)
    r = (L * -2.0) ** 0.5
    phi = F * C_HALFPI_30
    y = phi * phi
    ts = tc = 1.0
    for j in range(13, 0, -1):
        ts = 1.0 - ((y * ts) / ((2 * j) * (2 * j + 1)))
        tc = 1.0 - ((y * tc) / ((2 * j - 1) * (2 * j)))
    sn, cs = phi * ts, tc
    C, S = ((cs, sn), (-sn, cs), (-cs, -sn), (sn, -cs))[q]
    return r * C, r * S


def gaussian_noise_f32(seed: int, stream: int, count: int) -> bytes:
    """Annex C.4: the first `count` elements as float32 little-endian bytes."""
    out = bytearray()
    for b in range((count + 1) // 2):
        out += struct.pack("<2f", *gaussian_block(seed, stream, b))   # rounds to nearest float32
    return bytes(out[: 4 * count])


# ---------------------------------------------------------------------------- clause 9: composite

def composite(G: bytes, roi_rgb: bytes | None, rect, m: bytearray, H: int, W: int,
              feather: bool) -> bytes:
    """Spec 9.4 (binary) or 8.8 (FEATHER). G, the result: H x W x 3 bytes."""
    if roi_rgb is None or not any(m):
        return bytes(G)
    rx, ry, rw, rh = rect
    out = bytearray(G)
    if not feather:
        for y in range(ry, ry + rh):
            for x in range(rx, rx + rw):
                if m[y * W + x]:
                    o = (y * W + x) * 3
                    r = ((y - ry) * rw + (x - rx)) * 3
                    out[o:o + 3] = roi_rgb[r:r + 3]
        return bytes(out)
    # 8.8: 7x7 window sums with edge replication, then A = (256 * sum + 24) // 49 where m = 1
    # horizontal pass
    hs = [[0] * W for _ in range(H)]
    for y in range(H):
        row = m[y * W:(y + 1) * W]
        for x in range(W):
            hs[y][x] = sum(row[clip(x + d, 0, W - 1)] for d in range(-3, 4))
    for y in range(H):
        for x in range(W):
            if not m[y * W + x]:
                continue
            S = sum(hs[clip(y + d, 0, H - 1)][x] for d in range(-3, 4))
            A = (256 * S + 24) // 49
            o = (y * W + x) * 3
            r = ((y - ry) * rw + (x - rx)) * 3   # m = 1 only inside the rectangle (9.3)
            for ch in range(3):
                out[o + ch] = (A * roi_rgb[r + ch] + (256 - A) * G[o + ch] + 128) >> 8
    return bytes(out)


# ------------------------------------------------------------------------------------ clause 9

def decode(data: bytes) -> dict[str, bytes]:
    """Decode an SSGC file into its normative outputs (raw samples, spec 9.6 order)."""
    hdr, genp, crit = parse_file(data)
    W, H = hdr["W"], hdr["H"]
    genp["feather"] = (genp["flags"] >> 1) & 1

    lk = hdr["label_cell_log2"]
    lgh, lgw = ceil_div(H, 1 << lk), ceil_div(W, 1 << lk)
    Gl = decode_labels(crit["LABL"], lgh, lgw)

    ck = hdr["color_cell_log2"]
    cgh, cgw = ceil_div(H, 1 << ck), ceil_div(W, 1 << ck)
    Q = decode_colors(crit["CMAP"], cgh, cgw, hdr["color_space"], hdr["color_steps"])
    CR = dequantize(Q, cgh, cgw, hdr["color_space"], hdr["color_steps"])

    out = {
        "label_grid": bytes(v for row in Gl for v in row),
        "color_grid": bytes(v for row in CR for px in row for v in px),
        "label_image": label_image(Gl, H, W, lk),
    }
    C = upsample_colors(CR, cgh, cgw, H, W, ck)
    out["color_image"] = C

    m = bytearray(H * W)
    roi_rgb = None
    rect = None
    if hdr["has_roi"]:
        mk, mh, mw, g = decode_mask(crit["MASK"], H, W)
        Mfull = rasterize_mask(g, mk, H, W)
        roi = parse_roic_head(crit["ROIC"], H, W)
        rect = (roi["x"], roi["y"], roi["width"], roi["height"])
        rx, ry, rw, rh = rect
        for y in range(ry, ry + rh):          # 9.3: the mask restricted to the rectangle
            b = y * W
            m[b + rx:b + rx + rw] = Mfull[b + rx:b + rx + rw]
        roi_rgb = decode_roi(roi)
    out["mask"] = bytes(m)
    if roi_rgb is not None:
        out["roi_rgb"] = roi_rgb
    # 9.5: the preview is step 5 with G = C, then the composite of step 6 (9.4 / 8.8)
    out["preview"] = composite(C, roi_rgb, rect, m, H, W, bool(genp["feather"]))
    return out


# ------------------------------------------------------------------------------------ the runner

HERE = os.path.dirname(os.path.abspath(__file__))


def run_vectors(names=None, verbose=True) -> tuple[int, int, list[str]]:
    with open(os.path.join(HERE, "vectors.json")) as f:
        spec = json.load(f)
    passed = failed = 0
    lines = []
    for v in spec["vectors"]:
        if names is not None and v["name"] not in names:
            continue
        t0 = time.time()
        with open(os.path.join(HERE, v["file"]), "rb") as f:
            data = f.read()
        problems = []
        if hashlib.sha256(data).hexdigest() != v["file_sha256"]:
            problems.append("file SHA-256 differs from vectors.json")
        if "error" in v:
            try:
                decode(data)
                problems.append(f"decoded, but {v['error']} expected")
                got = "no error"
            except SSGCError as e:
                got = f"{type(e).__name__}: {e}"
                if type(e).__name__ != v["error"]:
                    problems.append(f"raised {type(e).__name__}, {v['error']} expected")
                if v.get("message") and v["message"].lower() not in str(e).lower():
                    problems.append(f"message {str(e)!r} lacks {v['message']!r}")
            detail = got
        else:
            try:
                res = decode(data)
            except Exception as e:  # noqa: BLE001 - report any failure of a valid vector
                res = None
                problems.append(f"raised {type(e).__name__}: {e}")
            if res is not None:
                for key, h in v["expect"].items():
                    if key not in res:
                        problems.append(f"{key} missing")
                    elif hashlib.sha256(res[key]).hexdigest() != h:
                        problems.append(f"{key} hash differs")
                for key in res:
                    if key not in v["expect"]:
                        problems.append(f"{key} produced but not expected")
            detail = ", ".join(sorted(v["expect"]))
        dt = time.time() - t0
        ok = not problems
        passed += ok
        failed += not ok
        line = f"{'ok  ' if ok else 'FAIL'} {v['name']} ({dt:.2f} s): " + ("; ".join(problems) if problems else detail)
        lines.append(line)
        if verbose:
            print(line, flush=True)
    if verbose:
        print(f"{passed} passed, {failed} failed")
    return passed, failed, lines


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in ("--vectors",):
        # decode single files: print the SHA-256 of every output
        for path in argv:
            with open(path, "rb") as f:
                res = decode(f.read())
            for k, b in res.items():
                print(f"{path} {k} {hashlib.sha256(b).hexdigest()} ({len(b)} bytes)")
        return 0
    _, failed, _ = run_vectors()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
