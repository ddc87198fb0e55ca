"""What a long-running process (the web server, a worker) does once it has started."""

import ctypes
import gc
import os

# glibc's mallopt() parameter for the most arenas malloc may create (malloc.h).
M_ARENA_MAX = -8
# Two arenas: the main one and one that every other thread shares.
MALLOC_ARENAS = 2


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
