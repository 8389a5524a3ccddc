from django.apps import AppConfig


class EventAppConfig(AppConfig):
    """Test-only app: handlers whose effects the event tests can count (installed by
    tests/settings.py, for pytest and the workers the tests start)."""

    name = "tests.eventapp"
    label = "eventapp"
    default_auto_field = "django.db.models.BigAutoField"
