"""ssgc_ref.analysis.segmenters (registry, labels-file) and the superpixel default."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from skimage import data

from ssgc_format.errors import InputError
from ssgc_ref.analysis.labels import UNLABELED, label_ids
from ssgc_ref.analysis.segmenters import (
    Segmenter,
    available_segmenters,
    get_segmenter,
    read_label_image,
    register_segmenter,
)
from ssgc_ref.analysis.superpixel import CLASS_NAMES, classify_superpixels


def test_registry():
    ids = available_segmenters()
    assert {"superpixel", "labels-file"} <= set(ids)
    assert all(i == i.lower() and " " not in i and "_" not in i for i in ids)
    with pytest.raises(InputError, match="superpixel"):
        get_segmenter("no-such-model")
    with pytest.raises(InputError, match="bad options"):
        get_segmenter("superpixel", colour="yes")
    with pytest.raises(ValueError):
        register_segmenter("Not_Kebab")
    with pytest.raises(ValueError):
        register_segmenter("superpixel")(object)


def test_labels_file(tmp_path):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 183, (9, 11)).astype(np.uint8)
    labels[0, 0] = 255
    Image.fromarray(labels).save(tmp_path / "l.png")
    seg = get_segmenter("labels-file", labels=tmp_path / "l.png")
    assert isinstance(seg, Segmenter) and seg.id == "labels-file"
    out = seg.segment(np.zeros((9, 11, 3), np.uint8))
    expect = labels.copy()
    expect[0, 0] = UNLABELED
    assert out.dtype == np.uint8 and np.array_equal(out, expect)
    with pytest.raises(InputError, match="11x9"):
        seg.segment(np.zeros((11, 9, 3), np.uint8))
    # palette image: the indices are the labels
    pim = Image.new("P", (11, 9))
    pim.putpalette([(i * 7) % 256 for i in range(768)])
    pim.putdata(expect.ravel().tolist())
    pim.save(tmp_path / "p.png")
    assert np.array_equal(read_label_image(tmp_path / "p.png"), expect)


@pytest.mark.parametrize("kind", ["out-of-range", "rgb", "missing", "not-given"])
def test_labels_file_rejects(tmp_path, kind):
    p = tmp_path / "bad.png"
    if kind == "out-of-range":
        arr = np.zeros((4, 4), np.uint8)
        arr[2, 3] = 200
        Image.fromarray(arr).save(p)
        match = "200 at \\(x=3, y=2\\)"
    elif kind == "rgb":
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(p)
        match = "mode RGB"
    elif kind == "missing":
        match = "no such file"
    else:
        with pytest.raises(InputError, match="needs a label image"):
            get_segmenter("labels-file")
        return
    with pytest.raises(InputError, match=match):
        get_segmenter("labels-file", labels=p)


def _blocks(h, w, colours):
    """Horizontal bands of the given colours (top to bottom), with mild noise."""
    rng = np.random.default_rng(0)
    rgb = np.zeros((h, w, 3), np.float64)
    bounds = np.linspace(0, h, len(colours) + 1).astype(int)
    for (y0, y1), c in zip(zip(bounds[:-1], bounds[1:]), colours):
        rgb[y0:y1] = c
    rgb += rng.normal(0, 2, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_superpixel_synthetic_landscape():
    # blue sky over green vegetation: the two most basic rules
    rgb = _blocks(128, 160, [(90, 150, 230), (60, 140, 40)])
    seg = get_segmenter("superpixel")
    out = seg.segment(rgb)
    ids = label_ids()
    assert out.shape == (128, 160) and out.dtype == np.uint8
    top, bottom = out[:50], out[80:]
    assert np.mean(top == ids["sky-other"]) > 0.9
    assert np.mean(np.isin(bottom, [ids["grass"], ids["tree"], ids["bush"]])) > 0.9


def test_superpixel_outputs_only_its_classes_and_is_deterministic():
    seg = get_segmenter("superpixel")
    rgb = data.astronaut()[::2, ::2].copy()
    a = seg.segment(rgb)
    assert np.array_equal(a, seg.segment(rgb))
    allowed = {label_ids()[n] for n in CLASS_NAMES}
    assert set(np.unique(a)) <= allowed
    assert "not a trained model" in seg.description


def test_superpixel_large_image_is_reduced():
    rgb = np.repeat(np.repeat(_blocks(64, 50, [(90, 150, 230), (60, 140, 40)]), 20, 0), 20, 1)  # 1280x1000
    out = get_segmenter("superpixel").segment(rgb)
    assert out.shape == rgb.shape[:2]
    assert out[0, 0] == label_ids()["sky-other"]


def test_classify_rules_cover_every_feature_vector():
    rng = np.random.default_rng(1)
    n = 500
    f = {"L": rng.uniform(0, 100, n), "a": rng.uniform(-60, 60, n), "b": rng.uniform(-60, 60, n),
         "tex": rng.uniform(0, 10, n), "cy": rng.uniform(0, 1, n), "top": rng.uniform(0, 1, n),
         "face": rng.uniform(0, 1, n), "body": rng.uniform(0, 1, n)}
    f["C"] = np.hypot(f["a"], f["b"])
    out = classify_superpixels(f)
    assert set(np.unique(out)) <= {label_ids()[c] for c in CLASS_NAMES}


def test_superpixel_rejects_bad_arrays():
    seg = get_segmenter("superpixel")
    with pytest.raises(InputError):
        seg.segment(np.zeros((4, 4), np.uint8))
    with pytest.raises(InputError):
        seg.segment(np.zeros((4, 4, 3), np.float32))


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_superpixel_any_size(h, w, seed):
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    out = get_segmenter("superpixel").segment(rgb)
    assert out.shape == (h, w) and out.dtype == np.uint8
    assert set(np.unique(out)) <= {label_ids()[n] for n in CLASS_NAMES}
