"""Periodic housekeeping: every beat entry names a real task, and the tasks prune."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.tasks import flush_expired_tokens
from config.celery import app
from core.models import IdempotencyRecord
from core.tasks import prune_idempotency_records

pytestmark = pytest.mark.django_db


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names unknown task {entry['task']}"


def test_old_idempotency_records_are_pruned_and_recent_ones_kept():
    old = IdempotencyRecord.objects.create(scope="1:/x", key="old", request_hash="h")
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    recent = IdempotencyRecord.objects.create(scope="1:/x", key="recent", request_hash="h")

    assert prune_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [recent.pk]


def test_expired_refresh_tokens_are_flushed(user):
    now = timezone.now()
    OutstandingToken.objects.create(
        user=user, jti="expired", token="t1", created_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=1),
    )  # fmt: skip
    OutstandingToken.objects.create(
        user=user, jti="live", token="t2", created_at=now, expires_at=now + timedelta(days=1)
    )
    flush_expired_tokens()
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["live"]
