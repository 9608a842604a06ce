"""Progress display for the command line: one tqdm bar over the stages of a long job.

Each stage (segmentation, VVC rate search, model loading, ...) is one step of the bar, named while
it runs; a background thread redraws the bar twice a second so the elapsed time moves even inside
a stage that reports nothing. Disabled with ``--quiet`` and whenever standard error is not a
terminal (logs and pipes get no control characters).
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

__all__ = ["StageBar", "progress_enabled"]


def progress_enabled(quiet: bool) -> bool:
    """Whether to draw progress: not quiet, and standard error is a terminal."""
    try:
        return not quiet and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _columns() -> int:
    """The terminal's width; 80 when it reports none (a fresh pty says 0, and tqdm then draws
    nothing)."""
    import os

    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


class StageBar:
    """``with StageBar(["segmentation", "color map"], enabled) as bar: bar.stage("segmentation")``."""

    def __init__(self, stages: list[str], enabled: bool, desc: str = ""):
        self.stages = stages
        self.enabled = enabled
        self.desc = desc
        self._bar: Any = None
        self._done = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StageBar:
        if self.enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=len(self.stages), desc=self.desc, leave=False, file=sys.stderr, ncols=_columns(),
                             bar_format="{desc} [{elapsed}] stage {n_fmt}/{total_fmt}")
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            bar = self._bar
            if bar is not None:
                bar.refresh()

    def stage(self, name: str) -> None:
        """Start stage ``name`` (the previous one, if any, counts as done)."""
        if self._bar is None:
            return
        if self._done:
            self._bar.update(1)
        self._done += 1
        self._bar.set_description_str(f"{self.desc}: {name}" if self.desc else name, refresh=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if self._bar is not None:
            self._bar.close()
            self._bar = None
