"""A progress bar on stderr when it is a terminal; silent when piped or redirected."""

from __future__ import annotations

import shutil
import sys
import time

from evidence.progress import Progress


class ProgressBar:
    def __init__(self, stream=None, min_interval: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval = min_interval
        self._last = 0.0
        self._shown = False

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.min_interval and p.done != p.total:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 20)).columns
        if p.total:
            frac = min(1.0, p.done / p.total)
            bar_w = max(10, width - len(p.label) - 24)
            filled = int(bar_w * frac)
            line = f"{p.label} [{'#' * filled}{'.' * (bar_w - filled)}] {p.done}/{p.total}"
        else:
            line = f"{p.label} … {p.done}"
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
