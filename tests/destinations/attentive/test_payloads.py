"""The Attentive builders' shortcuts give exactly what the long way gives."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from destinations.attentive.payloads import build_custom_event, build_user_attributes, drop_empty, text_value
from destinations.definition import BuildContext, Built, row_keys
from destinations.timestamps import format_rfc3339, parse_timestamp

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# Hypothesis takes naive bounds; the moments it draws are in UTC.
moments = st.datetimes(
    min_value=datetime(1000, 1, 2),  # noqa: DTZ001
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def occurred_at(raw: object) -> object:
    built = build_custom_event({"event_name": "x", "email": "a@b.co", "occurred_at": raw}, BuildContext("US", NOW, ""))
    return built.body.get("occurredAt")


@given(moments)
def test_a_timestamp_already_in_attentives_format_is_sent_as_it_came(moment: datetime) -> None:
    canonical = format_rfc3339(moment)
    assert occurred_at(canonical) == canonical


@given(moments, st.integers(-14 * 60, 14 * 60))
def test_any_other_spelling_is_rewritten_in_attentives_format(moment: datetime, offset_minutes: int) -> None:
    spelled = moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()
    assert occurred_at(spelled) == format_rfc3339(moment)


def occurred_at_and_codes(raw: object) -> tuple[object, list[str]]:
    built = build_custom_event({"event_name": "x", "email": "a@b.co", "occurred_at": raw}, BuildContext("US", NOW, ""))
    return built.body.get("occurredAt"), [error.code for error in built.errors]


def the_long_way(raw: str) -> tuple[object, list[str]]:
    """parse_timestamp, the journey window and format_rfc3339, as every other spelling takes them."""
    moment = parse_timestamp(raw)
    if moment is None:
        return None, ["invalid_timestamp"]
    return format_rfc3339(moment), ["stale_event"] if NOW - moment > timedelta(hours=12) else []


# Attentive's own spelling, with any digits: months 13 and February 30ths included.
attentive_shaped = st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", fullmatch=True)
around_the_window = st.integers(-14 * 3600_000, 14 * 3600_000).map(
    lambda milliseconds: format_rfc3339(NOW - timedelta(milliseconds=milliseconds))
)


@given(st.one_of(attentive_shaped, around_the_window, moments.map(format_rfc3339)))
def test_a_timestamp_in_attentives_spelling_is_judged_as_the_long_way_judges_it(raw: str) -> None:
    assert occurred_at_and_codes(raw) == the_long_way(raw)


def test_rows_and_custom_identifiers_are_read_whatever_the_order_of_the_keys() -> None:
    values = {
        "custom_identifiers.crm": "c-1",
        "properties.B": "2",
        "event_name": "x",
        "properties.A": "1",
        "custom_identifiers.pos": "p-9",
    }
    body = build_custom_event(values, BuildContext("US", NOW, "")).body
    assert body["properties"] == {"B": "2", "A": "1"}
    assert body["user"]["externalIdentifiers"]["customIdentifiers"] == [
        {"name": "crm", "value": "c-1"},
        {"name": "pos", "value": "p-9"},
    ]


_row_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", " ", "x", " y "]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("ab"), children, max_size=3),
    max_leaves=6,
)


@given(st.dictionaries(st.sampled_from(["Total", "Carrier", "Items", "Note"]), _row_values, max_size=4))
def test_property_rows_are_cleaned_as_drop_empty_cleans_them(rows: dict) -> None:
    values = {"event_name": "x", "email": "a@b.co", **{f"properties.{name}": value for name, value in rows.items()}}
    built = build_custom_event(values, BuildContext("US", NOW, ""))
    expected = {name: drop_empty(value) for name, value in rows.items() if drop_empty(value) is not None}
    assert built.body.get("properties", {}) == expected


_field_keys = st.sampled_from(
    [
        "event_name",
        "email",
        "attributes",
        "properties",
        "properties.Total",
        "properties.Note",
        "attributes.Tier",
        "custom_identifiers.crm",
        "custom_identifiers.pos",
        "other.row",
    ]
)


@given(
    st.dictionaries(_field_keys, _row_values, max_size=8),
    st.sets(_field_keys, max_size=3),
    st.sampled_from([build_custom_event, build_user_attributes]),
)
def test_a_builder_given_the_rows_worked_out_once_builds_what_it_builds_finding_them_itself(
    values: dict, failed: set, build
) -> None:
    # The action's keys hold every value's key, and those whose expression failed (no value).
    action_keys = [*values, *(key for key in failed if key not in values)]
    once = build(values, BuildContext("US", NOW, "", rows=row_keys(action_keys)))
    itself = build(values, BuildContext("US", NOW, ""))
    assert (once.body, once.errors, once.origins) == (itself.body, itself.errors, itself.origins)


def test_row_keys_groups_an_actions_row_keys_by_their_group_in_their_order() -> None:
    keys = ["event_name", "properties.B", "custom_identifiers.crm", "properties.A", "properties.a.b"]
    assert row_keys(keys) == {
        "properties": (("properties.B", "B"), ("properties.A", "A"), ("properties.a.b", "a.b")),
        "custom_identifiers": (("custom_identifiers.crm", "crm"),),
    }


_texts = st.one_of(st.sampled_from(["", " ", "x", " y ", "\t", "Order Shipped"]), st.text(max_size=4), _row_values)


@given(_texts, _texts, _texts)
def test_the_event_name_and_the_ids_are_read_as_text_value_reads_them(
    event_name: object, external_event_id: object, external_id: object
) -> None:
    values = {"event_name": event_name, "external_event_id": external_event_id, "external_id": external_id}
    values = {key: value for key, value in values.items() if value is not None}
    built = build_custom_event({**values, "email": "a@b.co"}, BuildContext("US", NOW, "derived"))
    reference = Built({})
    expected_name = text_value(values, "event_name", reference)
    expected_event_id = text_value(values, "external_event_id", reference) or "derived"
    expected_user_id = text_value(values, "external_id", reference)
    assert built.body.get("type") == expected_name
    assert built.body["externalEventId"] == expected_event_id
    assert built.body["user"].get("externalIdentifiers", {}).get("clientUserId") == expected_user_id
    assert [error for error in built.errors if error.code == "not_scalar"] == reference.errors
