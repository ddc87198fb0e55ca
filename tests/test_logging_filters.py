"""The log scrubber: linear in its input, whatever a visitor sends."""

import logging
import time

import pytest
from django.test import Client

from config.logging_filters import MAX_LOGGED_CHARS, scrub

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
