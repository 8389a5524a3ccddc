"""Demo data for `make run`: a few dozen users who follow, post, like and retweet.

Idempotent: users are found by username, follows/likes/retweets are idempotent
services, and a user's posts are written only once. Every run sets a fresh
random admin password and prints it, in a box with the URLs `make run` serves.

Quiet and quick for a newcomer's first `make run` (it took 111 s and printed
1,188 log lines): the demo users share one password hash (Argon2 is slow on
purpose), each phase writes in one transaction so its events reach their
handlers in batches after its commit (in embedded mode Celery runs them in
this process), notification pushes nobody can receive are not rendered, and
Celery's per-task INFO lines are silenced while the seed runs.
"""

import contextlib
import logging
import random
import secrets
import time
from collections.abc import Iterator
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from accounts.models import User
from notifications import realtime
from relationships import services as relationships
from tweets import services as tweets
from tweets.models import Post

DEMO_PASSWORD = "warble-demo-2024"  # printed below; demo accounts only
NAMES = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
    "xavier", "yolanda", "zoe", "amir", "bea", "chen", "dara", "emeka", "fatima", "goran",
    "hana",
]  # fmt: skip
LINES = [
    "Shipping a new feature today #buildinpublic",
    "Coffee first, then code.",
    "Anyone else think cursor pagination is underrated?",
    "Reading about Snowflake ids this morning. Time-ordered ids are neat.",
    "Hello Warble! 👋",
    "Hot take: idempotency keys should be everywhere.",
    "What is everyone reading this week?",
    "Deployed on a Friday. Living dangerously.",
    "Our outbox never loses an event, and that feels good.",
    "Tabs or spaces? (spaces.)",
]
# What `make run` serves (runserver is daphne's: HTTP and WebSockets), by path.
SERVED = [
    ("Swagger UI", "http", "/api/docs/"),
    ("ReDoc", "http", "/api/redoc/"),
    ("OpenAPI schema", "http", "/api/schema/"),
    ("Admin", "http", "/admin/"),
    ("WebSocket", "ws", "/ws/"),
]
# Celery logs every task it runs in process at INFO (over a thousand lines);
# kombu warns once that the in-memory broker has no host name.
NOISY_LOGGERS = {"celery.app.trace": logging.WARNING, "kombu.connection": logging.ERROR}
IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"


def _rng(phase: str, user: User) -> random.Random:
    """The same choices for the same user on every run, whatever ran before."""
    return random.Random(f"{phase}:{user.username}")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    saved = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    for name, level in NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def _no_pushes_to_nobody() -> Iterator[None]:
    """Skip rendering notification pushes when no socket can receive them.

    With the in-memory channel layer (embedded mode) the sockets live in the
    server's process, never in this one: every push the seed sends goes
    nowhere, and rendering them was over half its time. With a shared layer
    (channels-redis) pushes are sent as usual.
    """
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] != IN_MEMORY_LAYER:
        yield
        return
    with mock.patch.object(realtime, "push_new_notifications", return_value=None):
        yield


def base_url(scheme: str, host: str, port: int) -> str:
    """The address a browser on this machine uses for `runserver host:port`."""
    host = host.strip("[]")
    if host in ("0.0.0.0", ""):  # noqa: S104 - names the wildcard, binds nothing
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def box(lines: list[str]) -> str:
    width = max(len(line) for line in lines)
    rule = "─" * (width + 2)
    body = [f"│ {line.ljust(width)} │" for line in lines]
    return "\n".join([f"┌{rule}┐", *body, f"└{rule}┘"])


class Command(BaseCommand):
    help = "Load demo users, follows, posts, likes and retweets (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=len(NAMES), help="how many demo users")
        parser.add_argument("--host", default="127.0.0.1", help="host `make run` serves on")
        parser.add_argument("--port", type=int, default=8000, help="port `make run` serves on")

    def handle(self, *args, users: int, host: str, port: int, **options):
        started = time.perf_counter()
        with _quiet(), _no_pushes_to_nobody():
            people = self._seed(NAMES[:users])
            password = self._admin()
        posts = Post.objects.filter(author__in=people, deleted_at__isnull=True).count()
        seconds = time.perf_counter() - started
        self.stdout.write(self._summary(people, posts, password, host, port, seconds))

    def _seed(self, names: list[str]) -> list[User]:
        # Each phase is one transaction: its events are delivered after its commit.
        with transaction.atomic():
            encoded = make_password(DEMO_PASSWORD)  # one hash, shared: the slow part
            people = [self._user(name, encoded) for name in tqdm(names, desc="users", unit="user")]
        with transaction.atomic():
            for person in tqdm(people, desc="follows", unit="user"):
                rng = _rng("follows", person)
                for other in rng.sample(people, k=min(len(people) - 1, rng.randint(5, 12))):
                    if other != person:
                        relationships.follow_create(follower=person, followee_id=other.pk)
        with transaction.atomic():
            for person in tqdm(people, desc="posts", unit="user"):
                if not Post.objects.filter(author=person).exists():
                    rng = _rng("posts", person)
                    for line in rng.sample(LINES, k=rng.randint(2, 5)):
                        tweets.post_create(author=person, text=line)
        recent = list(
            Post.objects.filter(author__in=people).order_by("id").values_list("id", flat=True)
        )
        with transaction.atomic():
            for person in tqdm(people, desc="likes", unit="user"):
                rng = _rng("likes", person)
                for post_id in rng.sample(recent, k=min(len(recent), 6)):
                    tweets.like_create(user=person, post_id=post_id)
                tweets.retweet_create(user=person, post_id=rng.choice(recent))
        return people

    def _user(self, name: str, encoded_password: str) -> User:
        user = User.objects.filter(username__iexact=name).first()
        if user is None:
            user = User(
                username=name,
                email=f"{name}@demo.warble.local",
                display_name=name.title(),
                password=encoded_password,
            )
            user.save()
        return user

    @transaction.atomic
    def _admin(self) -> str:
        password = secrets.token_urlsafe(12)
        admin = User.objects.filter(username__iexact="admin").first()
        if admin is None:
            admin = User.objects.create_superuser("admin", "admin@demo.warble.local", password)
        else:
            admin.set_password(password)
            admin.save(update_fields=["password"])
        return password

    def _summary(self, people, posts, password, host, port, seconds) -> str:
        label = max(len(name) for name, _, _ in SERVED)
        lines = [
            f"Warble demo data ready in {seconds:.1f} s: {len(people)} users, {posts} posts.",
            "",
            *(f"{name:<{label}}  {base_url(s, host, port)}{path}" for name, s, path in SERVED),
            "",
            f"{'Admin login':<{label}}  admin / {password}  (new every run)",
            f"{'Demo users':<{label}}  {', '.join(p.username for p in people[:3])}, ...",
            f"{'':<{label}}  password {DEMO_PASSWORD}",
        ]
        if host.strip("[]") in ("0.0.0.0", "::", ""):  # noqa: S104
            lines.append(f"{'':<{label}}  (listening on every interface)")
        return box(lines)
