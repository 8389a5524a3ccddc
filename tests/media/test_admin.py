"""The admin: media items, and storage per user."""

import pytest
from django.test import Client

from tests.factories import MediaFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_storage_per_user_lists_items_and_bytes_biggest_first(admin_client, alice, bob):
    MediaFactory.create_batch(2, owner=alice, size_bytes=3 * 1024 * 1024)
    MediaFactory(owner=bob, size_bytes=1024)
    UserFactory(username="nothing_stored")

    page = admin_client.get("/admin/media/userstorage/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "6.0\xa0MB" in text  # alice: 2 items, 6 MB
    assert "1.0\xa0KB" in text
    assert text.index("alice") < text.index("bob")
    assert "nothing_stored" not in text


def test_media_changelist_and_item(admin_client, alice):
    media = MediaFactory(owner=alice, alt_text="a cat")
    assert admin_client.get("/admin/media/media/", {"q": "alice"}).status_code == 200
    page = admin_client.get(f"/admin/media/media/{media.pk}/change/")
    assert page.status_code == 200
    assert "a cat" in page.content.decode()
