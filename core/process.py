"""What a long-running process (the web server, a worker) does once it has started."""

import gc


def freeze_startup_objects() -> None:
    """Leave the objects alive at startup (modules, functions, settings, URL patterns) out of the
    garbage collector's full passes.

    They live as long as the process, yet every full collection walked them all while holding
    the GIL, stopping every thread: the sender's and the router's too, so each pass showed up as
    a stall in delivery latency. Frozen, a full pass only walks what was allocated since.
    """
    gc.collect()
    gc.freeze()
