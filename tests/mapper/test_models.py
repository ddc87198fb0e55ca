import pytest
from django.core.exceptions import ValidationError

from destinations.models import Destination
from mapper.models import Action

pytestmark = pytest.mark.django_db


@pytest.fixture
def destination() -> Destination:
    return Destination.objects.create(name="Brand", test_mode=True)


def test_valid_action_passes_model_validation(destination: Destination) -> None:
    action = Action(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "'Order Shipped'", "email": "context.traits.email"},
    )
    action.full_clean()


def test_invalid_action_lists_every_problem(destination: Destination) -> None:
    action = Action(
        destination=destination,
        action_type="custom_event",
        name="Broken",
        trigger="event ==",
        mappings={"email": "context.", "colour": "event"},
    )
    with pytest.raises(ValidationError) as caught:
        action.full_clean()
    messages = caught.value.message_dict
    assert len(messages["trigger"]) == 1
    assert len(messages["mappings"]) == 3  # invalid email, unknown colour, missing event_name


def test_config_carries_the_action_identity(destination: Destination) -> None:
    action = Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="A",
        trigger="@",
        mappings={"event_name": "event"},
    )
    config = action.config()
    assert (config.destination_type, config.action_type, config.action_id) == (
        "attentive",
        "custom_event",
        str(action.pk),
    )
    assert dict(config.mappings) == {"event_name": "event"}
