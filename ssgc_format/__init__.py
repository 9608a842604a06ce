"""SSGC bitstream layer (normative): container, payload entropy coding, integer reconstruction.

Everything here is what a third-party decoder reimplements from ``spec/``. It imports only numpy,
construct and constriction: never ``ssgc_ref``, torch or diffusers.
"""

from ssgc_format.errors import (
    ChecksumError,
    FormatError,
    InputError,
    LimitError,
    ModelError,
    SSGCError,
    UnsupportedError,
)

FORMAT_VERSION = (2, 0)

__all__ = [
    "FORMAT_VERSION",
    "SSGCError",
    "FormatError",
    "ChecksumError",
    "LimitError",
    "UnsupportedError",
    "InputError",
    "ModelError",
]
