"""A block hides each side from the other on every read path, and stops interactions.

One parametrised test walks the read endpoints. Whichever side of the block the
viewer is on, the other's posts, lists and post details answer 404, while a
stranger still sees them (so a 404 here is the block's doing, not a broken URL).
"""

import pytest

from core.errors import NotFound
from relationships.selectors import user_get_by_username_visible_to, user_get_visible_to
from tests.factories import BlockFactory, FollowFactory, LikeFactory, PostFactory, UserFactory
from tests.relationships.helpers import assert_error, client_for
from tweets.models import Post

pytestmark = pytest.mark.django_db

# Read endpoints about the hidden user ("{user}") or one of their posts ("{post}").
BLOCKED_READS = [
    "/api/v1/users/{user}/profile",
    "/api/v1/users/by-username/{username}",
    "/api/v1/users/{user}/posts",
    "/api/v1/users/{user}/likes",
    "/api/v1/posts/{post}",
    "/api/v1/posts/{post}/comments",
    "/api/v1/posts/{post}/context",
    "/api/v1/posts/{post}/history",
    "/api/v1/posts/{post}/liked-by",
    "/api/v1/posts/{post}/retweeted-by",
    "/api/v1/users/{user}/followers",
    "/api/v1/users/{user}/following",
]


@pytest.fixture
def scene():
    """`hidden` wrote a post that has a reply and a like; `viewer` and `hidden` are
    on two sides of a block (direction set by the test)."""
    hidden, viewer, stranger = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author=hidden)
    PostFactory(author=stranger, reply_to=post)
    LikeFactory(user=stranger, post=post)
    FollowFactory(follower=stranger, followee=hidden)
    FollowFactory(follower=hidden, followee=stranger)
    return {"hidden": hidden, "viewer": viewer, "stranger": stranger, "post": post}


def block(scene, direction: str) -> None:
    if direction == "viewer_is_blocked":
        BlockFactory(blocker=scene["hidden"], blocked=scene["viewer"])
    else:
        BlockFactory(blocker=scene["viewer"], blocked=scene["hidden"])


@pytest.mark.parametrize("direction", ["viewer_is_blocked", "viewer_blocks"])
@pytest.mark.parametrize("template", BLOCKED_READS)
def test_blocked_reads_are_404_either_way(scene, template, direction):
    hidden = scene["hidden"]
    url = template.format(user=hidden.pk, username=hidden.username, post=scene["post"].pk)
    assert client_for(scene["stranger"]).get(url).status_code == 200, url
    assert client_for(scene["viewer"]).get(url).status_code == 200, url  # before the block

    block(scene, direction)

    assert_error(client_for(scene["viewer"]).get(url), 404)
    assert client_for(scene["stranger"]).get(url).status_code == 200, url


@pytest.mark.parametrize("direction", ["viewer_is_blocked", "viewer_blocks"])
def test_profile_selector_hides_the_other_side(scene, direction):
    """The profile views resolve users with these selectors: 404 for a block."""
    hidden, viewer, stranger = scene["hidden"], scene["viewer"], scene["stranger"]
    assert user_get_visible_to(viewer=viewer, user_id=hidden.pk) == hidden

    block(scene, direction)

    with pytest.raises(NotFound):
        user_get_visible_to(viewer=viewer, user_id=hidden.pk)
    with pytest.raises(NotFound):
        user_get_by_username_visible_to(viewer=viewer, username=hidden.username.upper())
    assert user_get_visible_to(viewer=stranger, user_id=hidden.pk) == hidden
    assert user_get_by_username_visible_to(viewer=stranger, username=hidden.username) == hidden


WRITES = [
    ("post", "/api/v1/posts/{post}/like", None),
    ("post", "/api/v1/posts/{post}/retweet", None),
    ("post", "/api/v1/posts/{post}/bookmark", None),
    ("post", "/api/v1/posts/{post}/comment", {"text": "a reply"}),
    ("post", "/api/v1/posts", {"text": "a quote", "quote_of": "{post}"}),
    ("post", "/api/v1/posts", {"text": "a reply", "reply_to": "{post}"}),
]


@pytest.mark.parametrize("direction", ["viewer_is_blocked", "viewer_blocks"])
@pytest.mark.parametrize(("method", "template", "body"), WRITES)
def test_a_block_stops_likes_retweets_replies_and_quotes(scene, direction, method, template, body):
    block(scene, direction)
    post_id = str(scene["post"].pk)
    url = template.format(post=post_id)
    data = {k: v.format(post=post_id) for k, v in body.items()} if body else None

    response = getattr(client_for(scene["viewer"]), method)(url, data)

    assert_error(response, 404)
    assert not Post.objects.filter(author=scene["viewer"]).exists()


@pytest.mark.parametrize("direction", ["viewer_is_blocked", "viewer_blocks"])
def test_a_block_stops_following(scene, direction):
    block(scene, direction)
    response = client_for(scene["viewer"]).post(f"/api/v1/users/{scene['hidden'].pk}/follow")
    assert_error(response, 403, code="blocked")
