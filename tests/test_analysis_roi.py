"""ssgc_ref.analysis.roi: face detection, rectangle/mask-file ROIs, even-aligned bounding box."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from skimage import data

from ssgc_format.errors import InputError
from ssgc_ref.analysis.roi import (
    boxes_mask,
    detect_faces,
    faces_mask,
    load_mask,
    rect_mask,
    roi_rectangle,
)


def test_astronaut_face_found_once():
    rgb = data.astronaut()
    boxes = detect_faces(rgb)
    assert len(boxes) == 1
    x, y, w, h = boxes[0]
    # the face is around (220, 115) in the 512x512 picture
    assert x < 220 < x + w and y < 115 < y + h and 70 <= w <= 130
    mask = faces_mask(rgb, margin=0.25)
    frac = mask.mean()
    assert 0.05 < frac < 0.11  # ~8% of the picture, as DESIGN.md measured


def test_no_face_is_a_clear_error():
    with pytest.raises(InputError, match="no frontal face"):
        faces_mask(data.coffee())
    with pytest.raises(InputError, match="no frontal face"):
        faces_mask(np.full((20, 20, 3), 128, np.uint8))


def test_large_images_are_searched_reduced():
    big = np.asarray(Image.fromarray(data.astronaut()).resize((1400, 1400), Image.BILINEAR))
    boxes = detect_faces(big)
    assert len(boxes) == 1
    x, y, w, h = boxes[0]
    assert x < 600 < x + w and y < 315 < y + h


def test_boxes_mask_margin_and_clip():
    m = boxes_mask([(10, 10, 8, 4)], 30, 30, margin=0.25)
    ys, xs = np.nonzero(m)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (8, 19, 9, 14)
    m = boxes_mask([(0, 0, 10, 10), (25, 25, 10, 10)], 30, 30, margin=0.5)
    assert m[0, 0] and m[29, 29] and not m[20, 5]


def test_rect_mask():
    m = rect_mask("2,3,4,5", 10, 8)
    assert m.shape == (10, 8) and m.sum() == 20 and m[3, 2] and m[7, 5] and not m[8, 5]
    assert rect_mask(" 0 , 0 , 8 , 10 ", 10, 8).all()


@pytest.mark.parametrize("spec", ["1,2,3", "a,b,c,d", "-1,0,2,2", "0,0,0,3", "5,0,4,4", "0,8,2,3", ""])
def test_rect_mask_rejects(spec):
    with pytest.raises(InputError):
        rect_mask(spec, 10, 8)


def test_load_mask(tmp_path):
    m = np.zeros((6, 9), np.uint8)
    m[2:4, 3:7] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    assert np.array_equal(load_mask(tmp_path / "m.png", 6, 9), m > 0)
    rgba = np.zeros((6, 9, 4), np.uint8)
    rgba[..., 3] = 255  # alpha is ignored
    rgba[1, 1, 2] = 1  # any channel nonzero
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    got = load_mask(tmp_path / "rgba.png", 6, 9)
    assert got.sum() == 1 and got[1, 1]
    with pytest.raises(InputError, match="9x6"):
        load_mask(tmp_path / "m.png", 9, 6)
    Image.fromarray(np.zeros((6, 9), np.uint8)).save(tmp_path / "empty.png")
    with pytest.raises(InputError, match="empty"):
        load_mask(tmp_path / "empty.png", 6, 9)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(InputError):
        load_mask(tmp_path / "junk.png", 6, 9)


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 41), st.integers(2, 41), st.data())
def test_roi_rectangle_contains_and_even(h, w, data_):
    y0 = data_.draw(st.integers(0, h - 1))
    x0 = data_.draw(st.integers(0, w - 1))
    y1 = data_.draw(st.integers(y0 + 1, h))
    x1 = data_.draw(st.integers(x0 + 1, w))
    mask = np.zeros((h, w), bool)
    mask[y0:y1, x0:x1] = True
    if data_.draw(st.booleans()):
        mask[y0, x1 - 1] = False  # not a full rectangle
        if not mask.any():
            mask[y0, x0] = True
    x, y, bw, bh = roi_rectangle(mask)
    assert bw % 2 == 0 and bh % 2 == 0 and bw >= 2 and bh >= 2  # 4:2:0 VVC picture
    assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h
    inside = np.zeros_like(mask)
    inside[y : y + bh, x : x + bw] = True
    # Every ROI pixel is covered, except the last column (row) when the mask spans a whole odd side.
    missed = mask & ~inside
    if missed.any():
        ys, xs = np.nonzero(missed)
        assert (w % 2 and bw == w - 1 and (xs == w - 1).all()) or (h % 2 and bh == h - 1 and (ys == h - 1).all()) \
            or (w % 2 and h % 2 and bw == w - 1 and bh == h - 1 and ((xs == w - 1) | (ys == h - 1)).all())
    # tight: outward rounding adds at most two pixels on each side
    ys, xs = np.nonzero(mask)
    assert x >= xs.min() - 2 and x + bw <= xs.max() + 3


def test_roi_rectangle_rejects():
    with pytest.raises(InputError):
        roi_rectangle(np.zeros((4, 4), bool))
    with pytest.raises(InputError):
        roi_rectangle(np.zeros((4, 4, 3), bool))
    with pytest.raises(InputError, match="too small"):
        roi_rectangle(np.ones((1, 9), bool))


def test_grace_hopper_face():
    cbook = pytest.importorskip("matplotlib.cbook")
    from ssgc_ref.analysis.image_io import load_image

    rgb = load_image(cbook.get_sample_data("grace_hopper.jpg"))
    boxes = detect_faces(rgb)
    assert len(boxes) == 1
    assert 0.22 < faces_mask(rgb).mean() < 0.34  # ~29% of the picture, as DESIGN.md measured
