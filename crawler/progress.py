"""The live progress line and the end-of-crawl summary.

On a terminal the line redraws in place; otherwise (a log file, the dashboard's
subprocess) it is printed as a plain line at most every `interval_s` seconds.
Messages (waits, warnings) go on their own lines above it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TextIO


@dataclass
class Snapshot:
    visited: int
    max_playlists: int
    frontier: int
    requests: int
    waits: int
    wait_s: float
    unreachable: int
    skipped: int


def progress_line(s: Snapshot) -> str:
    return (f"crawl: {s.visited}/{s.max_playlists} playlists | frontier {s.frontier} | "
            f"{s.requests} requests | {s.waits} waits ({s.wait_s:.0f} s) | "
            f"{s.unreachable} unreachable | {s.skipped} items skipped")


class ProgressLine:
    def __init__(self, stream: TextIO, *, enabled: bool = True, interval_s: float | None = None):
        self.stream = stream
        self.enabled = enabled
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.interval_s = interval_s if interval_s is not None else (0.2 if self.tty else 10.0)
        self._last_at = 0.0
        self._shown = ""

    def update(self, snapshot: Snapshot, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_at < self.interval_s:
            return
        self._last_at = now
        line = progress_line(snapshot)
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self._shown)))
        else:
            self.stream.write(line + "\n")
        self._shown = line
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (always shown, also with the live line off)."""
        if self.tty and self._shown:
            self.stream.write("\r" + " " * len(self._shown) + "\r")
        self.stream.write(text + "\n")
        if self.tty and self._shown and self.enabled:
            self.stream.write(self._shown)
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._shown and self.enabled:
            self.stream.write("\n")
            self.stream.flush()
        self._shown = ""
