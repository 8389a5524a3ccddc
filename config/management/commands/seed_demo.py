"""Demo data for `make run`: a few dozen users who follow, post, like and retweet.

Idempotent: users are found by username, follows/likes/retweets are idempotent
services, and a user's posts are written only once. Every run sets a fresh
random admin password and prints it.
"""

import random
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from accounts.models import User
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


def _rng(phase: str, user: User) -> random.Random:
    """The same choices for the same user on every run, whatever ran before."""
    return random.Random(f"{phase}:{user.username}")


class Command(BaseCommand):
    help = "Load demo users, follows, posts, likes and retweets (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=len(NAMES), help="how many demo users")

    def handle(self, *args, users: int, **options):
        people = [self._user(name) for name in tqdm(NAMES[:users], desc="users", unit="user")]
        for person in tqdm(people, desc="follows", unit="user"):
            rng = _rng("follows", person)
            for other in rng.sample(people, k=min(len(people) - 1, rng.randint(5, 12))):
                if other != person:
                    relationships.follow_create(follower=person, followee_id=other.pk)
        for person in tqdm(people, desc="posts", unit="user"):
            if not Post.objects.filter(author=person).exists():
                rng = _rng("posts", person)
                for line in rng.sample(LINES, k=rng.randint(2, 5)):
                    tweets.post_create(author=person, text=line)
        recent = list(
            Post.objects.filter(author__in=people).order_by("id").values_list("id", flat=True)
        )
        for person in tqdm(people, desc="likes", unit="user"):
            rng = _rng("likes", person)
            for post_id in rng.sample(recent, k=min(len(recent), 6)):
                tweets.like_create(user=person, post_id=post_id)
            tweets.retweet_create(user=person, post_id=rng.choice(recent))
        password = self._admin()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(people)} users."))
        self.stdout.write(f"  demo users: {', '.join(p.username for p in people[:5])}, ...")
        self.stdout.write(f"  their password: {DEMO_PASSWORD}")
        self.stdout.write(f"  admin: username 'admin', password '{password}' (new every run)")
        self.stdout.write("  API docs: http://127.0.0.1:8000/api/docs/  admin: /admin/")

    def _user(self, name: str) -> User:
        user = User.objects.filter(username__iexact=name).first()
        if user is None:
            user = User.objects.create_user(
                name, f"{name}@demo.warble.local", DEMO_PASSWORD, display_name=name.title()
            )
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
