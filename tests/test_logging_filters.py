"""The log scrubber: linear in its input, whatever a visitor sends, and a request path in any log line
(Django's, waitress's, ours) keeps only our routes' words."""

import logging
import time

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from config.logging_filters import MAX_LOGGED_CHARS, scrub, scrub_path

MEGABYTE = 1024 * 1024


def test_scrubbing_a_megabyte_line_with_no_email_takes_milliseconds() -> None:
    # The old email pattern backtracked: 64 KB took 5 s, 1 MB would take about 20 minutes.
    line = "Not Found: /" + "a" * MEGABYTE
    started = time.perf_counter()
    scrub(line)
    assert time.perf_counter() - started < 0.5


def test_an_email_in_a_long_line_is_masked_before_the_line_is_cut() -> None:
    line = "x" * (MAX_LOGGED_CHARS - 10) + " jane.doe@example.com " + "y" * 100
    cleaned = scrub(line)
    assert "jane" not in cleaned
    assert cleaned.endswith("[cut]")
    assert len(cleaned) <= MAX_LOGGED_CHARS + len(" [cut]")


@pytest.mark.django_db
def test_a_200_kb_path_is_answered_404_quickly_and_logged_cut(client: Client, caplog) -> None:
    caplog.set_level(logging.WARNING)
    started = time.perf_counter()
    response = client.get("/" + "a" * 200_000 + "/jane.doe@example.com")
    assert response.status_code == 404
    assert time.perf_counter() - started < 1.0
    assert all(len(record.getMessage()) <= MAX_LOGGED_CHARS + 10 for record in caplog.records)


# A visitor's path: a health word, a phone and an email, with and without spaces.
HEALTH_PATH = "/x/diagnosedwithzebrafever/617-555-0142/jane.doe@example.com"
SPACED_PATH = "/x/diagnosed with zebra fever/617 555 0142"
SECRETS = ("diagnosed", "zebra", "fever", "617", "555", "0142", "jane", "example.com")


def _boom(request: HttpRequest, word: str) -> HttpResponse:
    raise RuntimeError(word)


# This module is also the URLconf of the 500 test: the project's routes plus one that fails.
urlpatterns = [path("boom/<str:word>/", _boom), path("", include("config.urls"))]


def _assert_no_secret(records: list[logging.LogRecord]) -> None:
    assert records, "the request was logged"
    for record in records:
        logged = record.getMessage() + (record.exc_text or "") + (record.stack_info or "")
        for secret in SECRETS:
            assert secret not in logged, (secret, logged)


@pytest.mark.django_db
@pytest.mark.parametrize("visited", [HEALTH_PATH, SPACED_PATH, "/api/v1" + HEALTH_PATH, HEALTH_PATH + "?q=fever"])
def test_a_404_is_logged_without_the_words_of_its_path(client: Client, caplog, visited: str) -> None:
    caplog.set_level(logging.INFO)
    assert client.get(visited).status_code == 404
    _assert_no_secret(caplog.records)
    assert any(record.getMessage().startswith("Not Found: /") for record in caplog.records)


@pytest.mark.django_db
def test_a_405_is_logged_without_the_words_of_its_path(client: Client, caplog) -> None:
    caplog.set_level(logging.INFO)
    assert client.get("/actions/1/move/diagnosedwithzebrafever 6175550142/").status_code == 405
    _assert_no_secret(caplog.records)
    assert "Method Not Allowed (GET): /actions/[id]/move/[…]/" in [r.getMessage() for r in caplog.records]


@pytest.mark.django_db
@pytest.mark.urls("tests.test_logging_filters")
def test_a_500_is_logged_without_the_words_of_its_path(caplog) -> None:
    caplog.set_level(logging.INFO)
    response = Client(raise_request_exception=False).get("/boom/diagnosed with zebra fever 6175550142/")
    assert response.status_code == 500
    _assert_no_secret(caplog.records)


@pytest.mark.parametrize("message", ["Exception while serving %s", "Client disconnected while serving %s"])
def test_a_path_waitress_formats_itself_is_masked_to_the_end_of_the_line(caplog, message: str) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("waitress").error(message % SPACED_PATH)
    _assert_no_secret(caplog.records)


def test_a_path_in_our_own_log_lines_is_masked_whether_an_argument_or_in_the_text(caplog) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("executor").warning("Refused %s", SPACED_PATH)
    logging.getLogger("executor").warning(f"Refused {HEALTH_PATH} from https://relay.test{HEALTH_PATH}")
    _assert_no_secret(caplog.records)
    assert "https://relay.test/[…]/[…]/[…]/[…]" in caplog.records[1].getMessage()


def test_our_routes_words_and_short_ids_stay_readable() -> None:
    assert scrub_path("/api/v1/deliveries/12") == "/api/v1/deliveries/[id]"
    assert scrub_path("/v1/track") == "/v1/track"
    assert scrub_path("/destinations/3/actions/?q=x") == "/destinations/[id]/actions/?[…]"
    assert scrub("HTTP/1.1 and a/b stay") == "HTTP/1.1 and a/b stay"


@pytest.mark.django_db
def test_a_refused_page_is_logged_as_one_line_without_a_traceback(caplog, django_user_model) -> None:
    from accounts.roles import MARKETER, set_role

    caplog.set_level(logging.INFO)
    client = Client()
    user = django_user_model.objects.create_user("molly", password="a long enough password")
    set_role(user, MARKETER)
    client.force_login(user)
    assert client.get("/users/").status_code == 403
    refused = [record for record in caplog.records if record.getMessage().startswith("Forbidden")]
    assert [record.getMessage() for record in refused] == ["Forbidden (Permission denied): /users/"]
    assert refused[0].exc_text is None
    assert refused[0].exc_info is None


def test_a_uuid_in_a_log_line_stays_whole() -> None:
    # Outside test: django-tasks' "Task id=b20d6dd4-…" lines were logged as "b20d6dd[number]cc-…".
    line = "Task id=b20d6dd4-1234-5678-9abc-0123456789ab finished"
    assert scrub(line) == line


@pytest.mark.parametrize(
    "line",
    [
        "Axes: the lockout of this address is older than 2026-12-06 20:25:31.104+00:00, lifted",
        "started 2026-12-06T20:25:31Z",
        "on 2026-12-06 20:25",
    ],
)
def test_a_date_and_time_in_a_log_line_stays_whole(line: str) -> None:
    # Outside test: an axes line read "older than [number]:25:[number]+00:00".
    assert scrub(line) == line


@pytest.mark.parametrize(
    "line",
    [
        "call +1 (415) 555-0123 now",
        "call 2026-12-06 415 555 0123 now",
        "id 41555501-2345-6789-0123-456789012345",  # shaped as a UUID, digits only: a number
        "4155550123",
    ],
)
def test_a_run_of_digits_that_could_be_a_phone_is_masked(line: str) -> None:
    cleaned = scrub(line)
    assert "[number]" in cleaned
    assert "555" not in cleaned
