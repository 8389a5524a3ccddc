"""A Celery pool process that cannot run another task safely leaves; billiard forks a fresh one.

Checked before and after every task (config/celery.py). Two states end the process:

- Its database connection is inside a transaction that no code will end. An
  exception raised by a signal handler (billiard turns SIGTERM into SystemExit,
  Celery's soft time limit raises SoftTimeLimitExceeded) can land on the first
  line of `Atomic.__exit__`, before it runs: the block is never closed. When
  cleanup code then replaced that exception with another, the process lived on,
  and every later task failed with "Cannot open a new connection in an atomic
  block" (a CI run of 2026-11-30; reproduced by interrupting the sweeper's
  transaction at random moments) or wrote into a transaction that never commits.
- It was told to terminate: billiard's SIGTERM handler ran and raised
  SystemExit. Either that exit is unwinding through the task now, or something
  swallowed it and billiard would leave the process running.

Leaving with `os._exit` before the task's result is reported makes the parent
count the task as lost with its process; with acks_late and
reject_on_worker_lost, RabbitMQ delivers it again, to the fresh process. A task
that had finished runs once more as a no-op (processed markers, docs/events.md).
"""

import logging
import os
import sys

from billiard.common import terminate_handler_fired  # type: ignore[attr-defined]  # stubs predate it
from django.db import connections

logger = logging.getLogger(__name__)


def unsound() -> str | None:
    """Why this pool process must not go on, or None."""
    if terminate_handler_fired():
        return "it was told to terminate (SIGTERM)"
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            return f"its {conn.alias!r} database connection is in a transaction nothing will end"
    return None


def leave_if_unsound() -> None:
    reason = unsound()
    if reason is None:
        return
    logger.critical(
        "pool process %s leaves: %s; its task goes back to the queue", os.getpid(), reason
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(os.EX_SOFTWARE)  # no cleanup: it would run in the broken state
