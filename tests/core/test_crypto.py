"""core/crypto.py: Fernet tokens under the first key, with IVs from a buffer of os.urandom's bytes."""

import base64
import hashlib
import hmac
import os
import threading
import time

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import crypto

FIRST, SECOND = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def keys(settings):
    settings.RELAY_ENCRYPTION_KEYS = [FIRST, SECOND]


def _iv(token: str) -> bytes:
    return base64.urlsafe_b64decode(token)[9:25]  # after the version byte and the 8-byte time


def test_a_token_is_a_fernet_token_of_the_text_under_the_first_key():
    token = crypto.encrypt("Order Shipped")
    assert Fernet(FIRST.encode()).decrypt(token.encode()) == b"Order Shipped"
    assert crypto.decrypt(token) == "Order Shipped"


def test_a_token_carries_the_time_it_was_made():
    assert abs(Fernet(FIRST.encode()).extract_timestamp(crypto.encrypt("x").encode()) - time.time()) <= 2


def test_every_token_has_an_iv_of_its_own():
    ivs = {_iv(crypto.encrypt("the same text")) for _ in range(1000)}
    assert len(ivs) == 1000


def test_tokens_take_their_ivs_from_one_urandom_call_per_256(monkeypatch):
    calls = []
    real = os.urandom
    monkeypatch.setattr(os, "urandom", lambda count: calls.append(count) or real(count))
    for _ in range(256):
        crypto.encrypt("x")
    assert len(calls) <= 1


def test_threads_taking_random_bytes_at_once_never_get_the_same_bytes():
    taken: list[bytes] = []

    def take() -> None:
        taken.extend(crypto.random_bytes(16) for _ in range(2000))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(taken)) == len(taken) == 8000


def test_a_forked_child_does_not_take_the_bytes_its_parent_takes_next():
    crypto.random_bytes(16)  # the parent's buffer is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, crypto.random_bytes(16))
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 16)
    os.close(read)
    assert child != crypto.random_bytes(16)


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.binary(max_size=200), st.binary(min_size=16, max_size=16), st.integers(0, 2**40))
def test_the_token_writer_writes_the_bytes_fernets_own_writer_writes(data: bytes, iv: bytes, when: int):
    # One writer for every example: its encryptor stays open and chains from token to token.
    expected = Fernet(FIRST.encode())._encrypt_from_parts(data, when, iv).decode()
    assert _WRITER.write(data, when.to_bytes(8), iv) == expected


_WRITER = crypto._TokenWriter(FIRST)


def test_tokens_of_every_length_written_by_threads_at_once_are_fernets():
    fernet = Fernet(FIRST.encode())
    wrong: list[int] = []

    def write() -> None:
        for length in range(200):
            data, iv = os.urandom(length), os.urandom(16)
            if _WRITER.write(data, (1234).to_bytes(8), iv) != fernet._encrypt_from_parts(data, 1234, iv).decode():
                wrong.append(length)

    _in_four_threads_at_once(write)
    assert wrong == []


def test_encrypt_many_writes_a_token_of_each_text_each_with_an_iv_of_its_own():
    texts = ["", "Order Shipped", "é" * 40, "msg-1", "Order Shipped"]
    tokens = crypto.encrypt_many(texts)
    assert [Fernet(FIRST.encode()).decrypt(token.encode()).decode() for token in tokens] == texts
    assert len({_iv(token) for token in tokens}) == len(texts)


def test_tokens_written_by_fernet_itself_still_decrypt():
    # What was stored before Relay wrote its tokens itself, under either key.
    assert crypto.decrypt(Fernet(FIRST.encode()).encrypt(b"msg-1").decode()) == "msg-1"
    assert crypto.decrypt(Fernet(SECOND.encode()).encrypt(b"msg-2").decode()) == "msg-2"


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.binary(max_size=200), st.binary(max_size=150))
def test_the_hmac_with_its_pads_hashed_once_is_hmac_sha256(key: bytes, message: bytes):
    assert crypto._Hmac(key).digest(message) == hmac.digest(key, message, "sha256")


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.text(max_size=100))
def test_a_lookup_hash_is_the_hmac_it_always_was(value: str):
    # Rows stored before are found by it: it may never change for the same SECRET_KEY.
    from django.conf import settings

    key = hashlib.sha256(b"relay.lookup-hash:" + settings.SECRET_KEY.encode()).digest()
    assert crypto.lookup_hash(value) == hmac.digest(key, value.encode(), "sha256").hex()


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.lists(st.binary(max_size=100), max_size=6), st.integers(0, 2**40))
def test_the_tokens_of_many_texts_are_fernets_each_with_its_own_iv(datas: list[bytes], when: int):
    ivs = os.urandom(16 * len(datas))
    fernet = Fernet(FIRST.encode())
    expected = [
        fernet._encrypt_from_parts(data, when, ivs[16 * n : 16 * n + 16]).decode() for n, data in enumerate(datas)
    ]
    assert _WRITER.write_many(datas, when.to_bytes(8), ivs) == expected


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.text(max_size=50))
def test_the_lookup_hasher_hashes_as_lookup_hash(value: str):
    assert crypto.lookup_hasher()(value) == crypto.lookup_hash(value)


_READER = crypto._TokenReader([FIRST, SECOND])
_MULTI = MultiFernet([Fernet(FIRST.encode()), Fernet(SECOND.encode())])
_KEYS = {"first": FIRST, "second": SECOND, "unknown": Fernet.generate_key().decode()}


def _read_by(read, token: bytes) -> tuple[str, bytes]:
    """What a reader makes of a token: its plaintext, or that it refused it."""
    try:
        return "read", read(token)
    except InvalidToken:
        return "refused", b""


def _signed(key: str, body: bytes) -> bytes:
    """A token of whatever `body` holds after its version and time, with the right HMAC under `key`."""
    raw = base64.urlsafe_b64decode(key.encode())
    return base64.urlsafe_b64encode(body + hmac.digest(raw[:16], body, "sha256"))


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.binary(max_size=200), st.sampled_from(["first", "second"]), st.integers(0, 2**40))
def test_the_token_reader_reads_what_multifernet_reads_under_either_key(data: bytes, key: str, when: int):
    token = Fernet(_KEYS[key].encode()).encrypt_at_time(data, when)
    assert _READER.read(token) == _MULTI.decrypt(token) == data


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.binary(max_size=100), st.sampled_from(list(_KEYS)), st.data())
def test_the_token_reader_refuses_every_tampered_token_multifernet_refuses(data: bytes, key: str, draw):
    token = bytearray(Fernet(_KEYS[key].encode()).encrypt(data))
    change = draw.draw(st.sampled_from(["byte", "cut", "add", "bytes of the token"]))
    if change == "byte":
        at = draw.draw(st.integers(0, len(token) - 1))
        token[at] = draw.draw(st.integers(0, 255).filter(lambda value: value != token[at]))
    elif change == "cut":
        del token[draw.draw(st.integers(0, len(token) - 1)) :]
    elif change == "add":
        token += draw.draw(st.binary(min_size=1, max_size=40))
    else:
        raw = bytearray(base64.urlsafe_b64decode(bytes(token)))
        at = draw.draw(st.integers(0, len(raw) - 1))
        raw[at] ^= 1 << draw.draw(st.integers(0, 7))
        token = bytearray(base64.urlsafe_b64encode(raw))
    assert _read_by(_READER.read, bytes(token)) == _read_by(_MULTI.decrypt, bytes(token))


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.sampled_from(list(_KEYS)), st.binary(max_size=80), st.binary(max_size=4))
def test_the_token_reader_reads_a_token_signed_whatever_its_body_as_multifernet(key: str, body: bytes, version: bytes):
    # Well signed, yet any length, any padding, any version byte: only a key's holder could write these.
    token = _signed(_KEYS[key], version + body)
    assert _read_by(_READER.read, token) == _read_by(_MULTI.decrypt, token)


@hypothesis_settings(deadline=None)  # the shared machine is slow at times
@given(st.sampled_from(list(_KEYS)), st.binary(max_size=3), st.integers(0, 40), st.integers(1, 16))
def test_the_token_reader_refuses_signed_tokens_padded_wrong_as_multifernet(
    key: str, text: bytes, blocks: int, count: int
):
    padded = text + bytes(16 * blocks + 16 - len(text) - 1) + bytes((count,))  # zeros, then the count
    iv = os.urandom(16)
    ciphertext = Cipher(algorithms.AES(base64.urlsafe_b64decode(_KEYS[key])[16:]), modes.CBC(iv)).encryptor()
    token = _signed(_KEYS[key], b"\x80" + bytes(8) + iv + ciphertext.update(padded) + ciphertext.finalize())
    assert _read_by(_READER.read, token) == _read_by(_MULTI.decrypt, token)


def test_a_token_under_no_configured_key_cannot_be_decrypted():
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(Fernet(_KEYS["unknown"].encode()).encrypt(b"msg-1").decode())


def test_tokens_read_by_threads_at_once_are_read_as_multifernet_reads_them():
    tokens = [Fernet(key.encode()).encrypt(os.urandom(length)) for length in range(120) for key in (FIRST, SECOND)]
    wrong: list[bytes] = []

    def read() -> None:
        for token in tokens:
            if _READER.read(token) != _MULTI.decrypt(token):
                wrong.append(token)

    _in_four_threads_at_once(read)
    assert wrong == []


def _in_four_threads_at_once(work) -> None:
    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
