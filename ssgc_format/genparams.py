"""The GENP chunk: generation parameters. Implements spec §8.2.

GENP (20 bytes in version 1.0, big-endian, fixed point only)::

    offset  size  field              range / meaning
    0       u16   profile_id         model profile (Annex B); any value parses, an unknown one makes
                                     the decoder fall back to the preview (§8.1)
    2       u64   seed               0..2^64-1, key of the portable noise (Annex C)
    10      u16   steps              1..1000   DDIM steps n (§8.3)
    12      u16   strength_permille  0..1000   SDEdit strength s, start index k0 = min(n-1, n*s // 1000)
    14      u16   guidance_q8        0..65535  classifier-free guidance scale g = guidance_q8 / 256
    16      u16   eta_q8             0..256    DDIM eta = eta_q8 / 256
    18      u16   flags              bit 0 ROI_AWARE (§8.7), bit 1 FEATHER (§8.8);
                                     bits 2..15 reserved, shall be 0 (else FormatError)

Any other payload length is a FormatError.
"""

from __future__ import annotations

from dataclasses import dataclass

import construct as cs

from ssgc_format.errors import FormatError, InputError

__all__ = [
    "GENP_LENGTH",
    "FLAG_ROI_AWARE",
    "FLAG_FEATHER",
    "GenerationParams",
    "build_genparams",
    "parse_genparams",
    "genp_format",
]

GENP_LENGTH = 20
FLAG_ROI_AWARE = 0x0001
FLAG_FEATHER = 0x0002
_RESERVED_FLAGS = 0xFFFC
MAX_STEPS = 1000
MAX_ETA_Q8 = 256

genp_format = cs.Struct(
    "profile_id" / cs.Int16ub,
    "seed" / cs.Int64ub,
    "steps" / cs.Int16ub,
    "strength_permille" / cs.Int16ub,
    "guidance_q8" / cs.Int16ub,
    "eta_q8" / cs.Int16ub,
    "flags" / cs.Int16ub,
)
assert genp_format.sizeof() == GENP_LENGTH


@dataclass(frozen=True)
class GenerationParams:
    """The decoded GENP chunk (§8.2). Defaults are the paper's settings with the LDM profile."""

    profile_id: int = 1
    seed: int = 0
    steps: int = 200
    strength_permille: int = 700
    guidance_q8: int = 512
    eta_q8: int = 0
    flags: int = 0

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

    def problems(self) -> list[str]:
        """Every field outside its §8.2 range, as messages (empty when valid)."""
        out = []
        for name, bits in (("profile_id", 16), ("seed", 64), ("steps", 16), ("strength_permille", 16),
                           ("guidance_q8", 16), ("eta_q8", 16), ("flags", 16)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                out.append(f"{name} must be an integer, got {type(v).__name__}")
            elif not 0 <= v < 1 << bits:
                out.append(f"{name} {v} does not fit in {bits} unsigned bits")
        if out:
            return out
        if not 1 <= self.steps <= MAX_STEPS:
            out.append(f"steps {self.steps} outside 1..{MAX_STEPS}")
        if self.strength_permille > 1000:
            out.append(f"strength_permille {self.strength_permille} outside 0..1000")
        if self.eta_q8 > MAX_ETA_Q8:
            out.append(f"eta_q8 {self.eta_q8} outside 0..{MAX_ETA_Q8}")
        if self.flags & _RESERVED_FLAGS:
            out.append(f"reserved flag bits 0x{self.flags & _RESERVED_FLAGS:04x} set")
        return out


def build_genparams(p: GenerationParams) -> bytes:
    """Serialise ``p`` (§8.2); InputError if a field is out of range."""
    problems = p.problems()
    if problems:
        raise InputError("GENP: " + "; ".join(problems))
    return genp_format.build(dict(
        profile_id=p.profile_id, seed=p.seed, steps=p.steps, strength_permille=p.strength_permille,
        guidance_q8=p.guidance_q8, eta_q8=p.eta_q8, flags=p.flags))


def parse_genparams(data: bytes) -> GenerationParams:
    """Parse a GENP payload (§8.2). FormatError(chunk="GENP") on a wrong length or a bad field.

    An unknown profile_id is NOT an error here: §8.1 has the decoder fall back to the preview.
    """
    if len(data) != GENP_LENGTH:
        raise FormatError(f"payload is {len(data)} bytes, GENP is {GENP_LENGTH}", chunk="GENP")
    try:
        c = genp_format.parse(bytes(data))
    except cs.ConstructError as e:  # pragma: no cover - length is checked above
        raise FormatError(f"cannot parse: {e}", chunk="GENP") from None
    p = GenerationParams(profile_id=c.profile_id, seed=c.seed, steps=c.steps,
                         strength_permille=c.strength_permille, guidance_q8=c.guidance_q8,
                         eta_q8=c.eta_q8, flags=c.flags)
    problems = p.problems()
    if problems:
        offsets = {"steps": 10, "strength_permille": 12, "eta_q8": 16, "reserved": 18}
        first = problems[0]
        off = next((o for k, o in offsets.items() if first.startswith(k)), None)
        raise FormatError("; ".join(problems), chunk="GENP", offset=off)
    return p
