"""ROI substream encoding and decoding (spec §7): RGB <-> H.266/VVC intra substream of a ROIC chunk.

Encoding is informative (the project's own VVC intra encoder, :mod:`ssgc_ref.vvc`); decoding follows
§7.4-7.5: any conforming H.266 decoder (here FFmpeg's native ``vvc`` decoder through PyAV), checks of
the decoded picture against the ROIC fields, then the normative integer YCbCr -> RGB of §7.5.
"""

from __future__ import annotations

import numpy as np

from ssgc_format.errors import FormatError, InputError, LimitError, SSGCError
from ssgc_format.ycbcr import rgb_to_ycbcr420, ycbcr420_to_rgb

__all__ = ["CODED_SIZE_MARGIN", "DEFAULT_QP", "MAX_NON_VCL_NAL_UNITS", "check_substream", "decode_roi",
           "encode_roi", "encode_whole_picture", "max_nal_units"]

DEFAULT_QP = 55  # the paper's ROI operating point (DESIGN.md)
CODED_SIZE_MARGIN = 64  # §7.4 rule 5: coded picture at most (width + 64) x (height + 64)
MAX_NON_VCL_NAL_UNITS = 64  # §7.4 rule 6: NAL units allowed beyond one slice per 32x32 CTU


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise InputError(f"ROI image must be uint8 (H, W, 3), got {a.dtype} {a.shape}")
    h, w = a.shape[:2]
    if h < 2 or w < 2 or h % 2 or w % 2 or h > 0xFFFF or w > 0xFFFF:
        raise InputError(f"ROI size {w}x{h}: width and height shall be even, 2..65535 (spec §7.3)")
    return a


def encode_roi(rgb: np.ndarray, *, qp: int | None = None, max_bytes: int | None = None,
               bit_depth: int = 8, preset: str = "medium") -> tuple[bytes, np.ndarray]:
    """Encode an RGB ROI crop as a VVC substream; returns (substream bytes, RGB a decoder produces).

    ``qp`` fixes the slice QP (default :data:`DEFAULT_QP`); ``max_bytes`` instead picks the best
    quality whose substream fits the budget (the two are exclusive). ``preset`` is the encoder's
    speed/quality trade-off ("fast", "medium", "slow"). The returned RGB is what
    :func:`decode_roi` yields for the substream (it is decoded to make sure).
    """
    a = _check_rgb(rgb)
    if bit_depth not in (8, 10):
        raise InputError(f"ROI bit depth {bit_depth} not 8 or 10")
    if qp is not None and max_bytes is not None:
        raise InputError("give either qp or max_bytes for the ROI, not both")
    y, cb, cr = rgb_to_ycbcr420(a, bit_depth)
    if max_bytes is not None:
        if not isinstance(max_bytes, (int, np.integer)) or max_bytes < 1:
            raise InputError(f"ROI byte budget {max_bytes!r} is not a positive integer")
        from ssgc_ref.vvc.rate_control import encode_to_budget

        res = encode_to_budget(y, cb, cr, max_bytes=int(max_bytes), bit_depth=bit_depth, preset=preset)
    else:
        from ssgc_ref.vvc.encoder import encode_picture

        res = encode_picture(y, cb, cr, qp=DEFAULT_QP if qp is None else qp, bit_depth=bit_depth,
                             preset=preset)
    data = bytes(res.data)
    return data, decode_roi(data, a.shape[1], a.shape[0], bit_depth)


def encode_whole_picture(rgb: np.ndarray, *, max_bytes: int) -> tuple[bytes, np.ndarray]:
    """VVC alone on a whole picture of any size, at the best quality within ``max_bytes`` (the
    baseline SSGC is compared with). An odd last row or column, which a 4:2:0 VVC picture cannot
    hold, is coded without it and copied from its neighbour in the returned RGB."""
    h, w = rgb.shape[:2]
    data, dec = encode_roi(rgb[: h & ~1, : w & ~1], max_bytes=max_bytes)
    return data, np.pad(dec, ((0, h & 1), (0, w & 1), (0, 0)), mode="edge")


def max_nal_units(width: int, height: int) -> int:
    """§7.4 rule 6: the most NAL units a ROIC substream may hold for a width x height rectangle.

    64 non-VCL NAL units (parameter sets, SEI, ...) plus one slice per CTU of the largest coded
    picture rule 5 allows, at the smallest CTU (32): ceil((width + 64) / 32) * ceil((height + 64) / 32).
    """
    return MAX_NON_VCL_NAL_UNITS + ((width + CODED_SIZE_MARGIN + 31) >> 5) * ((height + CODED_SIZE_MARGIN + 31) >> 5)


def check_substream(substream: bytes, width: int, height: int) -> None:
    """The structural checks of §7.4, in the spec's order, before any H.266 decoding.

    In this order: LimitError (chunk "ROIC") for more NAL units than :func:`max_nal_units`;
    FormatError for a malformed NAL unit header or SPS, or no SPS; LimitError for an SPS larger
    than rule 5 allows; FormatError for a VCL NAL unit that is not IDR, no slice, or not exactly
    one picture header (rule 1).
    """
    from ssgc_ref.vvc.sps_probe import IDR_NUTS, SpsProbeError, walk_substream

    limit = max_nal_units(width, height)
    try:
        walk = walk_substream(bytes(substream), limit)
    except SpsProbeError as exc:
        raise FormatError(f"H.266 substream: {exc}", chunk="ROIC") from None
    if walk.nal_units > limit:
        raise LimitError(f"H.266 substream has more than {limit} NAL units (the limit for a "
                         f"{width}x{height} rectangle)", chunk="ROIC")
    if not walk.sps_sizes:
        raise FormatError("H.266 substream has no sequence parameter set", chunk="ROIC")
    for sw, sh in walk.sps_sizes:
        if sw > width + CODED_SIZE_MARGIN or sh > height + CODED_SIZE_MARGIN:
            raise LimitError(f"H.266 coded picture {sw}x{sh} exceeds the ROIC rectangle {width}x{height} "
                             f"by more than {CODED_SIZE_MARGIN} samples", chunk="ROIC")
    bad = [t for t in walk.vcl_types if t not in IDR_NUTS]
    if bad:
        raise FormatError(f"H.266 substream has a VCL NAL unit of type {bad[0]}, not IDR_W_RADL or "
                          f"IDR_N_LP", chunk="ROIC")
    if not walk.vcl_types:
        raise FormatError("H.266 substream has no coded slice", chunk="ROIC")
    if walk.pictures != 1:
        raise FormatError(f"H.266 substream has {walk.pictures} picture headers: exactly one coded "
                          f"picture is allowed", chunk="ROIC")


def _decode_single_picture(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode with FFmpeg's ``vvc`` decoder (single-threaded, SIMD off), keeping the first output
    picture only: a second one is refused as soon as it appears (§7.4 rule 1)."""
    import av

    from ssgc_ref.vvc import oracle

    frames: list[av.VideoFrame] = []

    def take(new: list[av.VideoFrame]) -> None:
        frames.extend(new)
        if len(frames) > 1:
            raise FormatError("H.266 substream decodes to more than one picture", chunk="ROIC")

    oracle.set_simd(False)
    try:
        ctx = av.CodecContext.create("vvc", "r")
        ctx.thread_count = 1  # FFmpeg 8.0's threaded vvc decoder is not deterministic here
        for pkt in ctx.parse(data) + ctx.parse(None):
            take(ctx.decode(pkt))
        take(ctx.decode(None))
    except av.FFmpegError as exc:
        raise FormatError(f"H.266 substream rejected by the decoder: {exc}", chunk="ROIC") from None
    finally:
        oracle.set_simd(True)
    if not frames:
        raise FormatError("H.266 substream decoded to no picture", chunk="ROIC")
    fr = frames[0]
    if fr.format.name not in ("yuv420p", "yuv420p10le"):
        raise FormatError(f"H.266 substream decoded to pixel format {fr.format.name}, not 4:2:0", chunk="ROIC")
    return oracle.frame_planes(fr)


def decode_roi(substream: bytes, width: int, height: int, bit_depth: int) -> np.ndarray:
    """Decode a ROIC substream (§7.4) and convert it (§7.5): uint8 RGB (height, width, 3).

    First the structural checks of :func:`check_substream` (NAL unit count, one picture, SPS
    size), so a hostile stream is refused before the decoder allocates anything; then the H.266
    decode, stopped at a second picture; then the checks of the picture against the ROIC size,
    4:2:0 layout and bit depth. FormatError (chunk "ROIC", LimitError for the limits) on failure.
    FFmpeg's SIMD is disabled for the decode (FFmpeg 8.0's 8-bit ALF SIMD is not bit-exact) and
    re-enabled afterwards.
    """
    check_substream(substream, width, height)
    try:
        y, cb, cr = _decode_single_picture(bytes(substream))
    except SSGCError:
        raise
    except Exception as exc:  # PyAV/FFmpeg internals: any failure means an undecodable substream
        raise FormatError(f"H.266 substream not decodable: {type(exc).__name__}: {exc}", chunk="ROIC") from None
    if y.shape != (height, width):
        raise FormatError(f"decoded picture is {y.shape[1]}x{y.shape[0]}, ROIC rectangle is "
                          f"{width}x{height}", chunk="ROIC")
    cshape = (height // 2, width // 2)
    if cb.shape != cshape or cr.shape != cshape:
        raise FormatError(f"decoded chroma {cb.shape[::-1]} is not 4:2:0 of {width}x{height}", chunk="ROIC")
    decoded_depth = 8 if y.dtype == np.uint8 else 10
    if decoded_depth != bit_depth:
        raise FormatError(f"substream bit depth {decoded_depth} differs from ROIC bit_depth {bit_depth}",
                          chunk="ROIC")
    return ycbcr420_to_rgb(y, cb, cr, bit_depth)
