"""Request pacing, so a crawl stays under Spotify's rolling 30-second limit.

Spotify does not publish the limit, so the pacer starts at the configured rate,
spreads requests evenly (no bursts), never lets more than the configured number
into any window, halves its rate on every 429 and creeps back up while requests
succeed (additive increase, multiplicative decrease).
"""
from __future__ import annotations

import time
from collections import deque
from typing import Callable


class Pacer:
    def __init__(self, requests_per_window: int, window_s: float, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        # The server counts arrivals, we count departures: keep a margin for latency jitter.
        self.window_s = window_s * 1.02 + 0.05
        self.limit = requests_per_window
        self.max_rate = requests_per_window / window_s  # requests per second
        self.min_rate = self.max_rate / 32
        self.rate = self.max_rate
        self._clock, self._sleep = clock, sleep
        self._next_at = 0.0
        self._recent: deque[float] = deque()
        self.paced_s = 0.0  # time spent waiting for the pace, for reporting

    def before_request(self) -> None:
        """Block until the next request may go out."""
        now = self._clock()
        at = max(now, self._next_at)
        while self._recent and self._recent[0] <= at - self.window_s:
            self._recent.popleft()
        if len(self._recent) >= self.limit:
            at = self._recent.popleft() + self.window_s
        if at > now:
            self._sleep(at - now)
            self.paced_s += at - now
        self._recent.append(at)
        self._next_at = at + 1.0 / self.rate

    def on_success(self) -> None:
        # Regain the full rate after about one window of clean requests.
        self.rate = min(self.max_rate, self.rate + self.max_rate / max(self.limit, 1))

    def on_rate_limited(self) -> None:
        self.rate = max(self.min_rate, self.rate / 2)
