from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registered only so that project-wide management commands (seed_demo) are found."""

    name = "config"
    verbose_name = "Warble project"
