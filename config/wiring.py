"""Everything connected at startup that no import shows, in one place.

Imports flow one way (README, Layout): a lower layer cannot import the code of a higher one that it
must call. Where that happens, the lower layer keeps a hook (a list of callbacks, or a Django
signal) and this module fills it: each hook below names where it lives and what fills it. Nothing
else registers a callback, a signal receiver or a system check (tests/config/test_wiring.py holds
both: every hook is filled after startup, exactly as declared here, and no module outside this one
appends to a hook, decorates a receiver or registers a check).

What could flow by import instead does: this lists only what must stay a hook.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core import checks as django_checks
from django.db.models.signals import post_save
from django.dispatch import Signal

from accounts import audit, middleware, passwords
from config import checks as config_checks
from destinations import checks as destination_checks
from destinations import privacy
from destinations.models import Destination
from executor import samples_and_statuses
from executor import signals as executor_signals
from mapper import action_status_sources, samples, validation


@dataclass(frozen=True)
class Hook:
    """A list of callbacks a lower layer calls, and the callbacks a higher one fills it with."""

    where: str
    callbacks: list[Any]
    fillers: tuple[Callable[..., Any], ...]
    why: str


@dataclass(frozen=True)
class Receiver:
    """A Django signal and the function that receives it (for `sender` only, when given)."""

    signal: Signal
    receiver: Callable[..., Any]
    sender: Any = None
    why: str = ""

    @property
    def dispatch_uid(self) -> str:
        return f"{self.receiver.__module__}.{self.receiver.__qualname__}"


@dataclass(frozen=True)
class Check:
    """A system check (`manage.py check`, and every command that runs them)."""

    check: Callable[..., list[Any]]
    tags: Sequence[str] = ()
    deploy: bool = False


HOOKS: tuple[Hook, ...] = (
    Hook(
        "destinations.privacy.CONDITION_CHECKS",
        privacy.CONDITION_CHECKS,
        (validation.consent_condition_problem,),
        "a consent condition is an expression of the mapper's language",
    ),
    Hook(
        "mapper.samples.FINDERS",
        samples.FINDERS,
        (samples_and_statuses.find_event_samples,),
        "the editor offers events the executor received as samples",
    ),
    Hook(
        "mapper.samples.EVENT_LOOKUPS",
        samples.EVENT_LOOKUPS,
        (samples_and_statuses.event_sample,),
        "the editor opens one received event by id (from the delivery log)",
    ),
    Hook(
        "mapper.samples.RECENT_EVENTS",
        samples.RECENT_EVENTS,
        (samples_and_statuses.recent_events,),
        "a trigger's reach is judged on the last events received",
    ),
    Hook(
        "mapper.action_status_sources.ACTION_STATUS_SOURCES",
        action_status_sources.ACTION_STATUS_SOURCES,
        (samples_and_statuses.last_delivery_statuses,),
        "the actions list shows each action's last delivery",
    ),
)

RECEIVERS: tuple[Receiver, ...] = (
    Receiver(
        post_save,
        executor_signals.pace_pending_deliveries_under_the_current_key,
        Destination,
        "a destination's new key moves the deliveries still to send (the executor's) under it",
    ),
    # Django's auth signals call up into accounts. The order is the one they always ran in: the audit
    # entry of a sign-in first. django-axes connects its own receivers earlier (it is installed before
    # accounts), which the failed sign-in's receiver relies on.
    Receiver(user_logged_in, audit.logged_in, why="a sign-in is audited and forgives the user's own failures"),
    Receiver(user_logged_out, audit.logged_out, why="a sign-out is audited"),
    Receiver(user_login_failed, audit.login_failed, why="a failed sign-in is audited"),
    Receiver(user_logged_in, middleware.remember_login_time, why="the absolute session limit counts from sign-in"),
    Receiver(post_save, passwords.password_saved, get_user_model(), "a new password revokes the user's API tokens"),
)

CHECKS: tuple[Check, ...] = (
    Check(config_checks.shared_encryption_keys),
    Check(config_checks.https_to_attentive, (django_checks.Tags.security,), deploy=True),
    Check(destination_checks.check_api_urls, (django_checks.Tags.security,)),
    Check(destination_checks.check_encryption_keys, (django_checks.Tags.security,)),
    Check(destination_checks.check_declared_settings),
)


def connect() -> None:
    """Fill every hook, connect every receiver and register every check (idempotent: a second call
    changes nothing). Called once the apps are ready (executor.apps)."""
    for hook in HOOKS:
        hook.callbacks[:] = hook.fillers
    for receiver in RECEIVERS:
        receiver.signal.connect(
            receiver.receiver, sender=receiver.sender, weak=False, dispatch_uid=receiver.dispatch_uid
        )
    for check in CHECKS:
        django_checks.register(check.check, *check.tags, deploy=check.deploy)
