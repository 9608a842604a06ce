"""The batch manifest: one JSON line per image, appended, flushed and fsync'ed as each image finishes.

A run's folder holds ``manifest.jsonl`` and ``run.json`` (the command and the options that change
results). Outputs are written before their row, each through a temporary file and a rename, so after
a kill the folder holds complete outputs only, and every row names outputs that exist. ``--resume``
reads the rows, drops a last line cut short by the kill, deletes leftover temporary files, and skips
every image whose latest row is 'ok' or 'skipped' (images with an 'error' row are tried again).
"""

from __future__ import annotations

import json
import os

from ssgc_format.errors import InputError

MANIFEST = "manifest.jsonl"
RUN = "run.json"
DONE = ("ok", "skipped")
TEMP_PREFIX = ".ssgc-"  # ssgc_ref.fileio.write_atomic's temporary files


def _read_rows(path: str) -> list[dict]:
    """Every complete row; a last line without its newline (the run was killed while writing it) is
    cut off the file."""
    with open(path, "rb") as f:
        data = f.read()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
    rows = []
    for n, line in enumerate(data[:end].splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            raise InputError(f"{path}, line {n}: not a JSON row; the manifest was edited or damaged") from None
    return rows


def _remove_temporaries(folder: str) -> int:
    n = 0
    for root, _dirs, files in os.walk(folder):
        for f in files:
            if f.startswith(TEMP_PREFIX) and f.endswith(".tmp"):
                os.unlink(os.path.join(root, f))
                n += 1
    return n


class Manifest:
    """The manifest of the run in ``folder``.

    A folder that already has one is refused unless ``resume`` (continue it: the ``settings`` must be
    the recorded ones) or ``force`` (start over: the manifest is emptied and outputs are overwritten).
    """

    def __init__(self, folder: str, settings: dict, *, resume: bool = False, force: bool = False):
        self.folder = folder
        settings = json.loads(json.dumps(settings))  # as run.json holds them: tuples become lists
        self.path = os.path.join(folder, MANIFEST)
        os.makedirs(folder, exist_ok=True)
        run_path = os.path.join(folder, RUN)
        self.done: dict[str, dict] = {}
        self.removed_temporaries = 0
        self.appended = 0
        exists = os.path.exists(self.path)
        self.fresh = not (exists and resume)
        if exists and resume:
            if os.path.exists(run_path):
                with open(run_path, encoding="utf-8") as f:
                    recorded = json.load(f)
                changed = sorted(k for k in set(recorded) | set(settings) if recorded.get(k) != settings.get(k))
                if changed:
                    raise InputError(f"{folder}: --resume with other settings than the interrupted run "
                                     f"({', '.join(changed)}): use another folder or --force to start over")
            for row in _read_rows(self.path):
                if row.get("status") in DONE:
                    self.done[row["key"]] = row
                else:
                    self.done.pop(row.get("key"), None)
            self.removed_temporaries = _remove_temporaries(folder)
        elif exists and not force:
            raise InputError(f"{self.path} exists: --resume continues that run, --force starts it over")
        elif exists:
            os.unlink(self.path)
        from ssgc_ref.fileio import write_atomic

        write_atomic(run_path, (json.dumps(settings, indent=1, sort_keys=True) + "\n").encode(), force=True)
        self._file = open(self.path, "a", encoding="utf-8")

    def write_outputs(self, files: dict[str, bytes]) -> None:
        """Write ``{path relative to the folder: bytes}`` atomically, replacing leftovers of a killed run."""
        from ssgc_ref.fileio import write_atomic

        for rel, data in files.items():
            path = os.path.join(self.folder, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, data, force=True)

    def append(self, row: dict) -> None:
        """Append one row and make it durable before the next image is reported."""
        self._file.write(json.dumps(row, sort_keys=False, allow_nan=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.appended += 1
        if row.get("status") in DONE:
            self.done[row["key"]] = row

    def rows(self) -> list[dict]:
        """The latest row of every image, in manifest order."""
        latest: dict[str, dict] = {}
        for row in _read_rows(self.path):
            latest.pop(row.get("key"), None)
            latest[row.get("key")] = row
        return list(latest.values())

    def close(self) -> None:
        """Close the manifest; a new run that wrote no row (Ray could not start, Ctrl-C at once) leaves
        no manifest behind, so the same command can simply be run again."""
        self._file.close()
        if self.fresh and self.appended == 0:
            for name in (MANIFEST, RUN):
                try:
                    os.unlink(os.path.join(self.folder, name))
                except FileNotFoundError:
                    pass
