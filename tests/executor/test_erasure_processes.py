"""Erasure with real processes: a request filed by one process is in force in the others at once, nothing
about the person reaches Attentive after its delete request, and nothing decryptable stays on disk."""

import json
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.executor.workers import RelayProcesses
from tests.fake_attentive import GOOD_KEY, FakeAttentive

JANE = "jane.doe@example.com"

LEFT_OF_JANE = f"""
import json
from executor.erasure import Subject, mentions
from executor.models import Delivery, InboundEvent
jane = Subject("email", {JANE!r})
print(json.dumps({{
    "events": sum(mentions(event.body, jane) for event in InboundEvent.objects.all()),
    "payloads": sum(mentions(delivery.payload, jane) for delivery in Delivery.objects.all()),
    "pending": Delivery.objects.filter(status__in=("queued", "sending", "retrying")).count(),
}}))
"""


def _event(index: int, email: str) -> dict:
    return {
        "type": "track",
        "event": "Order Shipped",
        "userId": f"user-{index}",
        "messageId": f"msg-{index}",
        "properties": {"order_id": str(index)},
        "context": {"traits": {"email": email}},
    }


def _names_jane(body: dict) -> bool:
    return JANE in json.dumps(body).lower()


@pytest.fixture
def fake() -> FakeAttentive:
    server = FakeAttentive().start()
    yield server
    server.stop()


@pytest.fixture
def relay(tmp_path: Path, fake: FakeAttentive) -> RelayProcesses:
    processes = RelayProcesses(
        tmp_path,
        f"sqlite:///{tmp_path / 'relay.sqlite3'}",
        fake.url,
        # The forward waits out what a send judged before the request may take: 1 + 1 + 3 s here.
        ATTENTIVE_TIMEOUT_SECONDS=3,
        ATTENTIVE_CONNECT_TIMEOUT_SECONDS=1,
    )
    processes.set_up(GOOD_KEY)
    yield processes
    processes.stop()


def _left_of_jane(relay: RelayProcesses) -> dict:
    return json.loads(relay.manage("shell", "-c", LEFT_OF_JANE).strip().splitlines()[-1])


def test_an_erasure_filed_by_another_process_stops_the_persons_stream_everywhere_at_once(
    relay: RelayProcesses, fake: FakeAttentive, tmp_path: Path
) -> None:
    relay.start_web()
    relay.start_workers(1)
    committed_at: list[float] = []
    erase_returned: list[float] = []
    answers: list[tuple[float, int, bool]] = []  # (request started, status, about Jane)

    def watch_for_the_request() -> None:
        database = sqlite3.connect(f"file:{tmp_path / 'relay.sqlite3'}?mode=ro", uri=True)
        while not committed_at:
            if database.execute("SELECT count(*) FROM executor_erasurerequest").fetchone()[0]:
                committed_at.append(time.monotonic())
            time.sleep(0.005)
        database.close()

    def erase() -> None:
        relay.manage("erase", "--email", JANE.upper())
        erase_returned.append(time.monotonic())

    watcher = threading.Thread(target=watch_for_the_request, daemon=True)
    watcher.start()
    eraser = threading.Thread(target=erase)
    with httpx.Client(headers={"Authorization": f"Bearer {relay.write_key}"}, timeout=30) as client:
        index = 0
        deadline, give_up = None, time.monotonic() + 90
        while (deadline is None or time.monotonic() < deadline) and time.monotonic() < give_up:
            index += 1
            about_jane = index % 2 == 1
            started = time.monotonic()
            response = client.post(
                f"{relay.url}/api/v1/events", json=_event(index, JANE if about_jane else f"p{index}@example.com")
            )
            answers.append((started, response.status_code, about_jane))
            if index == 30:
                eraser.start()  # the person's events keep coming at 20/s while it runs
            if erase_returned and deadline is None:
                deadline = time.monotonic() + 1.5
            time.sleep(0.05)
    eraser.join()
    watcher.join(timeout=5)
    assert erase_returned, "manage.py erase did not finish"

    (commit,) = committed_at
    after_commit = [status for started, status, jane in answers if jane and started > commit + 0.05]
    assert after_commit, "the stream went on after the request was committed"
    assert set(after_commit) == {422}
    assert all(status == 202 for _, status, jane in answers if not jane)

    deadline = time.monotonic() + 60
    while (left := _left_of_jane(relay))["pending"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert (left["events"], left["payloads"]) == (0, 0)
    kinds = [kind for kind, _ in fake.timeline]
    deletion = kinds.index("deletion")
    assert not [body for kind, body in fake.timeline[deletion:] if kind == "body" and _names_jane(body)]
    assert any(kind == "body" and not _names_jane(body) for kind, body in fake.timeline[deletion:])


def test_no_decryptable_copy_of_an_erased_persons_rows_stays_in_the_database_files(
    relay: RelayProcesses, tmp_path: Path
) -> None:
    relay.start_web()  # a running process keeps the log open, as in production: no checkpoint on exit
    store = """
from executor.ingest import ingest
from executor.routing import route_unrouted
events = [{"type": "track", "event": "Order Shipped", "messageId": f"m-{i}", "userId": f"u-{i}",
           "context": {"traits": {"email": "JANE" if i % 2 else f"p{i}@example.com"}}} for i in range(40)]
ingest(events, source="api", write_key=None)
route_unrouted()
""".replace("JANE", JANE)
    relay.manage("shell", "-c", store)
    database = sqlite3.connect(tmp_path / "relay.sqlite3")
    rows = database.execute(
        "SELECT e.body, e.message_id, d.payload, e.id % 2 FROM executor_inboundevent e "
        "JOIN executor_delivery d ON d.event_id = e.id"
    ).fetchall()
    database.close()
    janes = [cipher[20:80] for *ciphers, odd in rows if odd == 0 for cipher in ciphers if cipher]
    others = [cipher[20:80] for *ciphers, odd in rows if odd == 1 for cipher in ciphers if cipher]
    assert len(janes) == len(others) == 60

    relay.manage("erase", "--email", JANE)

    on_disk = b"".join(path.read_bytes() for path in tmp_path.glob("relay.sqlite3*"))
    assert [token for token in janes if token.encode() in on_disk] == []
    assert all(token.encode() in on_disk for token in others)
