"""H.266/VVC intra-only encoder of the SSGC ROI substream (spec §7), written from the H.266 text.

Public API: :class:`EncodeResult`, :func:`encode_picture`, :func:`encode_to_budget` (in encoder.py
and rate_control.py); the FFmpeg oracle lives in :mod:`ssgc_ref.vvc.oracle`.
"""
