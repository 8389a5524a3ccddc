"""Long work done as short, idempotent steps until a deadline (an account's erasure).

A step runs in its own transaction and does at most a fixed amount of work, so a
crash, a time limit or a concurrent run loses at most one step, which the next
run does again. The caller decides how to continue past the deadline (the
erasure handlers publish a continuation event, so the outbox carries the rest).
"""

import functools
import time
from collections.abc import Callable, Iterable

# Work of one handler run before it hands the rest on: well below the task's
# soft time limit, so a step in flight always finishes.
DEFAULT_BUDGET_SECONDS = 60.0


def run_until(
    step: Callable[[], bool], *, deadline: float, clock: Callable[[], float] = time.monotonic
) -> bool:
    """Call `step` (True: it did something, there may be more) until it reports that
    nothing is left or `deadline` (on `clock`) has passed. Returns True when done.
    At least one step runs, so a run that starts late still makes progress."""
    while step():
        if clock() >= deadline:
            return False
    return True


def run_each(
    keys: Iterable[int],
    *,
    step: Callable[[int], bool],
    hand_on: Callable[[int], None],
    budget_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """`run_until(step(key))` for each distinct key within one shared budget (default
    DEFAULT_BUDGET_SECONDS); each key left unfinished is handed on (`hand_on(key)`: a
    continuation to run later)."""
    budget = DEFAULT_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    deadline = clock() + budget
    for key in dict.fromkeys(keys):
        if not run_until(functools.partial(step, key), deadline=deadline, clock=clock):
            hand_on(key)
