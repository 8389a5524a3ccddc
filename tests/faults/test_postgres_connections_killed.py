"""Issue 14, the battery: PostgreSQL connections killed with `pg_terminate_backend`.

Web processes keep their database connections between requests
(`CONN_MAX_AGE`), so a connection PostgreSQL dropped (a restart, a failover, an
idle-session killer, an operator) is found dead by the next request that uses
it; `conn_health_checks` makes Django test it first and reconnect. Celery
workers keep theirs under the same rule (config/celery.py). Here gunicorn (4 threads, each with its
connection), daphne and a Celery worker serve a warm-up, every backend of the
test database but this process's own is terminated, and then every kind of
request succeeds (the first query of a request outside a transaction, inside
one, an authenticated one, a WebSocket handshake), events are delivered
without a retry and pushed to a socket opened before the kill.
"""

import json
import threading
import uuid

import httpx
import pytest
from django.db import connection
from websockets.sync.client import connect

from core.models import EventDelivery, OutboxEvent
from notifications.models import Notification
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory
from tests.integration.procs import wait_until
from tests.integration.realtime_clients import access_token
from tests.integration.servers import start_asgi, start_wsgi

pytestmark = pytest.mark.integration

THREADS = 4  # gunicorn's, in tests.integration.servers: one connection each


def terminate_backends() -> list[int]:
    """pg_terminate_backend every connection to the test database but this one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for pid, terminated in cursor.fetchall() if terminated]


def backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def at_once(calls) -> list[httpx.Response]:
    """Run the calls in parallel threads (so that every gunicorn thread serves one)."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def next_frame(socket, kind: str, timeout: float) -> dict:
    while True:
        frame = json.loads(socket.recv(timeout=timeout))
        if frame["type"] == kind:
            return frame


def test_every_process_reconnects_after_postgres_killed_its_connections(workers):
    env = {"CHANNELS_PREFIX": f"faults-pg-{uuid.uuid4().hex[:8]}", "THROTTLE_ENABLED": "1"}
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = PostFactory(author=alice)
    workers.start_worker("worker", **env)
    wsgi = start_wsgi(workers, "web", **env)
    asgi = start_asgi(workers, "asgi", **env)
    alice_api = httpx.Client(
        base_url=wsgi, headers={"Authorization": f"Bearer {access_token(alice)}"}, timeout=30
    )
    bob_api = httpx.Client(
        base_url=wsgi, headers={"Authorization": f"Bearer {access_token(bob)}"}, timeout=30
    )

    with connect(f"ws://{asgi}/ws/?token={access_token(alice)}", open_timeout=30) as socket:
        assert next_frame(socket, "hello", timeout=30)["user_id"] == str(alice.pk)
        # Warm-up: every gunicorn thread holds a connection, the worker ran handlers
        # and pushed through daphne.
        warm = at_once([lambda: alice_api.get("/api/v1/users/me")] * (2 * THREADS))
        assert [r.status_code for r in warm] == [200] * (2 * THREADS)
        assert bob_api.post(f"/api/v1/users/{alice.pk}/follow").status_code == 201
        assert next_frame(socket, "notification.created", timeout=30)["notification"]["verb"] == (
            "follow"
        )
        workers.wait_idle(timeout=60)

        before = backends()
        killed = terminate_backends()
        assert killed, "no connection to kill: the web processes kept none"
        wait_until(lambda: not (backends() & set(killed)), timeout=10, what="backends to end")
        assert not before - set(killed)

        # --- every kind of request, each process's first after the kill --------
        mes = at_once([lambda: alice_api.get("/api/v1/users/me")] * (2 * THREADS))
        assert [r.status_code for r in mes] == [200] * (2 * THREADS), [r.text for r in mes]
        signed_in = httpx.post(  # unauthenticated: its first query is the sign-in's
            f"{wsgi}/api/v1/auth/token",
            json={"username": "bob", "password": DEFAULT_PASSWORD},
            timeout=30,
        )
        assert signed_in.status_code == 200, signed_in.text
        registered = httpx.post(  # its first query is in a transaction (the key's claim)
            f"{wsgi}/api/v1/auth/register",
            json={"username": "carol", "email": "carol@example.com", "password": DEFAULT_PASSWORD},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert registered.status_code == 201, registered.text
        assert alice_api.get("/api/v1/feed").status_code == 200
        created = alice_api.post("/api/v1/posts", json={"text": "after the kill"})
        assert created.status_code == 201, created.text

        # The worker delivers, daphne pushes to the socket it held through the kill.
        liked = bob_api.post(f"/api/v1/posts/{post.pk}/like")
        assert liked.status_code == 201, liked.text
        pushed = next_frame(socket, "notification.created", timeout=30)
        assert pushed["notification"]["verb"] == "like"

        # A new socket: daphne's handshake queries the database again.
        with connect(f"ws://{asgi}/ws/?token={access_token(bob)}", open_timeout=30) as again:
            assert next_frame(again, "hello", timeout=30)["user_id"] == str(bob.pk)

    workers.wait_idle(timeout=60)
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert not EventDelivery.objects.exists()  # nothing failed, nothing retried
    assert Notification.objects.filter(recipient=alice, actor=bob, verb="like").exists()
