"""The one exception hierarchy of SSGC.

Every malformed, truncated or hostile input raises a subclass of :class:`SSGCError`; no other
exception type may escape the public API of ``ssgc_format`` or ``ssgc_ref`` for bad input.

    SSGCError
    ├── FormatError          the bytes do not follow the specification
    │   ├── ChecksumError    the file's CRC-32 does not match (transfer damage, truncation)
    │   └── LimitError       a value exceeds a limit of spec §1.5 (checked before allocating)
    ├── UnsupportedError     valid syntax this decoder does not implement (major version, codec id)
    ├── InputError           the encoder was given an unusable image, label map, mask or option
    └── ModelError           generator weights missing, malformed or not the profile's
"""

from __future__ import annotations


class SSGCError(Exception):
    """Base class of every error SSGC raises on purpose."""


class FormatError(SSGCError):
    """The bitstream violates the specification.

    ``chunk`` names the part of the file (``header``, a payload such as ``LABL``, an extension
    segment such as ``meta``, ``CRC``; ``None`` for the signature) and ``offset`` the byte offset
    in the file (or in the payload, as the message says).
    """

    def __init__(self, message: str, *, chunk: str | None = None, offset: int | None = None):
        self.chunk = chunk
        self.offset = offset
        self.detail = message
        where = []
        if chunk is not None:
            where.append(chunk)
        if offset is not None:
            where.append(f"byte {offset}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ChecksumError(FormatError):
    """The file's CRC-32 does not match its bytes (spec §2.6)."""


class LimitError(FormatError):
    """A size, length or count exceeds a limit stated in the specification."""


class UnsupportedError(SSGCError):
    """Well-formed input that uses a feature this implementation does not support."""


class InputError(SSGCError):
    """The encoder (or a tool) was given an unusable input or option."""


class ModelError(SSGCError):
    """Generator weights are missing, malformed, or do not match the file's model profile."""
