"""Broker connections held open and idle outlive every timeout in the stack.

A worker's connection to RabbitMQ stays open for the worker's whole life, and
so does a web process's publishing connection. Here both sit idle for three
AMQP heartbeat timeouts (the worker's heartbeat is shortened to 2 s for the
test; the broker closes a connection that misses two), then a write must reach
the worker through the fast path: no reconnect of the worker, no dispatch left
to the sweeper.
"""

import time

import httpx
import pytest

from accounts.api.serializers import TokenObtainSerializer
from notifications.models import Notification
from tests.factories import UserFactory
from tests.integration.procs import Procs, wait_until
from tests.integration.servers import start_wsgi

pytestmark = pytest.mark.integration

HEARTBEAT = 2  # seconds


def test_idle_broker_connections_still_deliver(workers):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    token = TokenObtainSerializer.get_token(alice).access_token
    worker = workers.start_worker("worker", CELERY_BROKER_HEARTBEAT=str(HEARTBEAT))
    with Procs() as web:
        url = start_wsgi(web, "wsgi", THROTTLE_ENABLED="0", AXES_ENABLED="0")
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})

        def mention(text: str) -> None:
            response = client.post("/api/v1/posts", json={"text": f"@bob {text}"})
            assert response.status_code == 201, response.text

        def notified() -> int:
            return Notification.objects.filter(recipient=bob, verb="mention").count()

        mention("before the idle")  # both connections are open and used
        wait_until(lambda: notified() == 1, timeout=30, what="the first mention")

        time.sleep(3 * 2 * HEARTBEAT)  # idle past every heartbeat timeout, three times

        mention("after the idle")
        wait_until(lambda: notified() == 2, timeout=10, what="the mention after the idle")
        server_log = web.started[0].log()

    assert "Connection to broker lost" not in worker.log()  # heartbeats kept it open
    assert worker.log().count("Connected to amqp://") == 1
    assert "left for the sweeper" not in server_log  # the web's publish went through
