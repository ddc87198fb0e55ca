"""What this process remembers between calls: one object, so the state is in one place and a test
starts from a clean slate with `runtime.reset()` instead of poking each module's globals.

Held here: which work-signal rows exist (executor.wakeups), the id this process takes leases under,
the senders' thread and which keys it sends for, clients, pacers, the sending loop (executor.sending),
the router thread (executor.router_thread), the stop flags of both, and the ingest group committer
(executor.group_commit).
Left in their modules on purpose: memos of pure functions and compiled queries (functools caches,
executor.lifecycle's compiled due-ids query, executor.wakeups.Look), which hold the same answer
whatever the database holds, so forgetting them would change nothing but speed.
"""

import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from destinations.definition import Client
from executor.group_commit import GroupCommitter
from executor.pacing import Pacer

if TYPE_CHECKING:
    from executor.router_thread import Router
    from executor.send_loop import SendLoop
    from executor.sending import _Senders


def new_holder_id() -> str:
    """A worker's id in its lease tokens and in serve's log lines: 12 lowercase letters (56 bits). Hex
    ids had runs of digits, which the log scrubber masks as a possible phone number ("Worker
    98ae[number]b stopped beating"), so a log line could not be matched to its worker."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


@dataclass(eq=False, slots=True)
class Runtime:
    # executor.wakeups: the signal rows known to exist (a kick of a set mark is then only a read).
    known_signals: set[str] = field(default_factory=set)
    # executor.wakeups: this process's id in the lease tokens it takes (the supervisor may set it).
    holder: str = field(default_factory=new_holder_id)
    # executor.sending: guards the creation of what follows.
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    pacers: dict[tuple[str, str], Pacer] = field(default_factory=dict)
    clients: dict[tuple[int, str], Client] = field(default_factory=dict)
    # The one thread that sends for every key this worker holds, and what it drives.
    sender_thread: threading.Thread | None = None
    senders: "_Senders | None" = None
    # Which _Senders sends for each key now (the worker's, or a caller's of sending.drain): routing's
    # notices of new work go to it.
    sending_for: "dict[str, _Senders]" = field(default_factory=dict)
    # The one thread (an event loop) on which every request of this process waits (executor.send_loop).
    send_loop: "SendLoop | None" = None
    senders_stopping: threading.Event = field(default_factory=threading.Event)
    # executor.router_thread: the router thread of this process, if any.
    router_lock: threading.Lock = field(default_factory=threading.Lock)
    router: "Router | None" = None
    router_stopping: threading.Event = field(default_factory=threading.Event)
    # executor.group_commit: the one thread that commits ingest's rows on SQLite.
    committer: GroupCommitter = field(default_factory=GroupCommitter)

    def close_clients(self) -> None:
        """Close and forget the clients and pacers (the settings they were made from changed)."""
        with self.send_lock:
            for client in self.clients.values():
                client.close()
            self.clients.clear()
            self.pacers.clear()

    def reset(self) -> None:
        """Forget everything, as a fresh process would start (between tests: the database is new).

        Threads still running from before read the new state from then on; stop them first
        (router_thread.stop, sending.stop_senders) where that matters."""
        self.close_clients()
        if self.send_loop is not None:
            self.send_loop.stop()
        fresh = Runtime()
        for name in self.__slots__:
            setattr(self, name, getattr(fresh, name))


runtime = Runtime()
