"""Every page a role can reach opens for it: a crawl of the site as admin, marketer and engineer.

The crawl starts at the home page, the editor of every preset and blank action type of every destination
type (read from the registry: a new action type or preset is crawled without a change here) and the
delivery log's "open in the editor" of a delivery of every action type, then follows every same-origin link.
"""

import pytest
from django.test import Client

from executor.models import Backfill
from tests.crawl import ROLES, Visit, World, build_world, crawl, editor_urls, every_action_type, user_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def crawl_as(role: str, world: World) -> list[Visit]:
    # Exceptions become 500 answers, so that one crawl reports every broken page at once.
    client = Client(raise_request_exception=False)
    client.force_login(user_of(role))

    def get(url: str) -> tuple[int, str, str]:
        response = client.get(url)
        content_type = response.get("Content-Type", "")
        body = response.content.decode() if content_type.startswith("text/html") else ""
        return response.status_code, content_type, body

    return crawl(get, ["/", *editor_urls(world)])


def test_the_crawl_starts_at_every_preset_every_blank_type_and_a_logged_delivery_of_every_type(world) -> None:
    urls = editor_urls(world)
    assert {url.split("type=")[1] for url in urls if "?type=" in url} == every_action_type()
    presets = [p for d in world.destinations for a in d.definition.actions for p in a.presets]
    assert sum("?preset=" in url for url in urls) == len(presets)
    assert set(world.delivered_by_type) == every_action_type()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_reaches_fails_and_no_link_it_is_shown_is_refused(world, role: str) -> None:
    visits = crawl_as(role, world)
    broken = [f"{v.status} {v.url} (linked from {v.linked_from or 'the start'})" for v in visits if v.status >= 500]
    refused = [f"{v.status} {v.url} (linked from {v.linked_from})" for v in visits if v.linked_from and v.status >= 400]
    assert not broken, "\n".join(broken)
    assert not refused, "\n".join(refused)
    assert len(visits) > 50  # the crawl reached the site, not only the sign-in page
    # Pages reached only through others (an action's backfills, then each backfill) are crawled too.
    assert {f"/backfills/{pk}/" for pk in Backfill.objects.values_list("pk", flat=True)} <= {v.url for v in visits}
