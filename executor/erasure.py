"""Erasure: forget a person everywhere Relay can reach, and keep forgetting them for a while.

Filing a request (an admin, through the page, the API or `manage.py erase`):
1. Relay deletes every stored event that names the person (with its deliveries, their payloads and
   attempts), every delivery payload of theirs whose event body retention already removed, and
   every action's saved sample that names them.
2. Once the sends judged before the request can have arrived, it purges again and forwards the
   request to each destination that can forget people (Attentive: a deletion request), then
   follows each one's status until it is processed.
3. Until `refuse_until` (RELAY_ERASURE_REFUSE_DAYS), ingest refuses events that name the person
   anywhere, each with a problem that says why.

Where a person is found (executor.people_named, the one reading used everywhere): an email
anywhere in an event, as a whole address (in a value, a key or a %40-encoded web address); a phone
anywhere, in any text or whole number, with or without its country code, also inside free text; a
client user id under any key named like a user id. The person is known to Relay afterwards only as
a keyed hash, and (until every destination has processed the request) encrypted; pages show it
masked.

No window lets an event through once a request is committed: ingest asks the database at every
request, routing judges each event again and sending each delivery it claims (what they find is
deleted, and counted on the request), and the request leaves for the destinations only after every
send judged before it could have arrived (`forward_delay`), with a second purge just before.
"""

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, F
from django.utils import timezone

from accounts.audit import record
from core import crypto
from core.compiled import Compiled
from destinations.errors import DestinationError
from destinations.identifiers import normalize_email, normalize_phone
from destinations.models import Destination
from executor.models import Delivery, ErasureForward, ErasureRequest, InboundEvent
from executor.people_named import people_named
from mapper.models import Action

logger = logging.getLogger(__name__)

CHUNK = 500
CHECK_EVERY = timedelta(hours=6)
MAX_FORWARD_ATTEMPTS = 8
# Subject hashes asked of the database at once (SQLite allows a few thousand parameters).
LOOKUP_CHUNK = 500


class InvalidSubject(ValueError):
    """The value given is not an email, a phone number or a client user id."""


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    value: str  # normalised: an email lower-cased, a phone in E.164

    @property
    def key(self) -> str:
        return crypto.lookup_hash(f"erasure:{self.kind}:{self.value}")

    @property
    def masked(self) -> str:
        if self.kind == "email":
            name, _, domain = self.value.partition("@")
            return f"{name[:1]}•••@{domain}"
        if self.kind == "phone":
            return f"{self.value[:2]}•••{self.value[-2:]}"
        return f"{self.value[:2]}•••" if len(self.value) > 4 else "•••"


def subject(kind: str, raw: str, region: str = "US") -> Subject:
    """The person named by `raw`, normalised as identifiers are when they are sent."""
    text = str(raw or "").strip()
    if kind == "email":
        email = normalize_email(text)
        if email is None:
            raise InvalidSubject("That is not an email address.")
        return Subject(kind, email)
    if kind == "phone":
        phone = normalize_phone(text, region)
        if phone is None:
            raise InvalidSubject("That is not a phone number (international format: +1 415 555 2671).")
        return Subject(kind, phone)
    if kind == "client_user_id":
        if not text or len(text) > 200:
            raise InvalidSubject("A client user id is 1 to 200 characters.")
        return Subject(kind, text)
    raise InvalidSubject("The kind must be email, phone or client_user_id.")


def file(person: Subject, actor: Any) -> ErasureRequest:
    """Record the request (purging and forwarding run in the background: see tasks.run_erasure). A person's
    request is filed by executor.commands.file_erasure, which checks the role and audits it."""
    now = timezone.now()
    request = ErasureRequest.objects.create(
        kind=person.kind,
        subject_hash=person.key,
        subject=person.value,
        masked=person.masked,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        refuse_until=now + timedelta(days=settings.RELAY_ERASURE_REFUSE_DAYS),
    )
    return request


def forward_delay() -> float:
    """Seconds from filing to forwarding: a delivery judged just before the request was committed
    may still wait for its pace (up to a second) and then take as long as the HTTP timeouts allow
    to arrive; the destination must get the request after it, never before
    (RELAY_ERASURE_FORWARD_DELAY_SECONDS)."""
    return max(0.0, settings.RELAY_ERASURE_FORWARD_DELAY_SECONDS)


def forward_due_at(request: ErasureRequest) -> datetime:
    return request.created_at + timedelta(seconds=forward_delay())


def run(request: ErasureRequest) -> ErasureRequest:
    """Purge what Relay stores of the person, wait out the sends judged before the request, purge
    again and forward the request to each destination (the command line's way; workers run the
    two halves as two tasks, the second scheduled for `forward_due_at`)."""
    purge_stored(request)
    remaining = (forward_due_at(request) - timezone.now()).total_seconds()
    if remaining > 0:
        time.sleep(remaining)
    return purge_again_and_forward(request)


def purge_stored(request: ErasureRequest) -> ErasureRequest:
    """The first purge, as soon as the request is filed."""
    if not request.subject:
        # Completed (the person is no longer kept): there is nobody to look for, and an empty
        # value must never be searched for (it is in every text).
        return request
    events, deliveries = purge(Subject(request.kind, request.subject))
    _count_purged(request, events, deliveries)
    record(None, "erasure_purged", request, events=events, deliveries=deliveries)
    return request


def purge_again_and_forward(request: ErasureRequest) -> ErasureRequest:
    """The second purge (what was on its way into storage during the first), then the forward."""
    request.refresh_from_db()
    if not request.subject:
        return request
    events, deliveries = purge(Subject(request.kind, request.subject))
    if events or deliveries:
        _count_purged(request, events, deliveries)
    forward(request)
    return request


def _count_purged(request: ErasureRequest, events: int, deliveries: int) -> None:
    ErasureRequest.objects.filter(pk=request.pk).update(
        purged_events=F("purged_events") + events, purged_deliveries=F("purged_deliveries") + deliveries
    )
    request.refresh_from_db(fields=["purged_events", "purged_deliveries"])


def purge(person: Subject) -> tuple[int, int]:
    """Delete every stored event and payload that names `person`; return (events, deliveries) deleted."""
    codes = calling_codes(person)
    events = deliveries = 0
    for ids in _chunks(_matching_events(person, codes)):
        with transaction.atomic():
            deliveries += Delivery.objects.filter(event_id__in=ids).count()
            InboundEvent.objects.filter(pk__in=ids).delete()  # deliveries and attempts go with them
            events += len(ids)
    # Deliveries whose event body retention removed keep their payload for a while: judge those too.
    orphans = Delivery.objects.filter(event__body__isnull=True, payload__isnull=False).values_list("pk", "payload")
    stale = [pk for pk, payload in orphans.iterator(chunk_size=CHUNK) if mentions(payload, person, codes)]
    for ids in _chunks(iter(stale)):
        deliveries += Delivery.objects.filter(pk__in=ids).update(payload=None, errors=[])
    for action in Action.objects.filter(sample_event__isnull=False).only("pk", "sample_event"):
        if mentions(action.sample_event, person, codes):
            Action.objects.filter(pk=action.pk).update(sample_event=None, sample_private=False)
    transaction.on_commit(scrub_deleted_pages)
    return events, deliveries


def scrub_deleted_pages() -> None:
    """Leave no copy of deleted rows in SQLite's write-ahead log: with `secure_delete` on (see
    settings) deleted content is zeroed in the pages written; a TRUNCATE checkpoint then copies
    them into the database file and empties the log, which still held the rows' older pages.
    A checkpoint that readers hold up is tried again a few times. PostgreSQL: see docs/privacy.md."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return  # inside a transaction no checkpoint can complete; on_commit calls this after it
    for _ in range(20):
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                row = cursor.fetchone()
        except OperationalError:
            row = None
        if row is not None and row[0] == 0:
            return
        time.sleep(0.05)
    logger.warning("The write-ahead log could not be checkpointed after a purge: readers held it")


def _matching_events(person: Subject, codes: tuple[str, ...]) -> Iterator[int]:
    last = 0
    while True:
        rows = list(
            InboundEvent.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "body", "message_id")[:CHUNK]
        )
        if not rows:
            return
        for pk, body, message_id in rows:
            # The message id too: kept after retention removed the body, and it can be an email.
            if mentions([message_id, body], person, codes):
                yield pk
        last = rows[-1][0]


def _chunks(ids: Iterator[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def mentions(value: Any, person: Subject, codes: tuple[str, ...] | None = None) -> bool:
    """Whether `value` (an event body, a payload, a sample) names the person (see the module);
    national phone numbers are read in `codes` (default: `calling_codes(person)`)."""
    if not person.value:
        return False
    return (person.kind, person.value) in people_named(value, calling_codes(person) if codes is None else codes)


def calling_codes(person: Subject | None = None) -> tuple[str, ...]:
    """The country calling codes national phone numbers are read in: each destination's default
    region's (as identifiers are normalised when they are sent), North America's, and the
    person's own."""
    regions = set(Destination.objects.values_list("default_region", flat=True))
    codes = {"1"} | {str(phonenumbers.country_code_for_region(region)) for region in regions if region}
    if person is not None and person.kind == "phone":
        codes.add(str(phonenumbers.parse(person.value).country_code))
    codes.discard("0")
    return tuple(sorted(codes))


def forward(request: ErasureRequest) -> None:
    """Ask each destination that can forget people to do so; note what each says."""
    for destination in Destination.objects.all():
        support = destination.definition.erasure
        if support is None or not destination.has_api_key:
            continue
        forward_row, _ = ErasureForward.objects.get_or_create(request=request, destination=destination)
        if forward_row.state in (ErasureForward.State.PENDING, ErasureForward.State.FAILED):
            _send(forward_row, support, request)
    _settle(request)


def _send(forward_row: ErasureForward, support: Any, request: ErasureRequest) -> None:
    forward_row.checked_at = timezone.now()
    if forward_row.destination.test_mode:
        # Test mode sends nothing, this included: asked again at each check until it is turned off.
        forward_row.state = ErasureForward.State.FAILED
        forward_row.message = (
            "The destination is in test mode, so nothing is sent to it: turn test mode off to forward this."
        )
        forward_row.save()
        return
    forward_row.attempts += 1
    try:
        with forward_row.destination.open_client() as client:
            forward_row.remote_id = support.request(client, request.kind, request.subject)
        forward_row.state, forward_row.message = ErasureForward.State.SENT, ""
        record(None, "erasure_forwarded", request, destination=forward_row.destination.name)
    except DestinationError as error:
        forward_row.state = ErasureForward.State.FAILED
        forward_row.message = error.message[:300]
        record(None, "erasure_forward_failed", request, destination=forward_row.destination.name)
    forward_row.save()


def check(request: ErasureRequest) -> None:
    """Ask each destination where its copy of the request stands; send again the ones that failed."""
    for forward_row in request.forwards.select_related("destination"):
        support = forward_row.destination.definition.erasure
        if support is None:
            continue
        if forward_row.state == ErasureForward.State.FAILED and forward_row.attempts < MAX_FORWARD_ATTEMPTS:
            _send(forward_row, support, request)
        elif forward_row.state == ErasureForward.State.SENT:
            forward_row.checked_at = timezone.now()
            try:
                with forward_row.destination.open_client() as client:
                    if support.processed(client, forward_row.remote_id):
                        forward_row.state = ErasureForward.State.PROCESSED
                        record(None, "erasure_processed", request, destination=forward_row.destination.name)
            except DestinationError as error:
                forward_row.message = error.message[:300]
            forward_row.save()
    _settle(request)


def _settle(request: ErasureRequest) -> None:
    states = set(request.forwards.values_list("state", flat=True))
    if states <= {ErasureForward.State.PROCESSED}:
        request.state = ErasureRequest.State.COMPLETED
        request.subject = ""  # nobody needs the person any more: only the hash stays, to refuse events
        request.next_check_at = None
        record(None, "erasure_completed", request)
    elif ErasureForward.State.FAILED in states and all(
        row.attempts >= MAX_FORWARD_ATTEMPTS for row in request.forwards.filter(state=ErasureForward.State.FAILED)
    ):
        request.state = ErasureRequest.State.FAILED
        request.next_check_at = None
    else:
        request.state = ErasureRequest.State.FORWARDED
        request.next_check_at = timezone.now() + CHECK_EVERY
    request.save(update_fields=["state", "subject", "next_check_at"])


def check_due(now: datetime | None = None) -> int:
    """Check every request whose time has come (the worker's hourly housekeeping); return how many."""
    now = now or timezone.now()
    due = list(ErasureRequest.objects.filter(next_check_at__lte=now))
    for request in due:
        try:
            check(request)
        except Exception as error:  # one request's trouble must not stop the others
            logger.error("Checking erasure request #%s failed (%s)", request.pk, type(error).__name__)
    return len(due)


# Compiled once: ingest asks at every request, and the ORM building the query cost ten times
# what SQLite takes to answer it.
_REFUSING = Compiled(lambda now: ErasureRequest.objects.filter(refuse_until__gt=now))


def refusing_expression(now: datetime) -> Exists:
    """Whether any request refuses events at `now`, as an expression another query can carry (ingest
    asks it with the write key: one read per request)."""
    return Exists(ErasureRequest.objects.filter(refuse_until__gt=now))


def refusing(now: datetime | None = None) -> bool:
    """Whether any request refuses events now: asked of the database every time (an indexed
    read), so a request committed by any process, on any host, is in force at once."""
    return _REFUSING.exists(now or timezone.now())


def erased_in(
    documents: Sequence[Any], now: datetime | None = None, known_refusing: bool | None = None
) -> list[frozenset[str]]:
    """For each document (an event, a payload), the keys of the refusing requests whose person it
    names; an empty set for the others. Costs one query when no request refuses events, none when
    the caller has just read `refusing()` and passes it as `known_refusing`."""
    now = now or timezone.now()
    if not documents or not (refusing(now) if known_refusing is None else known_refusing):
        return [frozenset()] * len(documents)
    codes = calling_codes()
    keys = [frozenset(Subject(kind, value).key for kind, value in people_named(doc, codes)) for doc in documents]
    wanted = sorted(set().union(*keys))
    erased: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        erased.update(
            ErasureRequest.objects.filter(
                refuse_until__gt=now, subject_hash__in=wanted[start : start + LOOKUP_CHUNK]
            ).values_list("subject_hash", flat=True)
        )
    return [found & erased for found in keys]


def refused(
    events: Iterable[dict[str, Any]], now: datetime | None = None, known_refusing: bool | None = None
) -> list[bool]:
    """For each incoming event, whether it names a person who asked to be erased (within their
    refusal time); `known_refusing` as for erased_in."""
    return [bool(keys) for keys in erased_in(list(events), now, known_refusing)]


def forget_events(event_ids: Iterable[int], subject_keys: Iterable[str]) -> int:
    """Delete stored events found to name erased people after the purge (routing and sending judge
    again), with their deliveries, and count them on the requests; return how many."""
    ids = sorted(set(event_ids))
    if not ids:
        return 0
    deliveries = Delivery.objects.filter(event_id__in=ids).count()
    InboundEvent.objects.filter(pk__in=ids).delete()
    ErasureRequest.objects.filter(subject_hash__in=set(subject_keys), refuse_until__gt=timezone.now()).update(
        purged_events=F("purged_events") + len(ids), purged_deliveries=F("purged_deliveries") + deliveries
    )
    logger.info("Deleted %d events of people who asked to be erased, found after the purge", len(ids))
    transaction.on_commit(scrub_deleted_pages)
    return len(ids)
