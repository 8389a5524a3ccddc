"""manage.py rebuild_timelines."""

import io

import pytest
from django.core.management import CommandError, call_command

from relationships.models import Follow
from tests.factories import PostFactory, UserFactory
from tests.tweets.feed.conftest import timeline
from tweets.feed import store

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("rebuild_timelines", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_rebuilds_named_users_from_postgresql(redis_feed):
    alice, bob = UserFactory.create_batch(2)
    Follow.objects.create(follower=alice, followee=bob)
    made = [PostFactory(author=bob) for _ in range(3)]

    assert run(alice.username) == "rebuilt 1 timelines (3 entries)\n"
    assert timeline(alice) == [p.id for p in reversed(made)]
    assert not redis_feed.exists(store.timeline_key(bob.pk))


def test_all_or_only_the_existing_timelines(redis_feed):
    alice, bob, carol = UserFactory.create_batch(3)
    PostFactory(author=alice)
    redis_feed.zadd(store.timeline_key(bob.pk), {store.SENTINEL: 0})

    assert run("--all", "--existing-only").startswith("rebuilt 1 timelines")
    assert not redis_feed.exists(store.timeline_key(alice.pk))
    assert run("--all").startswith("rebuilt 3 timelines")
    assert timeline(alice) == [alice.posts.get().id]
    assert redis_feed.exists(store.timeline_key(carol.pk))


def test_refuses_unknown_users_and_the_sql_backend(redis_feed, settings):
    with pytest.raises(CommandError, match="No such user"):
        run("nobody-here")
    with pytest.raises(CommandError, match="Name users or pass --all"):
        run()
    settings.FEED_BACKEND = "sql"
    with pytest.raises(CommandError, match="not redis"):
        run("--all")
