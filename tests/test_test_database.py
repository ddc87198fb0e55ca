"""The tests run on the database the product runs on: on SQLite, a file in WAL mode (tests/conftest.py)."""

import threading
from pathlib import Path

import pytest
from django.db import connection

from destinations.models import Destination


def _on_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the tests run on the database DATABASE_URL names; the file and WAL mode are SQLite's")


@pytest.mark.django_db
def test_the_test_database_is_a_file_in_wal_mode() -> None:
    _on_sqlite()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert Path(connection.settings_dict["NAME"]).is_file()


@pytest.mark.django_db(transaction=True)
def test_a_thread_reads_while_the_test_holds_a_write_transaction_open() -> None:
    # On the in-memory shared-cache database the reader failed at once ("database table is locked").
    _on_sqlite()
    from django.db import transaction

    Destination.objects.create(name="Committed")
    seen: list[list[str]] = []

    def read() -> None:
        try:
            seen.append(list(Destination.objects.values_list("name", flat=True)))
        finally:
            connection.close()

    with transaction.atomic():
        Destination.objects.create(name="Not yet committed")
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=10)
    assert seen == [["Committed"]]
