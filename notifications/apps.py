from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Registers the tasks that services and realtime send by name (core.background).
        from notifications import tasks  # noqa: F401
