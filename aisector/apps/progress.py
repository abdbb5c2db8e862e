"""A one-line progress bar on stderr, drawn only when stderr is a terminal (never in cron logs)."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 24


class Progress:
    """Steps done out of a total, redrawn in place with ``\\r``; silent when not on a terminal."""

    def __init__(self, title: str, stream: TextIO | None = None) -> None:
        self.title = title
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty()
        self.total = self.done = 0

    def start(self, total: int) -> None:
        """Begin counting ``total`` steps."""
        self.total, self.done = total, 0
        if total:
            self._draw(0)

    def advance(self, rows: int) -> None:
        """One step done; ``rows`` is the running count of rows added."""
        self.done += 1
        self._draw(rows)

    def finish(self) -> None:
        """Clear the bar so the summary line starts clean."""
        if self.enabled and self.total:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self, rows: int) -> None:
        if not self.enabled:
            return
        filled = BAR_WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stream.write(f"\r{self.title} [{bar}] {self.done}/{self.total} chunks, {rows:,} rows")
        self.stream.flush()
