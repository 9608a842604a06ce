"""Generation parameters: the ``generation_params()`` part of the header. Implements spec §8.2.

Bit-packed inside the header (§2.3), MSB first::

    gen_default                 u(1)   1: every field below has its default, nothing follows
    if (!gen_default)
        for each field f of the table, in order:
            f_is_default        u(1)   1: f has its default value
            if (!f_is_default)
                f               u(bits)

    field              bits  default  range / meaning
    profile_id         16    1        Annex B; any value parses (an unknown one -> preview, §8.1)
    sampler            4     0        0 = DDIM, 1 = DPM-Solver++(2M); 2..15 reserved: UnsupportedError
    steps              10    200      1..1000
    strength_permille  10    700      0..1000
    guidance_q8        16    512      guidance g = guidance_q8 / 256
    eta_q8             9     0        0..256, DDIM eta = eta_q8 / 256
    flags              4     0        bit 0 ROI_AWARE, bit 1 FEATHER, bits 2..3 reserved (shall be 0)

    seed_size          u(2)           0: seed = 0; 1, 2, 3: the seed follows in 16, 32, 64 bits
    seed               u(16/32/64)    the smallest size that holds it (canonical)

Canonical encodings only: ``gen_default = 0`` with every field at its default, an explicit field
equal to its default, or a seed size larger than needed is a FormatError.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ssgc_format.bitio import BitReader, BitWriter
from ssgc_format.errors import FormatError, InputError, UnsupportedError

__all__ = [
    "FLAG_ROI_AWARE",
    "FLAG_FEATHER",
    "SAMPLER_DDIM",
    "SAMPLER_DPM_SOLVER_PP_2M",
    "SAMPLERS",
    "GEN_FIELDS",
    "SEED_BITS",
    "GenerationParams",
    "write_genparams",
    "read_genparams",
    "build_genparams",
    "parse_genparams",
]

FLAG_ROI_AWARE = 0x1
FLAG_FEATHER = 0x2
_RESERVED_FLAGS = 0xC
SAMPLER_DDIM = 0
SAMPLER_DPM_SOLVER_PP_2M = 1
SAMPLERS = {SAMPLER_DDIM: "DDIM", SAMPLER_DPM_SOLVER_PP_2M: "DPM-Solver++(2M)"}
MAX_STEPS = 1000
MAX_STRENGTH = 1000
MAX_ETA_Q8 = 256

# (field, bits, default) in syntax order (§8.2)
GEN_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("profile_id", 16, 1),
    ("sampler", 4, SAMPLER_DDIM),
    ("steps", 10, 200),
    ("strength_permille", 10, 700),
    ("guidance_q8", 16, 512),
    ("eta_q8", 9, 0),
    ("flags", 4, 0),
)
SEED_BITS = (0, 16, 32, 64)  # by seed_size

# A record of one header field for ``info``: (name, bit offset in the header, bits, value).
FieldLog = list[tuple[str, int, int, int]]


@dataclass(frozen=True)
class GenerationParams:
    """The decoded generation parameters (§8.2). Defaults are the paper's settings, LDM profile."""

    profile_id: int = 1
    seed: int = 0
    steps: int = 200
    strength_permille: int = 700
    guidance_q8: int = 512
    eta_q8: int = 0
    flags: int = 0
    sampler: int = SAMPLER_DDIM

    @property
    def guidance(self) -> float:
        return self.guidance_q8 / 256.0

    @property
    def eta(self) -> float:
        return self.eta_q8 / 256.0

    @property
    def roi_aware(self) -> bool:
        return bool(self.flags & FLAG_ROI_AWARE)

    @property
    def feather(self) -> bool:
        return bool(self.flags & FLAG_FEATHER)

    @property
    def is_default(self) -> bool:
        """True when ``gen_default`` = 1 codes these parameters (the seed is coded apart)."""
        return all(getattr(self, name) == default for name, _, default in GEN_FIELDS)

    def problems(self) -> list[str]:
        """Every field outside its §8.2 range, as messages (empty when valid)."""
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int):
                out.append(f"{f.name} must be an integer, got {type(v).__name__}")
        if out:
            return out
        for name, bits in (*((n, b) for n, b, _ in GEN_FIELDS), ("seed", 64)):
            v = getattr(self, name)
            if not 0 <= v < 1 << bits:
                out.append(f"{name} {v} does not fit in {bits} unsigned bits")
        if out:
            return out
        if not 1 <= self.steps <= MAX_STEPS:
            out.append(f"steps {self.steps} outside 1..{MAX_STEPS}")
        if self.strength_permille > MAX_STRENGTH:
            out.append(f"strength_permille {self.strength_permille} outside 0..{MAX_STRENGTH}")
        if self.eta_q8 > MAX_ETA_Q8:
            out.append(f"eta_q8 {self.eta_q8} outside 0..{MAX_ETA_Q8}")
        if self.flags & _RESERVED_FLAGS:
            out.append(f"reserved flag bits 0x{self.flags & _RESERVED_FLAGS:x} set")
        if self.sampler not in SAMPLERS:
            out.append(f"sampler {self.sampler} is reserved (0 = DDIM, 1 = DPM-Solver++(2M))")
        elif self.sampler == SAMPLER_DPM_SOLVER_PP_2M and self.eta_q8:
            out.append(f"eta_q8 {self.eta_q8} with sampler 1: DPM-Solver++(2M) is deterministic (eta_q8 shall be 0)")
        return out


def seed_size(seed: int) -> int:
    """The canonical ``seed_size`` of §8.2: the smallest that holds ``seed``."""
    return next(i for i, bits in enumerate(SEED_BITS) if seed < 1 << bits or i == 3)


def write_genparams(w: BitWriter, p: GenerationParams) -> None:
    """Append ``generation_params()`` (§8.2) to ``w``; InputError if a field is out of range."""
    problems = p.problems()
    if problems:
        raise InputError("generation parameters: " + "; ".join(problems))
    w.flag(p.is_default)
    if not p.is_default:
        for name, bits, default in GEN_FIELDS:
            value = getattr(p, name)
            w.flag(value == default)
            if value != default:
                w.u(value, bits)
    size = seed_size(p.seed)
    w.u(size, 2)
    w.u(p.seed, SEED_BITS[size])


def _check_field(name: str, value: int, offset: int) -> None:
    """The range rule of one field (§8.2), applied as soon as it is read (§2.7)."""
    if name == "sampler" and value not in SAMPLERS:
        raise UnsupportedError(f"sampler {value} is reserved (this decoder knows 0 = DDIM and "
                               "1 = DPM-Solver++(2M))")
    problem = {
        "steps": not 1 <= value <= MAX_STEPS and f"steps {value} outside 1..{MAX_STEPS}",
        "strength_permille": value > MAX_STRENGTH and f"strength_permille {value} outside 0..{MAX_STRENGTH}",
        "eta_q8": value > MAX_ETA_Q8 and f"eta_q8 {value} outside 0..{MAX_ETA_Q8}",
        "flags": value & _RESERVED_FLAGS and f"reserved flag bits 0x{value & _RESERVED_FLAGS:x} set",
    }.get(name)
    if problem:
        raise FormatError(str(problem), chunk="header", offset=offset)


def read_genparams(r: BitReader, log: FieldLog | None = None) -> GenerationParams:
    """Read ``generation_params()`` (§8.2). FormatError on a value out of range or a
    non-canonical choice, UnsupportedError on a reserved sampler. An unknown ``profile_id`` is
    NOT an error here: §8.1 has the decoder fall back to the preview."""

    def field(name: str, bits: int) -> int:
        at = r.bit_pos
        value = r.u(bits)
        if log is not None:
            log.append((name, at, bits, value))
        return value

    values = {name: default for name, _, default in GEN_FIELDS}
    if not field("gen_default", 1):
        for name, bits, default in GEN_FIELDS:
            if not field(f"{name}_is_default", 1):
                at = r.byte_offset
                values[name] = field(name, bits)
                if values[name] == default:
                    raise FormatError(f"{name} coded explicitly with its default value {default} "
                                      "(non-canonical)", chunk="header", offset=at)
                _check_field(name, values[name], at)
        if values["sampler"] == SAMPLER_DPM_SOLVER_PP_2M and values["eta_q8"]:  # §8.10: deterministic
            raise FormatError(f"eta_q8 {values['eta_q8']} with sampler 1: DPM-Solver++(2M) is deterministic "
                              "(eta_q8 shall be 0)", chunk="header")
        if all(values[name] == default for name, _, default in GEN_FIELDS):
            raise FormatError("gen_default = 0 but every generation parameter has its default "
                              "(non-canonical)", chunk="header")
    at = r.byte_offset
    size = field("seed_size", 2)
    seed = field("seed", SEED_BITS[size])
    if seed_size(seed) != size:
        raise FormatError(f"seed {seed} coded with seed_size {size}, the smallest is {seed_size(seed)} "
                          "(non-canonical)", chunk="header", offset=at)
    return GenerationParams(seed=seed, **values)


def build_genparams(p: GenerationParams) -> bytes:
    """``generation_params()`` alone, padded with zero bits to a byte (the form the generation
    conformance vectors store; in a file it is part of the header, §2.3)."""
    w = BitWriter()
    write_genparams(w, p)
    return w.to_bytes()


def parse_genparams(data: bytes) -> GenerationParams:
    """Inverse of :func:`build_genparams`: the whole of ``data`` shall be consumed."""
    r = BitReader(bytes(data), where="generation parameters")
    p = read_genparams(r)
    if r.finish() != len(data):
        raise FormatError(f"{len(data) - r.byte_offset} bytes after the generation parameters",
                          chunk="generation parameters")
    return p
