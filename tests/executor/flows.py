"""Helpers the executor's tests share: actions as presets set them up; accept events as the API does,
then route and send them."""

from destinations.definition import Preset
from destinations.models import Destination
from executor import sending
from executor.ingest import ingest
from executor.models import Delivery
from executor.tasks import route_pending
from mapper.models import Action


def accept(*events: dict) -> None:
    ingest(list(events), source="api", write_key=None)


def route_and_send(destination: Destination) -> Delivery:
    route_pending.call()
    sending.drain(destination.sender_key)
    return Delivery.objects.get()


def preset_of(destination: Destination, action_type: str, preset_key: str | None = None) -> Preset:
    """The preset of `destination`'s type named `preset_key`, else the action type's first."""
    definition = destination.definition.action(action_type)
    return definition.preset(preset_key) if preset_key else definition.presets[0]


def action_from_preset(destination: Destination, action_type: str, preset_key: str | None = None) -> Action:
    """An action of `destination` set up as the preset sets it up (see preset_of)."""
    preset = preset_of(destination, action_type, preset_key)
    return Action.objects.create(
        destination=destination,
        action_type=action_type,
        name=preset.name,
        trigger=preset.trigger,
        mappings=dict(preset.mappings),
    )
