"""ssgc_ref.analysis.deeplab: architecture (meta device), safe loading, inference on a tiny variant."""

import numpy as np
import pytest
import torch

from ssgc_format.errors import InputError, ModelError
from ssgc_ref.analysis.deeplab import build_deeplab_v2, load_deeplab_v2
from ssgc_ref.analysis.segmenters import get_segmenter

TINY = {"width": 4, "n_blocks": (1, 1, 1, 1)}


def test_full_architecture_on_meta_device():
    with torch.device("meta"):
        model = build_deeplab_v2()
    n_params = sum(p.numel() for p in model.parameters())
    # ResNet-101 without its fc (42,500,160) + ASPP 4 x (2048*182*9 + 182)
    assert n_params == 42_500_160 + 4 * (2048 * 182 * 9 + 182) == 55_919_384
    keys = list(model.state_dict())
    assert keys[0] == "base.layer1.conv1.conv.weight"
    assert "base.layer4.block23.conv3x3.conv.weight" in keys
    assert "base.layer2.block1.shortcut.bn.running_var" in keys
    assert keys[-1] == "base.aspp.c3.bias"
    convs = [m for n, m in model.named_modules() if n.startswith("base.aspp.c")]
    assert [c.dilation[0] for c in convs] == [6, 12, 18, 24] == [c.padding[0] for c in convs]
    assert model.base.layer5.block1.conv3x3.conv.dilation == (4, 4)
    assert model.base.layer3.block1.reduce.conv.stride == (2, 2)
    # shapes only (meta tensors): output stride 8, 513 -> 65 as in the repository
    with torch.device("meta"):
        out = model(torch.zeros(1, 3, 513, 513))
    assert tuple(out.shape) == (1, 182, 65, 65)


def _tiny_checkpoint(tmp_path, transform=None):
    torch.manual_seed(0)
    model = build_deeplab_v2(**TINY)
    for m in model.modules():  # non-trivial BN statistics so a wrong load would show
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    state = model.state_dict()
    if transform:
        state = transform(state)
    path = tmp_path / "tiny.pth"
    torch.save(state, path)
    return model, path


def test_round_trip_and_inference(tmp_path):
    model, path = _tiny_checkpoint(tmp_path)
    seg = get_segmenter("deeplab-v2", weights=path, input_size=65, **TINY)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (65, 49, 3), dtype=np.uint8)
    out = seg.segment(rgb)
    assert out.shape == (65, 49) and out.dtype == np.uint8 and out.max() <= 181
    # same as the original module with the documented preprocessing
    x = torch.from_numpy(rgb[..., ::-1].astype(np.float32) - np.array([104.008, 116.669, 122.675], np.float32))
    with torch.no_grad():
        logits = model(x.permute(2, 0, 1)[None])
        logits = torch.nn.functional.interpolate(logits, size=(65, 49), mode="bilinear", align_corners=False)
    assert np.array_equal(out, logits[0].argmax(0).numpy().astype(np.uint8))
    # a larger picture is processed at input_size and expanded back
    big = np.repeat(np.repeat(rgb, 2, 0), 2, 1)
    assert seg.segment(big).shape == (130, 98)


@pytest.mark.parametrize(
    "transform",
    [
        lambda s: {k[len("base."):]: v for k, v in s.items()},  # bare DeepLabV2
        lambda s: {"module." + k: v for k, v in s.items()},  # DataParallel
        lambda s: {k: v for k, v in s.items() if not k.endswith("num_batches_tracked")},  # old torch
    ],
    ids=["bare", "module", "no-num-batches"],
)
def test_key_variants_accepted(tmp_path, transform):
    _, path = _tiny_checkpoint(tmp_path, transform)
    load_deeplab_v2(path, **TINY)


@pytest.mark.parametrize(
    "transform,match",
    [
        (lambda s: {k: v for k, v in s.items() if "aspp.c3" not in k}, "missing"),
        (lambda s: {**s, "base.extra.weight": torch.zeros(1)}, "unexpected"),
        (lambda s: {**s, "base.aspp.c0.bias": torch.zeros(21)}, "wrong shape"),
        (lambda s: [1, 2, 3], "dict of tensors"),
    ],
    ids=["missing", "extra", "shape", "not-a-dict"],
)
def test_bad_checkpoints(tmp_path, transform, match):
    _, path = _tiny_checkpoint(tmp_path, transform)
    with pytest.raises(ModelError, match=match):
        load_deeplab_v2(path, **TINY)


def test_unreadable_and_unsafe_files(tmp_path):
    with pytest.raises(ModelError, match="no such file"):
        load_deeplab_v2(tmp_path / "none.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(ModelError):
        load_deeplab_v2(junk)

    class Evil:
        def __reduce__(self):
            return (print, ("code ran",))

    evil = tmp_path / "evil.pth"
    torch.save({"x": Evil()}, evil)
    with pytest.raises(ModelError):  # weights_only refuses arbitrary objects
        load_deeplab_v2(evil)


def test_segmenter_needs_weights():
    with pytest.raises(InputError, match="weights=PATH"):
        get_segmenter("deeplab-v2")


def test_bad_device_and_options(tmp_path):
    _, path = _tiny_checkpoint(tmp_path)
    with pytest.raises(InputError, match="device"):
        get_segmenter("deeplab-v2", weights=path, device="no-such-device", **TINY)
    with pytest.raises(InputError, match="bad options"):
        get_segmenter("deeplab-v2", weights=path, widht=4)
