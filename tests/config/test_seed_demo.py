from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from relationships.models import Follow
from tweets.models import Like, Post, Retweet

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "users": User.objects.count(),
        "follows": Follow.objects.count(),
        "posts": Post.objects.count(),
        "likes": Like.objects.count(),
        "retweets": Retweet.objects.count(),
    }


def test_seed_demo_builds_a_graph_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", users=12, stdout=out, stderr=StringIO())
    first = _counts()
    assert first["users"] == 13  # 12 demo users and the admin
    assert first["follows"] >= 12
    assert first["posts"] >= 24
    assert first["likes"] > 0
    assert first["retweets"] > 0
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    printed = out.getvalue().split("password '")[1].split("'")[0]
    assert admin.check_password(printed)

    call_command("seed_demo", users=12, stdout=StringIO(), stderr=StringIO())
    assert _counts() == first
    # Counters stay exact through the services the command uses.
    alice = User.objects.get(username="alice")
    assert alice.following_count == Follow.objects.filter(follower=alice).count()
    assert alice.posts_count == Post.objects.filter(author=alice, deleted_at__isnull=True).count()
