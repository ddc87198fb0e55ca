"""Credentials we issue (write keys, API tokens): random, shown once, stored as a SHA-256 hash."""

import hashlib
import secrets

from django.utils import timezone


def hash_credential(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_credential(prefix: str) -> tuple[str, str, str]:
    """Return (raw value, its hash, the first characters to tell it apart)."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, hash_credential(raw), raw[:12]


class Revocable:
    """For models with a `revoked_at` field."""

    revoked_at: object

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])  # type: ignore[attr-defined]
