"""Generation conformance vectors of the tiny model (spec §8.9)."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from ssgc_format.genparams import build_genparams, parse_genparams
from ssgc_ref.generators import get_generator
from ssgc_ref.generators.tolerance import PEAK_MAX, RMSE_MAX, generation_error, within_tolerance

torch.set_num_threads(1)
VECTORS = sorted((Path(__file__).resolve().parents[1] / "conformance" / "models" / "generation").glob("*.npz"))


@pytest.fixture(scope="module")
def gens():
    return get_generator("ldm", device="cpu"), get_generator("ldm", device="cpu", float64=True)


def _run(gen, v):
    return gen.generate(labels_full=v["labels"], colors_full=v["colors"], params=parse_genparams(v["genp"].tobytes()),
                        roi_rgb=v["roi"] if "roi" in v else None, mask=v["mask"] if "mask" in v else None,
                        progress=False)


def test_vectors_present():
    assert len(VECTORS) == 5


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector_within_tolerance(gens, path):
    v = dict(np.load(path))
    f32, f64 = gens
    got = _run(f32, v)
    ok, rmse, peak = within_tolerance(got, v["expected"])
    assert ok, (rmse, peak)
    # a float64 decoder (another summation order and precision) is also within tolerance
    ok64, rmse64, peak64 = within_tolerance(_run(f64, v), v["expected"])
    assert ok64, (rmse64, peak64)
    # the tolerance is tight enough to catch a wrong seed (a different picture)
    wrong = dict(v)
    params = parse_genparams(v["genp"].tobytes())
    wrong["genp"] = np.frombuffer(build_genparams(dataclasses.replace(params, seed=params.seed ^ 1)), np.uint8)
    rmse_w, peak_w = generation_error(_run(f32, wrong), v["expected"])
    assert rmse_w > 4 * RMSE_MAX and peak_w > PEAK_MAX
