"""Sending: retries and their pace, answers that end a delivery, leases, pacing, warnings at send time;
and under long 429 pauses, each delivery goes out once and one key's pause never starves another."""

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from destinations.errors import RetryableError
from destinations.models import Destination
from executor import lifecycle, recovery, sending
from executor.ingest import ingest
from executor.models import Delivery, DeliveryAttempt
from executor.pacing import Pacer
from executor.routing import route_unrouted
from executor.runtime import runtime
from executor.tasks import route_pending
from mapper.models import Action
from tests.conftest import fake_attentive
from tests.events import shipped_event
from tests.executor.flows import accept, action_from_preset, route_and_send
from tests.fake_attentive import GOOD_KEY, FakeAttentive

OTHER_KEY = "fake-attentive-other-key-0002"


@pytest.fixture
def fake_two_keys(settings):
    with fake_attentive(settings, timeout=2.0, api_keys=(GOOD_KEY, OTHER_KEY)) as server:
        yield server


def _destination(name: str, api_key: str) -> Destination:
    destination = Destination(name=name)
    destination.set_api_key(api_key)
    destination.save()
    action_from_preset(destination, "custom_event", "order_shipped")
    return destination


@pytest.mark.django_db(transaction=True)
def test_a_long_retry_after_sends_each_delivery_once_and_never_starves_another_key(
    fake_two_keys: FakeAttentive, settings
) -> None:
    settings.RELAY_SENDING_LEASE_SECONDS = 3
    settings.RELAY_RETRY_BASE_SECONDS = 0.5
    settings.RELAY_RETRY_CAP_SECONDS = 30
    paused = _destination("Paused", GOOD_KEY)
    steady = _destination("Steady", OTHER_KEY)
    fake_two_keys.then("429-retry-after-10", api_key=GOOD_KEY)
    ingest([shipped_event(number) for number in range(40)], source="api", write_key=None)
    route_unrouted()
    assert Delivery.objects.filter(status="queued").count() == 80

    stop = threading.Event()
    sweeps: list[int] = []

    def sweep_every_fifth_of_a_second() -> None:
        try:
            while True:
                swept = recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None)
                sweeps.append(swept.recovered_deliveries)
                if stop.wait(0.2):
                    return
        finally:
            connection.close()

    sweeper = threading.Thread(target=sweep_every_fifth_of_a_second, daemon=True)
    sweeper.start()
    started = time.monotonic()

    def drain_paused_key() -> None:
        try:
            sending.drain(paused.sender_key, idle_seconds=1)
        finally:
            connection.close()

    paused_sender = threading.Thread(target=drain_paused_key)
    paused_sender.start()
    # The paused key got its 429 and is holding its claims.
    assert fake_two_keys.wait_until(lambda fake: fake.statuses[429] >= 1, timeout=10)
    sending.drain(steady.sender_key)
    steady_took = time.monotonic() - started
    paused_sender.join(timeout=60)
    assert not paused_sender.is_alive(), "the paused key's sender did not hand its key back"

    # The paused key's deliveries go out once the pause ends, whoever drains them: each drain waits
    # (on the sender's new-work signal) for a second with nothing due before it hands the key back.
    deadline = time.monotonic() + 40
    while Delivery.objects.filter(destination=paused).exclude(status="delivered").exists():
        assert time.monotonic() < deadline, "the paused key's deliveries were never delivered"
        sending.drain(paused.sender_key, idle_seconds=1)
    stop.set()
    sweeper.join()

    assert len(sweeps) > 20  # the sweep ran all along
    # Its 40 deliveries take ~0.6 s here (under 1 s), ~1.8 s with both cores busy elsewhere; waiting
    # on the other key's pause would take 10 s.
    assert steady_took < 2.0, "the steady key waited for the paused key's Retry-After"
    counts = fake_two_keys.event_ids()
    assert len(counts) == 80
    assert max(counts.values()) == 1, "a delivery was sent twice"


@pytest.mark.django_db
@pytest.mark.parametrize("behaviour", ["500", "503", "drop", "429"])
def test_retryable_answers_are_retried_later(fake: FakeAttentive, order_shipped: Action, behaviour: str) -> None:
    fake.then(behaviour)
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.next_attempt_at > timezone.now() - timedelta(seconds=1)
    assert delivery.attempts.get().outcome == DeliveryAttempt.Outcome.RETRY


@pytest.mark.django_db
def test_timeout_is_retried(fake: FakeAttentive, order_shipped: Action, settings) -> None:
    settings.ATTENTIVE_TIMEOUT_SECONDS = 0.5
    runtime.close_clients()
    fake.then("slow")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.RETRYING
    assert "in time" in delivery.reason


@pytest.mark.django_db
def test_retry_after_is_honoured(fake: FakeAttentive, order_shipped: Action, settings) -> None:
    settings.RELAY_RETRY_BASE_SECONDS = 0.01
    fake.then("429-retry-after")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=6)


@pytest.mark.django_db
def test_retried_delivery_goes_out_once_due(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.then("503")
    accept(shipped_event())
    route_and_send(order_shipped.destination)
    Delivery.objects.update(next_attempt_at=timezone.now())
    sending.drain(order_shipped.destination.sender_key)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempt_count == 2
    assert len(fake.received) == 1


@pytest.mark.django_db
def test_client_error_fails_for_good_with_a_masked_response(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.then("400")
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    assert delivery.status == Delivery.Status.FAILED
    attempt = delivery.attempts.get()
    assert attempt.status_code == 400
    # Outside test: the log showed "—" for the latency of every non-2xx answer.
    assert attempt.latency_ms is not None
    assert attempt.latency_ms > 0
    assert "Invalid parameter" in attempt.response_excerpt
    assert "jane@example.com" not in attempt.response_excerpt


@pytest.mark.django_db
def test_rejected_key_pauses_the_destination_and_keeps_the_delivery(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.api_keys.clear()
    accept(shipped_event())
    delivery = route_and_send(order_shipped.destination)
    destination = Destination.objects.get()
    assert destination.needs_attention
    assert "401" in destination.attention_reason
    assert delivery.status == Delivery.Status.QUEUED
    assert not sending.has_due_work(destination.sender_key)


@pytest.mark.django_db
def test_outside_the_retry_window_the_delivery_is_dead(fake: FakeAttentive, order_shipped: Action, settings) -> None:
    settings.RELAY_RETRY_WINDOW_SECONDS = 1
    fake.then("500")
    accept(shipped_event())
    route_pending.call()
    Delivery.objects.update(retry_window_start=timezone.now() - timedelta(hours=1))
    sending.drain(order_shipped.destination.sender_key)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DEAD
    assert delivery.attempts.get().outcome == DeliveryAttempt.Outcome.DEAD


@pytest.mark.django_db
def test_delivered_delivery_is_never_sent_again(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event())
    route_and_send(order_shipped.destination)
    Delivery.objects.update(next_attempt_at=timezone.now())
    sending.drain(order_shipped.destination.sender_key)
    recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None)
    assert len(fake.received) == 1


def _locked_at_first(function, times: int):
    """`function`, refusing its first `times` calls as a locked database does."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError("database is locked")
        return function(*args, **kwargs)

    return wrapper


@pytest.mark.django_db
def test_answers_are_recorded_once_the_database_is_no_longer_locked(
    fake: FakeAttentive, order_shipped: Action, monkeypatch
) -> None:
    from executor import lifecycle

    monkeypatch.setattr(lifecycle, "record", _locked_at_first(lifecycle.record, times=3))
    accept(*(shipped_event(number) for number in range(5)))
    route_pending.call()
    sending.drain(order_shipped.destination.sender_key)
    recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None)

    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}
    assert max(fake.event_ids().values()) == 1


@pytest.mark.django_db
def test_a_database_locked_for_half_the_key_lease_gives_up_and_recovery_resends_with_the_same_event_id(
    fake: FakeAttentive, order_shipped: Action, monkeypatch, settings
) -> None:
    from executor import lifecycle

    settings.RELAY_SENDER_LEASE_SECONDS = 0.4
    monkeypatch.setattr(lifecycle, "record", _locked_at_first(lifecycle.record, times=1_000))
    accept(shipped_event())
    route_pending.call()
    with pytest.raises(OperationalError):
        sending.drain(order_shipped.destination.sender_key)
    monkeypatch.undo()

    Delivery.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    recovery.sweep(kick_router=lambda: None, kick_sender=lambda key: None)
    assert DeliveryAttempt.objects.get().outcome == DeliveryAttempt.Outcome.LOST
    sending.drain(order_shipped.destination.sender_key)

    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    first, second = (body["externalEventId"] for body in fake.received)
    assert first == second


@pytest.mark.django_db
def test_a_locked_database_while_renewing_leases_loses_no_answer(
    fake: FakeAttentive, order_shipped: Action, monkeypatch, settings
) -> None:
    from executor import wakeups

    settings.ATTENTIVE_TIMEOUT_SECONDS = 5
    runtime.close_clients()
    fake.then("slow")  # on the wire while the sender renews its leases
    monkeypatch.setattr(wakeups, "renew_lease", _locked_at_first(wakeups.renew_lease, times=2))
    accept(shipped_event())
    route_pending.call()
    sending.drain(order_shipped.destination.sender_key)

    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    assert len(fake.received) == 1


@pytest.mark.django_db
def test_a_second_sender_cannot_take_a_leased_key(order_shipped: Action) -> None:
    from executor import wakeups

    name = wakeups.sender_signal(order_shipped.destination.sender_key)
    assert wakeups.acquire_lease(name) is not None
    summary = sending.drain(order_shipped.destination.sender_key)
    assert not summary.leased


@pytest.mark.django_db
def test_pacing_keeps_below_the_rate_limit(settings, order_shipped: Action) -> None:
    settings.RELAY_RATE_LIMIT_PER_SECOND = 40
    server = FakeAttentive(rate_limit=45).start()
    settings.RELAY_ALLOW_PLAIN_HTTP_ATTENTIVE, settings.ATTENTIVE_API_URL = True, server.url
    runtime.close_clients()
    try:
        accept(*[shipped_event(i) for i in range(60)])
        route_pending.call()
        sending.drain(order_shipped.destination.sender_key)
        assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 60
        assert server.statuses[429] == 0
    finally:
        runtime.close_clients()
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_answers_are_recorded_together_at_most_once_per_record_interval(settings, order_shipped, monkeypatch) -> None:
    # 90 requests at the key's pace (150/s) answered after 20 ms each: one record per answer would be ~90.
    calls = []
    record = lifecycle.record
    monkeypatch.setattr(lifecycle, "record", lambda outcomes: calls.append(len(outcomes)) or record(outcomes))
    with fake_attentive(settings, timeout=5.0, latency=0.02):
        accept(*[shipped_event(i) for i in range(90)])
        route_pending.call()
        started = time.monotonic()
        sending.drain(order_shipped.destination.sender_key)
        elapsed = time.monotonic() - started
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == sum(calls) == 90
    assert len(calls) <= elapsed / sending.RECORD_EVERY_SECONDS + 2


@pytest.mark.django_db
def test_an_event_too_old_for_journeys_at_send_time_is_noted_on_the_attempt(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    # Fresh when routed; a retry or a replay sends it 13 hours later.
    accept(shipped_event(7))
    route_pending.call()
    delivery = Delivery.objects.get()
    payload = {**delivery.payload, "occurredAt": "2020-01-01T00:00:00.000Z"}
    Delivery.objects.filter(pk=delivery.pk).update(payload=payload)
    sending.drain(order_shipped.destination.sender_key)
    attempt = DeliveryAttempt.objects.get()
    assert attempt.outcome == DeliveryAttempt.Outcome.DELIVERED
    assert "more than 12 hours old when sent" in attempt.warning


@pytest.mark.django_db
def test_a_request_carries_its_payloads_stored_json_text_as_it_is(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event(7))
    route_pending.call()
    delivery = Delivery.objects.get()
    payload = {**delivery.payload, "properties": {"city": "Zoë's Köln"}}
    Delivery.objects.filter(pk=delivery.pk).update(payload=payload)
    sending.drain(order_shipped.destination.sender_key)
    assert fake.received == [payload]
    # Compact and in UTF-8, as stored: not written as JSON again (which escaped it as \u00eb).
    assert '"city":"Zoë\'s Köln"'.encode() in fake.raw_bodies[0]


@pytest.mark.django_db
def test_a_payload_whose_text_names_nan_or_infinity_is_sent(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event(7))
    route_pending.call()
    delivery = Delivery.objects.get()
    payload = {**delivery.payload, "properties": {"bread": "NaN", "pool": "Infinity"}}
    Delivery.objects.filter(pk=delivery.pk).update(payload=payload)
    sending.drain(order_shipped.destination.sender_key)
    assert fake.received == [payload]


@pytest.mark.django_db
def test_a_stored_payload_holding_a_number_that_is_not_finite_fails_for_good_unsent(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    # Stored before ingest refused such numbers: JSON has no NaN, and a retry cannot make it sendable.
    accept(shipped_event(7))
    route_pending.call()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(payload={**delivery.payload, "properties": {"total": float("nan")}})
    sending.drain(order_shipped.destination.sender_key)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "not finite" in delivery.attempts.get().error
    assert fake.received == []


@pytest.mark.django_db
def test_a_fresh_event_has_no_warning_at_send_time(fake: FakeAttentive, order_shipped: Action) -> None:
    accept(shipped_event(7))
    route_and_send(order_shipped.destination)
    assert DeliveryAttempt.objects.get().warning == ""


@pytest.mark.django_db
def test_a_delivery_that_failed_before_says_delivered_on_attempt_n(fake: FakeAttentive, order_shipped: Action) -> None:
    fake.then("503")
    accept(shipped_event(7))
    route_and_send(order_shipped.destination)
    Delivery.objects.update(next_attempt_at=timezone.now())
    sending.drain(order_shipped.destination.sender_key)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.reason) == ("delivered", "Delivered on attempt 2.")


def test_new_work_wakes_the_thread_that_sends_for_its_key_and_only_that_one() -> None:
    # The thread waits on its mailbox, where its answers arrive too; routing's notice lands there.
    senders = sending._Senders(sending._send_loop())
    runtime.sending_for["key-a"] = senders
    sending.notify_new_work("key-b")
    assert not senders.mailbox.nudged()
    assert not senders.wake.is_set()
    sending.notify_new_work("key-a")
    assert senders.mailbox.nudged()
    assert senders.wake.is_set()


IDENTIFY_PATH = "/v1/identity-resolution/user-identifiers"


@pytest.mark.django_db
def test_a_backlog_on_a_slow_endpoint_never_holds_up_a_fast_one(settings) -> None:
    # 40 identifies (10/s: 4 s of work) queued before 150 custom events (150/s: 1 s of work). A
    # request that a busy test machine bunches over the fake's limit is retried at once.
    settings.RELAY_RETRY_BASE_SECONDS, settings.RELAY_RETRY_CAP_SECONDS = 0.05, 0.2
    limits = {IDENTIFY_PATH: 10, "/v1/events/custom": 150}
    with fake_attentive(settings, timeout=10.0, endpoint_limits=limits) as fake:
        destination = _destination("Brand", GOOD_KEY)
        identify = action_from_preset(destination, "identify", "link_identities")
        example = dict(identify.destination.definition.action("identify").preset("link_identities").example_event)
        ingest([{**example, "messageId": f"id-{i}"} for i in range(40)], source="api", write_key=None)
        ingest([shipped_event(i) for i in range(150)], source="api", write_key=None)
        route_pending.call()
        sending.drain(destination.sender_key, idle_seconds=0.5)
    started = min(at for at, _ in fake.arrivals)  # the first request of the burst
    customs = [at - started for at, path in fake.arrivals if path == "/v1/events/custom"]
    identifies = [at - started for at, path in fake.arrivals if path == IDENTIFY_PATH]
    assert (len(customs), len(identifies)) == (150, 40)
    assert 150 / max(customs) >= 100  # custom events flow at their own pace, not behind the identifies
    # The slow endpoint keeps >= 90% of its limit meanwhile: its 40 requests in at most 40 / 9 s.
    assert max(identifies) <= 40 / 9


class _HeldClient:
    """A client whose answers wait (on the sending loop) until the test lets them go."""

    def __init__(self) -> None:
        self.on_the_wire = 0
        self.most_on_the_wire = 0
        self.release: asyncio.Event | None = None

    async def send_async(self, method, path, body, body_json=None):
        from destinations.attentive.client import SendResult

        if self.release is None:
            self.release = asyncio.Event()
        self.on_the_wire += 1
        self.most_on_the_wire = max(self.most_on_the_wire, self.on_the_wire)
        await self.release.wait()
        self.on_the_wire -= 1
        return SendResult(status=200, latency_ms=1.0, response_excerpt="{}", rate_limit_remaining=None)


def _unsaved_deliveries(count: int, sender_key: str = "key-a") -> list[Delivery]:
    destination = Destination(pk=1, name="Brand")
    return [
        Delivery(
            pk=number,
            sender_key=sender_key,
            destination=destination,
            method="POST",
            path="/v1/events/custom",
            payload={"type": "Order Shipped", "externalEventId": f"e-{number}"},
            action_snapshot={"action_type": "custom_event"},
        )
        for number in range(count)
    ]


def _send_held(deliveries: list[Delivery], client: _HeldClient, monkeypatch) -> tuple[sending.Mailbox, int]:
    """Start `deliveries` on the sending loop against `client`; return the mailbox and the threads
    that run once they are all on their way."""
    monkeypatch.setattr(sending, "_client", lambda destination: client)
    loop = sending._send_loop()
    mailbox = sending.Mailbox()
    loop.call_soon(sending._start_sending, loop, deliveries, mailbox)
    return mailbox, loop


def _take_all(mailbox: sending.Mailbox, count: int) -> list[lifecycle.SendOutcome]:
    outcomes: list[lifecycle.SendOutcome] = []
    deadline = time.monotonic() + 10
    while len(outcomes) < count and time.monotonic() < deadline:
        outcomes += mailbox.take(timeout=0.5)
    return outcomes


def test_a_thousand_deliveries_in_flight_use_one_sending_thread(settings, monkeypatch) -> None:
    settings.RELAY_SEND_CONCURRENCY = 1000
    runtime.pacers[("key-a", "/v1/events/custom")] = Pacer(1_000_000)
    client = _HeldClient()
    sending._send_loop()  # the loop's own thread, started once per process
    threads_before = set(threading.enumerate())
    mailbox, loop = _send_held(_unsaved_deliveries(1000), client, monkeypatch)
    deadline = time.monotonic() + 10
    while client.on_the_wire < 1000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.on_the_wire == 1000
    # A thread a request would be hundreds (one, at most, another part of the process started meanwhile).
    assert len(set(threading.enumerate()) - threads_before) <= 1
    loop.loop.call_soon_threadsafe(client.release.set)
    outcomes = _take_all(mailbox, 1000)
    assert sorted(outcome.delivery.pk for outcome in outcomes) == list(range(1000))
    assert {(outcome.status_code, outcome.error) for outcome in outcomes} == {(200, None)}


def test_at_most_relay_send_concurrency_requests_of_one_endpoint_are_on_the_wire_at_once(settings, monkeypatch) -> None:
    settings.RELAY_SEND_CONCURRENCY = 4
    runtime.pacers[("key-a", "/v1/events/custom")] = Pacer(1_000_000)
    client = _HeldClient()
    mailbox, loop = _send_held(_unsaved_deliveries(20), client, monkeypatch)
    time.sleep(0.2)
    assert client.on_the_wire == 4
    loop.loop.call_soon_threadsafe(client.release.set)
    assert len(_take_all(mailbox, 20)) == 20
    assert client.most_on_the_wire == 4


def test_a_delivery_waiting_for_its_slot_holds_no_thread(monkeypatch) -> None:
    # Five a second, one at a time: the fifth waits 0.8 s for its slot, as a timer on the loop.
    runtime.pacers[("key-a", "/v1/events/custom")] = Pacer(5, burst=1)
    client = _HeldClient()
    sending._send_loop()
    threads_before = set(threading.enumerate())
    started = time.monotonic()
    mailbox, loop = _send_held(_unsaved_deliveries(5), client, monkeypatch)
    time.sleep(0.3)
    assert client.on_the_wire < 5
    # Five waiting requests would be five threads (one, at most, another part of the process started).
    assert len(set(threading.enumerate()) - threads_before) <= 1
    loop.loop.call_soon_threadsafe(client.release.set)
    time.sleep(0.05)
    loop.loop.call_soon_threadsafe(client.release.set)
    outcomes = _take_all(mailbox, 5)
    assert len(outcomes) == 5
    assert time.monotonic() - started >= 0.75
    assert max(outcome.started_at for outcome in outcomes) - min(outcome.started_at for outcome in outcomes) >= (
        timedelta(seconds=0.75)
    )


def test_a_request_whose_slot_is_due_still_waits_while_the_last_second_holds_its_pace(monkeypatch) -> None:
    # Outside test: slots that fell in a stall were all sent when it ended, 14 in a second on a 10/s endpoint.
    pacer = runtime.pacers[("key-a", "/v1/events/custom")] = Pacer(5, burst=1)
    for _ in range(5):
        assert pacer.admit() == 0.0  # five requests just left
    sent_at: list[float] = []

    class _TimedClient:
        async def send_async(self, method, path, body, body_json=None):
            from destinations.attentive.client import SendResult

            sent_at.append(time.monotonic())
            return SendResult(status=200, latency_ms=1.0, response_excerpt="{}", rate_limit_remaining=None)

    started = time.monotonic()
    mailbox, _ = _send_held(_unsaved_deliveries(1), _TimedClient(), monkeypatch)
    assert len(_take_all(mailbox, 1)) == 1
    assert sent_at[0] - started >= 0.9


def test_a_wait_longer_than_a_request_may_wait_gives_the_delivery_back_without_sending_it(monkeypatch) -> None:
    pacer = runtime.pacers[("key-a", "/v1/events/custom")] = Pacer(5, burst=1)
    pacer.pause(30)
    client = _HeldClient()
    mailbox, _ = _send_held(_unsaved_deliveries(1), client, monkeypatch)
    (outcome,) = _take_all(mailbox, 1)
    assert outcome.deferred_until >= timezone.now() + timedelta(seconds=25)
    assert client.most_on_the_wire == 0


def test_a_batch_of_answers_wakes_its_sender_once() -> None:
    mailbox = sending.Mailbox()
    for number in range(50):
        mailbox.deliver(number)
    assert mailbox._wake.qsize() == 1
    assert mailbox.take(timeout=0) == list(range(50))
    assert not mailbox.nudged()
    mailbox.deliver(50)
    assert mailbox.take(timeout=1.0) == [50]


@pytest.mark.django_db(transaction=True)
def test_answers_on_the_wire_when_the_worker_stops_are_recorded_and_never_sent_again(settings, order_shipped) -> None:
    with fake_attentive(settings, timeout=5.0, latency=0.5) as fake:
        accept(*[shipped_event(i) for i in range(30)])
        route_pending.call()

        def drain() -> None:
            try:
                sending.drain(order_shipped.destination.sender_key)
            finally:
                connection.close()

        sender = threading.Thread(target=drain)
        sender.start()
        deadline = time.monotonic() + 10
        while not Delivery.objects.filter(status=Delivery.Status.SENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the claimed requests are on the wire, their answers 0.3 s away
        sending.stop_senders()
        sender.join(timeout=10)
        runtime.senders_stopping.clear()
        assert not Delivery.objects.filter(status=Delivery.Status.SENDING).exists()
        delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()
        assert delivered == len(fake.received) > 0
        Delivery.objects.update(next_attempt_at=timezone.now())
        sending.drain(order_shipped.destination.sender_key)
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 30
    assert max(fake.event_ids().values()) == 1


def test_a_bug_before_a_request_leaves_is_an_outcome_to_retry_naming_only_its_type(monkeypatch, caplog) -> None:
    def broken(delivery):
        raise KeyError("+14155550100")

    monkeypatch.setattr(sending, "_pacer", broken)
    mailbox, _ = _send_held(_unsaved_deliveries(1), _HeldClient(), monkeypatch)
    (outcome,) = _take_all(mailbox, 1)
    assert isinstance(outcome.error, RetryableError)
    assert outcome.error.message == "Unexpected error (KeyError)."
    assert "+1415" not in caplog.text


def test_requests_waiting_when_the_loop_stops_are_each_handed_back_as_an_outcome(monkeypatch) -> None:
    runtime.pacers[("key-a", "/v1/events/custom")] = Pacer(1_000_000)
    client = _HeldClient()
    mailbox, loop = _send_held(_unsaved_deliveries(5), client, monkeypatch)
    deadline = time.monotonic() + 5
    while client.on_the_wire < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    outcomes = _take_all(mailbox, 5)
    assert len(outcomes) == 5
    assert {outcome.error.message for outcome in outcomes} == {"Unexpected error (CancelledError)."}


def test_a_sending_loop_stops_from_a_thread_that_runs_an_event_loop_of_its_own() -> None:
    # CI: the browser tests' driver runs an event loop in the main thread, and stopping the sending
    # loop there (each test's fresh runtime) raised "Cannot run the event loop while another loop is running".
    from executor.send_loop import SendLoop

    sending_loop = SendLoop()
    errors: list[BaseException] = []

    async def stopped_from_a_running_loop() -> None:
        sending_loop.stop()

    def in_a_thread_running_its_own_loop() -> None:
        try:
            asyncio.run(stopped_from_a_running_loop())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=in_a_thread_running_its_own_loop)
    thread.start()
    thread.join(30)
    assert errors == []
    assert sending_loop.loop.is_closed()
    assert not sending_loop.is_alive()


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_for_all_its_keys_from_one_thread_and_records_their_answers_together(
    fake_two_keys: FakeAttentive, monkeypatch
) -> None:
    first, second = _destination("First", GOOD_KEY), _destination("Second", OTHER_KEY)
    recorded_keys: list[set[str]] = []
    record = sending._record_outcomes

    def record_noting_keys(outcomes, leases) -> None:
        recorded_keys.append({outcome.delivery.sender_key for outcome in outcomes})
        record(outcomes, leases)

    monkeypatch.setattr(sending, "_record_outcomes", record_noting_keys)
    ingest([shipped_event(number) for number in range(150)], source="api", write_key=None)
    route_unrouted()
    threads_before = set(threading.enumerate())
    sending.ensure_sender(first.sender_key)
    sending.ensure_sender(second.sender_key)
    deadline = time.monotonic() + 20
    while Delivery.objects.exclude(status="delivered").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = set(threading.enumerate()) - threads_before
    sending.stop_senders()
    runtime.senders_stopping.clear()
    assert Delivery.objects.filter(status="delivered").count() == 300
    # Beside the sending loop every worker has, one thread for both keys.
    names = sorted(thread.name for thread in started if thread.name.startswith("send"))  # not the fake's
    assert names == ["send-loop", "senders"]
    # Both keys' answers came in within the same record instants, and were recorded in one transaction.
    assert {first.sender_key, second.sender_key} in recorded_keys
    assert len(fake_two_keys.received) == 300


def test_the_senders_of_all_keys_record_at_the_same_instants() -> None:
    instants = [sending._next_record_at(100.0 + offset) for offset in (0.001, 0.013, 0.029, 0.049)]
    assert max(instants) - min(instants) < 1e-9
    assert 0 < sending._next_record_at(100.049) - 100.049 <= sending.RECORD_EVERY_SECONDS


@pytest.mark.django_db
def test_a_drain_asked_for_while_the_worker_stops_takes_no_key_and_sends_nothing(
    fake: FakeAttentive, order_shipped: Action
) -> None:
    accept(shipped_event(1))
    route_pending.call()
    runtime.senders_stopping.set()
    try:
        summary = sending.drain(order_shipped.destination.sender_key)
    finally:
        runtime.senders_stopping.clear()
    assert summary == sending.DrainSummary(0, 0, leased=False)
    assert fake.received == []
    assert Delivery.objects.get().status == Delivery.Status.QUEUED


def test_a_request_not_yet_sent_when_the_worker_stops_goes_back_unsent(monkeypatch) -> None:
    runtime.pacers[("key-a", "/v1/events/custom")] = Pacer(1_000_000)
    client = _HeldClient()
    runtime.senders_stopping.set()
    try:
        mailbox, _ = _send_held(_unsaved_deliveries(3), client, monkeypatch)
        outcomes = _take_all(mailbox, 3)
    finally:
        runtime.senders_stopping.clear()
    assert len(outcomes) == 3
    assert all(outcome.deferred_until is not None and outcome.error is None for outcome in outcomes)
    assert client.most_on_the_wire == 0
