from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core infrastructure"

    def ready(self) -> None:
        # checks: the system checks; schema: the OpenAPI auth extension; tasks: hands
        # the event dispatcher its Celery tasks (core.events imports no task module).
        from core import checks, log_redaction, schema, tasks  # noqa: F401
        from core.id_leases import lease_for_settings
        from core.ids import use_leases

        # Access tokens in query strings (the event stream's ?token=) stay out of logs.
        log_redaction.install()

        # Ids take this process's worker id from a lease in PostgreSQL (core.id_leases).
        use_leases(lease_for_settings)

        # Each app's events.py defines its event classes (the catalogue), then its
        # handlers.py registers its handlers for them (core.events.handler).
        autodiscover_modules("events")
        autodiscover_modules("handlers")
        from core.events import status  # noqa: F401 - adds the outbox numbers to /readyz
