"""What config/settings.py sets on every SQLite connection."""

import threading

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the pragmas are SQLite's")

MEMORY = 2  # PRAGMA temp_store: 0 the default (files), 1 files, 2 memory


def _pragma(name: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_every_connection_keeps_sqlites_temporary_files_in_memory_not_in_var_tmp() -> None:
    seen: list[object] = []

    def in_another_thread() -> None:
        try:
            seen.append(_pragma("temp_store"))
        finally:
            connection.close()

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join(10)
    assert [_pragma("temp_store"), *seen] == [MEMORY, MEMORY]


@pytest.mark.django_db
def test_every_connection_zeroes_what_it_deletes() -> None:
    assert _pragma("secure_delete") == 1
