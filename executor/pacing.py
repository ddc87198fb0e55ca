"""Pace requests below a destination's rate limit, shared by the threads of one sender, and adapt.

One sender at a time holds the lease for an API key (executor.wakeups), so one pacer per endpoint
sees all of that key's traffic to it. The pace adapts as AIMD does (TCP's congestion control):
it aims a little under the limit the destination states (`x-ratelimit-limit`, or the documented
one until it says), halves on a 429, eases off when `x-ratelimit-remaining` runs out, and creeps
back up with each success.
"""

import math
import threading
import time
from collections import deque
from collections.abc import Callable

# Aim this far under the stated limit: the destination's window and ours never line up exactly.
HEADROOM = 0.95
# Each success raises the rate by this share of the target; a 429 halves it; running out of
# remaining requests takes 3% off. Never below FLOOR requests per second.
INCREASE_SHARE = 0.02
DECREASE_ON_429 = 0.5
DECREASE_ON_EMPTY = 0.97
FLOOR = 1.0
# Requests already on the wire when the limit was hit come back 429 together: that is one
# signal, so the rate is cut at most once in this many seconds.
DECREASE_SPACING_SECONDS = 1.0
# Destinations count their limits per second. admit() keeps a window longer by the headroom, holding
# at most the limit the pace aims under: a steady pace fills it exactly, and requests may reach the
# destination up to 53 ms unevenly (a loaded machine, the network) and still overfill none of its seconds.
WINDOW_SECONDS = 1.0
ADMIT_WINDOW_SECONDS = WINDOW_SECONDS / HEADROOM


class Pacer:
    """A token bucket at `rate` requests per second, in bursts of at most `burst`, resized as
    answers come back (see the module)."""

    def __init__(self, rate: float, burst: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.limit = rate  # the most we may ever aim for: documented or configured
        self.target = rate
        self.rate = rate
        self._fixed_burst = burst
        self.burst = burst or self._burst_for(rate)
        self._clock = clock
        self._tokens = float(self.burst)
        self._updated = clock()
        self._paused_until = 0.0
        self._last_decrease = float("-inf")
        self._sent: deque[float] = deque()  # when the requests of the last WINDOW_SECONDS left
        self._lock = threading.Lock()

    @classmethod
    def adaptive(cls, limit: float, clock: Callable[[], float] = time.monotonic) -> "Pacer":
        """A pacer that aims HEADROOM under `limit` and adapts to the destination's answers."""
        pacer = cls(limit * HEADROOM, clock=clock)
        pacer.limit = limit
        return pacer

    @staticmethod
    def _burst_for(rate: float) -> int:
        # A small burst keeps any one-second window close to `rate`, however the destination counts.
        return max(1, int(rate / 50))

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

    def admit(self) -> float:
        """Record a request leaving now and return 0, or return how long it must still wait.

        reserve() spaces the slots, but a sender woken late (a loaded machine, a stalled process)
        finds several slots past at once: sent together, they put more requests in one second than
        the pace allows (a burst of four on a 10/s endpoint, 14 in a second in an outside test, and
        429s from a destination that counts the last second strictly). Whatever the wake-ups, no
        ADMIT_WINDOW_SECONDS (1.053 s) holds more requests than the limit the pace aims under
        (10 for a 9.5/s pace): a window of exactly one second with the limit let a late request and
        the next leave 10 in a second, and a few ms of unevenness on the way made them 11 at the
        destination (429s in an outside test, each after such a pair).
        """
        with self._lock:
            now = self._clock()
            sent = self._sent
            # The tolerance keeps a steady pace, whose 11th request comes exactly one window after
            # the first, from being held by a rounding error.
            while sent and now - sent[0] >= ADMIT_WINDOW_SECONDS - 1e-9:
                sent.popleft()
            if len(sent) >= max(1, math.floor(self.rate / HEADROOM + 1e-9)):
                return sent[0] + ADMIT_WINDOW_SECONDS - now
            sent.append(now)
            return 0.0

    def cancel(self) -> None:
        """Give back a slot taken by reserve() for a request that will not be sent now."""
        with self._lock:
            self._tokens = min(float(self.burst), self._tokens + 1)

    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` (a 429's Retry-After).

        No credit builds up during the pause: sending resumes at the steady rate, not with a burst
        that would trip the limit again.
        """
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._tokens = min(self._tokens, 0.0)
            self._updated = max(self._updated, self._paused_until)

    def on_answer(self, *, rate_limited: bool, stated_limit: int | None, remaining: int | None) -> None:
        """Resize the bucket from one answer of the destination."""
        with self._lock:
            if stated_limit is not None and stated_limit > 0:
                self.target = min(self.limit, stated_limit) * HEADROOM
            now = self._clock()
            may_decrease = now - self._last_decrease >= DECREASE_SPACING_SECONDS
            if rate_limited or remaining == 0:
                rate = (
                    self.rate * (DECREASE_ON_429 if rate_limited else DECREASE_ON_EMPTY) if may_decrease else self.rate
                )
                self._last_decrease = now if may_decrease else self._last_decrease
            else:
                rate = self.rate + self.target * INCREASE_SHARE
            self.rate = max(FLOOR, min(self.target, rate))
            self.burst = self._fixed_burst or self._burst_for(self.rate)
            self._tokens = min(self._tokens, float(self.burst))
