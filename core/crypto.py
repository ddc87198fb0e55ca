"""Encryption at rest for secrets and stored payloads (Fernet, keys from the settings).

RELAY_ENCRYPTION_KEYS lists Fernet keys newest first: the first encrypts, every one of them
decrypts, so a key can be rotated without losing what was stored under the old one.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """Stored ciphertext could not be read with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("RELAY_ENCRYPTION_KEYS is empty: no key to encrypt with.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "RELAY_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes)."
        ) from None


def _current() -> MultiFernet:
    return _fernet(tuple(settings.RELAY_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("Stored secret cannot be decrypted with the configured keys.") from None


def reencrypt(token: str) -> str:
    """Return `token` encrypted again under the newest key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("Stored secret cannot be decrypted with the configured keys.") from None


def lookup_hash(value: str) -> str:
    """A keyed hash of `value` (HMAC-SHA256 under a key derived from SECRET_KEY), stored beside an
    encrypted value so that it can be found by equality without being stored in clear. Changing
    SECRET_KEY makes older rows unfindable this way (their values stay readable)."""
    return hmac.digest(_lookup_key(settings.SECRET_KEY), value.encode(), "sha256").hex()


@cache
def _lookup_key(secret_key: str) -> bytes:
    # Derived once per SECRET_KEY: ingest hashes two values per event.
    return hashlib.sha256(b"relay.lookup-hash:" + secret_key.encode()).digest()


def fingerprint(secret: str) -> str:
    """A short keyed fingerprint of a secret (an API key): 16 hex characters of HMAC-SHA256 under a key
    derived from SECRET_KEY. It tells keys apart (pacing, senders, /metrics labels) without being a
    digest anyone holding the key, or guessing at it, could compute and match."""
    key = hashlib.sha256(b"relay.fingerprint:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:16]
