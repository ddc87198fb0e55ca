"""Helpers the executor's tests share: accept events as the API does, then route and send them."""

from destinations.models import Destination
from executor import sending
from executor.ingest import ingest
from executor.models import Delivery
from executor.tasks import route_pending


def accept(*events: dict) -> None:
    ingest(list(events), source="api", write_key=None)


def route_and_send(destination: Destination) -> Delivery:
    route_pending.call()
    sending.drain(destination.sender_key)
    return Delivery.objects.get()
