"""The medium preset's search pruning (encoder._PRUNING, abort_ratio): it does less work than the
same search without it, and what it decides still decodes in FFmpeg (C path) equal to the encoder's
reconstruction."""

from __future__ import annotations

import math

import numpy as np
from skimage import data

import ssgc_ref.vvc.encoder as encoder_mod
from ssgc_ref.vvc import encode_picture
from ssgc_ref.vvc.oracle import decode_annexb


def _planes():
    rgb = data.astronaut()[40:168, 170:298].astype(np.int32)  # 128x128 around the face
    y = ((66 * rgb[..., 0] + 129 * rgb[..., 1] + 25 * rgb[..., 2] + 128) >> 8) + 16
    c = y[::2, ::2].copy()
    return y.astype(np.uint8), c.astype(np.uint8), (255 - c).astype(np.uint8)


def _encode_counting(monkeypatch, pruning):
    monkeypatch.setitem(encoder_mod._PRUNING, "medium", pruning)
    calls = {"code_cu": 0, "lfnst": 0}
    code_cu, lfnst_choice = encoder_mod._PictureEncoder.code_cu, encoder_mod._PictureEncoder._lfnst_choice

    def counted_cu(self, *a, **kw):
        calls["code_cu"] += 1
        return code_cu(self, *a, **kw)

    def counted_lfnst(self, *a, **kw):
        calls["lfnst"] += 1
        return lfnst_choice(self, *a, **kw)

    monkeypatch.setattr(encoder_mod._PictureEncoder, "code_cu", counted_cu)
    monkeypatch.setattr(encoder_mod._PictureEncoder, "_lfnst_choice", counted_lfnst)
    res = encode_picture(*_planes(), qp=37, preset="medium")
    monkeypatch.undo()
    return res, calls


def test_pruning_cuts_work_and_decodes(monkeypatch):
    full, n_full = _encode_counting(monkeypatch, math.inf)
    pruned, n_pruned = _encode_counting(monkeypatch, encoder_mod._PRUNING["medium"])
    assert n_pruned["lfnst"] < n_full["lfnst"]  # dropped CUs skip their LFNST trials
    assert n_pruned["code_cu"] <= n_full["code_cu"]
    for res in (full, pruned):
        for d, r in zip(decode_annexb(res.data, simd=False), res.recon):
            assert np.array_equal(d, r)
    # the two searches stay close in rate (same QP, same tools)
    assert abs(len(pruned.data) - len(full.data)) < 0.1 * len(full.data)
