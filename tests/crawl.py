"""The site crawl that the site-wide tests share (tests/test_crawl.py, tests/browser/test_crawl_ui.py).

`build_world` stores something of every kind a page shows: for each destination type of the registry, a
destination with a saved action of every preset and a blank action of every type, their example events
accepted and routed, deliveries of every status with attempts, a server and a browser source (with an event), an API
token, an erasure request, a backfill in each state (being counted, counted, running, cancelled) and audit entries.
`editor_urls` names, from the same registry, the editor of every preset and of
every blank action type, and the delivery log's "open in the editor" of a delivery of every action type.
`crawl` signs nobody in: it follows the same-origin links of the pages a getter answers, breadth first.
"""

import itertools
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.audit import record
from accounts.models import ApiToken
from accounts.roles import set_role
from destinations.models import Destination
from destinations.registry import DESTINATION_TYPES
from executor import backfill_commands, erasure, routing
from executor.ingest import ingest
from executor.models import Backfill, Delivery, DeliveryAttempt, InboundEvent, WriteKey
from mapper.models import Action
from tests.fake_attentive import GOOD_KEY

ROLES = ("admin", "marketer", "engineer")
# Links that are not pages to look at: signing out ends the crawl's session.
NOT_CRAWLED = ("/logout/", "/static/", "/favicon.ico")
# A bound, so that a page that links to ever new URLs (a filter that grows its query) ends the crawl
# with a failure instead of never ending.
MAX_PAGES = 400


@dataclass
class World:
    destinations: list[Destination] = field(default_factory=list)
    # (action type key, action, event) for a delivery of every action type
    delivered_by_type: dict[str, tuple[Action, InboundEvent]] = field(default_factory=dict)


def user_of(role: str) -> object:
    """A user of `role` (created once)."""
    user, created = get_user_model().objects.get_or_create(
        username=f"crawl-{role}", defaults={"email": f"crawl-{role}@example.com"}
    )
    if created:
        user.set_password("crawl-password-long-enough")
        user.save()
        set_role(user, role)
    return user


def build_world() -> World:
    world = World()
    admin = user_of("admin")
    for type_key, destination_type in DESTINATION_TYPES.items():
        destination = Destination(
            name=f"{destination_type.title} brand",
            type=type_key,
            default_region="US",
            company_name=f"{destination_type.title} Health Inc.",
            subscription_disclosure="By signing up you agree to receive recurring automated marketing messages.",
        )
        destination.set_api_key(GOOD_KEY)
        destination.save()
        world.destinations.append(destination)
        examples = []
        presets = [(action_type, preset) for action_type in destination_type.actions for preset in action_type.presets]
        for position, (action_type, preset) in enumerate(presets):
            Action.objects.create(
                destination=destination,
                action_type=action_type.key,
                name=preset.name,
                trigger=preset.trigger,
                mappings=dict(preset.mappings),
                enabled=not action_type.needs_disclosure or bool(destination.subscription_disclosure),
                position=position,
                sample_event=dict(preset.example_event),
            )
            examples.append(dict(preset.example_event))
        for action_type in destination_type.actions:
            Action.objects.create(
                destination=destination,
                action_type=action_type.key,
                name=f"Blank {action_type.title}",
                trigger=action_type.default_trigger,
                mappings=action_type.default_mappings(),
                enabled=False,
                position=1000,
            )
        # Each example once as it is, and once more per delivery status, so every status has rows.
        events = [
            {**example, "messageId": f"crawl-{type_key}-{index}"}
            for index, example in enumerate(
                itertools.islice(itertools.cycle(examples), len(examples) + len(Delivery.Status))
            )
        ]
        ingest(events, source="api", write_key=None)
    routing.route_unrouted()
    _give_every_status()
    for action in Action.objects.select_related("destination"):
        delivery = Delivery.objects.filter(action=action).select_related("event").first()
        if delivery is not None and action.action_type not in world.delivered_by_type:
            world.delivered_by_type[action.action_type] = (action, delivery.event)
    _, _ = WriteKey.issue("Checkout service", created_by=admin)
    storefront, _ = WriteKey.issue(
        "Storefront", created_by=admin, kind=WriteKey.Kind.BROWSER, allowed_origins=["https://shop.example.com"]
    )
    # An event from the website, so that the source page's live view has a row (and a link to the event).
    ingest([{**examples[0], "messageId": "crawl-storefront-1"}], source="segment", write_key=storefront)
    for role in ROLES:
        ApiToken.issue(user_of(role), f"{role}'s laptop")
    _backfill_in_every_state(admin)
    filed = erasure.file(erasure.subject("email", "forget.me@example.com"), admin)
    record(admin, "action_changed", Action.objects.first(), version=2)
    record(admin, "destination_changed", world.destinations[0])
    record(None, "login_failed")
    assert filed.pk
    return world


def _backfill_in_every_state(admin: object) -> None:
    """A cancelled, a running, a counted and a large one being counted backfill of one action (each page
    they show differs)."""
    action = Action.objects.filter(enabled=True).order_by("id").first()
    since = timezone.now() - timedelta(hours=1)
    cancelled = backfill_commands.start(admin, backfill_commands.dry_run(admin, action, since))
    backfill_commands.cancel(admin, cancelled)
    backfill_commands.start(admin, backfill_commands.dry_run(admin, action, since))
    backfill_commands.dry_run(admin, action, since)
    Backfill.objects.create(
        action=action, requested_by=admin, since=since, until=timezone.now(), state=Backfill.State.COUNTING, total=9000
    )


def _give_every_status() -> None:
    """Spread the routed deliveries over every status, with attempts where a status has some."""
    now = timezone.now()
    deliveries = list(Delivery.objects.order_by("id"))
    statuses = list(Delivery.Status)
    for delivery, status in zip(reversed(deliveries), itertools.cycle(statuses), strict=False):
        delivery.status = status
        if status in (
            Delivery.Status.DELIVERED,
            Delivery.Status.FAILED,
            Delivery.Status.DEAD,
            Delivery.Status.RETRYING,
        ):
            code = {"delivered": 200, "failed": 400, "dead": 503, "retrying": 429}[status]
            outcome = {"delivered": "delivered", "failed": "failed", "dead": "dead", "retrying": "retry"}[status]
            delivery.attempt_count = 1
            delivery.last_status_code = code
            DeliveryAttempt.objects.create(
                delivery=delivery,
                number=1,
                started_at=now - timedelta(minutes=5),
                status_code=code,
                latency_ms=120.0,
                outcome=outcome,
                error="" if code == 200 else f"HTTP {code}",
                response_excerpt='{"errors": ["example"]}' if code != 200 else "{}",
            )
        if status == Delivery.Status.DELIVERED:
            delivery.delivered_at = now
        if status == Delivery.Status.RETRYING:
            delivery.next_attempt_at = now + timedelta(minutes=5)
        delivery.save()


def editor_urls(world: World) -> list[str]:
    """The editor of every preset and every blank action type of every destination type (from the
    registry), and the log's "open in the editor" for a delivery of each action type."""
    urls = []
    for destination in world.destinations:
        for action_type in destination.definition.actions:
            urls.extend(
                f"/destinations/{destination.pk}/actions/new/?preset={preset.key}" for preset in action_type.presets
            )
            urls.append(f"/destinations/{destination.pk}/actions/new/?type={action_type.key}")
    urls.extend(f"/actions/{action.pk}/?event={event.pk}" for action, event in world.delivered_by_type.values())
    return urls


def every_action_type() -> set[str]:
    return {action.key for destination in DESTINATION_TYPES.values() for action in destination.actions}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(url: str, html: str) -> list[str]:
    """The same-origin pages `html` (served at `url`) links to, as paths with their query."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        absolute, _ = urldefrag(urljoin(f"http://testserver{url}", href))
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(NOT_CRAWLED):
            found.append(path)
    return found


class _Skeleton(HTMLParser):
    KEPT_VALUES = ("class", "role", "type", "hidden", "disabled", "readonly")

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = sorted(f"{name}={value if name in self.KEPT_VALUES else ''}" for name, value in attrs)
        self.tags.append(f"{tag}[{' '.join(kept)}]")


def skeleton(html: str) -> int:
    """A page's structure: its elements with their attributes, without text or values. Two pages of one
    skeleton differ only in what they say (the delete pages of two actions), not in how they are built."""
    parser = _Skeleton()
    parser.feed(html)
    return hash(tuple(parser.tags))


@dataclass
class Visit:
    url: str
    status: int
    # The page whose link led here ("" for a start page).
    linked_from: str
    skeleton: int = 0


def crawl(get: Callable[[str], tuple[int, str, str]], start: Iterable[str]) -> list[Visit]:
    """Visit `start` and every same-origin page linked from an HTML page, breadth first, each once.

    `get(url)` answers (status, content type, body). Raises when more than MAX_PAGES are reachable.
    """
    queue = deque((url, "") for url in start)
    seen = {url for url, _ in queue}
    visits = []
    while queue:
        url, linked_from = queue.popleft()
        status, content_type, body = get(url)
        is_page = status == 200 and content_type.startswith("text/html")
        visits.append(Visit(url, status, linked_from, skeleton(body) if is_page else 0))
        if not is_page:
            continue
        for link in links_of(url, body):
            if link not in seen:
                seen.add(link)
                queue.append((link, url))
        if len(seen) > MAX_PAGES:
            raise AssertionError(f"More than {MAX_PAGES} pages are reachable: does a link grow without end?")
    return visits
