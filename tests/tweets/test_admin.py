import pytest
from django.test import Client
from django.utils import timezone

from tests.admin_counters import counter_mismatches
from tests.factories import PostEditFactory, PostFactory, UserFactory
from tweets import services
from tweets.models import Post

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tweets/post/"


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def listed(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_changelist_searches_and_filters(admin_client, alice, bob):
    mine = PostFactory(author=alice, text="needle in alice's haystack")
    theirs = PostFactory(author=bob, text="bob talks")
    gone = PostFactory(author=bob, text="bob deleted this", deleted_at=timezone.now())

    page = listed(admin_client.get(CHANGELIST, {"q": "needle"}))
    assert "needle in alice" in page
    assert "bob talks" not in page

    page = listed(admin_client.get(CHANGELIST, {"author": "bob"}))
    assert "bob talks" in page
    assert "needle" not in page
    page = listed(admin_client.get(CHANGELIST, {"author": str(alice.id)}))
    assert "needle" in page
    assert "bob talks" not in page

    page = listed(admin_client.get(CHANGELIST, {"deleted": "yes"}))
    assert "bob deleted this" in page
    assert "bob talks" not in page
    page = listed(admin_client.get(CHANGELIST, {"deleted": "no"}))
    assert "bob deleted this" not in page

    today = f"{timezone.now().date()} 00:00:00+00:00"
    since = {"created_at__gte": today, "created_at__lt": "2999-01-01 00:00:00+00:00"}
    assert "bob talks" in listed(admin_client.get(CHANGELIST, since))
    before = {"created_at__lt": "2000-01-01 00:00:00+00:00"}
    assert "bob talks" not in listed(admin_client.get(CHANGELIST, before))
    assert {mine.id, theirs.id, gone.id} <= set(Post.objects.values_list("id", flat=True))


def test_change_page_shows_the_edit_history(admin_client):
    edit = PostEditFactory(text="the old words")
    assert "the old words" in listed(admin_client.get(f"{CHANGELIST}{edit.post_id}/change/"))


def test_soft_delete_action_hides_posts_and_takes_back_counts(admin_client, alice, bob):
    parent = services.post_create(author=bob, text="a question")
    reply = services.post_create(author=alice, text="rude", reply_to_id=parent.id)
    response = admin_client.post(
        CHANGELIST, {"action": "soft_delete", "_selected_action": [reply.id, reply.id]}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    parent.refresh_from_db()
    alice.refresh_from_db()
    assert reply.deleted_at is not None
    assert parent.reply_count == 0
    assert alice.posts_count == 0
    assert counter_mismatches() == []


def test_admin_cannot_hard_delete_or_add(admin_client):
    post = PostFactory()
    assert admin_client.get(f"{CHANGELIST}{post.id}/delete/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
