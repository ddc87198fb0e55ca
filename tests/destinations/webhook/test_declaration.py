"""What generic code says of a destination, it reads from the type's declaration: with the webhook type of
this package registered, nothing of Attentive's shows (creating one, its skip reasons, the default type)."""

import pytest

from destinations.models import Destination
from mapper.config_io import import_config
from tests.destinations.webhook import WEBHOOK

pytestmark = pytest.mark.django_db


def test_a_configuration_file_without_a_type_imports_the_default_type(webhook_only) -> None:
    document = {
        "format": "relay-config",
        "version": 1,
        "destinations": [
            {
                "name": "Orders hook",
                "test_mode": True,
                "actions": [
                    {
                        "name": "Shipped",
                        "action_type": "webhook_post",
                        "trigger": "event == 'Order Shipped'",
                        "mappings": {"event": "event", "user_id": "userId"},
                    }
                ],
            }
        ],
    }
    result = import_config(document)
    assert result.problems == []
    assert Destination.objects.get(name="Orders hook").type == WEBHOOK.key
