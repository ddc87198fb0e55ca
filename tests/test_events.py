"""The bench's event corpora (tests/events.py): what bench/engine.py prints beside the messy figure."""

from mapper.pipeline import ActionConfig, run_action
from tests.events import BENCH_MAPPINGS, BENCH_TRIGGER, messy_events, with_distinct_people

CONFIG = ActionConfig.of("attentive", "custom_event", BENCH_TRIGGER, BENCH_MAPPINGS, 1)


def test_distinct_people_share_no_readable_phone_or_email() -> None:
    distinct = with_distinct_people(messy_events(2_000))
    bodies = [run_action(CONFIG, event).request for event in distinct]
    users = [request.body["user"] for request in bodies if request is not None and "user" in request.body]
    phones = [user["phone"] for user in users if "phone" in user]
    emails = [user["email"] for user in users if "email" in user]
    assert len(phones) > 1_000
    assert len(set(phones)) == len(phones)
    assert len(emails) > 1_000
    assert len(set(emails)) == len(emails)


def test_distinct_people_have_the_same_errors_and_warnings_as_the_messy_events() -> None:
    events = messy_events(2_000)
    for event, distinct in zip(events, with_distinct_people(events), strict=True):
        expected = [(error.field, error.code) for error in run_action(CONFIG, event).errors]
        assert [(error.field, error.code) for error in run_action(CONFIG, distinct).errors] == expected
