"""Run a coroutine to its end from a test, whatever runs in the test's thread."""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any


def run_in_its_own_thread[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(coroutine) on a thread of its own. The browser tests' driver (Playwright's sync API)
    keeps an event loop running in the main thread for the whole session, and asyncio.run refuses to
    start where one runs: the tests that follow them would fail on that, not on what they test."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the test's thread as it is
            outcome["error"] = error

    thread = threading.Thread(target=run, name="test-asyncio-run")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
