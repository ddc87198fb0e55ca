from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import ApiToken
from config.roles import set_role
from destinations.models import Destination
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY


@pytest.fixture
def api_as(db) -> Callable[[str], APIClient]:
    def make(role: str) -> APIClient:
        user = get_user_model().objects.create_user(f"api-{role}-{get_user_model().objects.count()}")
        set_role(user, role)
        _, raw = ApiToken.issue(user, "tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def destination(db) -> Destination:
    destination = Destination(name="Acme", default_region="US")
    destination.set_api_key(GOOD_KEY)
    destination.save()
    return destination


@pytest.fixture
def action(destination: Destination) -> Action:
    return Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )
