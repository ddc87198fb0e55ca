"""Accept events: check each one, store the accepted ones, and wake the router once they are committed."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from core import crypto
from core.compiled import Compiled
from core.jsondoc import json_text
from destinations.timestamps import format_rfc3339
from executor import erasure
from executor.envelope import MAX_BATCH_EVENTS, CheckedEvent, EnvelopeError, Problem, check_event
from executor.group_commit import COLUMNS, Prepared
from executor.models import InboundEvent, WriteKey, hash_write_key
from executor.runtime import runtime
from executor.tasks import kick_router

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class IngestResult:
    checked: list[CheckedEvent]
    # Indexes (into `checked`) of the events stored by this call.
    stored: list[int]
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
    received = format_rfc3339(now)
    checked = [
        check_event(raw, index, "" if pointer_prefix is None else f"{pointer_prefix}/{index}", now, sent_at, received)
        for index, raw in enumerate(raw_events)
    ]
    # A key from authenticate() of this request carries whether erasures refuse events: no second read.
    _refuse_erased(checked, pointer_prefix, getattr(write_key, "erasures_refusing", None))
    accepted = [item for item in checked if item.event is not None]
    if not accepted:
        return IngestResult(checked, [])
    prepared = prepare([item.event for item in accepted], source, write_key, now, [item.text for item in accepted])
    inserted = runtime.committer.store_prepared(prepared, after_commit=kick_router)
    stored = [accepted[position].index for position in inserted]
    duplicates = frozenset(item.index for item in accepted) - frozenset(stored)
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


# The fields prepare() fills, in the order of the insert's values.
_COLUMNS = (
    "received_at",
    "source",
    "write_key_id",
    "event_type",
    "event_name",
    "message_id",
    "message_id_hash",
    "dedup_key",
    "body",
    "routed_at",
    "purged_at",
)
if COLUMNS != _COLUMNS:
    raise ImproperlyConfigured(f"InboundEvent's fields changed ({COLUMNS}): executor.ingest.prepare must fill them.")
_RECEIVED_AT, _SOURCE, _WRITE_KEY = (
    InboundEvent._meta.get_field(name) for name in ("received_at", "source", "write_key")
)


def prepare(
    events: list[dict[str, Any]],
    source: str,
    write_key: WriteKey | None,
    now: datetime,
    texts: list[str | None] | None = None,
) -> Prepared:
    """The accepted events as rows to insert: the database values that InboundEvent rows of them would
    have (CompiledInsert.values of them), without the model instances (~13 µs an event), their dates,
    source and write key prepared once for all, their texts encrypted together (crypto.encrypt_many).

    An event's row: its name (track events only) and message id, both cut to 200 characters, and its
    body, each encrypted; the message id's lookup hash; the dedup key, the lookup hash of write key and
    message id (None without a write key). `texts`: each event's JSON text, when check_event had it
    (CheckedEvent.text). tests/executor/test_ingest.py holds the values to those of the model instances.
    """
    db = connections[DEFAULT_DB_ALIAS]
    received_at = _RECEIVED_AT.get_db_prep_save(now, db)
    source_value = _SOURCE.get_db_prep_save(source, db)
    write_key_id = _WRITE_KEY.get_db_prep_save(None if write_key is None else write_key.pk, db)
    key_prefix = None if write_key is None else f"{write_key.pk}:"
    lookup_hash = crypto.lookup_hasher()
    keys: list[str | None] = []
    hashes: list[str] = []
    plaintexts: list[str] = []
    for event, text in zip(events, texts or [None] * len(events), strict=True):
        event_type = event["type"]
        message_id = event["messageId"][:200]
        plaintexts += (
            str(event.get("event") or "")[:200] if event_type == "track" else "",
            message_id,
            json_text(event) if text is None else text,
        )
        hashes.append(lookup_hash(message_id))
        keys.append(None if key_prefix is None else lookup_hash(key_prefix + message_id))
    # An empty text is stored as is (EncryptedTextField), every other one encrypted.
    tokens = iter(crypto.encrypt_many([text for text in plaintexts if text]))
    encrypted = [next(tokens) if text else text for text in plaintexts]
    values = [
        [
            received_at,
            source_value,
            write_key_id,
            event["type"],
            encrypted[3 * position],
            encrypted[3 * position + 1],
            hashes[position],
            keys[position],
            encrypted[3 * position + 2],
            None,
            None,
        ]
        for position, event in enumerate(events)
    ]
    return Prepared(keys, values)
