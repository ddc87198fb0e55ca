"""What a person does to sources (write keys), one plain function each (see core.commands)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.audit import record
from accounts.roles import ADMIN, require
from core.commands import Refused
from executor.models import WriteKey
from executor.sources import OriginError, normalize_origins


def create_source(
    actor: AbstractBaseUser, label: str, kind: str = WriteKey.Kind.SERVER, origins: list[str] | None = None
) -> tuple[WriteKey, str]:
    """Create a source and return it with its key's value (a server key's is shown this once only).

    A browser source needs at least one allowed origin: with none, no page could use it."""
    require(actor, ADMIN)
    errors: dict[str, str] = {}
    label = label.strip()
    if not label:
        errors["label"] = "Give the source a label (what sends with it)."
    elif len(label) > 200:
        errors["label"] = "A label is at most 200 characters."
    if kind not in WriteKey.Kind.values:
        errors["kind"] = "Choose server or browser."
    allowed: list[str] = []
    if kind == WriteKey.Kind.BROWSER:
        try:
            allowed = normalize_origins(origins or [])
        except OriginError as error:
            errors["allowed_origins"] = str(error)
        else:
            if not allowed:
                errors["allowed_origins"] = "List the origins of the website, such as https://shop.example.com."
    if errors:
        raise Refused(errors)
    with transaction.atomic():
        key, raw = WriteKey.issue(label, created_by=actor, kind=kind, allowed_origins=allowed)
        record(actor, "source_created" if key.is_browser else "write_key_created", key, kind=kind, origins=allowed)
    return key, raw


def change_source_origins(actor: AbstractBaseUser, key: WriteKey, origins: list[str]) -> WriteKey:
    """Replace a browser source's allowed origins (effective at the next request, in every process)."""
    require(actor, ADMIN)
    if not key.is_browser:
        raise Refused({"allowed_origins": "A server source is never used from a page: it has no origins."})
    if not key.is_active:
        raise Refused("This source is revoked.")
    try:
        allowed = normalize_origins(origins)
    except OriginError as error:
        raise Refused({"allowed_origins": str(error)}) from None
    if not allowed:
        raise Refused({"allowed_origins": "List at least one origin (revoke the source to stop it)."})
    with transaction.atomic():
        before = list(key.allowed_origins)
        key.allowed_origins = allowed
        key.save(update_fields=["allowed_origins"])
        record(actor, "source_origins_changed", key, before=before, after=allowed)
    return key


def revoke_source(actor: AbstractBaseUser, key: WriteKey) -> WriteKey:
    """Revoke a source's key: what it sends is refused from the next request on, in every process."""
    require(actor, ADMIN)
    if not key.is_active:
        raise Refused("This source is already revoked.")
    with transaction.atomic():
        key.revoke()
        record(actor, "write_key_revoked", key)
    return key
