"""Command-line conventions (issue 11 points 2-6, issue 14's file-writing items), run through the
installed ``ssgc-ref`` entry point in a temporary folder."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssgc_ref.cli import EXIT_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE

EXE = shutil.which("ssgc-ref") or str(Path(sys.executable).parent / "ssgc-ref")


def run(*args: str, cwd, stdin: bytes | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], cwd=cwd, input=stdin, capture_output=True, timeout=timeout)


def err_line(p: subprocess.CompletedProcess) -> str:
    lines = p.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


def no_temp_files(folder) -> bool:
    return not [n for n in os.listdir(folder) if n.startswith(".ssgc-") or n.endswith(".tmp")]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with photo.png (96x80), a copy without read permission and an encoded photo.ssgc."""
    from conformance.make_vectors import synthetic_image

    d = tmp_path_factory.mktemp("cli")
    Image.fromarray(synthetic_image(96, 80, 5)).save(d / "photo.png")
    p = run("encode", "photo.png", "-o", "photo.ssgc", "--roi", "16,16,32,32", "--quiet", cwd=d)
    assert p.returncode == 0, p.stderr
    return d


@pytest.fixture
def tmp(work, tmp_path) -> Path:
    for name in ("photo.png", "photo.ssgc"):
        shutil.copy(work / name, tmp_path / name)
    return tmp_path


# --- 11.2: outputs checked before any work; errors name the user's path ----------------------

def test_existing_output_is_refused_before_encoding(tmp, monkeypatch):
    import ssgc_ref.encoder
    from ssgc_ref.cli import main

    def must_not_run(*a, **k):
        raise AssertionError("encoded although the output exists")

    monkeypatch.setattr(ssgc_ref.encoder, "encode_image", must_not_run)
    (tmp / "out.ssgc").write_bytes(b"keep")
    assert main(["encode", str(tmp / "photo.png"), "-o", str(tmp / "out.ssgc"), "--quiet"]) == EXIT_INPUT
    assert (tmp / "out.ssgc").read_bytes() == b"keep"


def test_missing_output_folder_names_the_users_path(tmp):
    p = run("encode", "photo.png", "-o", "nowhere/x.ssgc", cwd=tmp)
    assert p.returncode == EXIT_IO
    line = err_line(p)
    assert "nowhere" in line and ".tmp" not in line and ".ssgc-" not in line


def test_decode_to_missing_folder_fails_before_decoding(tmp):
    p = run("decode", "photo.ssgc", "-o", "nowhere/x.png", cwd=tmp)
    assert p.returncode == EXIT_IO and "nowhere" in err_line(p)


# --- 11.3 / 14: file modes, symlinks, concurrent writers, signals -----------------------------

def test_new_files_get_0666_minus_umask_and_force_keeps_the_mode(tmp):
    from ssgc_ref.fileio import write_atomic

    old = os.umask(0o027)
    try:
        write_atomic(str(tmp / "a.bin"), b"1")
        assert stat.S_IMODE(os.stat(tmp / "a.bin").st_mode) == 0o640
    finally:
        os.umask(old)
    os.chmod(tmp / "a.bin", 0o604)
    write_atomic(str(tmp / "a.bin"), b"2", force=True)
    assert stat.S_IMODE(os.stat(tmp / "a.bin").st_mode) == 0o604 and (tmp / "a.bin").read_bytes() == b"2"
    p = run("encode", "photo.png", "-o", "b.ssgc", "--quiet", cwd=tmp)  # the CLI uses the same helper
    assert p.returncode == 0
    assert stat.S_IMODE(os.stat(tmp / "b.ssgc").st_mode) == 0o666 & ~old


def test_force_refuses_to_replace_or_follow_a_symlink(tmp):
    (tmp / "target.ssgc").write_bytes(b"target")
    os.symlink("target.ssgc", tmp / "link.ssgc")
    p = run("encode", "photo.png", "-o", "link.ssgc", "--force", "--quiet", cwd=tmp)
    assert p.returncode == EXIT_INPUT and "symbolic link" in err_line(p)
    assert os.path.islink(tmp / "link.ssgc") and (tmp / "target.ssgc").read_bytes() == b"target"


def test_second_of_two_racing_writers_fails_instead_of_clobbering(tmp, monkeypatch):
    """Both writers pass the exists-check (the race of issue 14); the second must not replace the
    first's file."""
    import ssgc_ref.fileio as fileio
    from ssgc_format.errors import InputError

    fileio.write_atomic(str(tmp / "race.ssgc"), b"first")
    monkeypatch.setattr(fileio, "check_output", lambda *a, **k: None)
    with pytest.raises(InputError, match="exists"):
        fileio.write_atomic(str(tmp / "race.ssgc"), b"second")
    assert (tmp / "race.ssgc").read_bytes() == b"first" and no_temp_files(tmp)


def test_concurrent_encodes_one_wins_one_fails(tmp):
    procs = [subprocess.Popen([EXE, "encode", "photo.png", "-o", "same.ssgc", "--quiet", "--seed", str(s)],
                              cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in (1, 2)]
    codes = sorted(p.wait(timeout=300) for p in procs)
    assert codes == [EXIT_OK, EXIT_INPUT]
    assert no_temp_files(tmp)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_the_write_leaves_no_temp_file(tmp, sig):
    """The signal arrives between the temporary file's write and its rename (os.fsync patched to
    send it): exit 128 + signal, one line, no .ssgc-*.tmp left."""
    code = (f"import os, signal, sys\n"
            f"os.fsync = lambda fd: os.kill(os.getpid(), {int(sig)})\n"
            f"from ssgc_ref.cli import main\n"
            f"sys.exit(main(['encode', 'photo.png', '-o', 'sig.ssgc', '--quiet']))\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp, capture_output=True, timeout=300)
    assert p.returncode == 128 + sig, p.stderr
    assert "interrupted" in err_line(p)
    assert not (tmp / "sig.ssgc").exists() and no_temp_files(tmp)


@pytest.mark.parametrize("delay", [0.6, 2.0])
def test_sigint_at_any_time_gives_130_without_traceback(tmp, delay):
    from conformance.make_vectors import synthetic_image

    Image.fromarray(synthetic_image(320, 256, 7)).save(tmp / "big.png")  # an encode of several seconds
    p = subprocess.Popen([EXE, "encode", "big.png", "-o", "int.ssgc", "--roi", "0,0,256,192", "--preset", "slow"],
                         cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    if p.returncode == EXIT_OK:  # finished before the signal: nothing to check
        pytest.skip("the encode finished before the signal")
    assert p.returncode == 130 and b"Traceback" not in err, err
    assert no_temp_files(tmp)


# --- 11.5: conventions ----------------------------------------------------------------------

def test_q_is_the_qp_and_quiet_is_quiet(tmp):
    p = run("encode", "photo.png", "-o", "q50.ssgc", "--roi", "16,16,32,32", "-q", "50", "--quiet", cwd=tmp)
    assert p.returncode == 0 and p.stdout == b"" and p.stderr == b""
    assert run("encode", "photo.png", "-o", "q20.ssgc", "--roi", "16,16,32,32", "--qp", "20", "--quiet",
               cwd=tmp).returncode == 0
    assert os.path.getsize(tmp / "q50.ssgc") < os.path.getsize(tmp / "q20.ssgc")


def test_help_keeps_examples_on_their_lines_without_default_none(tmp):
    p = run("encode", "--help", cwd=tmp)
    out = p.stdout.decode()
    assert "\nexamples:\n  ssgc-ref encode photo.jpg -o photo.ssgc --roi faces\n" in out
    assert "(default: None)" not in out and "(default: False)" not in out
    assert "(default: medium)" in out  # real defaults are still shown
    d = run("decode", "--help", cwd=tmp).stdout.decode()
    assert "\n  ssgc-ref decode photo.ssgc -o photo.png\n" in d and "(default: None)" not in d


@pytest.mark.parametrize("args", [["--color-steps", "0,0,0"], ["-q", "64"], ["--strength", "2"],
                                  ["--steps", "0"], ["--seed", "-1"], ["--guidance", "256"],
                                  ["--preset", "faster"], ["--threads", "0"], ["--color-steps", "1,2"]])
def test_out_of_range_options_exit_5_in_argparse(tmp, args):
    p = run("encode", "photo.png", "-o", "x.ssgc", *args, cwd=tmp)
    assert p.returncode == EXIT_INPUT, p.stderr
    assert "error: argument" in err_line(p)
    assert not (tmp / "x.ssgc").exists()


def test_bad_command_line_is_still_2(tmp):
    assert run("encode", "photo.png", "-o", "x.ssgc", "--bogus", cwd=tmp).returncode == EXIT_USAGE
    assert run("encode", "photo.png", cwd=tmp).returncode == EXIT_USAGE  # -o missing


def test_missing_or_unreadable_inputs_are_io_errors(tmp):
    for args in (["encode", "missing.png", "-o", "x.ssgc"], ["decode", "missing.ssgc", "-o", "x.png"],
                 ["info", "missing.ssgc"], ["encode", ".", "-o", "x.ssgc"]):
        p = run(*args, cwd=tmp)
        assert p.returncode == EXIT_IO, (args, p.stderr)
        err_line(p)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_permission_error_on_the_input_is_6(tmp):
    os.chmod(tmp / "photo.png", 0)
    p = run("encode", "photo.png", "-o", "x.ssgc", cwd=tmp)
    assert p.returncode == EXIT_IO and "photo.png" in err_line(p)


def test_permission_error_on_the_input_is_6_even_as_root(tmp, monkeypatch, capsys):
    """The same check without relying on file permissions (root reads anything): open() of the
    input raises PermissionError, as it does for an unreadable file."""
    import builtins

    from ssgc_ref.cli import main

    real_open = builtins.open
    target = str(tmp / "photo.png")

    def guarded(file, *a, **k):
        if str(file) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", guarded)
    assert main(["encode", target, "-o", str(tmp / "x.ssgc")]) == EXIT_IO
    err = capsys.readouterr().err
    assert "photo.png" in err and "Permission denied" in err


def test_demo_with_an_unknown_image_is_one_line(tmp):
    p = run("demo", "--images", "brain", "-o", "d", cwd=tmp)
    assert p.returncode == EXIT_INPUT and "brain" in err_line(p)
    assert not (tmp / "d").exists()


def test_encode_reads_standard_input(tmp):
    via_file = run("encode", "photo.png", "-o", "-", "--quiet", cwd=tmp)
    via_stdin = run("encode", "-", "-o", "-", "--quiet", cwd=tmp, stdin=(tmp / "photo.png").read_bytes())
    assert via_file.returncode == via_stdin.returncode == 0
    assert via_file.stdout == via_stdin.stdout and via_file.stdout[:3] == b"\x89SG"


def test_decode_writes_the_format_the_extension_names(tmp):
    assert run("decode", "photo.ssgc", "-o", "x.jpg", "-q", cwd=tmp).returncode == 0
    with Image.open(tmp / "x.jpg") as im:
        assert im.format == "JPEG"
    assert run("decode", "photo.ssgc", "-o", "x.tif", "-q", cwd=tmp).returncode == 0
    with Image.open(tmp / "x.tif") as im:
        assert im.format == "TIFF"
    p = run("decode", "photo.ssgc", "-o", "x.ssgc2", cwd=tmp)
    assert p.returncode == EXIT_INPUT and "format" in err_line(p)


def test_preset_and_threads_are_accepted(tmp):
    p = run("encode", "photo.png", "-o", "f.ssgc", "--roi", "16,16,32,32", "--preset", "fast", "--threads", "1",
            "--quiet", cwd=tmp)
    assert p.returncode == 0, p.stderr
    assert run("decode", "f.ssgc", "-o", "f.png", "--threads", "1", "-q", cwd=tmp).returncode == 0


def test_dump_checks_every_output_before_writing(tmp):
    (tmp / "D").mkdir()
    (tmp / "D" / "mask.png").write_bytes(b"mine")
    p = run("decode", "photo.ssgc", "-o", "out.png", "--dump", "D", cwd=tmp)
    assert p.returncode == EXIT_INPUT and "mask.png" in err_line(p)
    assert not (tmp / "out.png").exists() and os.listdir(tmp / "D") == ["mask.png"]


# --- 11.4: progress and the summary line ---------------------------------------------------

def test_encode_summary_line_and_no_progress_when_not_a_terminal(tmp):
    p = run("encode", "photo.png", "-o", "s.ssgc", "--roi", "16,16,32,32", cwd=tmp)
    assert p.returncode == 0
    out = p.stdout.decode().strip().splitlines()
    size = os.path.getsize(tmp / "s.ssgc")
    assert len(out) == 1 and f"{size} bytes" in out[0] and " bpp" in out[0], out
    assert "ROI PSNR-Y" in out[0] and " dB" in out[0] and out[0].count(" s ") >= 1
    assert "sRGB assumed" in out[0]
    assert b"\r" not in p.stderr and b"\x1b" not in p.stderr  # stderr is a pipe here: no bar


def test_progress_bar_is_drawn_on_a_terminal(tmp, monkeypatch):
    import io

    from ssgc_ref.cli import main

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["encode", str(tmp / "photo.png"), "-o", str(tmp / "p.ssgc"), "--roi", "16,16,32,32"]) == 0
    text = term.getvalue()
    assert "encode: segmentation [" in text and "encode: ROI (VVC) [" in text and "stage 3/4" in text
    term2 = Terminal()
    monkeypatch.setattr(sys, "stderr", term2)
    assert main(["encode", str(tmp / "photo.png"), "-o", str(tmp / "p2.ssgc"), "--quiet"]) == 0
    assert term2.getvalue() == ""


def test_first_encode_says_the_kernels_compile(tmp, monkeypatch, capsys):
    import ssgc_ref.vvc.jit as jit
    from ssgc_ref.cli import main

    empty = tmp / "no-kernels"
    empty.mkdir(exist_ok=True)
    monkeypatch.setattr(jit, "CACHE_DIR", str(empty))
    assert not jit.cache_is_warm()
    assert main(["encode", str(tmp / "photo.png"), "-o", str(tmp / "k.ssgc"), "--roi", "16,16,32,32"]) == 0
    assert "compiling the encoder's kernels" in capsys.readouterr().err
    (empty / "x.nbi").write_bytes(b"")  # an index file: kernels on disk, nothing said
    assert jit.cache_is_warm()
    assert main(["encode", str(tmp / "photo.png"), "-o", str(tmp / "k2.ssgc"), "--roi", "16,16,32,32"]) == 0
    assert "compiling" not in capsys.readouterr().err


# --- 14: info escapes control characters; reads nothing it need not -----------------------------

def test_info_escapes_control_characters(tmp):
    from ssgc_ref.encoder import EncoderConfig, encode_image

    rgb = np.asarray(Image.open(tmp / "photo.png").convert("RGB"))
    data = encode_image(rgb, config=EncoderConfig(provenance="none"), meta={"comment": "\x1b[2J\x1b]0;owned\x07x"}).data
    (tmp / "esc.ssgc").write_bytes(data)
    p = run("info", "esc.ssgc", cwd=tmp)
    assert p.returncode == 0
    assert b"\x1b" not in p.stdout and b"\x07" not in p.stdout
    assert b"\\x1b[2J" in p.stdout


def test_info_of_a_device_or_huge_file_returns_at_once(tmp):
    p = run("info", "/dev/zero", cwd=tmp, timeout=30)
    assert p.returncode in (1, EXIT_INPUT) and err_line(p)
    big = tmp / "big.ssgc"
    with open(big, "wb") as f:  # sparse: 2 GiB that start like an SSGC file
        f.write((tmp / "photo.ssgc").read_bytes()[:8])
        f.truncate(2 << 30)
    p = run("info", "big.ssgc", cwd=tmp, timeout=30)
    assert p.returncode == 1 and "limit" in err_line(p)
    p = subprocess.run(["sh", "-c", f"head -c 100000000 /dev/zero | {EXE} info -"], capture_output=True, timeout=30)
    assert p.returncode == 1 and "signature" in err_line(p)
