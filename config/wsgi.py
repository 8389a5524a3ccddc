"""WSGI entry point for the HTTP API (gunicorn in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from config.heap import freeze_startup_objects  # noqa: E402
from config.secret_key import refuse_development_key  # noqa: E402 - needs the settings

refuse_development_key(server="the WSGI server")
freeze_startup_objects()  # last: what is loaded by now lives as long as the process
