"""The ports the tests and benchmarks listen on: any the system gives, or, with RELAY_TEST_PORTS set
(`8100-8199`), only those (a shared machine whose users each keep to their own ports)."""

import os
import random
import socket


def free_port() -> int:
    """A port nobody listens on now."""
    for port in _candidates():
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("every port of RELAY_TEST_PORTS is taken")


def port_to_bind() -> int:
    """What a server of the tests binds: 0 (the system chooses) unless RELAY_TEST_PORTS is set."""
    return free_port() if os.environ.get("RELAY_TEST_PORTS") else 0


def _candidates() -> list[int]:
    chosen = os.environ.get("RELAY_TEST_PORTS", "")
    if not chosen:
        return [0]
    first, last = (int(part) for part in chosen.split("-"))
    return random.sample(range(first, last + 1), last - first + 1)
