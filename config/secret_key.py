"""No server signs tokens with the development key, except `make run` on loopback.

`SECRET_KEY` falls back to a fixed key kept in the repository, so that embedded
mode works with nothing set. Anyone who reads the repository can sign a token
with it, for any user. Production refuses it when the settings load
(config/settings/env.py); services mode would quietly use it. So every server
entry point (the WSGI app, the ASGI app, a Celery worker or beat, runserver)
refuses to start with it unless the mode is embedded and the server listens on
a loopback address only: `make run` works with nothing set, `make run
HOST=0.0.0.0` and every services-mode server need a real key.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.settings.env import DEVELOPMENT_SECRET_KEY


def uses_development_key() -> bool:
    key: str = settings.SECRET_KEY
    return key == DEVELOPMENT_SECRET_KEY or key.startswith("django-insecure")


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def refuse_development_key(*, server: str, host: str | None = None) -> None:
    """ImproperlyConfigured when `server` would sign with the development key.

    `host` is the address a server binds, when the entry point knows it
    (runserver); the WSGI and ASGI apps do not, so in embedded mode they are
    let through (runserver checks its address itself)."""
    if not uses_development_key():
        return
    if settings.EMBEDDED and (host is None or is_loopback(host)):
        return
    where = f" on {host}" if host is not None else ""
    mode = "embedded mode" if settings.EMBEDDED else "services mode"
    raise ImproperlyConfigured(
        f"Refusing to start {server}{where} in {mode} with the development SECRET_KEY, "
        "which is public (it is in the repository): anyone could sign tokens. Set "
        "SECRET_KEY to a random string of 50+ characters, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
