import logging
import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from config.management.commands import seed_demo
from notifications import realtime
from relationships.models import Follow
from tweets.models import Like, Post, Retweet

pytestmark = pytest.mark.django_db
# Real commits, where the seed's events must reach their handlers (in process)
# after each phase commits, as they do under `make run`.
committing = pytest.mark.django_db(transaction=True)


def _counts():
    return {
        "users": User.objects.count(),
        "follows": Follow.objects.count(),
        "posts": Post.objects.count(),
        "likes": Like.objects.count(),
        "retweets": Retweet.objects.count(),
    }


def _seed(users: int = 12, **options) -> str:
    out = StringIO()
    call_command("seed_demo", users=users, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _admin_password(printed: str) -> str:
    return re.search(r"admin / (\S+)", printed).group(1)


def test_seed_demo_builds_a_graph_and_is_idempotent():
    printed = _seed()
    first = _counts()
    assert first["users"] == 13  # 12 demo users and the admin
    assert first["follows"] >= 12
    assert first["posts"] >= 24
    assert first["likes"] > 0
    assert first["retweets"] > 0
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password(_admin_password(printed))

    _seed()
    assert _counts() == first
    # Counters stay exact through the services the command uses.
    alice = User.objects.get(username="alice")
    assert alice.following_count == Follow.objects.filter(follower=alice).count()
    assert alice.posts_count == Post.objects.filter(author=alice, deleted_at__isnull=True).count()


def test_the_demo_users_share_one_password_hash():
    """One Argon2 hash per demo user was most of the seed's time."""
    _seed()
    demo = User.objects.exclude(username="admin")
    hashes = set(demo.values_list("password", flat=True))
    assert len(hashes) == 1
    assert demo.first().check_password(seed_demo.DEMO_PASSWORD)


@committing
def test_the_seed_prints_only_its_box_and_logs_nothing_below_warning(caplog):
    """Celery logged one INFO line per task it ran in process: 1,188 of them."""
    caplog.set_level(logging.INFO)
    printed = _seed(users=5)
    noisy = [r for r in caplog.records if r.levelno < logging.WARNING]
    assert noisy == [], [f"{r.name}: {r.getMessage()}" for r in noisy[:5]]
    lines = printed.rstrip("\n").split("\n")
    assert lines[0].startswith("┌")
    assert lines[-1].startswith("└")
    assert all(line.startswith("│") for line in lines[1:-1])
    # The loggers it quieted speak again afterwards.
    assert logging.getLogger("celery.app.trace").level == logging.NOTSET


@pytest.mark.parametrize(
    ("host", "port", "base"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("0.0.0.0", 8123, "http://127.0.0.1:8123"),  # noqa: S104
        ("localhost", 9000, "http://localhost:9000"),
        ("::", 8000, "http://[::1]:8000"),
        ("[::1]", 8000, "http://[::1]:8000"),
    ],
)
def test_the_address_a_browser_uses_for_the_served_host(host, port, base):
    assert seed_demo.base_url("http", host, port) == base


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])  # noqa: S104
def test_the_box_lists_the_urls_make_run_really_serves(client, host):
    printed = _seed(users=3, host=host, port=8123)
    base = "http://127.0.0.1:8123"
    urls = re.findall(r"(?:https?|ws)://\S+", printed)
    assert f"{base}/api/docs/" in urls
    assert f"{base}/admin/" in urls
    http_urls = [u for u in urls if u.startswith("http")]
    assert all(u.startswith(base) for u in http_urls), urls
    for path in (u.removeprefix(base) for u in http_urls):
        response = client.get(path)
        assert response.status_code < 400, (path, response.status_code)
    from config.asgi import websocket_routes

    assert [u for u in urls if u.startswith("ws://")] == ["ws://127.0.0.1:8123/ws/"]
    assert any(route.pattern.match("ws/") for route in websocket_routes.routes)
    assert ("listening on every interface" in printed) == (host == "0.0.0.0")  # noqa: S104


IN_MEMORY = {"BACKEND": "channels.layers.InMemoryChannelLayer"}


@committing
@pytest.mark.parametrize("layer", ["in-memory", "redis"])
def test_notification_pushes_are_rendered_only_when_a_socket_could_hear_them(
    settings, monkeypatch, layer
):
    """In embedded mode the sockets live in the server's process, never the seed's."""
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    if layer == "in-memory":
        settings.CHANNEL_LAYERS = {"default": IN_MEMORY}
    calls = []
    monkeypatch.setattr(realtime, "push_new_notifications", lambda **kw: calls.append(kw))
    _seed(users=5)
    assert Follow.objects.exists()
    assert bool(calls) is (layer == "redis")
