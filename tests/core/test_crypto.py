"""core/crypto.py: Fernet tokens under the first key, with IVs from a buffer of os.urandom's bytes."""

import base64
import hashlib
import hmac
import os
import threading
import time

import pytest
from cryptography.fernet import Fernet
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

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
