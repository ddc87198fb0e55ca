"""Erasure: forget a person everywhere Relay can reach, and keep forgetting them for a while.

Filing a request (an admin, through the page, the API or `manage.py erase`):
1. Relay deletes every stored event that names the person (with its deliveries, their payloads and
   attempts), every delivery payload of theirs whose event body retention already removed, and
   every action's saved sample that names them.
2. It forwards the request to each destination that can forget people (Attentive: a deletion
   request) and follows each one's status until it is processed.
3. Until `refuse_until` (RELAY_ERASURE_REFUSE_DAYS), ingest refuses events that carry the person
   where identifiers live (see `event_subjects`), each with a problem that says why.

Where a person is found in a stored event: an email anywhere in it (any text that holds it, case
aside), a phone anywhere (any text or number whose digits are the number: with its country code,
with 00 before it, nationally, nationally with a trunk 0), a client user id as `userId` or under a key named like a user id. The person is
known to Relay afterwards only as a keyed hash, and (until every destination has processed the
request) encrypted; pages show it masked.
"""

import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from core import crypto
from core.json_values import leaves
from destinations.errors import DestinationError
from destinations.identifiers import normalize_email, normalize_phone
from destinations.models import Destination
from executor.models import Delivery, ErasureForward, ErasureRequest, InboundEvent
from mapper.models import Action

logger = logging.getLogger(__name__)

CHUNK = 500
CHECK_EVERY = timedelta(hours=6)
MAX_FORWARD_ATTEMPTS = 8
_USER_ID_KEYS = frozenset({"userId", "user_id", "clientUserId", "client_user_id", "external_id", "externalId"})
_NON_DIGITS = re.compile(r"\D")
# Where ingest looks for the person (the places identifier mappings read).
_IDENTIFIER_PLACES = ("traits", "properties", ("context", "traits"))


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
    """Record the request (purging and forwarding run in the background: see tasks.run_erasure)."""
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
    record(actor, "erasure_requested", request, kind=person.kind)
    forget_cached_state()
    return request


def run(request: ErasureRequest) -> ErasureRequest:
    """Purge what Relay stores of the person, then forward the request to each destination."""
    if not request.subject:
        # Completed (the person is no longer kept): there is nobody to look for, and an empty
        # value must never be searched for (it is in every text).
        return request
    person = Subject(request.kind, request.subject)
    events, deliveries = purge(person)
    request.purged_events, request.purged_deliveries = events, deliveries
    request.save(update_fields=["purged_events", "purged_deliveries"])
    record(None, "erasure_purged", request, events=events, deliveries=deliveries)
    forward(request)
    return request


def purge(person: Subject) -> tuple[int, int]:
    """Delete every stored event and payload that names `person`; return (events, deliveries) deleted."""
    events = deliveries = 0
    for ids in _chunks(_matching_events(person)):
        with transaction.atomic():
            deliveries += Delivery.objects.filter(event_id__in=ids).count()
            InboundEvent.objects.filter(pk__in=ids).delete()  # deliveries and attempts go with them
            events += len(ids)
    # Deliveries whose event body retention removed keep their payload for a while: judge those too.
    orphans = Delivery.objects.filter(event__body__isnull=True, payload__isnull=False).values_list("pk", "payload")
    stale = [pk for pk, payload in orphans.iterator(chunk_size=CHUNK) if mentions(payload, person)]
    for ids in _chunks(iter(stale)):
        deliveries += Delivery.objects.filter(pk__in=ids).update(payload=None, errors=[])
    for action in Action.objects.filter(sample_event__isnull=False).only("pk", "sample_event"):
        if mentions(action.sample_event, person):
            Action.objects.filter(pk=action.pk).update(sample_event=None, sample_private=False)
    return events, deliveries


def _matching_events(person: Subject) -> Iterator[int]:
    last = 0
    while True:
        rows = list(
            InboundEvent.objects.filter(pk__gt=last, body__isnull=False)
            .order_by("pk")
            .values_list("pk", "body")[:CHUNK]
        )
        if not rows:
            return
        for pk, body in rows:
            if mentions(body, person):
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


def mentions(value: Any, person: Subject) -> bool:
    """Whether `value` (an event body, a payload, a sample) names the person (see the module)."""
    if not person.value:
        return False
    if person.kind == "client_user_id":
        return _names_user_id(value, person.value)
    spellings = _phone_spellings(person.value) if person.kind == "phone" else frozenset()
    for current in leaves(value):
        if person.kind == "email" and isinstance(current, str):
            if person.value in current.lower():  # the address alone, or inside a longer text
                return True
        elif person.kind == "phone" and isinstance(current, str | int) and not isinstance(current, bool):
            found = _NON_DIGITS.sub("", str(current))
            if len(found) >= 7 and found in spellings:
                return True
    return False


@lru_cache(maxsize=64)
def _phone_spellings(e164: str) -> frozenset[str]:
    """The digits a number is written with: with its country code (and the 00 prefix), nationally,
    and nationally with a trunk 0 (07700 900123)."""
    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    country = str(number.country_code)
    return frozenset({country + national, "00" + country + national, national, "0" + national})


def _names_user_id(value: Any, user_id: str) -> bool:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, member in current.items():
                if key in _USER_ID_KEYS and isinstance(member, str | int) and str(member).strip() == user_id:
                    return True
                if isinstance(member, dict | list):
                    stack.append(member)
        elif isinstance(current, list):
            stack.extend(current)
    return False


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


def event_subjects(event: dict[str, Any], region: str = "US") -> set[str]:
    """The keys of the people an incoming event names where identifiers live: `userId`, and the
    email and phone of `traits`, `properties` and `context.traits`."""
    keys = set()
    user_id = event.get("userId")
    if isinstance(user_id, str | int) and not isinstance(user_id, bool) and str(user_id).strip():
        keys.add(Subject("client_user_id", str(user_id).strip()).key)
    for place in _IDENTIFIER_PLACES:
        holder = event.get(place) if isinstance(place, str) else (event.get(place[0]) or {}).get(place[1])
        if not isinstance(holder, dict):
            continue
        email = normalize_email(holder.get("email"))
        if email:
            keys.add(Subject("email", email).key)
        phone = holder.get("phone")
        if phone:
            normalized = normalize_phone(phone, region)
            if normalized:
                keys.add(Subject("phone", normalized).key)
    return keys


# Whether any request refuses events now, remembered a few seconds per process (nearly always
# none: ingest then costs no query); filing a request forgets it at once in this process.
_ANY_ACTIVE_SECONDS = 5.0
_any_active: list[float | bool] = [0.0, False]  # [checked at (monotonic), answer]


def _any_refusing(now: datetime) -> bool:
    checked_at, answer = _any_active
    if time.monotonic() - float(checked_at) < _ANY_ACTIVE_SECONDS:
        return bool(answer)
    answer = ErasureRequest.objects.filter(refuse_until__gt=now).exists()
    _any_active[:] = [time.monotonic(), answer]
    return answer


def forget_cached_state() -> None:
    _any_active[:] = [0.0, False]


def refused(events: Iterable[dict[str, Any]], now: datetime | None = None) -> list[bool]:
    """For each event, whether it names a person who asked to be erased (within their refusal time).
    A request filed in another process takes effect here within a few seconds."""
    events = list(events)
    if not _any_refusing(now or timezone.now()):
        return [False] * len(events)
    subjects = [event_subjects(event) for event in events]
    wanted = set().union(*subjects)
    erased = set(
        ErasureRequest.objects.filter(refuse_until__gt=now or timezone.now(), subject_hash__in=wanted).values_list(
            "subject_hash", flat=True
        )
    )
    return [bool(keys & erased) for keys in subjects]
