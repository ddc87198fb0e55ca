"""Every page and operation, for every role and for anonymous visitors."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.roles import role_of, set_role
from destinations.models import Destination
from executor.models import Backfill, Delivery, InboundEvent, WriteKey
from mapper.models import Action

pytestmark = pytest.mark.django_db

ROLES = ["admin", "marketer", "engineer"]


@pytest.fixture
def world() -> dict:
    destination = Destination.objects.create(name="Brand", test_mode=True)
    action = Action.objects.create(
        destination=destination,
        action_type="custom_event",
        name="Shipped",
        trigger="event == 'Order Shipped'",
        mappings={"event_name": "event", "email": "context.traits.email"},
    )
    event = InboundEvent.objects.create(
        source="api",
        event_type="track",
        event_name="Order Shipped",
        message_id="m1",
        body={"type": "track", "event": "Order Shipped", "context": {"traits": {"email": "jane@example.com"}}},
    )
    delivery = Delivery.objects.create(
        event=event,
        action=action,
        destination=destination,
        action_snapshot={"name": "Shipped"},
        sender_key="k",
        status="failed",
        method="POST",
        path="/v1/events/custom",
        payload={"type": "Order Shipped", "user": {"email": "jane@example.com"}},
    )
    key, _ = WriteKey.issue("source")
    backfill = Backfill.objects.create(action=action, since=timezone.now(), until=timezone.now())
    return {
        "destination": destination,
        "action": action,
        "event": event,
        "delivery": delivery,
        "key": key,
        "backfill": backfill,
    }


def client_for(role: str | None) -> Client:
    client = Client()
    if role:
        user = get_user_model().objects.create_user(f"user-{role}", password="x" * 20)
        set_role(user, role)
        client.force_login(user)
    return client


READ_PAGES = [
    ("engineer", "/destinations/"),
    ("engineer", "/destinations/{destination}/"),
    ("engineer", "/actions/{action}/"),
    ("engineer", "/destinations/{destination}/actions/new/"),
    ("engineer", "/deliveries/"),
    ("engineer", "/events/{event}/"),
    ("engineer", "/destinations/{destination}/overview/"),
    ("engineer", "/destinations/{destination}/privacy/"),
    ("engineer", "/actions/{action}/history/"),
    ("engineer", "/actions/{action}/backfills/"),
    ("engineer", "/backfills/{backfill}/"),
    ("engineer", "/api-tokens/"),
    ("engineer", "/sources/"),
    ("marketer", "/actions/{action}/delete/"),
    ("admin", "/destinations/new/"),
    ("admin", "/destinations/{destination}/edit/"),
    ("admin", "/users/"),
    ("admin", "/audit/"),
]
AN_HOUR_AGO = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
RANK = {"engineer": 1, "marketer": 2, "admin": 3}


def _url(template: str, world: dict) -> str:
    return template.format(**{name: obj.pk for name, obj in world.items()})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("minimum", "url"), READ_PAGES)
def test_pages_open_for_enough_role_and_are_forbidden_below(world, role: str, minimum: str, url: str) -> None:
    response = client_for(role).get(_url(url, world))
    assert response.status_code == (200 if RANK[role] >= RANK[minimum] else 403)
    if response.status_code == 403:  # the page says which role it needs, as the API does
        assert f"it needs the {minimum} role" in response.content.decode()


@pytest.mark.parametrize(("minimum", "url"), READ_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(world, minimum: str, url: str) -> None:
    response = Client().get(_url(url, world))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


WRITES = [
    ("marketer", "/actions/{action}/toggle/", {}),
    ("marketer", "/actions/{action}/move/down/", {}),
    ("marketer", "/actions/{action}/duplicate/", {}),
    ("marketer", "/actions/{action}/delete/", {}),
    ("marketer", "/deliveries/replay/", {"delivery": "{delivery}", "scope": "selected"}),
    ("marketer", "/actions/{action}/backfills/", {"since": AN_HOUR_AGO}),
    ("admin", "/destinations/{destination}/verify/", {}),
    ("admin", "/sources/", {"label": "new source", "kind": "server"}),
    ("admin", "/users/", {"username": "newcomer", "role": "engineer"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("minimum", "url", "data"), WRITES)
def test_changes_need_enough_role(world, role: str, minimum: str, url: str, data: dict) -> None:
    data = {name: _url(value, world) for name, value in data.items()}
    response = client_for(role).post(_url(url, world), data)
    if RANK[role] >= RANK[minimum]:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        assert f"it needs the {minimum} role" in response.content.decode()


def test_engineer_cannot_save_or_send_from_the_editor(world) -> None:
    client = client_for("engineer")
    for button in ("_save", "_send_test"):
        response = client.post(f"/actions/{world['action'].pk}/", {"name": "x", "trigger": "@", button: "1"})
        assert response.status_code == 403
    assert Action.objects.get().name == "Shipped"


def test_the_engineers_editor_offers_no_control_that_changes_the_action(world) -> None:
    import re

    page = client_for("engineer").get(f"/actions/{world['action'].pk}/").content.decode()
    select = re.search(r'<select[^>]*name="consent_when_unknown"[^>]*>', page).group(0)
    assert "disabled" in select
    assert re.search(r'<input[^>]*name="name"[^>]*readonly', page)


def test_invalid_action_is_re_rendered_with_errors_and_keeps_the_input(world) -> None:
    client = client_for("marketer")
    data = {
        "name": "Broken",
        "trigger": "event ==",
        "map__event_name": "'Order, Shipped'",
        "_save": "1",
        "rows__properties__name": ["Bad {key}"],
        "rows__properties__expr": ["event"],
        "sample_event": '{"type": "track", "event": "Order Shipped"}',
    }
    response = client.post(f"/actions/{world['action'].pk}/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not saved." in html
    assert "The expression is incomplete" in html
    assert "&#x27;Order, Shipped&#x27;" in html  # what the user typed is kept
    assert "Bad {key}" in html
    assert Action.objects.get().trigger == "event == 'Order Shipped'"


def test_preview_button_works_without_javascript(world) -> None:
    client = client_for("engineer")
    data = {
        "name": "Shipped",
        "trigger": "event == 'Order Shipped'",
        "map__event_name": "'Order, Shipped'",
        "map__email": "context.traits.email",
        "_preview": "1",
        "sample_event": '{"type": "track", "event": "Order Shipped", "context": {"traits": {"email": "a@b.co"}}}',
    }
    response = client.post(f"/actions/{world['action'].pk}/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trigger matches this event" in html
    assert "a character Attentive rejects" in html
    assert "POST https://api.attentivemobile.com/v1/events/custom" in html


@pytest.mark.parametrize("action_type", ["product_view", "add_to_cart", "purchase"])
def test_resolved_values_show_a_field_named_like_a_dict_method(world, action_type: str) -> None:
    # The e-commerce actions map a field named `items`: a template that looked it up on the dict
    # (`fields.items`) got the list of products instead of the dict's pairs, and answered 500.
    url = f"/destinations/{world['destination'].pk}/actions/new/?type={action_type}"
    response = client_for("engineer").get(url)
    assert response.status_code == 200
    values = response.content.decode().split("Resolved values")[1]
    assert "<td><code>items</code></td>" in values


def test_preview_flags_invalid_sample_json_with_line_and_column(world) -> None:
    client = client_for("engineer")
    data = {"name": "x", "trigger": "@", "map__event_name": "event", "sample_event": '{\n "type": }'}
    response = client.post(f"/destinations/{world['destination'].pk}/actions/preview/custom_event/", data)
    assert "Invalid JSON at line 2, column 10" in response.content.decode()


def test_marketer_saves_a_new_action_from_a_preset(world) -> None:
    client = client_for("marketer")
    url = f"/destinations/{world['destination'].pk}/actions/new/?preset=appointment_booked"
    page = client.get(url)
    assert "Appointment Booked" in page.content.decode()
    data = {
        "name": "Appointment Booked",
        "trigger": "type == 'track' && event == 'Appointment Booked'",
        "enabled": "on",
        "map__event_name": "'Appointment Booked'",
        "map__email": "context.traits.email",
        "rows__properties__name": ["Location"],
        "rows__properties__expr": ["properties.location_name"],
        "_save": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    action = Action.objects.get(name="Appointment Booked")
    assert action.mappings == {
        "event_name": "'Appointment Booked'",
        "email": "context.traits.email",
        "properties.Location": "properties.location_name",
    }


def test_event_detail_masks_personal_data_for_non_admins(world) -> None:
    html = client_for("engineer").get(f"/events/{world['event'].pk}/").content.decode()
    assert "jane@example.com" not in html
    assert "&quot;email&quot;: &quot;•••&quot;" in html or '"email": "•••"' in html
    admin_html = client_for("admin").get(f"/events/{world['event'].pk}/").content.decode()
    assert "jane@example.com" in admin_html


@pytest.mark.parametrize("role", ROLES)
def test_the_old_write_keys_page_leads_every_role_to_sources(world, role: str) -> None:
    response = client_for(role).get("/write-keys/")
    assert (response.status_code, response["Location"]) == (301, "/sources/")


def test_the_old_write_keys_page_sends_anonymous_visitors_to_sign_in(world) -> None:
    response = Client().get("/write-keys/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_navigation_has_one_place_for_write_keys_sources(world) -> None:
    html = client_for("admin").get("/destinations/").content.decode()
    nav = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert 'href="/sources/"' in nav
    assert "write-keys" not in nav


def test_write_key_is_shown_once(world) -> None:
    client = client_for("admin")
    response = client.post("/sources/", {"label": "checkout", "kind": "server"}, follow=True)
    html = response.content.decode()
    assert "shown only once" in html
    raw = html.split('data-testid="new-write-key">')[1].split("<")[0]
    assert raw.startswith("rwk_")
    assert raw not in client.get(response.redirect_chain[-1][0]).content.decode()


def test_reloading_after_creating_a_write_key_creates_no_second_one(world) -> None:
    client = client_for("admin")
    response = client.post("/sources/", {"label": "checkout", "kind": "server"})
    assert response.status_code == 302  # post/redirect/get
    client.get(response["Location"])
    client.get(response["Location"])  # the reload
    assert WriteKey.objects.filter(label="checkout").count() == 1


def test_a_new_write_key_waits_in_the_session_encrypted(world) -> None:
    import json

    from django.contrib.sessions.models import Session

    client = client_for("admin")
    response = client.post("/sources/", {"label": "checkout", "kind": "server"})
    waiting = json.dumps([session.get_decoded() for session in Session.objects.all()])
    html = client.get(response["Location"]).content.decode()
    raw = html.split('data-testid="new-write-key">')[1].split("<")[0]
    assert raw.startswith("rwk_")
    assert raw not in waiting


def test_replay_requeues_failed_delivery_and_never_delivered_ones(world) -> None:
    Delivery.objects.create(
        event=world["event"],
        action=None,
        destination=world["destination"],
        action_snapshot={},
        sender_key="k",
        status="delivered",
    )
    client_for("marketer").post("/deliveries/replay/", {"scope": "filter"})
    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses == ["delivered", "queued"]


def test_replay_goes_back_to_our_own_page_never_to_another_site(world) -> None:
    client = client_for("marketer")
    away = client.post("/deliveries/replay/", {"scope": "selected", "next": "https://evil.example/phish"})
    assert away["Location"] == "/deliveries/"
    back = client.post("/deliveries/replay/", {"scope": "selected", "next": f"/events/{world['event'].pk}/"})
    assert back["Location"] == f"/events/{world['event'].pk}/"


def test_admin_creates_a_user_with_a_role_and_a_password_shown_once(world) -> None:
    client = client_for("admin")
    html = client.post("/users/", {"username": "mkt", "email": "m@example.com", "role": "marketer"}).content.decode()
    password = html.split('data-testid="new-password">')[1].split("<")[0]
    user = get_user_model().objects.get(username="mkt")
    assert user.check_password(password)
    assert role_of(user) == "marketer"
    assert password not in client.get("/users/").content.decode()


def test_admin_changes_a_role_and_deactivates(world) -> None:
    client = client_for("admin")
    user = get_user_model().objects.create_user("someone")
    set_role(user, "engineer")
    client.post(f"/users/{user.pk}/", {"role": "marketer"})
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["marketer"]
    assert not user.is_active
    assert role_of(user) is None  # inactive users have no role at all


def test_only_admins_change_privacy_rules(world) -> None:
    url = f"/destinations/{world['destination'].pk}/privacy/"
    data = {
        "consent_expression": "context.consent.marketing",
        "blocked_names": "Diagnosis = diagnos",
        "blocked_values": "",
    }
    assert client_for("marketer").post(url, data).status_code == 403
    assert client_for("admin").post(url, data).status_code == 302
    destination = Destination.objects.get()
    assert destination.consent_expression == "context.consent.marketing"
    assert destination.blocked_names == [{"label": "Diagnosis", "pattern": "diagnos"}]


def test_privacy_form_refuses_a_bad_rule_and_a_bad_consent_expression(world) -> None:
    url = f"/destinations/{world['destination'].pk}/privacy/"
    response = client_for("admin").post(
        url, {"consent_expression": "context.", "blocked_names": "Bad = (", "blocked_values": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "not a valid regular expression" in html
    assert "Invalid syntax at position 8" in html


def test_changes_made_in_the_browser_are_audited(world) -> None:
    from accounts.models import AuditEntry

    client_for("marketer").post(f"/actions/{world['action'].pk}/toggle/")
    admin = client_for("admin")
    admin.post("/sources/", {"label": "checkout", "kind": "server"})
    admin.post("/users/", {"username": "newbie", "role": "engineer"})
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {"action_disabled", "write_key_created", "user_created"} <= verbs
    html = admin.get("/audit/?verb=write_key_created").content.decode()
    assert "write_key_created" in html
    assert "action_disabled" not in html.split("<tbody>")[1]


def test_invalid_deliveries_are_rerun_from_the_log_after_the_action_is_fixed(world) -> None:
    Delivery.objects.filter(pk=world["delivery"].pk).update(status="invalid")
    client = client_for("marketer")
    response = client.post("/deliveries/rerun/", {"delivery": world["delivery"].pk, "scope": "selected"}, follow=True)
    assert "Re-ran 1 invalid delivery" in response.content.decode()
    world["delivery"].refresh_from_db()
    assert world["delivery"].status == "skipped"  # the world's destination is in test mode
    assert client_for("engineer").post("/deliveries/rerun/", {"scope": "filter"}).status_code == 403


def test_the_audit_log_reads_as_sentences(world) -> None:
    from accounts.audit import record
    from accounts.models import AuditEntry

    admin = get_user_model().objects.create_user("ada")
    record(admin, "action_changed", world["action"], version=3)
    entry = AuditEntry.objects.get(verb="action_changed")
    assert entry.sentence == "ada changed the action “Shipped” (version 3)."
    html = client_for("admin").get("/audit/").content.decode()
    assert "ada changed the action “Shipped” (version 3)." in html
    assert "{&#x27;" not in html
    assert "{'" not in html


def test_the_audit_log_filter_offers_sentences_not_codes(world) -> None:
    from accounts.audit import record

    record(get_user_model().objects.create_user("ada"), "action_changed", world["action"])
    html = client_for("admin").get("/audit/").content.decode()
    assert '<option value="action_changed" >Someone changed the action …</option>' in html
    assert ">action_changed<" not in html


@pytest.mark.parametrize(("count", "words"), [(1, "1 event, 1 delivery"), (2, "2 events, 2 deliveries")])
def test_audit_sentences_count_in_words(world, count: int, words: str) -> None:
    from accounts.audit import record

    entry = record(None, "erasure_purged", None, events=count, deliveries=count)
    assert entry.sentence.endswith(f"({words}).")


def test_a_destination_with_one_rule_of_each_kind_says_one_rule(world) -> None:
    destination = world["destination"]
    destination.blocked_names, destination.blocked_values = ["diagnosis"], ["E11"]
    destination.save()
    html = client_for("engineer").get(f"/destinations/{destination.pk}/").content.decode()
    assert "1 name rule, 1 value rule" in html


def test_an_admin_resets_a_password_shown_once_and_the_user_must_choose_their_own(world) -> None:
    from accounts.models import PasswordChangeRequired

    user = get_user_model().objects.create_user("mo", password="an-old-password-123")
    set_role(user, "marketer")
    page = client_for("admin").post(f"/users/{user.pk}/", {"reset_password": "1"})
    password = page.content.decode().split('data-testid="new-password">')[1].split("<")[0]
    assert PasswordChangeRequired.objects.filter(user=user).exists()

    client = Client()
    assert client.post("/login/", {"username": "mo", "password": password}).status_code == 302
    assert client.get("/destinations/")["Location"] == "/account/password/"
    changed = client.post(
        "/account/password/",
        {"old_password": password, "new_password1": "my-own-password-456", "new_password2": "my-own-password-456"},
    )
    assert changed.status_code == 302
    assert client.get("/destinations/").status_code == 200
    assert not PasswordChangeRequired.objects.filter(user=user).exists()


def test_audit_sentences_name_the_replay_job_and_read_lists_and_counts_as_words(world) -> None:
    from accounts.audit import record
    from executor.models import Replay

    job = Replay.objects.create(description="failed deliveries", selection={}, total=1)
    replay = record(None, "replay", job, total=1)
    assert replay.sentence == f"system replayed deliveries as Replay #{job.pk}: failed deliveries (1 in all)."
    source = record(None, "source_created", None, kind="browser", origins=["https://a.example", "https://b.example"])
    assert source.sentence.endswith("(browser, origins https://a.example, https://b.example).")
    assert record(None, "password_reset", None, tokens=1).sentence.endswith("(1 token).")
    checked = record(None, "destination_verified", world["destination"], ok=True)
    assert checked.sentence.endswith("(key accepted: yes).")
