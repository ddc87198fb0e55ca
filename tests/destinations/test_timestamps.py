"""Timestamps read from events, and written the way Attentive wants them."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from destinations.timestamps import format_rfc3339

offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)).map(
    lambda offset: timezone(timedelta(minutes=offset // timedelta(minutes=1)))
)
# Hypothesis takes naive bounds, and gives aware moments in the offsets' zones.
moments = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets)  # noqa: DTZ001


@given(moment=moments)
def test_rfc3339_is_what_isoformat_writes_in_utc_with_milliseconds_and_a_z(moment: datetime) -> None:
    expected = moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert format_rfc3339(moment) == expected


def test_rfc3339_truncates_to_milliseconds() -> None:
    assert format_rfc3339(datetime(2026, 3, 30, 14, 38, 29, 999_999, tzinfo=UTC)) == "2026-03-30T14:38:29.999Z"
    assert (
        format_rfc3339(datetime(987, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))) == "0987-01-02T08:04:05.000Z"
    )
