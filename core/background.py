"""Sending a registered Celery task by its name.

A module that a task module imports (the service a thin task calls) cannot import
that task back without an import cycle; it sends the task by name instead. Each
app's AppConfig.ready imports its tasks module, so the task is registered in every
process, and the registered task's `apply_async` honours eager mode (Celery's
`send_task` would not).
"""

from typing import Any

from celery import current_app


def send_task(name: str, *, kwargs: dict[str, Any], countdown: float | None = None) -> None:
    # celery-types declares `countdown: float`; Celery's own default is None (no delay).
    current_app.tasks[name].apply_async(kwargs=kwargs, countdown=countdown)  # type: ignore[arg-type]
