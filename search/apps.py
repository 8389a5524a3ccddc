from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        # Registers the periodic trends task with Celery (config/settings/tasks.py beat).
        from search import tasks  # noqa: F401
