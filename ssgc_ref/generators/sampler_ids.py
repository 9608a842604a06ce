"""GENP sampler ids (spec §8.2 field ``sampler``, §8.10), names and the encoder's default steps.

Torch-free, so that the encoder's command line can use it without loading the networks.

    sampler 0  DDIM (§8.5), the paper's; eta_q8 0..256
    sampler 1  DPM-Solver++(2M) (§8.10); eta_q8 shall be 0
"""

from __future__ import annotations

from ssgc_format.errors import FormatError, UnsupportedError

__all__ = ["SAMPLER_DDIM", "SAMPLER_DPMPP_2M", "SAMPLER_NAMES", "DEFAULT_STEPS", "check_sampler", "sampler_id"]

SAMPLER_DDIM = 0
SAMPLER_DPMPP_2M = 1
#: command-line name -> GENP id
SAMPLER_NAMES = {"ddim": SAMPLER_DDIM, "dpmpp-2m": SAMPLER_DPMPP_2M}
#: the encoder's default GENP.steps per sampler. DDIM: the paper's 200 (141 steps run at strength
#: 0.7). DPM-Solver++(2M): 40 (29 run), the smallest multiple of 10 (so that tau_k0 = 701 at
#: strength 0.7, as for DDIM-200) whose error against DDIM-1000 is at most DDIM-200's own on the
#: smooth-in-t models of benchmarks/sampler_convergence.py (4.9x fewer network evaluations).
DEFAULT_STEPS = {SAMPLER_DDIM: 200, SAMPLER_DPMPP_2M: 40}


def sampler_id(name: str) -> int:
    """GENP id of a command-line sampler name (UnsupportedError listing the names)."""
    if name not in SAMPLER_NAMES:
        raise UnsupportedError(f"unknown sampler {name!r}; valid: {', '.join(SAMPLER_NAMES)}")
    return SAMPLER_NAMES[name]


def check_sampler(sampler: int, eta_q8: int) -> None:
    """§8.10: sampler 1 is deterministic, so eta_q8 != 0 with it is a format error; ids >= 2 are
    unknown to this decoder (UnsupportedError: it cannot run the loop)."""
    if sampler == SAMPLER_DPMPP_2M and eta_q8 != 0:
        raise FormatError(f"GENP sampler 1 (DPM-Solver++(2M)) needs eta_q8 = 0, got {eta_q8}", chunk="GENP")
    if sampler not in (SAMPLER_DDIM, SAMPLER_DPMPP_2M):
        raise UnsupportedError(f"GENP sampler {sampler} is not known to this decoder (0 = DDIM, "
                               f"1 = DPM-Solver++(2M))")
