"""Email digests: opt-in per verb, one email for a burst."""

import pytest
from django.core import mail

from notifications.models import Notification, NotificationSettings
from notifications.services import email_digest_send
from notifications.tasks import send_email_digest
from tests.factories import PostFactory, UserFactory
from tweets import services as tweets

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFICATIONS_EMAIL_DIGEST_SECONDS = 120


@pytest.fixture
def scheduled(monkeypatch) -> list[dict]:
    """Digest tasks scheduled (not run: eager mode would ignore the countdown)."""
    calls: list[dict] = []
    monkeypatch.setattr(send_email_digest, "apply_async", lambda **options: calls.append(options))
    return calls


def opt_in(user, *verbs):
    NotificationSettings.objects.update_or_create(user=user, defaults={"email_verbs": list(verbs)})


def burst_of_likes(author, n: int, delivered) -> list:
    post = PostFactory(author=author)
    fans = [UserFactory(username=f"fan{i}") for i in range(n)]
    for fan in fans:
        with delivered():
            tweets.like_create(user=fan, post_id=post.id)
    return fans


def test_a_burst_of_likes_sends_one_digest(alice, delivered, scheduled):
    opt_in(alice, "like")
    fans = burst_of_likes(alice, 10, delivered)

    assert scheduled == [{"kwargs": {"user_id": alice.pk}, "countdown": 120}]
    assert mail.outbox == []  # nothing until the window closes

    assert send_email_digest.run(user_id=alice.pk) == 10
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [alice.email]
    assert email.subject == "You have 10 new notifications on Warble"
    for fan in fans:
        assert f"@{fan.username} liked your post" in email.body

    # A redelivered or second task finds nothing left to send.
    assert email_digest_send(user_id=alice.pk) == 0
    assert len(mail.outbox) == 1


def test_the_next_burst_schedules_the_next_digest(alice, delivered, scheduled):
    opt_in(alice, "like")
    burst_of_likes(alice, 2, delivered)
    send_email_digest.run(user_id=alice.pk)  # clears the schedule
    post = PostFactory(author=alice)
    with delivered():
        tweets.like_create(user=UserFactory(), post_id=post.id)
    assert len(scheduled) == 2
    assert send_email_digest.run(user_id=alice.pk) == 1
    assert len(mail.outbox) == 2


def test_no_email_without_opting_in_for_the_verb(alice, bob, delivered, scheduled):
    opt_in(alice, "follow")
    burst_of_likes(alice, 3, delivered)
    assert scheduled == []
    assert email_digest_send(user_id=alice.pk) == 0
    NotificationSettings.objects.all().delete()
    assert email_digest_send(user_id=alice.pk) == 0
    assert mail.outbox == []


def test_notifications_read_before_the_digest_are_not_emailed(alice, delivered, scheduled):
    opt_in(alice, "like")
    burst_of_likes(alice, 3, delivered)
    Notification.objects.update(is_read=True)
    assert send_email_digest.run(user_id=alice.pk) == 0
    assert mail.outbox == []
