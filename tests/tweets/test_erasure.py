"""An erased account's posts, likes, retweets and bookmarks go, with exact counters."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tweets import erasure, services
from tweets.models import Bookmark, Like, Post, Retweet

pytestmark = pytest.mark.django_db


def test_erasing_an_account_removes_its_content_and_fixes_counters(
    django_capture_on_commit_callbacks,
):
    leaving, other = UserFactory(), UserFactory()
    own = services.post_create(author=leaving, text="my words @someone")
    services.post_edit(user=leaving, post_id=own.pk, text="my edited words")
    theirs = services.post_create(author=other, text="a post others liked")
    reply = services.post_create(author=leaving, text="a reply", reply_to_id=theirs.pk)
    services.like_create(user=leaving, post_id=theirs.pk)
    services.retweet_create(user=leaving, post_id=theirs.pk)
    services.bookmark_create(user=leaving, post_id=theirs.pk)
    services.like_create(user=other, post_id=own.pk)

    client = APIClient()
    client.force_authenticate(leaving)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete("/api/v1/users/me", {"password": DEFAULT_PASSWORD}).status_code == 204

    theirs.refresh_from_db()
    assert (theirs.like_count, theirs.retweet_count, theirs.reply_count) == (0, 0, 0)
    assert not Like.objects.filter(user=leaving).exists()
    assert not Retweet.objects.filter(user=leaving).exists()
    assert not Bookmark.objects.filter(user=leaving).exists()
    erased = Post.objects.filter(pk__in=[own.pk, reply.pk])
    assert all(p.deleted_at is not None and p.text == "" for p in erased)
    assert not own.edits.exists()
    assert User.objects.get(pk=leaving.pk).posts_count == 0
    # What others did stays: their like of the erased post is theirs.
    assert Like.objects.filter(user=other, post=own).exists()

    viewer = APIClient()
    viewer.force_authenticate(other)
    assert viewer.get(f"/api/v1/posts/{own.pk}").status_code == 404

    assert not erasure.erase_step(user_id=leaving.pk)  # a re-run finds nothing left
    theirs.refresh_from_db()
    assert (theirs.like_count, theirs.retweet_count) == (0, 0)
