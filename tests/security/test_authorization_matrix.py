"""The authorization matrix: every API route, every role, every method it allows.

The routes come from the URL resolver (every `api/` pattern) and from the
WebSocket router of config/asgi.py; a route or a method that is not in MATRIX
below fails `test_every_route_is_in_the_matrix` ("new route: add it to the
matrix"). The Mastodon client API (mastodon_api.root_urls, served on the
MASTODON_API_HOSTS names) is another URLconf and is not walked here: every one
of its routes has success, auth-failure (401, 403 outside its OAuth scope) and
not-found tests in tests/mastodon_api/, and tests/mastodon_api/
test_route_coverage.py fails on a route none of them names.

Each (route, method) is one test that builds the world once and asks as each
role in its own savepoint (rolled back, so a write by one role is not seen by
the next), then asserts:

- the status of every cell, in the one error format for 4xx;
- that no body leaks: no other user's email, no password/token/staff field, no
  private account's content to those who may not see it, no `liked`,
  `retweeted` or `bookmarked` flag but the viewer's own, and own-data routes
  (bookmarks, notifications, settings, requests, blocks, mutes) showing the
  viewer's own rows only;
- that writes answered 2xx by someone else left the target's rows alone.

Roles, each acting on its target account (PUBLIC or PRIVATE):

    owner         the private account itself
    other         a signed-in user with no relation to the public account
    follower      an approved follower of the private account
    non_follower  a signed-in user who does not follow the private account
    blocked       blocked by the public account
    muted         muted by the public account (mutes are never shown to the muted)
    anonymous     no token; targets the public account
    moderator     is_staff and in the Moderators group, no relation to the private
                  account: the API grants moderators nothing more (moderation
                  happens in the admin)

The stream (`/api/v1/stream`) and `/ws/` are served by the ASGI app: the last
tests here drive them through it (anonymous and revoked tokens refused, a
user's socket and stream carry only that user's pushes, post subscriptions
only for posts the user may see).
"""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connections, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.api.serializers import TokenObtainSerializer
from accounts.models import User
from core.realtime import user_group
from moderation import export as exports
from notifications.models import Notification, NotificationSettings, Verb
from relationships.models import Follow, FollowRequest
from tests.factories import (
    MediaFactory,
    UserFactory,
)
from tweets.models import Bookmark, Like, Post, Retweet

ROLES = (
    "owner",
    "other",
    "follower",
    "non_follower",
    "blocked",
    "muted",
    "anonymous",
    "moderator",
)
PUBLIC, PRIVATE = "public", "private"
TARGET = {
    "owner": PRIVATE,
    "other": PUBLIC,
    "follower": PRIVATE,
    "non_follower": PRIVATE,
    "blocked": PUBLIC,
    "muted": PUBLIC,
    "anonymous": PUBLIC,
    "moderator": PRIVATE,
}
SEES_PRIVATE = {"owner", "follower"}  # who may read the private account's content
PRIVATE_MARK = "PRIVATE-MARKER"  # in every text of the private account's posts
EMAIL_DOMAIN = "@matrix.example"
SECRET_KEYS = {"password", "token_version", "is_staff", "is_superuser", "email_verbs"}
WRONG_PASSWORD = "not-the-password-1"
NEW_PASSWORD = "a-brand-New-passphrase-8"

# --- expected statuses --------------------------------------------------------------


def every(status: int, **overrides: int) -> dict[str, int]:
    """`status` for every role, anonymous included."""
    return {role: overrides.get(role, status) for role in ROLES}


def signed_in(status: int, **overrides: int) -> dict[str, int]:
    """`status` for every signed-in role; anonymous 401."""
    return every(status, anonymous=401, **overrides)


def sees_post(status: int, **overrides: int) -> dict[str, int]:
    """A post of the target: 404 to whoever may not see it (private, blocked)."""
    return signed_in(status, non_follower=404, moderator=404, blocked=404, **overrides)


def per_user_list(status: int = 200) -> dict[str, int]:
    """A per-user list (relationships.selectors.user_lists_get_visible_to):
    blocked 404, a private account's for itself and its followers (else 403)."""
    return signed_in(status, non_follower=403, moderator=403, blocked=404)


def profile() -> dict[str, int]:
    return signed_in(200, blocked=404)


@dataclass
class Cell:
    """One (route, method): the statuses per role, the request, extra checks."""

    expected: dict[str, int]
    path: str  # formatted with the world's values for the role (World.values)
    body: dict | None = None
    # check(world, role, response): own-data routes, side effects of writes.
    check: Callable[["World", str, Any], None] | None = None


# --- the world ------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    posts: dict[str, Post]
    notifications: dict[str, Notification]
    request_id: int
    export_id: int
    own: dict[str, set[str]] = field(default_factory=dict)
    media: dict[str, int] = field(default_factory=dict)  # a ready upload of each target

    def viewer(self, role: str) -> User | None:
        return None if role == "anonymous" else self.users[role]

    def target(self, role: str) -> User:
        return self.users[TARGET[role]]

    def values(self, role: str) -> dict[str, Any]:
        target = TARGET[role]
        return {
            "user": self.users[target].pk,
            "username": self.users[target].username,
            "post": self.posts[target].pk,
            "request": self.request_id,
            "notification": self.notifications[target].pk,
            "export": self.export_id,
            "media": self.media.get(target),
        }


def build_world() -> World:
    """Built with the services, so counters and side rows are what the API would leave."""
    from relationships import services as rel
    from tweets import services as tw

    def user(name: str, **kwargs) -> User:
        return UserFactory(username=name, email=f"{name}{EMAIL_DOMAIN}", **kwargs)

    public, private = user("public_target"), user("private_target", is_private=True)
    users = {
        PUBLIC: public,
        PRIVATE: private,
        "owner": private,
        "other": user("other"),
        "follower": user("follower"),
        "non_follower": user("non_follower"),
        "blocked": user("blocked"),
        "muted": user("muted"),
        "moderator": user("moderator", is_staff=True),
    }
    users["moderator"].groups.add(Group.objects.get(name="Moderators"))
    requester, author = user("requester"), user("author")
    for asker in (users["follower"], public, requester):
        rel.follow_create(follower=asker, followee_id=private.pk)
    requests = dict(FollowRequest.objects.values_list("requester_id", "pk"))
    for approved in (users["follower"], public):
        rel.follow_request_approve(user=private, request_id=requests[approved.pk])
    rel.follow_create(follower=users["muted"], followee_id=public.pk)  # its feed has the public's
    request_id = requests[requester.pk]
    for target in (public, private):
        rel.follow_create(follower=target, followee_id=author.pk)
    rel.block_create(blocker=public, blocked_id=users["blocked"].pk)
    rel.mute_create(muter=public, muted_id=users["muted"].pk)
    # the owner's own blocks and mutes (of users no role is)
    rel.block_create(blocker=private, blocked_id=user("pest").pk)
    rel.mute_create(muter=private, muted_id=user("bore").pk)

    elsewhere = tw.post_create(author=author, text="a public post both targets like")
    hidden = tw.post_create(author=private, text=f"{PRIVATE_MARK} root")
    posts = {
        # The public account follows the private one and answers and quotes it in
        # public: every route of this post must hide the private post it refers to.
        PUBLIC: tw.post_create(
            author=public, text="answering", reply_to_id=hidden.pk, quote_of_id=hidden.pk
        ),
        PRIVATE: hidden,
    }
    for target, post in posts.items():
        mark = PRIVATE_MARK if target == PRIVATE else "public"
        tw.post_create(author=post.author, text=f"{mark} reply", reply_to_id=post.pk)
        tw.post_edit(user=post.author, post_id=post.pk, text=f"{mark} edited")
        # someone else's like: the post's liked-by list has a row
        tw.like_create(user=users["follower" if target == PRIVATE else "other"], post_id=post.pk)
    for target in (public, private):
        tw.like_create(user=target, post_id=elsewhere.pk)
        tw.retweet_create(user=target, post_id=elsewhere.pk)
        tw.bookmark_create(user=target, post_id=elsewhere.pk)
        NotificationSettings.objects.create(user=target, email_verbs=[Verb.LIKE])
    tw.retweet_create(user=private, post_id=posts[PRIVATE].pk)
    tw.post_create(author=public, text="quoting", quote_of_id=posts[PRIVATE].pk)
    Notification.objects.all().delete()  # none but the two below (handlers did not run)
    notifications = {
        PUBLIC: Notification.objects.create(recipient=public, actor=author, verb=Verb.FOLLOW),
        PRIVATE: Notification.objects.create(
            recipient=private, actor=requester, verb=Verb.FOLLOW_REQUEST
        ),
    }
    for target in (public, private):
        target.refresh_from_db()
    export = exports.export_request(user=private)  # its data export, built (the task's work)
    exports.export_build(export_id=export.pk)
    media = {
        target: MediaFactory(owner=users[target], alt_text="").pk for target in (PUBLIC, PRIVATE)
    }
    return World(
        users=users,
        posts=posts,
        notifications=notifications,
        request_id=request_id,
        export_id=export.pk,
        media=media,
    )


# --- checks of own-data routes and of writes -------------------------------------------


def results(response) -> list:
    return response.json()["results"]


def own_rows_only(world: World, role: str, response) -> None:
    """Only the private account (the owner) has rows in these lists; others see none."""
    if response.status_code != 200:
        return
    assert bool(results(response)) == (role == "owner"), results(response)


def me_is_the_viewer(world: World, role: str, response) -> None:
    viewer = world.viewer(role)
    if response.status_code == 200:
        assert response.json()["id"] == str(viewer.pk)
        assert response.json()["email"] == viewer.email
    if role != "owner":  # nobody else's PATCH touched the target
        assert User.objects.get(pk=world.target(role).pk).bio == ""


def own_unread_count(world: World, role: str, response) -> None:
    if response.status_code == 200:
        assert response.json()["count"] == (1 if role == "owner" else 0)


def own_settings(world: World, role: str, response) -> None:
    if response.status_code == 200 and response.request["REQUEST_METHOD"] == "GET":
        assert response.json()["email"]["like"] == (role == "owner")
    if role != "owner":
        stored = NotificationSettings.objects.get(user=world.target(role)).email_verbs
        assert stored == [Verb.LIKE]


def target_notification_untouched(world: World, role: str, response) -> None:
    notification = Notification.objects.filter(pk=world.notifications[TARGET[role]].pk).first()
    if role == "owner":
        return
    assert notification is not None
    assert not notification.is_read


def request_untouched(world: World, role: str, response) -> None:
    if role != "owner":
        assert FollowRequest.objects.filter(pk=world.request_id).exists()
        assert not Follow.objects.filter(
            followee=world.users[PRIVATE], follower__username="requester"
        )


def relationship_hides_mutes(world: World, role: str, response) -> None:
    """The muted user cannot tell: no flag says the target mutes them."""
    if response.status_code != 200:
        return
    rows = response.json()["results"] if "results" in response.json() else [response.json()]
    for row in rows:
        assert set(row) == {
            "user_id",
            "following",
            "followed_by",
            "requested",
            "blocking",
            "blocked_by",
            "muting",
        }
        assert row["muting"] is False  # no role mutes its target


def media_untouched(world: World, role: str, response) -> None:
    if role != "owner":
        from media.models import Media

        assert Media.objects.get(pk=world.media[TARGET[role]]).alt_text == ""


SEARCH_MARK = "private-marker"


def finds_private(world: World, role: str, response) -> None:
    """Search finds the private account's post for those who may see it (and, by
    assert_no_leak, for nobody else)."""
    if response.status_code == 200 and role in SEES_PRIVATE:
        assert PRIVATE_MARK in response.content.decode(), "search missed a visible post"


# --- the matrix -----------------------------------------------------------------------

OWNER_ONLY_WRITE = sees_post(403, owner=200)
MATRIX: dict[str, dict[str, Cell]] = {
    # auth: no token needed (and none used); each role gets the same answer
    "api/v1/auth/register": {"post": Cell(every(400), "/api/v1/auth/register", {})},
    "api/v1/auth/token": {
        "post": Cell(
            every(401),
            "/api/v1/auth/token",
            {"username": "{username}", "password": WRONG_PASSWORD},
        )
    },
    "api/v1/auth/token/refresh": {
        "post": Cell(every(401), "/api/v1/auth/token/refresh", {"refresh": "garbage"})
    },
    "api/v1/auth/logout": {"post": Cell(every(401), "/api/v1/auth/logout", {"refresh": "garbage"})},
    "api/v1/auth/password/change": {
        "post": Cell(
            signed_in(400),
            "/api/v1/auth/password/change",
            {"old_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD},
        )
    },
    "api/v1/auth/password/reset": {
        "post": Cell(every(202), "/api/v1/auth/password/reset", {"email": "x" + EMAIL_DOMAIN})
    },
    "api/v1/auth/password/reset/confirm": {
        "post": Cell(
            every(400),
            "/api/v1/auth/password/reset/confirm",
            {"uid": "x", "token": "y", "new_password": NEW_PASSWORD},
        )
    },
    # media: uploads are multipart only (a JSON body is a 415; tests/media upload
    # files); an item is its owner's alone (anyone else: 404)
    "api/v1/media": {"post": Cell(signed_in(415), "/api/v1/media", {"alt_text": "x"})},
    "api/v1/media/<id:media_id>": {
        "get": Cell(signed_in(404, owner=200), "/api/v1/media/{media}"),
        "patch": Cell(
            signed_in(404, owner=200), "/api/v1/media/{media}", {"alt_text": "new"}, media_untouched
        ),
    },
    "api/v1/users/me/avatar": {"post": Cell(signed_in(415), "/api/v1/users/me/avatar", {})},
    "api/v1/users/me/banner": {"post": Cell(signed_in(415), "/api/v1/users/me/banner", {})},
    # the viewer's own account
    "api/v1/users/me": {
        "get": Cell(signed_in(200), "/api/v1/users/me", check=me_is_the_viewer),
        "patch": Cell(signed_in(200), "/api/v1/users/me", {"bio": "new bio"}, me_is_the_viewer),
        "delete": Cell(signed_in(400), "/api/v1/users/me", {"password": WRONG_PASSWORD}),
    },
    "api/v1/users/me/deactivate": {
        "post": Cell(signed_in(400), "/api/v1/users/me/deactivate", {"password": WRONG_PASSWORD})
    },
    # posts of the target
    # quoting the target's post: only a post one may see may be quoted
    "api/v1/posts": {
        "post": Cell(sees_post(201), "/api/v1/posts", {"text": "hello", "quote_of": "{post}"})
    },
    "api/v1/posts/<id:post_id>": {
        "get": Cell(sees_post(200), "/api/v1/posts/{post}"),
        "patch": Cell(OWNER_ONLY_WRITE, "/api/v1/posts/{post}", {"text": "edited"}),
        "delete": Cell(sees_post(403, owner=204), "/api/v1/posts/{post}"),
    },
    "api/v1/posts/<id:post_id>/history": {
        "get": Cell(sees_post(200), "/api/v1/posts/{post}/history")
    },
    "api/v1/posts/<id:post_id>/comment": {
        "post": Cell(sees_post(201), "/api/v1/posts/{post}/comment", {"text": "a comment"})
    },
    "api/v1/posts/<id:post_id>/comments": {
        "get": Cell(sees_post(200), "/api/v1/posts/{post}/comments")
    },
    "api/v1/posts/<id:post_id>/context": {
        "get": Cell(sees_post(200), "/api/v1/posts/{post}/context")
    },
    "api/v1/posts/<id:post_id>/like": {
        "post": Cell(sees_post(201, other=200, follower=200), "/api/v1/posts/{post}/like"),
        "delete": Cell(sees_post(204), "/api/v1/posts/{post}/like"),
    },
    "api/v1/posts/<id:post_id>/retweet": {
        "post": Cell(sees_post(201, owner=200), "/api/v1/posts/{post}/retweet"),
        "delete": Cell(sees_post(204), "/api/v1/posts/{post}/retweet"),
    },
    "api/v1/posts/<id:post_id>/bookmark": {
        "post": Cell(sees_post(201), "/api/v1/posts/{post}/bookmark"),
        "delete": Cell(sees_post(204), "/api/v1/posts/{post}/bookmark"),
    },
    "api/v1/posts/<id:post_id>/liked-by": {
        "get": Cell(sees_post(200), "/api/v1/posts/{post}/liked-by")
    },
    "api/v1/posts/<id:post_id>/retweeted-by": {
        "get": Cell(sees_post(200), "/api/v1/posts/{post}/retweeted-by")
    },
    # the viewer's own lists
    "api/v1/bookmarks": {"get": Cell(signed_in(200), "/api/v1/bookmarks", check=own_rows_only)},
    "api/v1/feed": {"get": Cell(signed_in(200), "/api/v1/feed")},
    # per-user lists and profiles of the target
    "api/v1/users/<id:user_id>/posts": {
        "get": Cell(per_user_list(), "/api/v1/users/{user}/posts?include_replies=true")
    },
    "api/v1/users/<id:user_id>/likes": {"get": Cell(per_user_list(), "/api/v1/users/{user}/likes")},
    "api/v1/users/<id:user_id>/profile": {"get": Cell(profile(), "/api/v1/users/{user}/profile")},
    "api/v1/users/by-username/<str:username>": {
        "get": Cell(profile(), "/api/v1/users/by-username/{username}")
    },
    "api/v1/users/me/blocks": {
        "get": Cell(signed_in(200), "/api/v1/users/me/blocks", check=own_rows_only)
    },
    "api/v1/users/me/mutes": {
        "get": Cell(signed_in(200), "/api/v1/users/me/mutes", check=own_rows_only)
    },
    "api/v1/users/suggestions": {"get": Cell(signed_in(200), "/api/v1/users/suggestions")},
    # search: the private account's posts are found by those who may see them only
    "api/v1/search": {
        "get": Cell(signed_in(200), f"/api/v1/search?q={SEARCH_MARK}", check=finds_private)
    },
    "api/v1/search/posts": {
        "get": Cell(signed_in(200), f"/api/v1/search/posts?q={SEARCH_MARK}", check=finds_private)
    },
    "api/v1/search/users": {"get": Cell(signed_in(200), "/api/v1/search/users?q=priv")},
    "api/v1/search/users/autocomplete": {
        "get": Cell(signed_in(200), "/api/v1/search/users/autocomplete?q=priv")
    },
    "api/v1/hashtags/<str:tag>/posts": {"get": Cell(signed_in(200), "/api/v1/hashtags/x/posts")},
    "api/v1/trends": {"get": Cell(signed_in(200), "/api/v1/trends")},
    "api/v1/users/relationships": {
        "get": Cell(
            signed_in(200), "/api/v1/users/relationships?ids={user}", check=relationship_hides_mutes
        )
    },
    "api/v1/users/<id:user_id>/follow": {
        "post": Cell(
            signed_in(201, owner=400, follower=200, muted=200, blocked=403),
            "/api/v1/users/{user}/follow",
        ),
        "delete": Cell(signed_in(204), "/api/v1/users/{user}/follow"),
    },
    "api/v1/users/<id:user_id>/follower": {
        "delete": Cell(signed_in(204), "/api/v1/users/{user}/follower")
    },
    "api/v1/users/<id:user_id>/followers": {
        "get": Cell(per_user_list(), "/api/v1/users/{user}/followers")
    },
    "api/v1/users/<id:user_id>/following": {
        "get": Cell(per_user_list(), "/api/v1/users/{user}/following")
    },
    "api/v1/users/<id:user_id>/block": {
        "post": Cell(signed_in(201, owner=400), "/api/v1/users/{user}/block"),
        "delete": Cell(signed_in(204), "/api/v1/users/{user}/block"),
    },
    "api/v1/users/<id:user_id>/mute": {
        "post": Cell(signed_in(201, owner=400), "/api/v1/users/{user}/mute"),
        "delete": Cell(signed_in(204), "/api/v1/users/{user}/mute"),
    },
    "api/v1/users/<id:user_id>/relationship": {
        "get": Cell(
            signed_in(200), "/api/v1/users/{user}/relationship", check=relationship_hides_mutes
        )
    },
    # follow requests to the private account: only it may answer them
    "api/v1/follow-requests": {
        "get": Cell(signed_in(200), "/api/v1/follow-requests", check=own_rows_only)
    },
    "api/v1/follow-requests/<id:request_id>/approve": {
        "post": Cell(
            signed_in(404, owner=204),
            "/api/v1/follow-requests/{request}/approve",
            check=request_untouched,
        )
    },
    "api/v1/follow-requests/<id:request_id>/reject": {
        "post": Cell(
            signed_in(404, owner=204),
            "/api/v1/follow-requests/{request}/reject",
            check=request_untouched,
        )
    },
    # notifications: the viewer's own
    "api/v1/notifications": {
        "get": Cell(signed_in(200), "/api/v1/notifications", check=own_rows_only)
    },
    "api/v1/notifications/unread-count": {
        "get": Cell(signed_in(200), "/api/v1/notifications/unread-count", check=own_unread_count)
    },
    "api/v1/notifications/read": {
        "post": Cell(
            signed_in(200),
            "/api/v1/notifications/read",
            {"all": True},
            target_notification_untouched,
        )
    },
    "api/v1/notifications/<id:notification_id>": {
        "delete": Cell(
            signed_in(204),
            "/api/v1/notifications/{notification}",
            check=target_notification_untouched,
        )
    },
    "api/v1/users/me/notification-settings": {
        "get": Cell(signed_in(200), "/api/v1/users/me/notification-settings", check=own_settings),
        "patch": Cell(
            signed_in(200),
            "/api/v1/users/me/notification-settings",
            {"email": {"follow": True}},
            own_settings,
        ),
    },
    # moderation: reports about the target; the viewer's own data export
    "api/v1/reports": {
        "post": Cell(
            signed_in(201, owner=400, blocked=404),
            "/api/v1/reports",
            {"target_type": "user", "target_id": "{user}", "reason": "spam"},
        )
    },
    "api/v1/users/me/export": {
        "get": Cell(signed_in(404, owner=200), "/api/v1/users/me/export"),
        "post": Cell(signed_in(202, owner=409), "/api/v1/users/me/export"),
    },
    "api/v1/users/me/export/<id:export_id>/download": {
        "get": Cell(signed_in(404, owner=200), "/api/v1/users/me/export/{export}/download")
    },
    # served by the ASGI app only (see the socket tests below); the WSGI app says 404
    # Served by daphne; the WSGI app checks the token, then answers 404.
    "api/v1/stream": {"get": Cell(signed_in(404), "/api/v1/stream")},
    "api/v1/ping": {"get": Cell(signed_in(200), "/api/v1/ping")},
    # the schema and its viewers are public documentation
    "api/schema/": {"get": Cell(every(200), "/api/schema/")},
    "api/docs/": {"get": Cell(every(200), "/api/docs/")},
    "api/redoc/": {"get": Cell(every(200), "/api/redoc/")},
    "api/docs": {"get": Cell(every(302), "/api/docs")},
    "api/redoc": {"get": Cell(every(302), "/api/redoc")},
    "api/schema": {"get": Cell(every(302), "/api/schema")},
    # unknown API routes: 404 for every method
    "^api(/|$)": {
        method: Cell(every(404), "/api/v1/no-such-route")
        for method in ("get", "post", "put", "patch", "delete")
    },
}
# The WebSocket routes (config/asgi.py) and the test that covers each.
SOCKET_ROUTES = {
    "ws/": "test_sockets_and_streams_refuse_strangers_and_carry_only_own_pushes",
    # Mastodon's streaming socket (mastodon_api.streaming): anonymous, bad and
    # out-of-scope tokens refused, a revocation closes it, the native host refused.
    "api/v1/streaming": (
        "tests/mastodon_api/test_b_streaming.py::"
        "test_strangers_are_refused_and_a_revocation_closes_the_socket"
    ),
}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


# --- the routes, from the resolver -----------------------------------------------------


def _methods(pattern: URLPattern) -> tuple[str, ...]:
    callback = pattern.callback
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:  # a plain function view: whatever it is asked
        return HTTP_METHODS
    allowed = getattr(callback, "view_initkwargs", {}).get("http_method_names")
    allowed = allowed or getattr(callback, "initkwargs", {}).get("http_method_names")
    allowed = allowed or cls.http_method_names
    return tuple(m for m in HTTP_METHODS if m in allowed and hasattr(cls, m))


def api_routes() -> dict[str, tuple[str, ...]]:
    """Every route whose path starts with `api`, with the methods its view answers."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route.lstrip("^").startswith("api"):
                found[route] = _methods(pattern)

    walk(get_resolver().url_patterns, "")
    return found


def socket_routes() -> list[str]:
    from config.asgi import websocket_routes

    return [str(route.pattern) for route in websocket_routes.routes]


def test_every_route_is_in_the_matrix():
    routes = api_routes()
    missing = {r: m for r, m in routes.items() if r not in MATRIX}
    assert not missing, f"new route: add it to the matrix: {missing}"
    gone = set(MATRIX) - set(routes)
    assert not gone, f"routes in the matrix that no longer exist: {gone}"
    for route, methods in routes.items():
        assert set(MATRIX[route]) == set(methods), (
            f"{route}: methods {methods} (matrix: new method)"
        )
    sockets = socket_routes()
    assert sorted(sockets) == sorted(SOCKET_ROUTES), f"new socket route: add it: {sockets}"


CELLS = [(route, method) for route, methods in MATRIX.items() for method in methods]


# --- asking ---------------------------------------------------------------------------


def _format(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: _format(v, values) for k, v in value.items()}
    return value


def _walk(value: Any):
    """Every (key, value) of a JSON document, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def assert_no_leak(world: World, role: str, response) -> None:
    if response.streaming:  # a download (the owner's data export): no JSON to walk
        raw = b"".join(response.streaming_content)
        assert response["Content-Type"] == "application/zip"
        assert world.viewer(role) == world.users[PRIVATE], "someone else's export"
        assert raw.startswith(b"PK")
        return
    text = response.content.decode(errors="replace")
    viewer = world.viewer(role)
    for user in User.objects.exclude(pk=viewer.pk if viewer else None):
        assert f'"{user.email}"' not in text, f"{user.email} leaked"
    if role not in SEES_PRIVATE:
        assert PRIVATE_MARK not in text, "the private account's content leaked"
    if not response.get("Content-Type", "").startswith("application/json") or not text:
        return
    body = json.loads(text)
    for key, _ in _walk(body):
        assert key not in SECRET_KEYS, f"{key} leaked"
    own = own_flags(viewer)
    for _, value in _walk(body):
        if isinstance(value, dict) and "liked" in value:  # a rendered post
            for flag, ids in own.items():
                assert value[flag] == (value["id"] in ids), f"{flag} of post {value['id']}"


def own_flags(viewer: User | None) -> dict[str, set[str]]:
    """The posts the viewer itself liked, retweeted, bookmarked (as the API's id strings)."""
    rows = {"liked": Like, "retweeted": Retweet, "bookmarked": Bookmark}
    if viewer is None:
        return {flag: set() for flag in rows}
    return {
        flag: {
            str(pk) for pk in model.objects.filter(user=viewer).values_list("post_id", flat=True)
        }
        for flag, model in rows.items()
    }


@pytest.fixture
def matrix_settings(settings, tmp_path):
    settings.THROTTLE_ENABLED = False
    # data exports are written to a folder of the test's own
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"].get("OPTIONS", {}), "location": tmp_path},
        },
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), CELLS, ids=[f"{m.upper()} {r}" for r, m in CELLS])
def test_authorization_matrix(route, method, matrix_settings):
    cell = MATRIX[route][method]
    world = build_world()
    wrong = []
    for role in ROLES:
        client = APIClient()
        if world.viewer(role) is not None:  # a real token, as clients send it
            token = TokenObtainSerializer.get_token(world.viewer(role)).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        values = world.values(role)
        path = _format(cell.path, values)
        body = _format(cell.body, values)
        cache.clear()
        with transaction.atomic():
            response = getattr(client, method)(path, body, format="json")
            try:
                status = response.status_code
                if status != cell.expected[role]:
                    wrong.append(f"{role}: {status} (expected {cell.expected[role]}) {path}")
                    continue
                if status >= 400 and response.get("Content-Type") == "application/json":
                    assert response.json()["errors"], response.content
                assert_no_leak(world, role, response)
                if cell.check:
                    cell.check(world, role, response)
            except AssertionError as exc:
                wrong.append(f"{role}: {exc}")
            finally:
                transaction.set_rollback(True)
    assert not wrong, "\n".join(wrong)


# --- sockets and streams (the ASGI app) -------------------------------------------------


@pytest.fixture
def in_memory_layer(settings, monkeypatch):
    from channels.layers import channel_layers

    from tests.notifications.test_realtime import close_consumer_connections

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.THROTTLE_ENABLED = False
    channel_layers.backends.clear()
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    yield
    close_consumer_connections()


async def _refused_socket(path: str) -> dict:
    from config.asgi import application

    socket = WebsocketCommunicator(application, path)
    connected, _ = await socket.connect(timeout=5)
    assert connected  # accepted, then closed with the code that says "refresh your token"
    closed = await socket.receive_output(timeout=5)
    await socket.disconnect()
    return closed


async def _stream_status(query: str) -> int:
    from asgiref.testing import ApplicationCommunicator

    from config.asgi import application
    from tests.notifications.test_realtime import http_scope

    app = ApplicationCommunicator(application, http_scope("/api/v1/stream", query))
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await app.receive_output(timeout=5)
    await app.receive_output(timeout=5)  # the error body
    return start["status"]


@pytest.mark.django_db(transaction=True)
def test_sockets_and_streams_refuse_strangers_and_carry_only_own_pushes(in_memory_layer):
    """`/ws/` and `/api/v1/stream`: anonymous and revoked tokens are refused; each
    user's socket and stream carry that user's pushes only; a socket subscribes only
    to posts its user may see (a private account's: its followers)."""
    from accounts.services import revoke_tokens
    from notifications.consumers import CLOSE_UNAUTHORIZED
    from relationships import services as rel
    from tests.notifications.test_realtime import (
        access_token,
        in_thread,
        open_socket,
        open_stream,
        parse_events,
    )
    from tweets import services as tw

    owner, other, revoked = (UserFactory(username=n) for n in ("owner", "other", "revoked"))
    private = UserFactory(username="private", is_private=True)
    rel.follow_create(follower=owner, followee_id=private.pk)
    rel.follow_request_approve(user=private, request_id=FollowRequest.objects.get().pk)
    hidden = tw.post_create(author=private, text=f"{PRIVATE_MARK} post")
    post = tw.post_create(author=owner, text="liked below")
    tokens = {user.username: access_token(user) for user in (owner, other, revoked)}
    revoke_tokens(user=revoked)
    unauthorized = {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}

    async def scenario():
        assert await _refused_socket("/ws/") == unauthorized
        assert await _refused_socket(f"/ws/?token={tokens['revoked']}") == unauthorized
        assert await _stream_status("") == 401
        assert await _stream_status(f"token={tokens['revoked']}") == 401

        mine, theirs = await open_socket(tokens["owner"]), await open_socket(tokens["other"])
        own_stream, their_stream = (
            await open_stream(tokens["owner"]),
            await open_stream(tokens["other"]),
        )
        ids = [str(hidden.pk)]
        await mine.send_json_to({"type": "subscribe", "post_ids": ids})
        await theirs.send_json_to({"type": "subscribe", "post_ids": ids})
        subscribed = (await mine.receive_json_from(5), await theirs.receive_json_from(5))

        await in_thread(tw.like_create)(user=other, post_id=post.pk)  # notifies the owner
        own_frames = [(await mine.receive_json_from(5))["type"] for _ in range(2)]
        own_events = parse_events((await own_stream.receive_output(timeout=5))["body"])
        # Anything pushed to the others would have been queued before these answers.
        await theirs.send_json_to({"type": "ping"})
        their_first = await theirs.receive_json_from(5)
        await get_channel_layer().group_send(
            user_group(other.pk), {"type": "push", "payload": {"type": "probe"}}
        )
        their_events = parse_events((await their_stream.receive_output(timeout=5))["body"])
        for socket in (mine, theirs):
            await socket.disconnect()
        for stream in (own_stream, their_stream):
            await stream.send_input({"type": "http.disconnect"})
            await stream.wait(timeout=5)
        return subscribed, own_frames, own_events, their_first, their_events

    subscribed, own_frames, own_events, their_first, their_events = asyncio.run(scenario())
    assert subscribed == (
        {"type": "subscribed", "post_ids": [str(hidden.pk)]},  # a follower may
        {"type": "subscribed", "post_ids": []},  # a stranger may not
    )
    assert own_frames == ["notification.created", "notification.unread_count"]
    assert own_events[0][0] == "notification.created"
    assert their_first == {"type": "pong"}
    assert their_events == [("probe", {"type": "probe"})]
