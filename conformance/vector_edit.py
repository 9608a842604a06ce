"""Take valid SSGC 2.x files apart and put them back together with chosen faults (for the vectors).

:func:`split` turns a valid file into :class:`FileParts`; :func:`join` rebuilds bytes from parts
whose fields may hold any value (also invalid ones: non-canonical sizes, reserved values, bad
padding, raw length bytes, a wrong CRC), so every error rule of spec clause 2 and §8.2 can be
exercised. The header is written from an explicit list of ``(value, bits)`` fields
(:func:`header_bits`), independently of the library's writer.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ssgc_format.bitio import encode_varint
from ssgc_format.genparams import GEN_FIELDS, SEED_BITS
from ssgc_format.header import SIZE_BITS

SEM_DEFAULT = None  # semantic_default = 1
GEN = GEN_FIELDS
PAYLOAD_NAMES = ("LABL", "CMAP", "MASK", "ROIC")


def _smallest(value: int, widths: tuple[int, ...]) -> int:
    return next(i for i, b in enumerate(widths) if value < 1 << b or i == len(widths) - 1)


def header_bits(fields: list[tuple[int, int]], pad: int = 0) -> bytes:
    """Pack ``(value, bits)`` fields MSB first; ``pad`` is the value of the padding bits."""
    v, n = 0, 0
    for value, bits in fields:
        v = (v << bits) | (value & ((1 << bits) - 1))
        n += bits
    k = -n % 8
    return ((v << k) | (pad & ((1 << k) - 1))).to_bytes((n + k) // 8, "big")


@dataclass
class HeaderSpec:
    """Every header field of spec §2.3 / §8.2, free to hold invalid values."""

    width: int
    height: int
    has_roi: int = 0
    has_extensions: int = 0
    sem: dict[str, Any] | None = None  # None: semantic_default = 1
    gen: dict[str, int] | None = None  # None: gen_default = 1; else the explicitly coded fields
    seed: int = 0
    width_size: int | None = None  # None: canonical
    height_size: int | None = None
    seed_size: int | None = None
    pad: int = 0
    extra_bits: list[tuple[int, int]] = field(default_factory=list)  # appended before the padding

    def fields(self) -> list[tuple[int, int]]:
        f: list[tuple[int, int]] = []
        for v, size in ((self.width - 1, self.width_size), (self.height - 1, self.height_size)):
            s = _smallest(v, SIZE_BITS) if size is None else size
            f += [(s, 2), (v, SIZE_BITS[s])]
        f += [(self.has_roi, 1), (self.has_extensions, 1)]
        if self.sem is None:
            f.append((1, 1))
        else:
            s = self.sem
            f += [(0, 1), (s["label_set"], 4), (s["label_cell_log2"] - 2, 3), (s["color_cell_log2"] - 2, 3),
                  (s["color_space"], 4)] + [(c, 8) for c in s["color_steps"]]
        if self.gen is None:
            f.append((1, 1))
        else:
            f.append((0, 1))
            for name, bits, _ in GEN_FIELDS:
                if name in self.gen:
                    f += [(0, 1), (self.gen[name], bits)]
                else:
                    f.append((1, 1))
        ss = _smallest(self.seed, SEED_BITS) if self.seed_size is None else self.seed_size
        f += [(ss, 2), (self.seed, SEED_BITS[ss])]
        return f + self.extra_bits

    def to_bytes(self) -> bytes:
        return header_bits(self.fields(), self.pad)


@dataclass
class FileParts:
    version: int  # the version byte, major << 4 | minor
    header: HeaderSpec | bytes
    extensions: list[tuple[int, bytes]] | None  # None: no extension segments (and no END)
    payloads: list[bytes]
    raw_lengths: dict[int, bytes] = field(default_factory=dict)  # payload index -> length bytes to use
    before_crc: bytes = b""
    crc: int | None = None  # None: the correct CRC
    end_segment: bytes = b"\x00\x00"
    signature: bytes = b"\x89SG"


def split(data: bytes) -> FileParts:
    """The parts of a valid file (parsed with the reference library)."""
    from ssgc_format.file import parse_file

    pf = parse_file(data)
    img = pf.image
    h, g = img.header, img.genparams
    sem = None if h.semantic_default else dict(
        label_set=h.label_set, label_cell_log2=h.label_cell_log2, color_cell_log2=h.color_cell_log2,
        color_space=h.color_space, color_steps=tuple(h.color_steps))
    gen = None if g.is_default else {n: getattr(g, n) for n, _, d in GEN_FIELDS if getattr(g, n) != d}
    spec = HeaderSpec(width=h.width, height=h.height, has_roi=int(h.has_roi),
                      has_extensions=int(bool(pf.extensions)), sem=sem, gen=gen, seed=g.seed)
    payload_parts = {p.name: p for p in pf.parts}
    payloads = []
    for name in PAYLOAD_NAMES:
        if name == "ROIC" and "ROIC head" in payload_parts:
            a, b = payload_parts["ROIC head"], payload_parts["ROIC substream"]
            payloads.append(data[a.offset: b.offset + b.size])
        elif name in payload_parts:
            p = payload_parts[name]
            payloads.append(data[p.offset: p.offset + p.size])
    exts = [(e.tag, e.data) for e in pf.extensions] if pf.extensions else None
    return FileParts(version=data[3], header=spec, extensions=exts, payloads=payloads)


def join(p: FileParts) -> bytes:
    out = bytearray(p.signature + bytes([p.version]))
    out += p.header if isinstance(p.header, bytes) else p.header.to_bytes()
    if p.extensions is not None:
        for tag, d in p.extensions:
            out += bytes([tag]) + encode_varint(len(d)) + d
        out += p.end_segment
    for i, d in enumerate(p.payloads):
        out += p.raw_lengths.get(i, encode_varint(len(d))) + d
    out += p.before_crc
    crc = zlib.crc32(bytes(out)) if p.crc is None else p.crc
    return bytes(out) + crc.to_bytes(4, "big")


def edit(data: bytes, fn: Callable[[FileParts], None]) -> bytes:
    parts = split(data)
    fn(parts)
    return join(parts)


def set_header(data: bytes, **fields: Any) -> bytes:
    """The file with header fields replaced (see :class:`HeaderSpec`); ``version`` sets the byte."""
    def fn(p: FileParts) -> None:
        if "version" in fields:
            p.version = fields.pop("version")
        assert isinstance(p.header, HeaderSpec)
        p.header = dataclasses.replace(p.header, **fields)
    return edit(data, fn)


def replace_payload(data: bytes, name: str, fn: Callable[[bytes], bytes]) -> bytes:
    """The file with one payload (LABL, CMAP, MASK or ROIC) replaced by ``fn(payload)``."""
    def edit_fn(p: FileParts) -> None:
        i = PAYLOAD_NAMES.index(name)
        p.payloads[i] = fn(p.payloads[i])
    return edit(data, edit_fn)
