"""Send failed and dead deliveries again. DELIVERED ones are never touched; the payload (and so the
externalEventId) stays the same."""

from collections.abc import Callable, Mapping

from django.db.models import QuerySet
from django.utils import timezone

from core.converters import parse_id
from executor import lifecycle
from executor.models import Delivery, Replay
from executor.queries import filter_deliveries
from mapper import masking

CHUNK = 500
# Selections up to this size are replayed at once; larger ones run in the background.
IMMEDIATE_LIMIT = 500


def selection_queryset(selection: Mapping[str, object]) -> QuerySet[Delivery]:
    ids = selection.get("ids")
    if isinstance(ids, list):
        queryset = Delivery.objects.filter(id__in=[i for i in map(parse_id, ids) if i is not None])
    else:
        queryset = filter_deliveries({k: str(v) for k, v in selection.items()})
    return lifecycle.replayable(queryset)


def requeue(ids: list[int], kick_sender: Callable[[str], None]) -> int:
    """Queue these deliveries again if they are still failed or dead; return how many were."""
    count, sender_keys = lifecycle.replay(ids)
    for sender_key in sender_keys:
        kick_sender(sender_key)
    return count


def run(replay: Replay, kick_sender: Callable[[str], None]) -> Replay:
    """Work through a replay in chunks, recording progress as it goes."""
    last_id = 0
    while True:
        ids = list(
            selection_queryset(replay.selection)
            .filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:CHUNK]
        )
        if not ids:
            break
        replay.done += requeue(ids, kick_sender)
        last_id = ids[-1]
        Replay.objects.filter(pk=replay.pk).update(done=replay.done)
    replay.state, replay.finished_at = Replay.State.DONE, timezone.now()
    replay.save(update_fields=["done", "state", "finished_at"])
    return replay


def shown_description(job: Replay, *, is_admin: bool) -> str:
    """A replay's description as a person may read it: for non-admins, a message id its filter names is
    masked when it could be personal (an email), as a delivery's message id is."""
    message_id = job.selection.get("message_id") if isinstance(job.selection, dict) else None
    if is_admin or not isinstance(message_id, str):
        return job.description
    return job.description.replace(f"message_id={message_id}", f"message_id={masking.message_id(message_id)}")
