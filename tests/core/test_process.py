"""What a long-running process does once started."""

import gc

from core.process import freeze_startup_objects


def test_objects_alive_at_startup_are_left_out_of_full_collections() -> None:
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
