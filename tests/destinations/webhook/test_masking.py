"""Who may not see values sees a webhook's request body masked but for the event's name, which is where the webhook
declares it (BodyLayout.event_name), not where Attentive's bodies hold theirs (`type`)."""

import pytest

from destinations.models import Destination
from executor.models import Delivery
from executor.tasks import route_pending
from mapper.models import Action
from tests.destinations.webhook import EXAMPLE_EVENT, WEBHOOK
from tests.destinations.webhook.server import SECRET
from tests.executor.flows import accept

pytestmark = pytest.mark.django_db


def test_a_webhook_delivery_shows_a_marketer_its_event_name_and_masks_a_data_row_named_type(
    api_as, webhook_type
) -> None:
    hook = Destination(name="Orders hook", type=WEBHOOK.key, test_mode=True)
    hook.set_api_key(SECRET)
    hook.save()
    Action.objects.create(
        destination=hook,
        action_type="webhook_post",
        name="Shipped",
        trigger="type == 'track'",
        mappings={"event": "event", "user_id": "userId", "data.type": "properties.recipient"},
        enabled=True,
    )
    accept({**EXAMPLE_EVENT, "properties": {"recipient": "Jane Doe"}})
    route_pending.call()
    delivery = Delivery.objects.get()
    assert delivery.payload["type"] == "Jane Doe"
    shown = api_as("marketer").get(f"/api/v1/deliveries/{delivery.pk}").json()["payload"]
    assert shown == {"event": "Order Shipped", "user_id": "•••", "type": "•••"}
    assert api_as("admin").get(f"/api/v1/deliveries/{delivery.pk}").json()["payload"]["type"] == "Jane Doe"
