"""A worker's one sending thread: an asyncio event loop on which every request of every key waits for
its slot (a timer) and its answer (a socket), and the mailbox through which the worker's sender
thread (executor.sending._Senders, which claims and records for every key) gets the answers back.

Before it, each request waiting for its slot or its answer held a thread: some 170 in a worker
sending for ten keys, and waking them cost the worker more system CPU than the requests themselves.
"""

import asyncio
import collections
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# A client without a send_async of its own (a test's, a destination type's that has none) sends on
# threads of the loop's executor: at most this many at once.
BLOCKING_SENDS = 64


class SendLoop:
    """An event loop running on a thread of its own, for as long as the process (or until stop())."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_default_executor(ThreadPoolExecutor(BLOCKING_SENDS, thread_name_prefix="send-blocking"))
        # The requests of one key's endpoint that may be on their way at once (RELAY_SEND_CONCURRENCY),
        # made on the loop (asyncio's semaphores belong to one).
        self.slots: dict[tuple[str, str], asyncio.Semaphore] = {}
        self._thread = threading.Thread(target=self._run, daemon=True, name="send-loop")
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call_soon(self, function: Callable[..., Any], *args: Any) -> None:
        """Run `function(*args)` on the loop: one wake-up of the loop for a whole batch of requests."""
        self.loop.call_soon_threadsafe(function, *args)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop and close it. Its requests still waiting are cancelled, and their
        cancellation runs to its end, so whoever waits for them hears of each.

        All of it runs on the loop's own thread: the calling thread may have an event loop of its own
        running (a test's browser driver does), and asyncio runs one loop per thread."""
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                asyncio.run_coroutine_threadsafe(self._shut_down(), self.loop)
            self._thread.join(timeout)
        if not self._thread.is_alive() and not self.loop.is_closed():
            self.loop.close()

    async def _shut_down(self) -> None:
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.loop.shutdown_default_executor()
        self.loop.stop()


class Mailbox:
    """Answers from the loop to the thread that sends for their keys, and routing's notices of new work.

    The loop appends each answer; the sender takes all that came in at once. Only the first answer
    after each take wakes the sender: a batch of answers costs it one wake-up, not one each.
    """

    def __init__(self) -> None:
        self._answers: collections.deque[Any] = collections.deque()
        self._wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._signalled = False

    def deliver(self, answer: Any) -> None:
        """Called on the loop with each answer."""
        self._answers.append(answer)
        # Whenever _signalled is set, a wake-up is waiting in _wake (take() clears the flag only
        # after emptying _wake): an answer appended meanwhile is taken at the next wake-up.
        if not self._signalled:
            self._signalled = True
            self._wake.put(None)

    def nudge(self) -> None:
        """Wake the sender now (new work), answers or not."""
        self._wake.put(None)

    def take(self, timeout: float) -> list[Any]:
        """Every answer in, waiting up to `timeout` for a first one (or a nudge) when none is."""
        if not self._answers and timeout > 0:
            with contextlib.suppress(queue.Empty):
                self._wake.get(timeout=timeout)
        with contextlib.suppress(queue.Empty):
            while True:
                self._wake.get_nowait()
        self._signalled = False
        answers = []
        with contextlib.suppress(IndexError):
            while True:
                answers.append(self._answers.popleft())
        return answers

    def nudged(self) -> bool:
        """Whether a wake-up is waiting (for a test)."""
        return not self._wake.empty()
