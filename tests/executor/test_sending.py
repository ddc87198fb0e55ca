"""Sending under long 429 pauses: each delivery goes out once, and one key's pause never starves another."""

import threading
import time

import pytest
from django.db import OperationalError, connection

from destinations.models import Destination
from executor import recovery, sending
from executor.ingest import ingest
from executor.models import Delivery
from executor.routing import route_unrouted
from mapper.models import Action
from tests.conftest import fake_attentive
from tests.events import shipped_event
from tests.fake_attentive import GOOD_KEY, FakeAttentive

OTHER_KEY = "fake-attentive-other-key-0002"


@pytest.fixture
def fake_two_keys(settings):
    with fake_attentive(settings, timeout=2.0, api_keys=(GOOD_KEY, OTHER_KEY)) as server:
        yield server


def _destination(name: str, api_key: str, preset_action: Action | None = None) -> Destination:
    destination = Destination(name=name)
    destination.set_api_key(api_key)
    destination.save()
    from destinations.attentive import ATTENTIVE

    preset = ATTENTIVE.action("custom_event").preset("order_shipped")
    Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )
    return destination


def _eventually(write, seconds: float = 10.0):
    """The first write, retried while another thread of the test process still holds SQLite's
    shared-cache table lock (the in-memory test database; the product runs on a file in WAL mode)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return write()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_long_retry_after_sends_each_delivery_once_and_never_starves_another_key(
    fake_two_keys: FakeAttentive, settings
) -> None:
    settings.RELAY_SENDING_LEASE_SECONDS = 3
    settings.RELAY_RETRY_BASE_SECONDS = 0.5
    settings.RELAY_RETRY_CAP_SECONDS = 30
    paused = _eventually(lambda: _destination("Paused", GOOD_KEY))
    steady = _destination("Steady", OTHER_KEY)
    fake_two_keys.then("429-retry-after-10", api_key=GOOD_KEY)
    ingest([shipped_event(number) for number in range(40)], source="api", write_key=None)
    route_unrouted()
    assert Delivery.objects.filter(status="queued").count() == 80

    stop = threading.Event()
    sweeps: list[int] = []

    def sweep_forever() -> None:
        while not stop.is_set():
            try:
                sweeps.append(
                    recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None).recovered_deliveries
                )
            except OperationalError:  # the test database's shared cache locks whole tables
                pass
            finally:
                connection.close()
            time.sleep(0.2)

    sweeper = threading.Thread(target=sweep_forever, daemon=True)
    sweeper.start()
    started = time.monotonic()

    def drain_paused_key() -> None:
        try:
            sending.drain(paused.sender_key, idle_seconds=1)
        finally:
            connection.close()

    paused_sender = threading.Thread(target=drain_paused_key)
    paused_sender.start()
    time.sleep(0.3)  # the paused key got its 429 and is holding its claims
    sending.drain(steady.sender_key)
    steady_took = time.monotonic() - started
    paused_sender.join(timeout=60)
    assert not paused_sender.is_alive(), "the paused key's sender did not hand its key back"

    # The paused key's deliveries go out once the pause ends, whoever drains them.
    deadline = time.monotonic() + 40
    while Delivery.objects.filter(destination=paused).exclude(status="delivered").exists():
        assert time.monotonic() < deadline, "the paused key's deliveries were never delivered"
        _eventually(lambda: sending.drain(paused.sender_key))
        time.sleep(0.5)
    stop.set()
    sweeper.join()

    assert len(sweeps) > 20  # the sweep ran all along
    assert steady_took < 1.0 + 0.3
    counts = fake_two_keys.event_ids()
    assert len(counts) == 80
    assert max(counts.values()) == 1, "a delivery was sent twice"
