"""Resource bounds of the normative reconstruction (issue 14): the largest legal picture decodes
and previews within a CPU-time and address-space limit set here, in a subprocess.

The case of the issue (16384x4096, 4-px label and color cells, empty payloads: 138 bytes that took
522 s and 2.8 GB) is now refused by the grid limits of spec 4.1 and 5.1 before any decoding; the
largest grids those limits allow (2^18 cells each, full-resolution chroma) plus a full-resolution
mask are decoded and reconstructed (label image, color image, mask, preview) under the limits.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ssgc_format.colormap import COLOR_SPACE_YCOCG_R, color_grid_size
from ssgc_format.errors import LimitError
from ssgc_format.file import MaskGrid, SSGCImage, write_ssgc
from ssgc_format.genparams import GenerationParams
from ssgc_format.header import Header
from ssgc_format.labelmap import MAX_GRID_CELLS, label_grid_size
from ssgc_format.roi import ROIPayload

W, H = 16384, 4096  # the most pixels the header allows (2^26)
CPU_SECONDS = 120  # RLIMIT_CPU of the child: the reference takes ~10 s of CPU here
ADDRESS_SPACE = 1024 << 20  # RLIMIT_AS of the child: 5x the 201 MB RGB output, imports included

_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, ({as_}, {as_}))
    resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
    import numpy as np
    from ssgc_format import reconstruct
    from ssgc_format.errors import SSGCError
    from ssgc_format.file import read_ssgc
    data = open(sys.argv[1], "rb").read()
    t = time.process_time()
    try:
        img = read_ssgc(data)
    except SSGCError as e:
        print(json.dumps({{"error": type(e).__name__, "message": str(e), "cpu": time.process_time() - t}}))
        sys.exit(0)
    out = {{"label_image": reconstruct.label_image(img).shape,
           "mask": int(reconstruct.mask_image(img).sum())}}
    p = reconstruct.preview(img, np.zeros((img.roi.height, img.roi.width, 3), np.uint8) if img.roi else None)
    out["preview"] = p.shape
    out["preview_values"] = sorted(set(int(v) for v in np.unique(p)))[:4]
    out["cpu"] = time.process_time() - t
    # peak RSS of this program: /proc's VmHWM starts afresh at exec, while ru_maxrss keeps the
    # forking parent's (a test process grown past 1 GB by the compiled encoder kernels)
    try:
        hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0]
        out["maxrss_mb"] = int(hwm.split()[1]) / 1024
    except (OSError, IndexError):
        out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
""")


def _run_limited(tmp_path: Path, data: bytes) -> dict:
    f = tmp_path / "hostile.ssgc"
    f.write_bytes(data)
    code = _CHILD.format(as_=ADDRESS_SPACE, cpu=CPU_SECONDS)
    r = subprocess.run([sys.executable, "-c", code, str(f)], capture_output=True, text=True,
                       timeout=4 * CPU_SECONDS)  # wall clock: a loaded machine shares its CPUs
    assert r.returncode == 0, f"child failed (rc {r.returncode}): {r.stderr[-2000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def _header(cell_log2: int, has_roi: bool = False) -> Header:
    return Header(width=W, height=H, color_space=COLOR_SPACE_YCOCG_R, color_steps=(8, 8, 8),
                  label_cell_log2=cell_log2, color_cell_log2=cell_log2, has_roi=has_roi)


def test_issue_case_is_refused_before_decoding():
    """16384x4096 with 4-px cells: 2^22 cells per grid, beyond 2^18: a LimitError before any
    symbol is decoded (it used to decode 4 M + 12 M symbols from an empty payload)."""
    import time

    from ssgc_format.colormap import decode_color_map
    from ssgc_format.labelmap import decode_label_map

    gh, gw = label_grid_size(W, H, 2)
    assert gh * gw == 1 << 22 > MAX_GRID_CELLS
    t = time.process_time()
    with pytest.raises(LimitError, match="262144"):
        decode_label_map(b"", gh, gw)
    ch, cw = color_grid_size(W, H, 2)
    with pytest.raises(LimitError, match="262144"):
        decode_color_map(b"", ch, cw, COLOR_SPACE_YCOCG_R, (8, 8, 8))
    assert time.process_time() - t < 1.0
    with pytest.raises(Exception, match="262144"):  # and the encoder refuses to write such grids
        write_ssgc(SSGCImage(header=_header(2), genparams=GenerationParams(),
                             labels=np.zeros((gh, gw), np.uint8), colors=np.zeros((ch, cw, 3), np.int64)))


def test_largest_legal_grids_and_mask_preview_within_limits(tmp_path):
    """2^18-cell label and color grids (YCoCg-R, full chroma) and a 16384x4096 mask at 1-px cells:
    decoded and reconstructed under RLIMIT_CPU and RLIMIT_AS."""
    lab_shape = label_grid_size(W, H, 4)
    col_shape = color_grid_size(W, H, 4)
    assert lab_shape[0] * lab_shape[1] == MAX_GRID_CELLS == col_shape[0] * col_shape[1]
    mask = np.zeros((H, W), bool)
    mask[1000:3000, 2000:14000] = True
    img = SSGCImage(header=_header(4, has_roi=True), genparams=GenerationParams(),
                    labels=np.full(lab_shape, 156, np.uint8),
                    colors=np.zeros(col_shape + (3,), np.int64),
                    mask=MaskGrid(0, mask),
                    roi=ROIPayload(codec_id=1, x=2000, y=1000, width=12000, height=2000, bit_depth=8,
                                   substream=b"\x00\x00\x01"))
    data = write_ssgc(img)
    assert len(data) < 1000  # a tiny file: the cost is in the picture size, not the bytes
    out = _run_limited(tmp_path, data)
    assert "error" not in out, out
    assert out["preview"] == [H, W, 3] and out["label_image"] == [H, W]
    assert out["mask"] == 2000 * 12000
    assert out["preview_values"] == [0]
    assert out["maxrss_mb"] < ADDRESS_SPACE / 2**20


def test_feather_window_equals_whole_picture_weights():
    """The composite blends the ROI rectangle only; its weights equal those of the whole mask."""
    from ssgc_format import reconstruct as rc

    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        m = rng.random((h, w)) < rng.random()
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        y1, x1 = int(rng.integers(y0 + 1, h + 1)), int(rng.integers(x0 + 1, w + 1))
        assert np.array_equal(rc._feather_weights_window(m, y0, y1, x0, x1), rc.feather_weights(m)[y0:y1, x0:x1])
