"""The three modes of config/settings/, each loaded by a fresh process with a clean env."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(64)


def services() -> dict:
    return {"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": os.environ["REDIS_URL"]}


def production(**overrides) -> dict:
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "api.warble.example",
        **services(),
        **overrides,
    }
    return {k: v for k, v in env.items() if v is not None}


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=clean, capture_output=True, text=True, timeout=120
    )


SHOW = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "db": s.DATABASES["default"]["ENGINE"],
    "cache": s.CACHES["default"]["BACKEND"],
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "broker": s.CELERY_BROKER_URL,
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "ssl_redirect": getattr(s, "SECURE_SSL_REDIRECT", False),
    "secure_cookies": getattr(s, "SESSION_COOKIE_SECURE", False) and s.CSRF_COOKIE_SECURE,
    "hsts": getattr(s, "SECURE_HSTS_SECONDS", 0),
    "hashers": s.PASSWORD_HASHERS[0],
    "validators": len(s.AUTH_PASSWORD_VALIDATORS),
    "browsable": "rest_framework.renderers.BrowsableAPIRenderer"
        in s.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
}))
"""


def show(env: dict) -> dict:
    result = run({"DJANGO_SETTINGS_MODULE": "config.settings", **env}, "-c", SHOW)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": None, "ALLOWED_HOSTS": None}, "SECRET_KEY, ALLOWED_HOSTS"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"REDIS_URL": None}, "REDIS_URL"),
    ],
)
def test_production_refuses_to_start_without_its_settings(missing, named):
    result = run(production(**missing), "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr


@pytest.mark.parametrize(
    "weak_key",
    ["django-insecure-" + "x" * 60, "short-but-set", "django-insecure-warble-development-key"],
)
def test_production_refuses_a_weak_secret_key(weak_key):
    result = run(production(SECRET_KEY=weak_key), "manage.py", "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_production_passes_the_deploy_check_with_no_warnings():
    result = run(production(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deploy_check_would_catch_debug_in_production():
    """Proves the check above has teeth: the same run with DEBUG on fails."""
    result = run(
        production(DJANGO_DEBUG="1"), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_production_hardening():
    values = show(production())
    assert values["DEBUG"] is False
    assert values["db"] == "core.postgresql"  # Django's, with a cheaper health check
    assert values["cache"] == "django_redis.cache.RedisCache"
    assert values["eager"] is False
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"
    assert values["ssl_redirect"] is True
    assert values["secure_cookies"] is True
    assert values["hsts"] >= 31536000
    assert values["browsable"] is False


def test_embedded_mode_needs_nothing(tmp_path):
    values = show({"WARBLE_VAR_DIR": str(tmp_path)})
    assert values["DEBUG"] is True
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["eager"] is True
    assert values["broker"] == "memory://"  # tasks run in process: no broker
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"


def test_services_mode_uses_postgres_and_redis():
    values = show(services())
    assert values["DEBUG"] is False
    assert values["db"] == "core.postgresql"  # Django's, with a cheaper health check
    assert values["cache"] == "django_redis.cache.RedisCache"
    assert values["eager"] is False
    assert values["broker"] == "amqp://guest:guest@127.0.0.1:5672//"  # RabbitMQ, not Redis
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"


@pytest.mark.parametrize("mode", [{}, {"DJANGO_ENV": "production"}])
def test_every_mode_hashes_with_argon2_and_validates_passwords(mode, tmp_path):
    env = production() if mode else {"WARBLE_VAR_DIR": str(tmp_path)}
    values = show(env)
    assert values["hashers"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert values["validators"] == 4


def test_the_project_never_installs_the_test_app_itself():
    """Even in a process that imported pytest (a tool, a notebook): only
    tests/settings.py adds tests.eventapp."""
    code = "import pytest, django; django.setup(); from django.conf import settings as s; "
    code += "print('tests.eventapp' in s.INSTALLED_APPS)"
    project = run({"DJANGO_SETTINGS_MODULE": "config.settings", **services()}, "-c", code)
    suite = run({"DJANGO_SETTINGS_MODULE": "tests.settings", **services()}, "-c", code)
    assert (project.stdout.strip(), suite.stdout.strip()) == ("False", "True"), (
        project.stderr + suite.stderr
    )
