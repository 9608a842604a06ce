"""The reference encoder and decoder end to end (issue 4): what the encoder expects the decoder to
see is what the decoder sees, and the ROI inside the mask is exactly the VVC-decoded picture."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ssgc_format import reconstruct
from ssgc_format.errors import InputError
from ssgc_ref.analysis import downsample_labels
from ssgc_ref.decoder import decode_bytes
from ssgc_ref.encoder import EncoderConfig, encode_image


def scene(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random picture and a blobby label image of the same size."""
    small = rng.integers(0, 256, (max(1, h // 8), max(1, w // 8), 3)).astype(np.float64)
    ys = np.linspace(0, small.shape[0] - 1, h).round().astype(int)
    xs = np.linspace(0, small.shape[1] - 1, w).round().astype(int)
    rgb = np.clip(small[ys][:, xs] + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)
    labels = rng.choice(np.array([156, 123, 168, 134, 182], np.uint8), size=(max(1, h // 8), max(1, w // 8)))
    return rgb, np.ascontiguousarray(labels[ys][:, xs])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=st.integers(2, 48), w=st.integers(2, 48), seed=st.integers(0, 2**31), qp=st.integers(20, 63),
       mcell=st.integers(0, 3), data=st.data())
def test_round_trip_with_roi(h, w, seed, qp, mcell, data):
    rng = np.random.default_rng(seed)
    rgb, labels = scene(rng, h, w)
    y0, x0 = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    y1, x1 = data.draw(st.integers(y0 + 1, h)), data.draw(st.integers(x0 + 1, w))
    mask = np.zeros((h, w), bool)
    mask[y0:y1, x0:x1] = rng.random((y1 - y0, x1 - x0)) < 0.8
    mask[y0, x0] = True
    cfg = EncoderConfig(qp=qp, mask_cell_log2=mcell, seed=seed, provenance="none")
    enc = encode_image(rgb, mask=mask, labels=labels, config=cfg)
    res = decode_bytes(enc.data, generator="preview")

    img = res.parsed
    assert img == enc.image  # every payload decodes to what the encoder wrote
    assert np.array_equal(img.labels, downsample_labels(labels, cfg.label_cell_log2))
    assert np.array_equal(res.roi_rgb, enc.roi_rgb)  # FFmpeg's decode == the encoder's expectation
    r = img.roi
    m = res.mask_full
    window = res.image[r.y: r.y + r.height, r.x: r.x + r.width]
    sel = m[r.y: r.y + r.height, r.x: r.x + r.width]
    assert np.array_equal(window[sel], res.roi_rgb[sel])  # ROI pixels are the VVC pixels, exactly
    assert np.array_equal(res.image[~m], res.colors_full[~m])  # elsewhere: the preview
    # The coded mask covers the requested ROI wherever the rectangle can (spec 9.3).
    inside = np.zeros_like(mask)
    inside[r.y: r.y + r.height, r.x: r.x + r.width] = True
    assert not (mask & inside & ~m).any()


def test_whole_image_generated_without_mask():
    rgb, labels = scene(np.random.default_rng(3), 40, 56)
    enc = encode_image(rgb, labels=labels, config=EncoderConfig(seed=1))
    res = decode_bytes(enc.data, generator="preview")
    assert not res.parsed.header.has_roi and res.roi_rgb is None
    assert np.array_equal(res.image, reconstruct.color_image(res.parsed))


def test_default_segmenter_and_provenance():
    from conformance.make_vectors import synthetic_image

    rgb = synthetic_image(64, 48, 5)
    assert encode_image(rgb, config=EncoderConfig(seed=2)).image.meta == ()  # provenance is opt-in
    enc = encode_image(rgb, config=EncoderConfig(seed=2, provenance="short"))
    meta = dict(enc.image.meta)
    assert meta["segmenter"] == "superpixel" and meta["encoder"].startswith("ssgc-ref ")
    assert "not a trained model" in enc.segmenter


def test_rate_options():
    # large enough that the semantic part (match_rate's budget) holds a 32x32 ROI at QP 63
    rgb, labels = scene(np.random.default_rng(4), 160, 224)
    mask = np.zeros((160, 224), bool)
    mask[8:40, 16:48] = True
    budget = encode_image(rgb, mask=mask, labels=labels, config=EncoderConfig(roi_bytes=300, seed=1))
    assert len(budget.image.roi.substream) <= 300
    matched = encode_image(rgb, mask=mask, labels=labels, config=EncoderConfig(match_rate=True, seed=1))
    no_roi = encode_image(rgb, labels=labels, config=EncoderConfig(seed=1))
    assert len(matched.image.roi.substream) <= len(no_roi.data)
    with pytest.raises(InputError, match="at most one"):
        encode_image(rgb, mask=mask, labels=labels, config=EncoderConfig(qp=30, roi_bytes=100))
    with pytest.raises(InputError):
        encode_image(rgb, mask=mask, labels=labels, config=EncoderConfig(qp=64))


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32),
                                 np.zeros((4, 4, 4), np.uint8)])
def test_bad_images_are_input_errors(bad):
    with pytest.raises(InputError):
        encode_image(bad, config=EncoderConfig(seed=1))


def test_mask_and_labels_must_match_the_image():
    rgb, labels = scene(np.random.default_rng(5), 16, 16)
    with pytest.raises(InputError, match="mask"):
        encode_image(rgb, mask=np.ones((8, 8), bool), labels=labels)
    with pytest.raises(InputError, match="label"):
        encode_image(rgb, labels=labels[:8])


def test_vvc_alone_baseline_on_an_odd_sized_picture():
    from ssgc_ref.roi_codec import encode_whole_picture

    rgb, _ = scene(np.random.default_rng(6), 21, 33)
    data, dec = encode_whole_picture(rgb, max_bytes=400)
    assert len(data) <= 400 and dec.shape == rgb.shape
    assert np.array_equal(dec[-1], dec[-2]) and np.array_equal(dec[:, -1], dec[:, -2])
