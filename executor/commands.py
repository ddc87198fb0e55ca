"""What a person does to deliveries, write keys and stored people, one function each (see
core/commands.py): replay, re-run, issue a write key (a source: server or browser), change a browser
source's origins, revoke a key, file an erasure.

The delivery log, the API and the management commands call these, so a replay from the page and
one from the API leave the same job and the same audit entry. (A backfill is executor/backfill.py.)
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.audit import record
from accounts.roles import ADMIN, MARKETER, require
from core.commands import Refused
from core.text import counted
from executor import erasure, lifecycle
from executor import replay as replay_module
from executor.models import Delivery, ErasureRequest, Replay, WriteKey
from executor.queries import MAX_IDS, filter_deliveries
from executor.sources import OriginError, normalize_origins
from executor.tasks import kick_sender, run_erasure, run_replay

NOTHING_TO_REPLAY = "Nothing to replay: only failed and dead deliveries whose payload is still kept can be replayed."
NOTHING_TO_RERUN = "Nothing to re-run: only invalid deliveries whose event is still kept can be re-run."
# A re-run by filter works through at most this many invalid deliveries (it runs at once, not in the background).
RERUN_LIMIT = replay_module.IMMEDIATE_LIMIT * 10


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _ids(delivery_ids: list[Any]) -> list[int]:
    if len(delivery_ids) > MAX_IDS or not all(isinstance(i, int) and not isinstance(i, bool) for i in delivery_ids):
        raise Refused({"ids": f"A list of at most {MAX_IDS} delivery ids (whole numbers)."})
    return delivery_ids


def replay(actor: Any, *, delivery_ids: list[int] | None = None, filters: Mapping[str, str] | None = None) -> Replay:
    """Send failed and dead deliveries again (these ids, else everything matching the delivery log's
    `filters`), with their original externalEventId. Always a Replay job: up to IMMEDIATE_LIMIT it is
    done at once, larger ones run in the background (its progress on the page and in the API)."""
    require(actor, MARKETER)
    if delivery_ids is not None:
        selection: dict[str, Any] = {"ids": _ids(delivery_ids)}
        description = counted(len(delivery_ids), "selected delivery", "selected deliveries")
    else:
        selection = dict(filters or {})
        description = "Everything matching " + (
            ", ".join(f"{k}={v}" for k, v in selection.items()) or "all dead letters"
        )
    total = replay_module.selection_queryset(selection).count()
    if total == 0:
        raise Refused({"ids" if delivery_ids is not None else "filter": NOTHING_TO_REPLAY})
    woken: set[str] = set()
    with transaction.atomic():
        job = Replay.objects.create(
            requested_by=_user(actor), description=description[:300], selection=selection, total=total
        )
        if total <= replay_module.IMMEDIATE_LIMIT:
            replay_module.run(job, woken.add)
        else:
            run_replay.enqueue(job.pk)
        record(actor, "replay", job, total=total)
    for sender_key in woken:  # once the requeued rows are committed
        kick_sender(sender_key)
    return job


@dataclass(frozen=True, slots=True)
class RerunResult:
    rerun: int  # invalid deliveries run again through their action as it is now
    queued: int  # of which are now queued to send


def rerun(
    actor: Any, *, delivery_ids: list[int] | None = None, filters: Mapping[str, str] | None = None
) -> RerunResult:
    """Run invalid deliveries again through their action as it is now (once it has been fixed): these
    ids, else the invalid ones matching the delivery log's `filters` (up to RERUN_LIMIT)."""
    require(actor, MARKETER)
    if delivery_ids is not None:
        ids = _ids(delivery_ids)
    else:
        matching = filter_deliveries({**(filters or {}), "status": Delivery.Status.INVALID})
        ids = list(matching.values_list("id", flat=True)[:RERUN_LIMIT])
    with transaction.atomic():
        count, sender_keys = lifecycle.rerun(ids)
        if not count:
            raise Refused({"ids" if delivery_ids is not None else "filter": NOTHING_TO_RERUN})
        queued = Delivery.objects.filter(id__in=ids, status=Delivery.Status.QUEUED).count()
        record(actor, "deliveries_rerun", None, total=count, queued=queued)
    for sender_key in sender_keys:
        kick_sender(sender_key)
    return RerunResult(count, queued)


def issue_write_key(
    actor: Any, *, label: str, kind: str = WriteKey.Kind.SERVER, origins: list[str] | None = None
) -> tuple[WriteKey, str]:
    """A new source and its key's value: a server key is shown this once (only its hash is stored), a
    browser key is public by nature. A browser source needs at least one allowed origin: with none, no
    page could use it."""
    require(actor, ADMIN)
    errors: dict[str, str] = {}
    label = label.strip()
    if not label:
        errors["label"] = "Give the source a label (what sends with it)."
    elif len(label) > 200:
        errors["label"] = "A label is at most 200 characters."
    if kind not in WriteKey.Kind.values:
        errors["kind"] = "Choose server or browser."
    allowed: list[str] = []
    if kind == WriteKey.Kind.BROWSER:
        try:
            allowed = normalize_origins(origins or [])
        except OriginError as error:
            errors["allowed_origins"] = str(error)
        else:
            if not allowed:
                errors["allowed_origins"] = "List the origins of the website, such as https://shop.example.com."
    if errors:
        raise Refused(errors)
    with transaction.atomic():
        key, raw = WriteKey.issue(label, created_by=_user(actor), kind=kind, allowed_origins=allowed)
        origins_noted = {"origins": allowed} if allowed else {}
        record(actor, "source_created" if key.is_browser else "write_key_created", key, kind=kind, **origins_noted)
    return key, raw


def change_source_origins(actor: Any, *, key: WriteKey, origins: list[str]) -> WriteKey:
    """Replace a browser source's allowed origins (effective at the next request, in every process)."""
    require(actor, ADMIN)
    if not key.is_browser:
        raise Refused({"allowed_origins": "A server source is never used from a page: it has no origins."})
    if not key.is_active:
        raise Refused("This source is revoked.")
    try:
        allowed = normalize_origins(origins)
    except OriginError as error:
        raise Refused({"allowed_origins": str(error)}) from None
    if not allowed:
        raise Refused({"allowed_origins": "List at least one origin (revoke the source to stop it)."})
    before = list(key.allowed_origins)
    if before == allowed:
        return key  # saved as they were: nothing changed, so nothing is recorded
    with transaction.atomic():
        key.allowed_origins = allowed
        key.save(update_fields=["allowed_origins"])
        record(actor, "source_origins_changed", key, before=before, after=allowed)
    return key


def revoke_write_key(actor: Any, *, key: WriteKey) -> WriteKey:
    """The key stops working at once, in every process; its record stays."""
    require(actor, ADMIN)
    if not key.is_active:
        raise Refused("This source is already revoked.")
    with transaction.atomic():
        key.revoke()
        record(actor, "write_key_revoked", key)
    return key


def file_erasure(actor: Any, *, kind: str, value: str, in_background: bool = True) -> ErasureRequest:
    """Forget a person (found by email, phone or client user id): their events are refused from the
    moment the request is committed; purging and forwarding run in the background (`in_background`),
    or are left to the caller (`manage.py erase` runs them at once)."""
    require(actor, ADMIN)
    try:
        person = erasure.subject(kind, value)
    except erasure.InvalidSubject as error:
        raise Refused({kind if kind in ErasureRequest.Kind.values else "kind": str(error)}) from None
    with transaction.atomic():
        filed = erasure.file(person, _user(actor))
        record(actor, "erasure_requested", filed, kind=person.kind)
        if in_background:
            run_erasure.enqueue(filed.pk)
    return filed
