"""The automatic first pass: blocklisted words and links land a post in the queue once."""

import pytest

from core.events import Delivered
from moderation.handlers import flag_blocklisted_posts
from moderation.models import Report
from tweets import services as posts
from tweets.events import PostCreated, PostEdited

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def blocklists(settings):
    settings.MODERATION_BLOCKED_WORDS = ["scam", "Bad Word"]
    settings.MODERATION_BLOCKED_LINK_DOMAINS = ["evil.example"]


def created(post, outbox_id=1):
    event = PostCreated(
        post_id=post.pk, author_id=post.author_id, reply_to_id=None, quote_of_id=None,
        conversation_id=post.pk,
    )  # fmt: skip
    return Delivered(id=outbox_id, event=event, created_at=post.created_at)


def test_a_blocklisted_word_is_queued_once_even_when_the_handler_runs_twice(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the real dispatch: once
        post = posts.post_create(author=alice, text="Total SCAM, click now")
    flag_blocklisted_posts([created(post)])  # a redelivery
    flag_blocklisted_posts([created(post)])
    report = Report.objects.get()
    assert (report.reporter, report.post_id, report.state) == (None, post.pk, "open")
    assert report.reason == "abuse"
    assert "scam" in report.comment


def test_links_and_edits(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clean = posts.post_create(author=alice, text="scampi for dinner")
        linked = posts.post_create(author=alice, text="see https://www.evil.example/win")
    assert list(Report.objects.values_list("post_id", "reason")) == [(linked.pk, "spam")]
    with django_capture_on_commit_callbacks(execute=True):
        posts.post_edit(user=alice, post_id=clean.pk, text="a bad word here")
    assert Report.objects.filter(post_id=clean.pk).count() == 1
    edit_id = clean.edits.get().pk
    event = PostEdited(post_id=clean.pk, author_id=alice.pk, edit_id=edit_id)
    flag_blocklisted_posts([Delivered(id=9, event=event, created_at=clean.created_at)])
    assert Report.objects.count() == 2


def test_an_empty_blocklist_flags_nothing(alice, settings, django_capture_on_commit_callbacks):
    settings.MODERATION_BLOCKED_WORDS = []
    settings.MODERATION_BLOCKED_LINK_DOMAINS = []
    with django_capture_on_commit_callbacks(execute=True):
        posts.post_create(author=alice, text="scam evil.example")
    assert not Report.objects.exists()
