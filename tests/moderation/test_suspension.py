"""Suspension: sign-in and refresh refused, tokens revoked, content hidden, end dates."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from core.errors import Invalid, NotAllowed
from moderation import services
from moderation.models import AuditRecord
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.moderation.conftest import client_for
from tweets import services as posts

pytestmark = pytest.mark.django_db


def sign_in(username: str):
    return APIClient().post(
        "/api/v1/auth/token", {"username": username, "password": DEFAULT_PASSWORD}, format="json"
    )


def test_suspended_user_cannot_sign_in_or_refresh_and_is_hidden(
    moderator, bob, django_capture_on_commit_callbacks
):
    tokens = sign_in("bob").json()
    post = posts.post_create(author=bob, text="hello")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.user_suspend(moderator=moderator, user=bob, reason="spam wave")

    bob.refresh_from_db()
    assert (bob.is_active, bob.suspension_reason) == (False, "spam wave")
    assert sign_in("bob").status_code == 401
    refresh = APIClient().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert refresh.status_code == 401
    held = APIClient()
    held.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert held.post("/api/v1/posts", {"text": "still here?"}, format="json").status_code == 401
    viewer = client_for(UserFactory())
    assert viewer.get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert viewer.get(f"/api/v1/users/{bob.pk}/profile").status_code == 404
    assert AuditRecord.objects.get().action == "user.suspend"

    assert services.user_unsuspend(moderator=moderator, user=bob, reason="appeal granted")
    assert sign_in("bob").status_code == 200
    assert viewer.get(f"/api/v1/posts/{post.pk}").status_code == 200
    assert held.get("/api/v1/users/me").status_code == 401  # old tokens stay revoked
    assert list(AuditRecord.objects.order_by("seq").values_list("action", flat=True)) == [
        "user.suspend",
        "user.unsuspend",
    ]


def test_a_suspension_ends_at_its_end_date(moderator, bob):
    until = timezone.now() + timedelta(days=3)
    services.user_suspend(moderator=moderator, user=bob, reason="cool off", until=until)
    assert services.suspensions_expire(now=until - timedelta(seconds=1)) == 0
    assert not User.objects.get(pk=bob.pk).is_active

    assert services.suspensions_expire(now=until) == 1
    bob.refresh_from_db()
    assert bob.is_active
    assert bob.suspended_at is None
    assert bob.suspended_until is None
    record = AuditRecord.objects.order_by("-seq").first()
    assert (record.action, record.actor, record.actor_name) == (
        "user.suspension_expired",
        None,
        "system",
    )
    assert sign_in("bob").status_code == 200
    assert services.suspensions_expire(now=until + timedelta(days=1)) == 0


def test_suspension_rules(moderator, bob, alice):
    with pytest.raises(Invalid):
        services.user_suspend(
            moderator=moderator, user=bob, reason="x", until=timezone.now() - timedelta(hours=1)
        )
    with pytest.raises(NotAllowed):
        services.user_suspend(moderator=moderator, user=moderator, reason="x")
    with pytest.raises(NotAllowed):
        services.user_suspend(moderator=alice, user=bob, reason="not a moderator")
    boss = UserFactory(is_staff=True, is_superuser=True)
    with pytest.raises(NotAllowed):
        services.user_suspend(moderator=moderator, user=boss, reason="x")
    assert not AuditRecord.objects.exists()
