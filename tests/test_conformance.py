"""The conformance suite: every vector passes with the reference decoder, through the library and
through the CLI as an external decoder would, and the vectors are what the generator script makes."""

from __future__ import annotations

import shlex
import sys

from conformance import make_vectors, runner
from conformance.hashes import file_sha256


def test_reference_decoder_passes_every_vector(capsys):
    assert runner.main([]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].endswith(" passed, 0 failed")


def test_cli_as_external_decoder(capsys):
    cmd = f"{shlex.quote(sys.executable)} -m ssgc_ref.cli decode {{input}} -o {{output}} --generator preview -q"
    assert runner.main(["--decoder", cmd, "-k", "roi"]) == 0
    assert runner.main(["--decoder", cmd, "-k", "crc"]) == 0  # must fail on the invalid vector


def test_vectors_are_reproducible():
    """The synthetic vectors without an ROI are rebuilt byte for byte (payload coding is deterministic)."""
    vectors = {v["name"]: v for v in runner.load_vectors()}
    for name, kwargs in [("min-1x1", dict(width=1, height=1, seed=1)),
                         ("odd-37x23-fine-cells", dict(width=37, height=23, seed=2, label_cell_log2=2, color_cell_log2=2)),
                         ("landscape-200x136", dict(width=200, height=136, seed=3)),
                         ("seed-65536", dict(width=40, height=24, seed=65536)),
                         ("gen-sampler-dpm-steps20", dict(width=40, height=24, seed=17, sampler=1, steps=20))]:
        assert file_sha256(make_vectors.build(name, **kwargs)) == vectors[name]["file_sha256"], name


def test_every_clause_with_normative_output_is_covered():
    vectors = runner.load_vectors()
    covered = " ".join(v["clauses"] for v in vectors)
    for clause in ("2.2", "2.3", "2.4", "2.5", "2.6", "3.6", "4", "5", "6", "7", "8.2", "9.5"):
        assert clause in covered.split(), clause
    assert {v.get("error") for v in vectors} >= {"FormatError", "ChecksumError", "LimitError", "UnsupportedError"}


def test_coverage_per_clause_is_reported(capsys):
    assert runner.main(["-k", "gen-"]) == 0
    out = capsys.readouterr().out
    assert "coverage per spec clause" in out and "8.2:" in out
    cov = runner.clause_coverage(runner.load_vectors())
    assert cov["8.2"][0] >= 10 and cov["8.2"][1] >= 10  # every field valid and invalid (issue 8)
