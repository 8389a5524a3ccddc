"""GDPR export: every row of the account and nobody else's, downloadable by its owner only."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from moderation import export as exports
from moderation.models import DataExport
from notifications.models import Notification, Verb
from relationships import services as rel
from tests.factories import UserFactory
from tests.moderation.conftest import client_for
from tweets import services as posts

pytestmark = pytest.mark.django_db
URL = "/api/v1/users/me/export"


def activity(user, others):
    """Rows of every kind for `user` (and the same kinds for the others)."""
    a, b = others
    rel.follow_create(follower=user, followee_id=a.pk)
    rel.follow_create(follower=b, followee_id=user.pk)
    rel.block_create(blocker=user, blocked_id=UserFactory().pk)
    rel.mute_create(muter=user, muted_id=UserFactory().pk)
    own = posts.post_create(author=user, text=f"{user.username} writes")
    posts.post_edit(user=user, post_id=own.pk, text=f"{user.username} edited")
    theirs = posts.post_create(author=a, text=f"{a.username} writes for {user.username}")
    posts.like_create(user=user, post_id=theirs.pk)
    posts.bookmark_create(user=user, post_id=theirs.pk)
    posts.retweet_create(user=user, post_id=theirs.pk)
    Notification.objects.create(recipient=user, actor=b, verb=Verb.FOLLOW)


def read_zip(response) -> dict:
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def test_export_has_every_row_of_the_account_and_nobody_elses(
    alice, bob, django_capture_on_commit_callbacks
):
    carol = UserFactory(username="carol")
    activity(alice, (bob, carol))
    activity(bob, (carol, alice))
    client = client_for(alice)
    assert client.get(URL).status_code == 404  # none yet

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(URL)
    assert started.status_code == 202
    status = client.get(URL).json()
    assert status["state"] == "ready"
    assert status["download_url"].endswith(f"/api/v1/users/me/export/{status['id']}/download")

    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    files = read_zip(download)
    assert files["profile.json"]["username"] == "alice"
    assert files["profile.json"]["email"] == alice.email
    assert [p["text"] for p in files["posts.json"]] == ["alice edited"]
    assert [e["text"] for e in files["post_edits.json"]] == ["alice writes"]
    for name in ("likes.json", "bookmarks.json", "retweets.json"):
        assert len(files[name]) == 1, name
    assert [f["followee__username"] for f in files["following.json"]] == ["bob"]
    assert [f["follower__username"] for f in files["followers.json"]] == ["carol"]
    assert len(files["blocks.json"]) == len(files["mutes.json"]) == 1
    assert [n["actor_id"] for n in files["notifications.json"]] == [carol.pk]
    everything = json.dumps(files)
    assert "bob writes" not in everything
    assert "bob edited" not in everything
    assert bob.email not in everything

    # Its URL refuses everyone else.
    assert client_for(bob).get(status["download_url"]).status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().get(status["download_url"]).status_code == 401


def test_one_export_per_day(alice, django_capture_on_commit_callbacks):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL).status_code == 202
    again = client.post(URL)
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "export_limit"
    DataExport.objects.update(created_at=timezone.now() - timedelta(days=1, seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL).status_code == 202


def test_old_exports_are_deleted_with_their_files(alice, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_request(user=alice)
    export.refresh_from_db()
    assert default_storage.exists(export.file_name)
    later = export.created_at + exports.EXPORT_RETENTION
    assert exports.export_prune(now=later) == 0
    assert exports.export_prune(now=later + timedelta(seconds=1)) == 1
    assert not default_storage.exists(export.file_name)
    assert not DataExport.objects.exists()


def test_a_failed_export_can_be_retried(alice, monkeypatch, django_capture_on_commit_callbacks):
    def broken(*, user):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "collect", broken)
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL).status_code == 202
    body = client.get(URL).json()
    assert (body["state"], body["download_url"]) == ("failed", None)
    assert client.get(f"{URL}/{body['id']}/download").status_code == 404
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL).status_code == 202
    assert client.get(URL).json()["state"] == "ready"
