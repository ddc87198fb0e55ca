"""What a long-running process (the web server, a worker) does once it has started."""

import ctypes
import gc
import os
import sys
from collections.abc import Iterable

# glibc's mallopt() parameter for the most arenas malloc may create (malloc.h).
M_ARENA_MAX = -8
# Two arenas: the main one and one that every other thread shares.
MALLOC_ARENAS = 2

# How long a worker's thread holding the GIL runs on while another waits for it (CPython's default:
# 5 ms). See lengthen_gil_switches.
WORKER_SWITCH_INTERVAL_SECONDS = 0.02

# Optional modules that a library imports only because they are installed, for a feature no Relay
# process uses: httpx's command-line client (`httpx._main`), which loads rich, click and pygments when
# the dev group (schemathesis) has installed them, 4 MB in each process.
UNUSED_EVERYWHERE = ("httpx._main",)
# What DRF's compat module imports when installed, for features of DRF that Relay's web never serves:
# requests for its test client (RequestsClient) and pygments for the browsable API's highlighting (the
# API renders JSON only): 5 MB in each web process.
UNUSED_BY_THE_WEB = ("requests", "pygments")


def freeze_startup_objects() -> None:
    """Leave the objects alive at startup (modules, functions, settings, URL patterns) out of the
    garbage collector's full passes.

    They live as long as the process, yet every full collection walked them all while holding
    the GIL, stopping every thread: the sender's and the router's too, so each pass showed up as
    a stall in delivery latency. Frozen, a full pass only walks what was allocated since.
    """
    gc.collect()
    gc.freeze()


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Have glibc's malloc share `arenas` arenas between all the threads of this process; returns
    whether the limit applies (not on a C library without mallopt, nor when the operator chose one
    with MALLOC_ARENA_MAX).

    By default glibc gives threads up to eight arenas per core, each a heap of its own that keeps
    what it once held. A worker runs a sending thread per request in flight (16 per endpoint of
    each key): with ten keys, its arenas held 45 MB more at the peak of a burst than two did,
    about a third of the worker's memory. The threads wait on the network, not on malloc's locks,
    so sharing costs no measurable CPU. Call before the process starts its threads: an arena once
    created stays.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    return mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1


def lengthen_gil_switches(seconds: float = WORKER_SWITCH_INTERVAL_SECONDS) -> None:
    """Let a thread that holds the GIL run `seconds` before a thread waiting for it takes it over.

    A worker's threads (the sending loop, the sender thread, the router, the task loop) are busy at
    once under a burst; every 5 ms CPython made the running one hand the GIL over, two thread switches
    through the kernel each, whose cost and cold caches the work paid. A thread that waits for the
    network or the database gives the GIL up at once whatever this says. Measured in alternating runs
    of bench/pipeline.py --only many-keys --sqlite-only: 9.9-12.1 CPU-seconds for 20,000 deliveries at
    5 ms, 8.5-10.7 at 20 or 50 ms; ingest-to-delivered p99 at 100 events/s 103 -> 113 ms.
    """
    sys.setswitchinterval(seconds)


def leave_out(modules: Iterable[str]) -> None:
    """Have each of `modules` that is not loaded yet fail to import (ImportError) in this process.

    For the optional imports of libraries (`try: import x except ImportError: x = None`), which load
    whatever is installed whether the process uses it or not: each module held is memory held in
    every web and worker process. Only for modules whose absence the library plans for, and that no
    code of the process calls; a module already loaded stays.
    """
    for name in modules:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not importable" to the import system
