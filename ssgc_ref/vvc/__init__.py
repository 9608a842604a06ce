"""H.266/VVC intra-only encoder of the SSGC ROI substream (spec §7), written from the H.266 text.

Public API: :class:`EncodeResult`, :func:`encode_picture`, :func:`encode_to_budget`; the FFmpeg
oracle lives in :mod:`ssgc_ref.vvc.oracle` (``decode_annexb``, ``set_simd``).

Stream profile: SPS/PPS + one IDR_N_LP I slice (picture header in the slice header), CTU 64 (or 32)
with 64x64 maximum transform size at CTU 64 (32x32 with ``tb64=False`` or CTU 32), quad-tree splits
down to 8x8 plus binary/ternary splits (multi-type tree, not in the fast preset), single tree, 4:2:0,
8 or 10 bits, 67 intra modes, intra sub-partitions (ISP, not in the fast preset), multiple reference
lines (only with ``mrl=True``), DM/planar/vertical/horizontal/DC chroma, DCT-II plus LFNST on luma,
flat scaling, sign data hiding (only with ``sign_hiding=True``), dependent quantisation (only with
``dep_quant=True``; a four-state trellis, dep_quant.py), deblocking on (mirrored exactly;
``deblocking=False`` switches it off in the PPS), sample adaptive offset (``sao=False`` switches it
off), no ALF/LMCS, conformance window cropping (an odd width or height decodes one sample larger:
crop to the input size).
"""

from .encoder import EncodeResult, encode_picture
from .rate_control import encode_to_budget

__all__ = ["EncodeResult", "encode_picture", "encode_to_budget"]
