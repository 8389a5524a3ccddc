"""Liveness and readiness probes.

`/healthz` answers 200 while the process can serve a request. `/readyz` checks
the database, the cache (Redis) and the Celery broker (RabbitMQ) and answers 503
naming the ones that are down, so a load balancer stops routing to this process.
The API keeps answering without Redis, degraded (core.degrade); readiness
reports Redis down all the same, for monitoring to see (README: "When Redis or
RabbitMQ is down").

(django-health-check was considered: its 4.x view answers 500 rather than 503,
is async-only and pulls in a DNS resolver; three probes are simpler here.)
"""

import secrets
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection
from kombu.utils.url import maybe_sanitize_url

from core.errors import method_not_allowed


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"readyz:{secrets.token_hex(8)}"  # not an id: a probe needs no id lease
    try:
        cache.set(key, "1", timeout=5)
        if cache.get(key) != "1":
            raise RuntimeError("the cache did not return what was stored")
        cache.delete(key)
    except Exception as exc:
        # Say which cache (Redis, its address without the password) is down.
        raise CacheDown(f"{cache_name()}: {type(exc).__name__}: {exc}") from exc


class CacheDown(Exception):
    pass


def cache_name() -> str:
    config = settings.CACHES["default"]
    if "redis" in str(config["BACKEND"]).lower():
        return f"Redis at {maybe_sanitize_url(str(config['LOCATION']))}"
    return str(config["BACKEND"]).rsplit(".", 1)[-1]


def check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded mode: tasks run in process, there is no broker to reach
    with current_app.connection_for_write() as conn:
        try:
            conn.ensure_connection(max_retries=0, timeout=2)  # one try: a probe must be quick
        except Exception as exc:
            # Say which broker (RabbitMQ, its address without the password) is down.
            raise BrokerDown(f"{broker_name(conn)} at {conn.as_uri()}: {exc}") from exc


class BrokerDown(Exception):
    pass


def broker_name(conn: Connection) -> str:
    return {"amqp": "RabbitMQ", "redis": "Redis"}.get(conn.transport.driver_type, "the broker")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}

DETAIL_PROVIDERS: list[Callable[[], dict[str, Any]]] = []


def register_detail(
    provider: Callable[[], dict[str, Any]],
) -> Callable[[], dict[str, Any]]:
    """Let infrastructure (the event outbox) add numbers to the readiness detail."""
    DETAIL_PROVIDERS.append(provider)
    return provider


READ_METHODS = ["GET", "HEAD"]


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    if request.method not in READ_METHODS:
        return method_not_allowed(request, READ_METHODS)
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    if request.method not in READ_METHODS:
        return method_not_allowed(request, READ_METHODS)
    checks: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; say which and why
            checks[name] = f"down: {type(exc).__name__}: {exc}"[:300]
    down = sorted(name for name, state in checks.items() if state != "ok")
    detail: dict[str, Any] = {}
    if "database" not in down:
        for provider in DETAIL_PROVIDERS:
            detail.update(provider())
    body = {"status": "down" if down else "ok", "down": down, "checks": checks, "detail": detail}
    return JsonResponse(body, status=503 if down else 200)
