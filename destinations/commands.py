"""What an admin does to destinations, one function each (see core/commands.py): create one, change its
settings or replace its key, verify its key, change its privacy rules, mark a source path not health
information.

The settings page, the privacy page and the API call these, so replacing a key leaves one audit
entry whichever path did it, and the key is checked against the destination before it is stored.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from accounts.roles import ADMIN, require
from core.commands import Refused
from destinations.models import Destination
from destinations.registry import DESTINATION_TYPES, default_destination_type
from destinations.verification import Verification, verify_destination, verify_key

# An event path: names joined by dots, no empty name, no control character.
_SOURCE_PATH = re.compile(r"[^\x00-\x1f.]+(\.[^\x00-\x1f.]+)*")


def _checked_key(destination: Destination, api_key: str) -> Verification:
    """The new key, checked against the destination (GET /v1/me for Attentive) before it is stored."""
    declared = destination.definition.api_key
    if not declared.is_plausible(api_key):
        raise Refused({"api_key": f"Expected {declared.shape}."}, codes={"api_key": "invalid_key"})
    verification = verify_key(destination.definition, api_key)
    if not verification.ok:
        raise Refused({"api_key": verification.message}, codes={"api_key": verification.code or "key_rejected"})
    return verification


def _apply_key(destination: Destination, api_key: str, verification: Verification) -> None:
    destination.set_api_key(api_key)
    destination.company_name, destination.verified_at = verification.company_name, timezone.now()


def _settings(destination: Destination, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings asked for, when the destination has each: its name, every destination's settings and those
    its type declares (a setting another type has is refused naming the type, not silently dropped)."""
    changeable = ("name", *destination.settings_fields)
    unknown = sorted(set(settings) - set(changeable))
    if unknown:
        title = destination.definition.title
        raise Refused(
            {
                name: f"{title} destinations have no such setting."
                if name in Destination.OPTIONAL_SETTINGS
                else "Not a setting of a destination."
                for name in unknown
            },
            codes={name: "not_a_setting" for name in unknown if name in Destination.OPTIONAL_SETTINGS},
        )
    return dict(settings)


def create_destination(
    actor: Any,
    *,
    name: str,
    api_key: str | None,
    settings: Mapping[str, Any] | None = None,
    destination_type: str = "",
) -> Destination:
    """Add a destination of `destination_type` (a registered type's key; empty: the default type) once
    its key is accepted (its company name is kept to show). `api_key` None adds one without a key, in
    test mode only (`manage.py bootstrap`'s demo: test mode sends nothing)."""
    require(actor, ADMIN)
    kind = destination_type or default_destination_type()
    if kind not in DESTINATION_TYPES:
        raise Refused({"type": type_refusal()}, codes={"type": "invalid_choice"})
    _refuse_a_taken_name(name, None)
    destination = Destination(name=name, type=kind)
    for setting, value in _settings(destination, settings or {}).items():
        setattr(destination, setting, value)
    if not api_key and not (api_key is None and destination.test_mode):
        raise Refused({"api_key": "An API key is required."}, codes={"api_key": "required"})
    verification = _checked_key(destination, api_key) if api_key else None
    with transaction.atomic():
        if verification is not None:
            _apply_key(destination, api_key, verification)
        destination.save()
        record(actor, "destination_created", destination)
    return destination


def _refuse_a_taken_name(name: str, destination: Destination | None) -> None:
    """One destination per name, whatever its case ("Live Acme" and "LIVE ACME" read as one on a page)."""
    taken = Destination.objects.filter(name__iexact=name)
    if destination is not None:
        taken = taken.exclude(pk=destination.pk)
    if taken.exists():
        message = Destination._meta.get_field("name").error_messages["unique"]
        raise Refused({"name": message}, codes={"name": "unique"})


def type_refusal() -> str:
    """Why a name that is no registered type's is refused, naming those that are."""
    known = ", ".join(DESTINATION_TYPES)
    return f"Not a destination type Relay knows: expected one of {known}."


def change_destination(
    actor: Any, *, destination: Destination, api_key: str = "", settings: Mapping[str, Any] | None = None
) -> Destination:
    """Change a destination's settings and, given `api_key`, replace its key (checked first). One audit
    entry: the key replaced, or the settings changed, naming the settings that changed (never values);
    none when nothing changed."""
    require(actor, ADMIN)
    wanted = _settings(destination, settings or {})
    if "name" in wanted:
        _refuse_a_taken_name(wanted["name"], destination)
    verification = _checked_key(destination, api_key) if api_key else None
    with transaction.atomic():
        stored = Destination.objects.select_for_update().get(pk=destination.pk)
        changed = sorted(name for name, value in wanted.items() if getattr(stored, name) != value)
        if not changed and verification is None:
            return destination  # saved as it was: nothing changed, so nothing is recorded
        for name, value in wanted.items():
            setattr(destination, name, value)
        if verification is not None:
            _apply_key(destination, api_key, verification)
        destination.save()
        if verification is not None:
            record(actor, "destination_key_replaced", destination, **({"fields": changed} if changed else {}))
        else:
            record(actor, "destination_changed", destination, fields=changed)
    return destination


def replace_key(actor: Any, *, destination: Destination, api_key: str) -> Destination:
    """Replace a destination's key (checked first); its settings stay."""
    if not api_key:
        raise Refused({"api_key": "An API key is required."}, codes={"api_key": "required"})
    return change_destination(actor, destination=destination, api_key=api_key)


def verify_destination_key(actor: Any, *, destination: Destination) -> Verification:
    """Check the stored key against the destination now; audited whatever the answer."""
    require(actor, ADMIN)
    verification = verify_destination(destination)
    record(actor, "destination_verified", destination, ok=verification.ok)
    return verification


def change_privacy_rules(actor: Any, *, destination: Destination, rules: Mapping[str, Any]) -> Destination:
    """Set the destination's privacy rules (any of Destination.PRIVACY_FIELDS, already parsed and checked
    by the caller's form); they apply to every event routed from then on. Audited naming which changed;
    rules saved as they were record nothing."""
    require(actor, ADMIN)
    unknown = sorted(set(rules) - set(Destination.PRIVACY_FIELDS))
    if unknown:
        raise Refused(dict.fromkeys(unknown, "Not a privacy rule of a destination."))
    with transaction.atomic():
        stored = Destination.objects.select_for_update().get(pk=destination.pk)
        changed = sorted(name for name, value in rules.items() if getattr(stored, name) != value)
        if not changed:
            return destination  # saved as they were: nothing changed, so nothing is recorded
        for name, value in rules.items():
            setattr(destination, name, value)
        destination.save()
        record(actor, "privacy_rules_changed", destination, fields=changed)
    return destination


def add_privacy_exception(actor: Any, *, destination: Destination, source: str) -> bool:
    """Mark what is read from the event path `source` not health information (an admin's judgement on a
    blocked field): it joins the destination's exceptions, in force for the next preview and event.
    Returns whether it was added (audited); one already there changes nothing."""
    require(actor, ADMIN)
    if len(source) > 300 or not _SOURCE_PATH.fullmatch(source):
        raise Refused({"source": "Not an event path, such as properties.sku."})
    with transaction.atomic():
        stored = Destination.objects.select_for_update().get(pk=destination.pk)
        if source in stored.privacy_exceptions:
            return False
        destination.privacy_exceptions = [*stored.privacy_exceptions, source]
        destination.save(update_fields=["privacy_exceptions", "updated_at"])
        record(actor, "privacy_exception_added", destination, source=source)
    return True
