from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registered so that project-wide management commands (seed_demo) and templates
    (the offline ReDoc page) are found."""

    name = "config"
    verbose_name = "Warble project"
