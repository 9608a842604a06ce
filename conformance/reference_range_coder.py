"""Spec §3 as executable text: a pure-Python, integer-only range coder. Implements spec §3.2-§3.5.

This module transcribes the pseudo-code of ``spec/03-entropy-coding.md`` line for line, with no
dependency but the standard library, so that third parties can check their own decoder against it
and so that the test-suite can prove that the specification and the reference implementation
(``ssgc_format.entropy``, built on constriction) agree symbol for symbol and byte for byte.

It is deliberately slow and simple; ``ssgc_format.entropy`` is what the codec uses.

    quantize(counts)                 §3.3  integer counts -> frequency table summing to 2^24
    AdaptiveCounts(n, ...)           §3.4  counts updated after every symbol, halving rule
    SpecRangeDecoder(words)          §3.2  the normative decoder
    SpecRangeEncoder()               §3.2  the informative encoder (a conforming one)
    words_from_bytes / bytes_from_words   §3.6  big-endian 32-bit words
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

PRECISION = 24
TOTAL = 1 << PRECISION
MASK64 = (1 << 64) - 1
WORD = 32
RAW_GROUP = 16  # §3.5


class SpecDecodeError(Exception):
    """The payload is not a valid range-coded stream (quantile out of the model, §3.2 step 2)."""


# §3.3 -----------------------------------------------------------------------------------------

def quantize(counts: list[int]) -> list[int]:
    """Frequency table f (f_i >= 1, sum 2^24) from non-negative integer counts (§3.3)."""
    n = len(counts)
    c = list(counts) if sum(counts) > 0 else [1] * n
    total = sum(c)
    f = [1 + (ci * (TOTAL - n)) // total for ci in c]
    r = TOTAL - sum(f)
    f[c.index(max(c))] += r  # largest count, lowest index among ties
    return f


def cumulative(f: list[int]) -> list[int]:
    """C[s] = f_0 + ... + f_{s-1}; C has n + 1 entries, C[n] = 2^24."""
    out = [0]
    for fi in f:
        out.append(out[-1] + fi)
    return out


# §3.4 -----------------------------------------------------------------------------------------

class AdaptiveCounts:
    """Counts c_i of §3.4: the table for the next symbol is quantize(c)."""

    def __init__(self, n: int, init: list[int] | None = None, *, increment: int = 32,
                 limit: int = 1 << 16):
        self.c = [1] * n if init is None else list(init)
        self.increment = increment
        self.limit = limit

    def table(self) -> list[int]:
        return quantize(self.c)

    def update(self, s: int) -> None:
        self.c[s] += self.increment
        if sum(self.c) > self.limit:
            self.c = [(ci + 1) >> 1 for ci in self.c]


class StaticTable:
    """A fixed table (§3.3) with the same interface as AdaptiveCounts."""

    def __init__(self, counts: list[int]):
        self.f = quantize(counts)

    def table(self) -> list[int]:
        return self.f

    def update(self, s: int) -> None:
        pass


# §3.6 -----------------------------------------------------------------------------------------

def words_from_bytes(data: bytes) -> list[int]:
    """§3.6: word k is bytes 4k..4k+3, big-endian; bytes past the end of the payload are zero."""
    data = bytes(data) + b"\0" * (-len(data) % 4)
    return [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data), 4)]


def bytes_from_words(words: list[int]) -> bytes:
    return b"".join(w.to_bytes(4, "big") for w in words)


# §3.2 decoder (normative) ---------------------------------------------------------------------

class SpecRangeDecoder:
    """The decoder of §3.2, variable for variable (value, range: unsigned 64-bit, never wrap)."""

    def __init__(self, words: list[int]):
        self.words = words
        self.num_words = len(words)
        # init_decoder()
        self.pos = 0
        self.range = (1 << 64) - 1
        hi = self.read_word()
        lo = self.read_word()
        self.value = (hi << 32) | lo

    def read_word(self) -> int:
        if self.pos < self.num_words:
            w = self.words[self.pos]
            self.pos = self.pos + 1
            return w
        return 0  # past the end of the payload: zero words (§3.7)

    def decode(self, f: list[int], C: list[int] | None = None) -> int:
        """decode_symbol(f); ``C`` is the cumulative table of ``f`` (computed if not given)."""
        if C is None:
            C = cumulative(f)
        scale = self.range >> 24
        q = self.value // scale
        if q >= 1 << 24:
            raise SpecDecodeError("q >= 2^24: not a valid stream")
        s = bisect_right(C, q) - 1  # the symbol with C[s] <= q < C[s + 1]
        self.value = self.value - scale * C[s]
        self.range = scale * f[s]
        if self.range < 1 << 32:
            self.range = self.range << 32
            self.value = (self.value << 32) | self.read_word()
        return s

    def decode_with(self, model) -> int:
        s = self.decode(model.table())
        model.update(s)
        return s

    def decode_bits(self, nbits: int) -> int:
        """§3.5: groups of 16 bits, most significant group first, uniform tables."""
        value = 0
        for width in raw_group_widths(nbits):
            value = (value << width) | self.decode(*uniform_table(width))
        return value


@lru_cache(maxsize=None)
def uniform_table(width: int) -> tuple[list[int], list[int]]:
    """(f, C) of the uniform table of 2^width symbols used for raw bits (§3.5)."""
    f = quantize([1] * (1 << width))
    return f, cumulative(f)


def raw_group_widths(nbits: int) -> list[int]:
    """Widths of the groups of a raw nbits-bit value, most significant first (§3.5)."""
    first = nbits - RAW_GROUP * ((nbits - 1) // RAW_GROUP)
    return [first] + [RAW_GROUP] * ((nbits - 1) // RAW_GROUP)


# §3.2 encoder (informative) -------------------------------------------------------------------

class SpecRangeEncoder:
    """A conforming encoder. Words already written are patched when a carry propagates into
    them; that yields the same bytes as constriction, which instead holds such words back."""

    def __init__(self):
        self.words: list[int] = []
        self.carries = 0  # how many carries propagated into written words (for tests)
        self.lower = 0
        self.range = MASK64

    def _carry(self, words: list[int]) -> None:
        """Add one to the number the written words form (base 2^32, last word least significant)."""
        self.carries += 1
        i = len(words) - 1
        while words[i] == 0xFFFFFFFF:
            words[i] = 0
            i -= 1
        words[i] += 1

    def encode(self, s: int, f: list[int], C: list[int] | None = None) -> None:
        C = sum(f[:s]) if C is None else C[s]
        scale = self.range >> PRECISION
        lower = self.lower + scale * C
        if lower > MASK64:
            self._carry(self.words)
        self.lower = lower & MASK64
        self.range = scale * f[s]
        if self.range < (1 << WORD):
            self.words.append(self.lower >> WORD)
            self.lower = (self.lower << WORD) & MASK64
            self.range <<= WORD

    def encode_with(self, s: int, model) -> None:
        self.encode(s, model.table())
        model.update(s)

    def encode_bits(self, value: int, nbits: int) -> None:
        shift = nbits
        for width in raw_group_widths(nbits):
            shift -= width
            self.encode((value >> shift) & ((1 << width) - 1), *uniform_table(width))

    def finish_bytes(self) -> bytes:
        """The payload as §3.2.1 terminates it (2.0): the code point of the final interval
        [low, low + range) with the most trailing zero bits, trailing zero bytes dropped. ``low``
        is the exact integer the written words and ``lower`` form."""
        if self.range == MASK64:  # nothing was encoded: empty payload
            return b""
        n = len(self.words)
        low = (int.from_bytes(bytes_from_words(self.words), "big") << 64) | self.lower
        high = low + self.range - 1
        t = 32 * n + 64
        while t > 0 and ((high >> t) << t) < low:  # the largest t with a multiple of 2^t in [low, high]
            t -= 1
        point = (high >> t) << t
        return point.to_bytes(4 * n + 8, "big").rstrip(b"\0")

    def finish(self) -> list[int]:
        """The words of constriction's flush (the 1.x termination, whole 32-bit words, which the
        2.0 termination of :meth:`finish_bytes` never exceeds); the encoder is left unchanged."""
        words = list(self.words)
        if self.range == MASK64:  # nothing was encoded: empty payload
            return words
        point = self.lower + (1 << WORD) - 1
        if point > MASK64:
            self._carry(words)
        point &= MASK64
        upper = (self.lower + self.range) & MASK64
        out_words = [point >> WORD]
        if upper >> WORD == point >> WORD:
            out_words.append(0)
        return words + out_words
