"""Canary: events full of marker values go through every path; no marker may reach a log record,
an error report, a server-error page or an email."""

import json
import logging
import sys

import httpx
import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone
from django.views.debug import ExceptionReporter

from config.logging_filters import NoRequestDataReporterFilter, scrub
from destinations.models import Destination
from executor import sending
from executor.ingest import ingest
from executor.models import Delivery, WriteKey
from executor.runtime import runtime
from executor.tasks import route_pending
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY, FakeAttentive

pytestmark = pytest.mark.django_db

EMAIL = "canary.person.7f3a@example.com"
PHONE = "+1 415 555 0199"
NAME = "Zanzibarqux"
SECRET_NOTE = "CANARY-NOTE-91ab"
MARKERS = [EMAIL, "4155550199", "555 0199", NAME, SECRET_NOTE]


def canary_event(index: int = 1) -> dict:
    return {
        "type": "track",
        "event": "Order Shipped",
        "userId": f"canary-user-{index}",
        "messageId": f"canary-{index}",
        "properties": {"order_id": "1", "note": SECRET_NOTE, "customer": NAME},
        "context": {"traits": {"email": EMAIL, "phone": PHONE, "firstName": NAME}},
    }


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _logged_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(record.exc_text or "")
        parts.append(repr(record.args))
    return "\n".join(parts) + caplog.text


def assert_no_marker(text: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} leaked"


def test_no_marker_reaches_a_log_record_through_every_path(everything_logged, settings, client: Client) -> None:
    server = FakeAttentive().start()
    settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE, settings.ATTENTIVE_API_URL = True, server.url
    settings.RELAY_RETRY_BASE_SECONDS = 0.01
    runtime.close_clients()
    try:
        destination = Destination(name="Canary")
        destination.set_api_key(GOOD_KEY)
        destination.save()
        Action.objects.create(
            destination=destination,
            action_type="custom_event",
            name="Shipped",
            trigger="type == 'track'",
            mappings={
                "event_name": "event",
                "email": "context.traits.email",
                "phone": "context.traits.phone",
                "properties": "properties",
                "custom_identifiers.name": "context.traits.firstName",
            },
        )
        _, raw = WriteKey.issue("canary")
        auth = {"Authorization": f"Bearer {raw}"}
        # Ingest: valid, batch, invalid JSON, invalid events, wrong key, too deep.
        client.post("/api/v1/events", json.dumps(canary_event(1)), content_type="application/json", headers=auth)
        client.post(
            "/api/v1/events",
            json.dumps([canary_event(2), {"type": "track", "note": SECRET_NOTE}]),
            content_type="application/json",
            headers=auth,
        )
        client.post("/api/v1/events", f'{{"email": "{EMAIL}", broken', content_type="application/json", headers=auth)
        client.post(
            "/api/v1/events", json.dumps({"type": "nope", "name": NAME}), content_type="application/json", headers=auth
        )
        client.post(
            "/api/v1/events",
            json.dumps(canary_event(3)),
            content_type="application/json",
            headers={"Authorization": f"Bearer {EMAIL}"},
        )
        client.post("/v1/track", json.dumps(canary_event(4)), content_type="application/json", headers=auth)
        # Route and deliver: a 400 and a 500 that echo the request, a dropped connection, then success.
        server.then("400", "500", "drop")
        route_pending.call()
        for _ in range(3):
            sending.drain(destination.sender_key)
            Delivery.objects.filter(status="retrying").update(next_attempt_at=timezone.now())
        # Preview, in the UI and the API.
        from django.contrib.auth import get_user_model

        from accounts.roles import set_role

        user = get_user_model().objects.create_user("canary-admin")
        set_role(user, "admin")
        client.force_login(user)
        action = Action.objects.get()
        client.post(
            f"/actions/{action.pk}/",
            {
                "name": "x",
                "trigger": "@",
                "map__event_name": "event",
                "map__email": "context.traits.email",
                "_preview": "1",
                "sample_event": json.dumps(canary_event(5)),
            },
        )
        client.post(
            f"/destinations/{destination.pk}/actions/preview/custom_event/",
            {"trigger": "@", "map__event_name": "event", "sample_event": json.dumps(canary_event(6))[:-5]},
        )
        client.post(
            "/api/v1/preview",
            json.dumps({"action": action.pk, "event": canary_event(7)}),
            content_type="application/json",
        )
        # A server error while event data is in flight (DEBUG off, as in production).
        settings.DEBUG = False
        client.raise_request_exception = False
        ingest_module = sys.modules["executor.ingest_views"]
        real_ingest = ingest_module.ingest

        def exploding(raw_events: list, **kwargs: object) -> None:
            raise ValueError(f"cannot store {raw_events[0]['context']['traits']['email']}")

        ingest_module.ingest = exploding
        try:
            response = client.post(
                "/api/v1/events", json.dumps(canary_event(8)), content_type="application/json", headers=auth
            )
        finally:
            ingest_module.ingest = real_ingest
        assert response.status_code == 500
        assert_no_marker(response.content.decode())
    finally:
        runtime.close_clients()
        server.stop()
    assert_no_marker(_logged_text(everything_logged))
    assert len(everything_logged.records) > 0
    assert all(marker not in str(message.message()) for message in mail.outbox for marker in MARKERS)


def test_error_reports_never_include_posted_data_or_variables() -> None:
    request = RequestFactory().post("/api/v1/events", {"email": EMAIL}, HTTP_AUTHORIZATION=f"Bearer {GOOD_KEY}")
    secret_local = NAME  # noqa: F841 - a frame variable the report must not show
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        reporter.filter = NoRequestDataReporterFilter()
        text = reporter.get_traceback_text()
    assert_no_marker(text)
    assert GOOD_KEY not in text


def test_scrub_masks_contacts_and_tokens() -> None:
    text = scrub(f"user {EMAIL} phone {PHONE} key rwk_abcdefghijk Bearer rat_1234567890")
    assert_no_marker(text)
    assert "rwk_abcdefghijk" not in text
    assert "rat_1234567890" not in text


def test_an_exception_logged_with_data_in_its_message_loses_the_message(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    try:
        raise KeyError(NAME)
    except KeyError:
        logging.getLogger("relay.test").exception("lookup failed")
    assert NAME not in caplog.text
    assert "KeyError" in caplog.text


def test_client_excerpts_and_exceptions_carry_no_request_values() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text=request.content.decode())

    from destinations.attentive.client import AttentiveClient
    from destinations.errors import PermanentError

    with pytest.raises(PermanentError) as caught:
        AttentiveClient(GOOD_KEY, transport=httpx.MockTransport(echo)).send(
            "POST", "/v1/events/custom", {"user": {"email": EMAIL, "phone": "+14155550199"}}
        )
    assert_no_marker(str(caught.value))
    assert_no_marker(caught.value.response_excerpt)


def test_ingest_function_is_used(db) -> None:
    assert ingest([canary_event()], source="api", write_key=None).accepted == 1
