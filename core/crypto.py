"""Encryption at rest for secrets and stored payloads (Fernet, keys from the settings).

RELAY_ENCRYPTION_KEYS lists Fernet keys newest first: the first encrypts, every one of them
decrypts, so a key can be rotated without losing what was stored under the old one.
"""

import base64
import binascii
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
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


class _Hmac:
    """HMAC-SHA256 under one key, with the key's inner and outer pads hashed once (RFC 2104, as the
    hmac module's own pure-Python fallback does): each digest copies the two started hashes.

    hmac.digest looked the digest up by name and set the key up again at every call: ~4 µs for a
    token's HMAC on the shared machine, ~0.9 µs this way. tests/core/test_crypto.py holds it to
    hmac.digest.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # SHA-256's block: a longer key is hashed first (RFC 2104)
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))
# PKCS7 to AES's 16-byte blocks, as Fernet pads: 1 to 16 bytes, each holding how many.
_PADDING = tuple(bytes((count,)) * count for count in range(17))
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URL_SAFE = bytes.maketrans(b"-_", b"+/")


class _TokenWriter:
    """Writes Fernet tokens under one key: the very bytes Fernet's own writer (Fernet.encrypt)
    makes for the same plaintext, time and IV, at a fifth to a third of its CPU (a batch's tokens, at
    load 9: 2.1 µs against 10.6 for a 13-byte text, 4.1 against 13.0 for 330 bytes).

    Fernet builds a Cipher, an encryptor, a padder and an HMAC object for every token (~10-13 µs
    of Python for a short text). Here each thread keeps one AES-CBC encryptor open for good and
    feeds it token after token. CBC chains: the encryptor encrypts a token's first block XORed
    with the last ciphertext block it wrote (the chain). Given that first block XORed with the
    token's own IV and with the chain, it writes E(block ⊕ IV), exactly CBC under that IV: every
    token has its fresh random IV, as Fernet's do, and no IV or keystream is shared between
    tokens. The HMAC is _Hmac's. tests/core/test_crypto.py holds the tokens equal, byte for byte,
    to Fernet's for texts of every length up to a few blocks, from several threads.
    """

    def __init__(self, key: str) -> None:
        raw = base64.urlsafe_b64decode(key.encode())
        self._hmac = _Hmac(raw[:16])
        self._aes = algorithms.AES(raw[16:])
        self._local = threading.local()

    def write(self, data: bytes, timestamp: bytes, iv: bytes) -> str:
        """The token of `data` made at `timestamp` (8 bytes, big-endian seconds) with `iv`."""
        return self.write_many([data], timestamp, iv)[0]

    def write_many(self, datas: Sequence[bytes], timestamp: bytes, ivs: bytes) -> list[str]:
        """The tokens of `datas` made at `timestamp` (8 bytes, big-endian seconds), the nth with the nth
        16 bytes of `ivs`. One loop, its objects and functions held in local names: a token is a few
        dozen bytecodes, and a call or an attribute read was a good share of them."""
        local = self._local
        encryptor = getattr(local, "encryptor", None)
        if encryptor is None:
            encryptor, chain = Cipher(self._aes, modes.CBC(bytes(16))).encryptor(), 0
        else:
            chain = local.chain
        # Taken while in use: should the encryptor fail, its chain is unknown; the next call opens another.
        local.encryptor = None
        update, from_bytes, padding = encryptor.update, int.from_bytes, _PADDING
        inner_started, outer_started = self._hmac._inner, self._hmac._outer
        b2a_base64, url_safe = binascii.b2a_base64, _URL_SAFE
        header = b"\x80" + timestamp
        tokens = []
        for start, data in zip(range(0, 16 * len(datas), 16), datas, strict=True):
            iv = ivs[start : start + 16]
            padded = data + padding[16 - len(data) % 16]
            ciphertext = update((from_bytes(padded[:16]) ^ from_bytes(iv) ^ chain).to_bytes(16) + padded[16:])
            if len(ciphertext) != len(padded):  # CBC without padding writes every whole block at once
                raise RuntimeError("The AES-CBC encryptor held back a block.")
            chain = from_bytes(ciphertext[-16:])
            parts = header + iv + ciphertext
            inner = inner_started.copy()  # _Hmac.digest, inline
            inner.update(parts)
            outer = outer_started.copy()
            outer.update(inner.digest())
            tokens.append(b2a_base64(parts + outer.digest(), newline=False).translate(url_safe).decode())
        local.encryptor, local.chain = encryptor, chain
        return tokens


@cache
def _writer(keys: tuple[str, ...]) -> _TokenWriter:
    _fernet(keys)  # the same checks, the same errors
    return _TokenWriter(keys[0])


def encrypt(plaintext: str) -> str:
    """A Fernet token of `plaintext` under the first key, as Fernet.encrypt makes it, with its IV from
    `random_bytes` (Fernet.encrypt would call os.urandom for it; see _RandomBytes)."""
    writer = _writer(tuple(settings.RELAY_ENCRYPTION_KEYS))
    return writer.write(plaintext.encode(), int(time.time()).to_bytes(8), random_bytes(16))


def encrypt_many(plaintexts: Sequence[str]) -> list[str]:
    """Fernet tokens of `plaintexts`, as encrypt makes them (each with an IV of its own), with the key,
    the time and the random bytes of all of them taken once."""
    writer = _writer(tuple(settings.RELAY_ENCRYPTION_KEYS))
    texts = [text.encode() for text in plaintexts]
    return writer.write_many(texts, int(time.time()).to_bytes(8), random_bytes(16 * len(texts)))


class _TokenReader:
    """Reads Fernet tokens under keys tried in order: what MultiFernet.decrypt (no ttl) returns for
    the same token, and refuses what it refuses (InvalidToken), at a fraction of its CPU.

    Fernet builds an HMAC object, a Cipher, a decryptor and an unpadder for every token and every key
    it tries. Here each key's HMAC has its pads hashed once (_Hmac) and each thread keeps one AES block
    decryptor per key for good. CBC decryption is each block's AES decryption XORed with the block
    before it (the IV before the first): the block decryptor (ECB: no chaining, so nothing carries
    from one token to the next) decrypts the whole ciphertext in one call, and one XOR of big
    numbers with the IV and the ciphertext shifted by a block makes it CBC. As Fernet: the token's
    HMAC is checked before anything is decrypted, in constant time; a key whose HMAC does not match,
    or whose plaintext's PKCS7 padding is not whole, is not the token's, and the next is tried.
    tests/core/test_crypto.py holds it to MultiFernet for tokens of every length, tampered tokens,
    tokens signed but badly padded, and wrong keys.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = []
        for key in keys:
            raw = base64.urlsafe_b64decode(key.encode())
            self._keys.append((_Hmac(raw[:16]), algorithms.AES(raw[16:])))
        self._local = threading.local()

    def _decryptors(self) -> list:
        decryptors = getattr(self._local, "decryptors", None)
        if decryptors is None:
            # ECB is the bare block cipher here, CBC's chaining is done in read(): see the class.
            decryptors = self._local.decryptors = [
                Cipher(aes, modes.ECB()).decryptor()  # noqa: S305
                for _, aes in self._keys
            ]
        return decryptors

    def read(self, token: bytes) -> bytes:
        """The plaintext of `token`; InvalidToken when no key reads it."""
        try:
            # base64.urlsafe_b64decode of bytes, as Fernet decodes a token (bytes not of the alphabet
            # are left out), without its two calls' checks of the argument's type.
            data = binascii.a2b_base64(token.translate(_FROM_URL_SAFE), strict_mode=False)
        except binascii.Error:
            raise InvalidToken from None
        if len(data) < 9 or data[0] != 0x80:
            raise InvalidToken
        signed, signature = data[:-32], data[-32:]
        ciphertext = data[25:-32]
        for (mac, _), decryptor in zip(self._keys, self._decryptors(), strict=True):
            inner = mac._inner.copy()  # _Hmac.digest, inline
            inner.update(signed)
            outer = mac._outer.copy()
            outer.update(inner.digest())
            if not hmac.compare_digest(outer.digest(), signature):
                continue
            size = len(ciphertext)
            if not size or size % 16:  # CBC decrypts whole blocks only
                continue
            blocks = decryptor.update(ciphertext)
            if len(blocks) != size:  # the block cipher writes every whole block at once
                raise RuntimeError("The AES block decryptor held back a block.")
            padded = (int.from_bytes(blocks) ^ int.from_bytes(data[9:-48])).to_bytes(size)
            count = padded[-1]
            if not 1 <= count <= 16 or padded[-count:] != _PADDING[count]:
                continue
            return padded[:-count]
        raise InvalidToken


@cache
def _reader(keys: tuple[str, ...]) -> _TokenReader:
    _fernet(keys)  # the same checks, the same errors
    return _TokenReader(keys)


def decrypt(token: str) -> str:
    """The text of a Fernet token made under any of the keys (as MultiFernet.decrypt reads it)."""
    try:
        return _reader(tuple(settings.RELAY_ENCRYPTION_KEYS)).read(token.encode()).decode()
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
    return _lookup_hmac(settings.SECRET_KEY).digest(value.encode()).hex()


def lookup_hasher() -> Callable[[str], str]:
    """lookup_hash, with SECRET_KEY read once (a caller hashing many values keeps it for all of them)."""
    digest = _lookup_hmac(settings.SECRET_KEY).digest
    return lambda value: digest(value.encode()).hex()


@cache
def _lookup_hmac(secret_key: str) -> _Hmac:
    # Derived once per SECRET_KEY: ingest hashes two values per event.
    return _Hmac(hashlib.sha256(b"relay.lookup-hash:" + secret_key.encode()).digest())


def fingerprint(secret: str) -> str:
    """A short keyed fingerprint of a secret (an API key): 16 hex characters of HMAC-SHA256 under a key
    derived from SECRET_KEY. It tells keys apart (pacing, senders, /metrics labels) without being a
    digest anyone holding the key, or guessing at it, could compute and match."""
    key = hashlib.sha256(b"relay.fingerprint:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:16]
