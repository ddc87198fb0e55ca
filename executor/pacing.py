"""Pace requests below a destination's rate limit, shared by the threads of one sender."""

import threading
import time
from collections.abc import Callable


class Pacer:
    """A token bucket: at most `rate` requests per second, in bursts of at most `burst`.

    One sender at a time holds the lease for an API key (executor.wakeups), so pacing in that
    process is pacing across all workers.
    """

    def __init__(self, rate: float, burst: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        # A small burst keeps any one-second window close to `rate`, however the destination counts.
        self.burst = burst or max(1, int(rate / 50))
        self._clock = clock
        self._tokens = float(self.burst)
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one request's slot and return how long the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            if now > self._updated:
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
            return max(wait, self._paused_until - now)

    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            time.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` (after a 429, or when the destination says 0 remain).

        No credit builds up during the pause: sending resumes at the steady rate, not with a burst
        that would trip the limit again.
        """
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._tokens = min(self._tokens, 0.0)
            self._updated = max(self._updated, self._paused_until)
