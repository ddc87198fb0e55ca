"""When to try a failed delivery again: exponential backoff with full jitter, within a window."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 10.0
    cap_seconds: float = 300.0
    window: timedelta = timedelta(hours=4)

    @classmethod
    def from_settings(cls) -> "RetryPolicy":
        return cls(
            base_seconds=settings.RELAY_RETRY_BASE_SECONDS,
            cap_seconds=settings.RELAY_RETRY_CAP_SECONDS,
            window=timedelta(seconds=settings.RELAY_RETRY_WINDOW_SECONDS),
        )

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Return seconds to wait after failed attempt number `attempt` (1-based).

        Full jitter (a uniform draw below the exponential ceiling) spreads retries out so
        that many deliveries failing together do not come back together; a Retry-After the
        destination asked for is always honoured. After a first failure that named one (a 429 in a
        burst), it is the destination's own schedule and the backoff starts a step later: the retry
        comes at the Retry-After, up to 10% more for spread, not seconds past it (a 429 at
        `Retry-After: 1` held its delivery up to 10 s, the base); from the second on, as before.
        """
        rng = rng or random
        if retry_after is not None:
            asked = min(retry_after, self.window.total_seconds())
            if attempt <= 1:
                return asked * rng.uniform(1.0, 1.1)
            attempt -= 1
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** min(attempt - 1, 30))
        delay = rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, asked)
        return delay

    def next_attempt_at(
        self, first_seen: datetime, now: datetime, attempt: int, retry_after: float | None = None
    ) -> datetime | None:
        """Return when to try again, or None when that would fall outside the retry window."""
        when = now + timedelta(seconds=self.delay(attempt, retry_after))
        if when > first_seen + self.window:
            return None
        return when
