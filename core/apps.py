from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core infrastructure"

    def ready(self) -> None:
        from core import schema  # noqa: F401 - registers the OpenAPI auth extension

        # Each app's handlers.py registers its event handlers (core.events.handler).
        autodiscover_modules("handlers")
        from core.events import status  # noqa: F401 - adds the outbox numbers to /readyz
