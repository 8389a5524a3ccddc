from django.apps import AppConfig


class EventAppConfig(AppConfig):
    """Test-only app: handlers whose effects the event tests can count (settings load it
    under pytest and when WARBLE_TEST_APPS=1, e.g. in the workers the tests start)."""

    name = "tests.eventapp"
    label = "eventapp"
    default_auto_field = "django.db.models.BigAutoField"
