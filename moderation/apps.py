from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        # Registers the tasks that services send by name (core.background).
        from moderation import tasks  # noqa: F401
