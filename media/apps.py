from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "media"

    def ready(self) -> None:
        # Registers media.process with Celery in every process (media.services queues
        # it by name, so that it need not import the tasks that call it).
        from media import tasks  # noqa: F401
