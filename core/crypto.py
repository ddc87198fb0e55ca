"""Encryption at rest for secrets and stored payloads (Fernet, keys from the settings).

RELAY_ENCRYPTION_KEYS lists Fernet keys newest first: the first encrypts, every one of them
decrypts, so a key can be rotated without losing what was stored under the old one.
"""

import hashlib
import hmac
import os
import threading
import time
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


@cache
def _encrypter(keys: tuple[str, ...]) -> Fernet:
    _fernet(keys)  # the same checks, the same errors
    return Fernet(keys[0].encode())


def _current() -> MultiFernet:
    return _fernet(tuple(settings.RELAY_ENCRYPTION_KEYS))


class _RandomBytes:
    """Bytes of the operating system's CSPRNG (os.urandom), fetched 4 KB at a time, each handed out once.

    os.urandom lets go of the GIL at every call. Ingest takes 16 random bytes four times per event
    (a generated messageId, the IVs of three Fernet tokens); in the web process, where request
    threads wait for the GIL, each let-go could hand it to one of them and leave the committer
    waiting to get it back. One fetch per 256 takes of 16 bytes: under `bench/pipeline.py --only
    ingest` loads, the web process switched threads ~35% less per 100-event request. A forked child
    starts with a buffer of its own.
    """

    CHUNK = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._buffer, self._offset = b"", 0

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._offset + count > len(self._buffer):
                self._buffer, self._offset = os.urandom(max(self.CHUNK, count)), 0
            start = self._offset
            self._offset += count
            return self._buffer[start : self._offset]


random_bytes = _RandomBytes().take


def encrypt(plaintext: str) -> str:
    """A Fernet token of `plaintext` under the first key, as Fernet.encrypt makes it, with its IV from
    `random_bytes` (Fernet.encrypt would call os.urandom for it; see _RandomBytes)."""
    fernet = _encrypter(tuple(settings.RELAY_ENCRYPTION_KEYS))
    # _encrypt_from_parts is Fernet.encrypt's own token writer (version, time, IV, AES-CBC, HMAC),
    # private to cryptography (pinned): tests/core/test_crypto.py reads its tokens with Fernet.
    return fernet._encrypt_from_parts(plaintext.encode(), int(time.time()), random_bytes(16)).decode()


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
