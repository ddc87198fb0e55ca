"""Accept events: check each one, store the accepted ones, and wake the router once they are committed."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from core import crypto
from core.compiled import Compiled
from executor import erasure
from executor.envelope import MAX_BATCH_EVENTS, CheckedEvent, EnvelopeError, Problem, check_event
from executor.group_commit import first_of_each_key
from executor.models import InboundEvent, WriteKey, hash_write_key
from executor.runtime import runtime
from executor.tasks import kick_router

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class IngestResult:
    checked: list[CheckedEvent]
    stored: list[InboundEvent]
    # Indexes (into `checked`) of events already stored under the same write key and messageId.
    duplicates: frozenset[int] = frozenset()

    @property
    def accepted(self) -> int:
        return len(self.stored)

    def results(self) -> list[dict[str, Any]]:
        rows = []
        for item in self.checked:
            if not item.accepted:
                rows.append({"index": item.index, "status": "rejected", "errors": [p.as_dict() for p in item.problems]})
            else:
                status = "duplicate" if item.index in self.duplicates else "accepted"
                rows.append({"index": item.index, "status": status, "messageId": item.event["messageId"][:200]})
        return rows


# Compiled once: the ORM building this query cost more CPU than the rest of a request's reads.
# It asks two questions in one read: the active write key, and whether any erasure request refuses
# events now (each was a query of its own, ~100 and ~55 µs a request).
_ACTIVE_KEY = Compiled(
    lambda key_hash, now: (
        WriteKey.objects.active()
        .filter(key_hash=key_hash)
        .annotate(erasures_refusing=erasure.refusing_expression(now))
        .order_by()[:1]
    )
)


def authenticate(raw_key: str) -> WriteKey | None:
    """Return the active write key whose value is `raw_key`, noting when it was last used, with
    `erasures_refusing`: whether any erasure request refuses events now, read with it.

    Asked of the database at every request (an indexed read), so a key revoked or an erasure request
    committed by any process is in force at once everywhere.
    """
    if not raw_key:
        return None
    now = timezone.now()
    found = _ACTIVE_KEY.objects(hash_write_key(raw_key), now)
    key = found[0] if found else None
    if key is not None and (key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION):
        key.last_used_at = now
        WriteKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def ingest(
    raw_events: list[Any],
    *,
    source: str,
    write_key: WriteKey | None,
    pointer_prefix: str | None = "",
    sent_at: Any = None,
) -> IngestResult:
    """Check every event and store the accepted ones; once they are committed, the router is woken.

    Problems point into the request body: `<pointer_prefix>/<index>/<field>` for a batch, or
    `/<field>` for a single event (pointer_prefix None).
    """
    if len(raw_events) > MAX_BATCH_EVENTS:
        raise EnvelopeError(413, "Too many events", f"A batch may hold at most {MAX_BATCH_EVENTS} events.")
    now = timezone.now()
    checked = [
        check_event(raw, index, "" if pointer_prefix is None else f"{pointer_prefix}/{index}", now, sent_at)
        for index, raw in enumerate(raw_events)
    ]
    # A key from authenticate() of this request carries whether erasures refuse events: no second read.
    _refuse_erased(checked, pointer_prefix, getattr(write_key, "erasures_refusing", None))
    rows: dict[int, InboundEvent] = {}
    for item in checked:
        if item.event is not None:
            rows[item.index] = _row(item.event, source, write_key, now)
    if not rows:
        return IngestResult(checked, [])
    inserted = {id(row) for row in runtime.committer.store(first_of_each_key(rows.values()), after_commit=kick_router)}
    stored = [row for row in rows.values() if id(row) in inserted]
    duplicates = frozenset(index for index, row in rows.items() if id(row) not in inserted)
    return IngestResult(checked, stored, duplicates)


def _refuse_erased(checked: list[CheckedEvent], pointer_prefix: str | None, known_refusing: bool | None) -> None:
    """Turn away the events of people who asked to be erased (executor.erasure), each with a reason."""
    accepted = [item for item in checked if item.event is not None]
    if not accepted:
        return
    for item, refuse in zip(
        accepted, erasure.refused((item.event for item in accepted), known_refusing=known_refusing), strict=True
    ):
        if refuse:
            pointer = "" if pointer_prefix is None else f"{pointer_prefix}/{item.index}"
            item.problems.append(
                Problem(pointer, "This person asked to be erased: events about them are refused for now.")
            )
            item.event = None


def _row(event: dict[str, Any], source: str, write_key: WriteKey | None, now: datetime) -> InboundEvent:
    message_id = event["messageId"][:200]
    return InboundEvent(
        received_at=now,
        source=source,
        write_key=write_key,
        event_type=event["type"],
        event_name=str(event.get("event") or "")[:200] if event["type"] == "track" else "",
        message_id=message_id,
        message_id_hash=crypto.lookup_hash(message_id),
        dedup_key=crypto.lookup_hash(f"{write_key.pk}:{message_id}") if write_key is not None else None,
        body=event,
    )
