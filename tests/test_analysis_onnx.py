"""ssgc_ref.analysis.onnx_segmenter: class mappings (always), inference (when onnxruntime is there)."""

import json

import numpy as np
import pytest

from ssgc_format.errors import InputError, ModelError
from ssgc_ref.analysis.labels import UNLABELED, label_ids
from ssgc_ref.analysis.onnx_segmenter import load_label_mapping, map_classes
from ssgc_ref.analysis.segmenters import get_segmenter

# torch's legacy (TorchScript) ONNX exporter, used to build the test models, warns that it is legacy
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_builtin_mappings():
    assert np.array_equal(load_label_mapping("cocostuff-182"), np.arange(182))
    m171 = load_label_mapping("cocostuff-171")
    assert m171.size == 171 and m171[0] == 0 and label_ids()["street sign"] not in m171
    assert m171[-1] == 181 and np.all(np.diff(m171.astype(int)) > 0)
    ade = load_label_mapping("ade20k-150")
    ids = label_ids()
    assert ade.size == 150
    assert (ade[0], ade[2], ade[4], ade[12], ade[26], ade[149]) == (
        ids["wall-other"], ids["sky-other"], ids["tree"], ids["person"], ids["sea"], ids["banner"])


def test_json_and_tsv_mappings(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"0": 156, "1": "tree", "2": "unlabeled", "3": "182"}))
    assert load_label_mapping(tmp_path / "m.json").tolist() == [156, 168, UNLABELED, UNLABELED]
    (tmp_path / "l.json").write_text(json.dumps(["sea", 0]))
    assert load_label_mapping(tmp_path / "l.json").tolist() == [154, 0]
    (tmp_path / "m.tsv").write_text("# ade20k-like\n1\tsky-other\n0\twall-other  # comment\n\n2 building-other\n")
    assert load_label_mapping(tmp_path / "m.tsv").tolist() == [172, 156, 95]


@pytest.mark.parametrize(
    "content,match",
    [
        ('{"0": 156, "2": 3}', "not mapped"),
        ('{"0": 183}', "not a generator id"),
        ('{"0": "skyy"}', "not a COCO-Stuff class name"),
        ('{"a": 1}', "not a class index"),
        ('{"0": true}', "not a class"),
        ("0\tsea\n0\tsand\n", "mapped twice"),
        ("zero\tsea\n", "expected"),
        ("{broken", "invalid JSON"),
        ("", "no entries"),
        ('{"5000": 1}', "exceeds"),
    ],
)
def test_bad_mappings(tmp_path, content, match):
    p = tmp_path / "bad.txt"
    p.write_text(content)
    with pytest.raises(InputError, match=match):
        load_label_mapping(p)


def test_map_classes_checks_range():
    lut = np.array([5, 6, 7], np.uint8)
    assert map_classes(np.array([[2, 0]]), lut).tolist() == [[7, 5]]
    with pytest.raises(InputError, match="covers 0..2"):
        map_classes(np.array([[3]]), lut)


def test_segmenter_option_errors(tmp_path):
    with pytest.raises(InputError, match="needs model"):
        get_segmenter("onnx")
    with pytest.raises(InputError, match="channel_order"):
        get_segmenter("onnx", model="x.onnx", labels="cocostuff-182", channel_order="gbr")


def test_missing_onnxruntime_is_an_input_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes the import fail
    with pytest.raises(InputError, match=r"ssgc\[onnx\]"):
        get_segmenter("onnx", model="m.onnx", labels="cocostuff-182")


# ---- with onnxruntime (optional extra) ------------------------------------------------------


def _export(tmp_path, module, name, fixed=False):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")  # torch's exporter needs it
    path = tmp_path / name
    dyn = None if fixed else {"input": {2: "h", 3: "w"}, "out": {1: "h2", 2: "w2"} if name.startswith("idx") else {2: "h2", 3: "w2"}}
    torch.onnx.export(module.eval(), (torch.zeros(1, 3, 16, 16),), str(path), dynamo=False,
                      input_names=["input"], output_names=["out"], dynamic_axes=dyn)
    return path


def _rgb_picture():
    rgb = np.zeros((24, 32, 3), np.uint8)
    rgb[:, :10, 0] = 200  # red -> class 0
    rgb[:, 10:20, 1] = 200  # green -> class 1
    rgb[:, 20:, 2] = 200  # blue -> class 2
    return rgb


def test_onnx_scores_model(tmp_path):
    pytest.importorskip("onnxruntime")
    import torch

    class Identity3(torch.nn.Module):  # scores = the (normalised) RGB channels, at half resolution
        def forward(self, x):
            return torch.nn.functional.avg_pool2d(x, 2)

    path = _export(tmp_path, Identity3(), "scores.onnx")
    (tmp_path / "map.json").write_text(json.dumps(["sky-other", "tree", "sea"]))
    seg = get_segmenter("onnx", model=path, labels=tmp_path / "map.json", input_size=0,
                        mean=(0, 0, 0), std=(1, 1, 1))
    out = seg.segment(_rgb_picture())
    ids = label_ids()
    assert out.shape == (24, 32)
    assert np.all(out[:, :9] == ids["sky-other"]) and np.all(out[:, 11:19] == ids["tree"]) and np.all(out[:, 21:] == ids["sea"])
    # bgr swaps red and blue
    seg = get_segmenter("onnx", model=path, labels=tmp_path / "map.json", input_size=0,
                        mean=(0, 0, 0), std=(1, 1, 1), channel_order="bgr")
    assert np.all(seg.segment(_rgb_picture())[:, :9] == ids["sea"])
    # a mapping of the wrong size
    with pytest.raises(InputError, match="outputs 3 classes"):
        get_segmenter("onnx", model=path, labels="cocostuff-182").segment(_rgb_picture())


def test_onnx_index_model_fixed_size(tmp_path):
    pytest.importorskip("onnxruntime")
    import torch

    class ArgMax(torch.nn.Module):
        def forward(self, x):
            return torch.argmax(x, dim=1)

    path = _export(tmp_path, ArgMax(), "idx.onnx", fixed=True)  # fixed 16x16 input
    (tmp_path / "map.tsv").write_text("0\tsky-other\n1\ttree\n2\tunlabeled\n")
    seg = get_segmenter("onnx", model=path, labels=tmp_path / "map.tsv", mean=(0, 0, 0), std=(1, 1, 1))
    out = seg.segment(_rgb_picture())
    assert out.shape == (24, 32)
    assert out[0, 0] == label_ids()["sky-other"] and out[0, 15] == label_ids()["tree"] and out[0, 31] == UNLABELED


def test_onnx_bad_model_file(tmp_path):
    pytest.importorskip("onnxruntime")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        get_segmenter("onnx", model=bad, labels="cocostuff-182")
    with pytest.raises(ModelError, match="no such file"):
        get_segmenter("onnx", model=tmp_path / "none.onnx", labels="cocostuff-182")
