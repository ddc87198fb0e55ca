"""The delivery log's filters: by status (and dead letters), ids, message id (by keyed hash), period."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.query_filters import BadFilter
from executor.models import Delivery
from executor.queries import active_filters, filter_deliveries
from executor.routing import route_unrouted
from mapper.models import Action
from tests.events import shipped_event
from tests.executor.flows import accept

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(order_shipped: Action) -> list[Delivery]:
    accept(shipped_event(1), shipped_event(2), shipped_event(3))
    route_unrouted()
    deliveries = list(Delivery.objects.order_by("id"))
    Delivery.objects.filter(pk=deliveries[1].pk).update(status=Delivery.Status.FAILED)
    Delivery.objects.filter(pk=deliveries[2].pk).update(
        status=Delivery.Status.DEAD, created_at=timezone.now() - timedelta(days=2)
    )
    return deliveries


def ids(queryset) -> list[int]:
    return sorted(queryset.values_list("id", flat=True))


def test_dead_letters_are_the_failed_and_the_dead(three: list[Delivery]) -> None:
    assert ids(filter_deliveries({"status": "dead_letters"})) == [three[1].pk, three[2].pk]
    assert ids(filter_deliveries({"status": "queued"})) == [three[0].pk]


def test_a_message_id_is_found_by_its_keyed_hash(three: list[Delivery]) -> None:
    assert ids(filter_deliveries({"message_id": " msg-2 "})) == [three[1].pk]


def test_a_period_keeps_the_recent_ones(three: list[Delivery]) -> None:
    assert ids(filter_deliveries({"period": "24h"})) == [three[0].pk, three[1].pk]


@pytest.mark.parametrize(
    "params",
    [{"status": "nope"}, {"destination": "abc"}, {"action": "²"}, {"event": "-1"}, {"period": "1y"}],
)
def test_a_malformed_filter_is_refused_by_name_not_ignored(three: list[Delivery], params: dict) -> None:
    with pytest.raises(BadFilter) as caught:
        filter_deliveries(params)
    assert set(caught.value.errors) == set(params)


def test_active_filters_are_the_given_ones_as_given(three: list[Delivery]) -> None:
    assert active_filters({"status": "failed", "junk": "x", "period": ""}) == {"status": "failed"}
    with pytest.raises(BadFilter):
        active_filters({"status": "failed", "junk": "x"}, others=())
