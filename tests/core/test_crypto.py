"""core/crypto.py: Fernet tokens under the first key, with IVs from a buffer of os.urandom's bytes."""

import base64
import os
import threading
import time

import pytest
from cryptography.fernet import Fernet

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
