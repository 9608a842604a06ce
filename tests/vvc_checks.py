"""Helpers shared by the H.266 encoder tests: the FFmpeg oracle check (C and SIMD paths), a spy on
the coding units the encoder writes, a test picture, the reference-sample substitution of H.266
8.4.5.2.8 written sample by sample, a test hook splitting CTUs down to one CU shape, and a sink
that logs syntax bins."""

from __future__ import annotations

import numpy as np

from ssgc_ref.vvc import encoder
from ssgc_ref.vvc.encoder import Forced
from ssgc_ref.vvc.oracle import decode_annexb
from ssgc_ref.vvc.partition import BT_H, BT_V, NO_SPLIT, QT


def decodes_to_recon(res) -> None:
    """FFmpeg's decode of ``res.data`` equals the encoder's reconstruction, on both paths."""
    for simd in (False, True):
        for d, r in zip(decode_annexb(res.data, simd=simd), res.recon):
            np.testing.assert_array_equal(d[: r.shape[0], : r.shape[1]], r, err_msg=f"simd={simd}")


class BinLog:
    """A syntax sink that records what it is given: (ctxInc, bin) per context-coded bin, ("bypass",
    value, n) per bypass_bits call."""

    def __init__(self) -> None:
        self.bins: list = []

    def bin(self, ci: int, b: int) -> None:
        self.bins.append((ci, b))

    def bypass_bits(self, v: int, n: int) -> None:
        self.bins.append(("bypass", v, n))


class WrittenCUs:
    """Spy on the CUs actually written (encoder.write_tree's write_coding_unit): ``cus``."""

    def __init__(self, monkeypatch) -> None:
        self.cus: list = []
        orig = encoder.write_coding_unit

        def spy(sink, cu):
            self.cus.append(cu)
            orig(sink, cu)

        monkeypatch.setattr(encoder, "write_coding_unit", spy)


def textured_planes(rng: np.random.Generator, h: int, w: int, bd: int, flat: str) -> list[np.ndarray]:
    """Smooth oriented texture with noise and one flat area: ``flat`` = "top" (the top half, where
    ISP sub-partitions quantise to zero) or "left" (the left eighth: flat reference samples)."""
    dt = np.uint8 if bd == 8 else np.uint16
    top = (1 << bd) - 1
    planes = []
    for ph, pw in ((h, w), ((h + 1) // 2, (w + 1) // 2), ((h + 1) // 2, (w + 1) // 2)):
        yy, xx = np.mgrid[0:ph, 0:pw]
        p = (top / 2 + top / 3 * np.sin(xx / rng.uniform(2, 9) + yy / rng.uniform(2, 9))
             + rng.normal(0, top / 25, (ph, pw)))
        if flat == "top":
            p[: ph // 2] = top // 3
        else:
            p[:, : pw // 8] = top // 3
        planes.append(np.clip(np.round(p), 0, top).astype(dt))
    return planes


def substitute(values: list, bd: int) -> list[int]:
    """8.4.5.2.8 read literally: ``values`` in the process's order (bottom-left up, then left to
    right along the top), None where unavailable."""
    if all(v is None for v in values):
        return [1 << (bd - 1)] * len(values)
    out = list(values)
    if out[0] is None:
        out[0] = next(v for v in out if v is not None)
    for i in range(1, len(out)):
        if out[i] is None:
            out[i] = out[i - 1]
    return out


class OneShape(Forced):
    """Test hook splitting every CTU down to CUs of one shape ``self.w`` x ``self.h`` (set by the
    subclass). ``strict``: the shape must be reachable everywhere (else blocks crossing the
    picture's edge split as the encoder decides)."""

    w: int
    h: int
    strict = True

    def split_mode(self, x, y, w, h, options):
        if (w, h) == (self.w, self.h):
            want = NO_SPLIT
        elif w == h and w // 2 >= self.w and h // 2 >= self.h:
            want = QT
        else:
            want = BT_V if w > self.w else BT_H
        if want not in options:
            assert not self.strict, (w, h, want, options)
            return None
        return want
