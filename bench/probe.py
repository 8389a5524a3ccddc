"""Loaded into the bench's Celery workers (`celery worker --include bench.probe`).

One remote-control command that answers, from one instant of the worker's own
state, how many tasks it holds (received and not finished: reserved, running,
or waiting for a countdown; RabbitMQ counts these as unacknowledged) and how
many it has started since it booted. The drain (bench/backlog.py) asks it
before and after reading the queues and the outbox: a task that started in
between shows in the second count even if it finished before the second ask.
Celery's own `active`, `reserved` and `scheduled` take three round trips and
are not read at one instant.
"""

from celery.worker import state as worker_state
from celery.worker.control import inspect_command

COMMAND = "bench_holding"


@inspect_command(name=COMMAND)
def bench_holding(state) -> dict[str, int]:
    # worker_state.requests maps every request the worker holds (task_reserved,
    # task_scheduled, task_accepted add it; task_ready removes it).
    return {"held": len(worker_state.requests), "started": worker_state.all_total_count[0]}
