"""A server's startup objects, moved out of the cyclic garbage collector's way.

A server process imports Django, the apps and their modules once, then serves
requests: hundreds of thousands of long-lived objects that every full
(generation 2) collection walks again. Under load that walk stopped a web
worker for about 95 ms every few seconds, every one of its threads with it (the
GIL): the p99 of every endpoint. `gc.freeze()` moves what exists once the
application is loaded to the permanent generation, so a full collection walks
only what requests made (about 15 ms). Measured in bench/README.md (issue 18,
fifth pass).
"""

import gc


def freeze_startup_objects() -> None:
    """Call once the application is loaded, before the first request."""
    gc.collect()  # startup garbage is collected, not kept forever
    gc.freeze()
