"""Retry timing: exponential backoff with full jitter, Retry-After honoured, nothing past the window."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from executor.retry import RetryPolicy

POLICY = RetryPolicy(base_seconds=10, cap_seconds=300, window=timedelta(hours=4))
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@given(st.integers(1, 60), st.integers(0, 2**32))
def test_a_delay_stays_under_the_exponential_ceiling_and_the_cap(attempt: int, seed: int) -> None:
    delay = POLICY.delay(attempt, rng=random.Random(seed))
    assert 0 <= delay <= min(300, 10 * 2 ** (attempt - 1))


def test_retries_of_many_deliveries_spread_out_instead_of_coming_back_together() -> None:
    rng = random.Random(7)
    delays = {round(POLICY.delay(5, rng=rng)) for _ in range(100)}
    assert len(delays) > 50


@given(st.floats(0, 10_000), st.integers(1, 10))
def test_a_retry_after_is_always_honoured_up_to_the_window(retry_after: float, attempt: int) -> None:
    delay = POLICY.delay(attempt, retry_after=retry_after)
    assert delay >= min(retry_after, POLICY.window.total_seconds())


def test_nothing_is_scheduled_past_the_retry_window() -> None:
    first_seen = NOW - timedelta(hours=3, minutes=59)
    assert POLICY.next_attempt_at(first_seen, NOW, attempt=1, retry_after=120) is None
    assert POLICY.next_attempt_at(NOW, NOW, attempt=1) is not None


@given(st.floats(0, 600), st.integers(0, 2**32))
def test_after_a_first_failure_that_named_a_retry_after_the_retry_comes_at_it(retry_after: float, seed: int) -> None:
    delay = POLICY.delay(1, retry_after=retry_after, rng=random.Random(seed))
    assert retry_after <= delay <= retry_after * 1.1


@given(st.integers(2, 60), st.integers(0, 2**32))
def test_after_later_failures_that_named_a_retry_after_the_backoff_goes_on_one_step_behind(
    attempt: int, seed: int
) -> None:
    delay = POLICY.delay(attempt, retry_after=1, rng=random.Random(seed))
    assert 1 <= delay <= max(1, min(300, 10 * 2 ** (attempt - 2)))


def test_a_delivery_refused_again_and_again_at_retry_after_1_is_tried_a_bounded_number_of_times() -> None:
    # Not once a second for the 4 hours: the backoff still grows.
    rng, elapsed, attempts = random.Random(3), 0.0, 0
    while elapsed < POLICY.window.total_seconds():
        attempts += 1
        elapsed += POLICY.delay(attempts, retry_after=1, rng=rng)
    assert attempts < 150
