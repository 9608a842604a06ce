"""Which files a batch reads, and the collision-free names its outputs get (no Ray needed here:
``ssgc-ref decode a b c -o DIR`` uses the naming too)."""

from __future__ import annotations

import os
from collections import Counter

from ssgc_format.errors import InputError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".gif")
SSGC_EXTENSIONS = (".ssgc",)


def list_sources(src: str, extensions: tuple[str, ...]) -> list[str]:
    """The files of a batch, sorted: every file under the folder ``src`` (recursively, hidden files and
    folders left out) whose extension is one of ``extensions``; or, when ``src`` is a file, the paths it
    lists one per line (blank lines and lines starting with '#' ignored; relative paths are relative to
    the list's folder)."""
    if os.path.isdir(src):
        found = []
        for root, dirs, files in os.walk(src):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [os.path.join(root, f) for f in files
                      if not f.startswith(".") and os.path.splitext(f)[1].lower() in extensions]
        paths = sorted(found)
    elif os.path.isfile(src):
        base = os.path.dirname(os.path.abspath(src))
        try:
            with open(src, encoding="utf-8") as f:
                lines = [ln.strip() for ln in f]
        except UnicodeDecodeError:
            raise InputError(f"{src}: not a folder nor a UTF-8 list of paths") from None
        paths = [ln if os.path.isabs(ln) else os.path.join(base, ln) for ln in lines if ln and not ln.startswith("#")]
    else:
        raise InputError(f"{src}: no such folder or list file")
    if not paths:
        raise InputError(f"{src}: no input files (looked for {', '.join(extensions)})")
    return paths


def output_stems(paths: list[str]) -> list[str]:
    """One output name per input, without extension, that no other input shares: the input's path
    relative to the deepest folder holding every input, so inputs of one folder keep their base names
    and equal base names from different folders land in mirrored sub-folders. Two inputs differing
    only by extension (a.png, a.jpg) keep it in their names (a_png, a_jpg). '-' is named 'stdin'."""
    absolute = [os.path.abspath(p) for p in paths if p != "-"]
    repeated = [p for p, n in Counter(absolute).items() if n > 1]
    if repeated or paths.count("-") > 1:
        raise InputError(f"{repeated[0] if repeated else '-'} is given twice")
    common = os.path.commonpath([os.path.dirname(p) for p in absolute]) if absolute else ""
    stems = ["stdin" if p == "-" else os.path.splitext(os.path.relpath(os.path.abspath(p), common))[0] for p in paths]
    counts = Counter(stems)
    stems = [s + "_" + os.path.splitext(p)[1].lstrip(".").lower() if counts[s] > 1 else s for s, p in zip(stems, paths)]
    clash = [s for s, n in Counter(stems).items() if n > 1]
    if clash:
        raise InputError(f"two inputs would both be written as {clash[0]!r}: rename one")
    return stems
