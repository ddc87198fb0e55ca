"""What a failed sign-in leaves behind is bounded: names that are nobody's are kept hashed, and the lockout
counts per address, so typing new names buys no new tries."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.login_names import UNKNOWN_PREFIX, recorded_name
from accounts.models import AuditEntry
from accounts.roles import set_role

pytestmark = pytest.mark.django_db
PASSWORD = "the-right-password-1"
TYPED_BY_MISTAKE = "MyBankPassword!2024"  # a password typed into the name box


@pytest.fixture
def victim():
    user = get_user_model().objects.create_user("victim", password=PASSWORD)
    set_role(user, "admin")
    return user


def _fail(client: Client, name: str) -> None:
    client.post("/login/", {"username": name, "password": "wrong"})


def _signs_in(client: Client, name: str = "victim", password: str = PASSWORD) -> bool:
    client.post("/login/", {"username": name, "password": password})
    return "_auth_user_id" in client.session


def test_a_name_that_is_nobodys_is_kept_only_as_a_short_keyed_hash(victim) -> None:
    _fail(Client(), TYPED_BY_MISTAKE)
    entry = AuditEntry.objects.get(verb="login_failed")
    assert entry.details["username"].startswith(UNKNOWN_PREFIX)
    assert len(entry.details["username"]) == len(UNKNOWN_PREFIX) + 12
    stored = str(list(AuditEntry.objects.values())) + str(list(AccessAttempt.objects.values()))
    assert TYPED_BY_MISTAKE not in stored
    assert TYPED_BY_MISTAKE.lower() not in stored.lower()


def test_the_same_wrong_name_coming_back_is_recognisable(victim) -> None:
    assert recorded_name("no-such-user") == recorded_name("no-such-user")
    assert recorded_name("no-such-user") != recorded_name("no-such-user2")


def test_a_users_name_is_kept_as_typed(victim) -> None:
    _fail(Client(), "victim")
    assert AuditEntry.objects.get(verb="login_failed").details["username"] == "victim"
    assert AuditEntry.objects.get(verb="login_failed").sentence == "A sign-in failed (as “victim”)."


def test_new_names_buy_no_new_tries_from_one_address(victim) -> None:
    client = Client()
    for number in range(5):
        _fail(client, f"guess-{number}")
    assert not _signs_in(client)
    assert (
        "Too many failed sign-ins"
        in client.post("/login/", {"username": "victim", "password": PASSWORD}).content.decode()
    )


def test_another_address_is_not_locked_out(victim) -> None:
    for number in range(5):
        _fail(Client(), f"guess-{number}")
    assert _signs_in(Client(REMOTE_ADDR="10.1.2.3"))


def test_attempts_refused_by_a_lockout_leave_nothing_behind(victim) -> None:
    client = Client()
    for number in range(5):
        _fail(client, f"guess-{number}")
    entries, attempts = AuditEntry.objects.count(), AccessAttempt.objects.count()
    for number in range(20):
        _fail(client, f"more-{number}")
    assert (AuditEntry.objects.count(), AccessAttempt.objects.count()) == (entries, attempts)


def test_the_lockout_is_audited_once(victim) -> None:
    client = Client()
    for number in range(8):
        _fail(client, f"guess-{number}")
    entry = AuditEntry.objects.get(verb="login_locked_out")
    assert entry.sentence.startswith("Sign-in was paused for an address after too many failures")


def test_signing_in_to_ones_own_account_does_not_reset_the_count_of_guesses_at_anothers(victim) -> None:
    insider = get_user_model().objects.create_user("insider", password="insider-password-1")
    set_role(insider, "engineer")
    client = Client()
    for _ in range(4):
        _fail(client, "victim")
    assert _signs_in(client, "insider", "insider-password-1")
    client.logout()
    _fail(client, "victim")
    assert not _signs_in(Client())


def test_signing_in_forgives_ones_own_mistakes(victim) -> None:
    client = Client()
    for _ in range(4):
        _fail(client, "victim")
    assert _signs_in(client)
    client.logout()
    for _ in range(4):
        _fail(client, "victim")
    assert _signs_in(client)


def test_the_pause_ends_after_fifteen_minutes(victim) -> None:
    from datetime import timedelta

    from django.utils import timezone

    client = Client()
    for number in range(5):
        _fail(client, f"guess-{number}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert not _signs_in(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert _signs_in(client)
