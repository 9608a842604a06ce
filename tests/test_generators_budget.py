"""The 'auto' generator's budget (issue 14): a file cannot make a plain decode run the bundled tiny
model for minutes or allocate gigabytes; '--generator ldm' still runs what the file asks."""

import dataclasses

import numpy as np
import pytest

from ssgc_format.file import read_ssgc, write_ssgc
from ssgc_format.profiles import PROFILE_LDM_SEMANTIC512, PROFILE_TINY
from ssgc_ref.cli import main as cli_main
from ssgc_ref.decoder import AUTO_BUDGET, choose_generator, generation_work
from ssgc_ref.encoder import EncoderConfig, encode_image

# a 64x48 profile-2 file: 8 steps, strength 0.7, guidance 2
_TINY = encode_image(np.full((48, 64, 3), 120, np.uint8), labels=np.full((48, 64), 5, np.uint8),
                     config=EncoderConfig(profile_id=PROFILE_TINY, steps=8, seed=7)).data


def _img(width=64, height=48, **gen):
    img = read_ssgc(_TINY)
    return dataclasses.replace(img, header=dataclasses.replace(img.header, width=width, height=height),
                               genparams=dataclasses.replace(img.genparams, **gen))


def test_work_units():
    gp = _img().genparams  # 8 steps, strength 0.7 (k0 = 5: 6 steps), guided
    assert generation_work(gp, 48, 64) == 2**15 * 12 + 3072 * 32 * 2
    g1 = dataclasses.replace(gp, guidance_q8=256, steps=1000, strength_permille=1000)
    assert generation_work(g1, 1024, 1024) == 2**20 * 1000 + 2**20 * 64
    assert generation_work(g1, 1000, 1000) == generation_work(g1, 1008, 1008)  # padded to 16 (§8.4)


@pytest.mark.parametrize("size,gen,expected", [
    ((64, 48), {}, "ldm"),  # the conformance vector
    ((64, 48), dict(steps=200), "ldm"),  # the paper's settings at 64x48
    ((256, 256), dict(steps=200), "ldm"),
    ((64, 48), dict(steps=999, strength_permille=1000), "preview"),  # 1998 UNet passes
    ((2048, 2048), {}, "preview"),
    ((16384, 4096), dict(steps=1, strength_permille=0), "preview"),  # even 1 step: gigabytes
])
def test_auto_budget_tiny(size, gen, expected):
    img = _img(*size, **gen)
    name, notes = choose_generator(img, "auto", None)
    assert name == expected, notes
    work = generation_work(img.genparams, img.header.height, img.header.width)
    assert (work <= AUTO_BUDGET[PROFILE_TINY]) == (expected == "ldm")
    if expected == "preview":
        assert len(notes) == 1 and "--generator ldm" in notes[0] and "budget" in notes[0]
    assert choose_generator(img, "ldm", None) == ("ldm", [])  # explicit: never second-guessed


def test_auto_budget_profile1_admits_the_paper_settings():
    paper = dict(profile_id=PROFILE_LDM_SEMANTIC512, steps=200, strength_permille=700, guidance_q8=512)
    assert choose_generator(_img(512, 512, **paper), "auto", "/some/model")[0] == "ldm"
    assert choose_generator(_img(1024, 1024, **paper), "auto", "/some/model")[0] == "ldm"
    assert choose_generator(_img(4096, 4096, **paper), "auto", "/some/model")[0] == "preview"


def test_cli_auto_previews_and_says_so(tmp_path, capsys):
    img = _img(steps=999, strength_permille=1000)
    f = tmp_path / "x.ssgc"
    f.write_bytes(write_ssgc(img))
    assert cli_main(["decode", str(f), "-o", str(tmp_path / "x.png")]) == 0
    out = capsys.readouterr().out
    assert "generator 'preview'" in out and "budget" in out and "--generator ldm" in out
