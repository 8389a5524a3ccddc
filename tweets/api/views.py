"""Posts API: parse input, call one service or selector, render output.

Status codes (DESIGN.md §6): a post the viewer may not see is a 404 for every
endpoint, reads and writes alike (deleted, author gone, blocked, private); a
visible post the viewer may not change is a 403. Like, retweet and bookmark are
idempotent set/unset: POST answers 201 when it created the row and 200 when it
already existed; DELETE answers 204 either way.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rendering import user_row
from accounts.schemas import UserListItemSerializer
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.pagination import KeysetPagination
from core.responses import created_or_ok
from core.schema import NO_CONTENT, error_responses
from core.throttling import WriteThrottled
from relationships.selectors import (
    user_get_by_username_visible_to,
    user_get_visible_to,
    user_lists_get_visible_to,
)
from tweets import rendering, selectors, services
from tweets.api import serializers as s

POSTS = ["posts"]
USERS = ["users"]


def _render_post(request, post) -> dict:
    return rendering.render_post(viewer=request.user, post=post, request=request)


def _render_new_post(request, post) -> dict:
    return rendering.render_new_post(viewer=request.user, post=post, request=request)


# --- posts -------------------------------------------------------------------


class PostCreateView(WriteThrottled, APIView):
    validation_errors = {"post": {"media_ids": {"invalid"}}}  # core.schema

    @extend_schema(
        tags=POSTS,
        summary="Publish a post, a reply (reply_to) or a quote (quote_of)",
        description=(
            "A reply to or quote of a post you cannot see (deleted, blocked, private) is a 404."
        ),
        request=s.PostCreateSerializer,
        responses={201: s.PostSerializer, **error_responses(409, 422)},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        data = s.PostCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        post = services.post_create(
            author=request.user,
            text=values["text"],
            reply_to_id=values.get("reply_to"),
            quote_of_id=values.get("quote_of"),
            media_ids=values.get("media_ids", []),
        )
        return Response(_render_new_post(request, post), status=status.HTTP_201_CREATED)


class PostDetailView(WriteThrottled, APIView):
    partial_patch = False  # an edit sends the text (core.schema)

    @extend_schema(tags=POSTS, summary="A post", responses={200: s.PostSerializer})
    def get(self, request, post_id: int):
        post = selectors.post_get_visible(viewer=request.user, post_id=post_id)
        return Response(_render_post(request, post))

    @extend_schema(
        tags=POSTS,
        summary="Edit your post's text (within the edit window; the old text goes to history)",
        request=s.PostWriteSerializer,
        responses={200: s.PostSerializer},
    )
    def patch(self, request, post_id: int):
        data = s.PostWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_edit(user=request.user, post_id=post_id, **data.validated_data)
        return Response(_render_post(request, post))

    @extend_schema(
        tags=POSTS,
        summary="Delete your post (replies stay and show it as unavailable)",
        responses={204: NO_CONTENT},
    )
    def delete(self, request, post_id: int):
        services.post_delete(user=request.user, post_id=post_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(tags=POSTS, summary="Earlier texts of a post, newest edit first")
)
class PostHistoryView(ListAPIView):
    pagination_class = KeysetPagination
    serializer_class = s.PostEditSerializer

    def get_queryset(self):
        return selectors.post_edit_history(viewer=self.request.user, post_id=self.kwargs["post_id"])


class PostCommentView(WriteThrottled, APIView):
    validation_errors = {"post": {"media_ids": {"invalid"}}}

    @extend_schema(
        tags=POSTS,
        summary="Reply to a post",
        request=s.CommentCreateSerializer,
        responses={201: s.PostSerializer, **error_responses(409, 422)},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, post_id: int):
        data = s.CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        post = services.post_create(
            author=request.user,
            text=values["text"],
            reply_to_id=post_id,
            quote_of_id=values.get("quote_of"),
            media_ids=values.get("media_ids", []),
        )
        return Response(_render_new_post(request, post), status=status.HTTP_201_CREATED)


class PostContextView(APIView):
    @extend_schema(
        tags=POSTS,
        summary="A post's thread: its ancestors and descendants (bounded)",
        description=(
            f"Up to {selectors.CONTEXT_MAX_ANCESTORS} ancestors, root first, and up to "
            f"{selectors.CONTEXT_MAX_DESCENDANTS} descendants, breadth first; posts you "
            "cannot see are left out."
        ),
        responses={200: s.PostThreadSerializer},
    )
    def get(self, request, post_id: int):
        thread = selectors.post_context(viewer=request.user, post_id=post_id)
        return Response(
            rendering.render_thread(viewer=request.user, thread=thread, request=request)
        )


# --- lists of posts ------------------------------------------------------------


class _PostRowsView(ListAPIView):
    """A keyset-paginated list of rows (posts, likes, bookmarks) rendered as posts."""

    pagination_class = KeysetPagination
    serializer_class = s.PostSerializer

    def rows(self):
        raise NotImplementedError

    def render(self, rows) -> list[dict]:
        posts = [row.post for row in rows]
        return rendering.render_posts(viewer=self.request.user, posts=posts, request=self.request)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.rows())
        return self.get_paginated_response(self.render(page))


@extend_schema_view(get=extend_schema(tags=POSTS, summary="Direct replies to a post, newest first"))
class PostCommentsView(_PostRowsView):
    def rows(self):
        return selectors.post_replies(viewer=self.request.user, post_id=self.kwargs["post_id"])

    def render(self, rows) -> list[dict]:
        return rendering.render_posts(viewer=self.request.user, posts=rows, request=self.request)


@extend_schema_view(
    get=extend_schema(
        tags=POSTS,
        summary="Your bookmarks, newest bookmark first (only ever your own)",
        description="Each post carries `bookmarked_at`, when you bookmarked it.",
    )
)
class BookmarkListView(_PostRowsView):
    serializer_class = s.BookmarkedPostSerializer

    def rows(self):
        return selectors.bookmarks_of(user=self.request.user)

    def render(self, rows) -> list[dict]:
        return rendering.render_bookmarks(
            viewer=self.request.user, bookmarks=rows, request=self.request
        )


@extend_schema_view(
    get=extend_schema(
        tags=USERS,
        summary="Posts a user liked, newest like first",
        description=(
            "A private account's likes are for itself and its approved followers (403 "
            "`private_account`); posts you cannot see are left out."
        ),
    )
)
class UserLikesView(_PostRowsView):
    def rows(self):
        user = user_lists_get_visible_to(viewer=self.request.user, user_id=self.kwargs["user_id"])
        return selectors.user_liked(viewer=self.request.user, user=user)


class _UsersView(ListAPIView):
    # Users who liked or retweeted a post, newest first, as rows of a list of users:
    # {"user", "created_at"} (when they liked or retweeted it).

    pagination_class = KeysetPagination
    serializer_class = UserListItemSerializer

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = [user_row(row.user, created_at=row.created_at, request=request) for row in page]
        return self.get_paginated_response(data)


@extend_schema_view(get=extend_schema(tags=POSTS, summary="Who liked a post, newest like first"))
class PostLikedByView(_UsersView):
    def get_queryset(self):
        return selectors.post_likes(viewer=self.request.user, post_id=self.kwargs["post_id"])


@extend_schema_view(
    get=extend_schema(tags=POSTS, summary="Who retweeted a post, newest retweet first")
)
class PostRetweetedByView(_UsersView):
    def get_queryset(self):
        return selectors.post_retweets(viewer=self.request.user, post_id=self.kwargs["post_id"])


@extend_schema_view(
    get=extend_schema(
        tags=USERS,
        summary="A user's posts and retweets, newest first, as timeline entries",
        description="A private account's posts are for itself and its approved followers (403).",
        parameters=[s.UserPostsQuerySerializer],
    )
)
class UserPostsView(ListAPIView):
    pagination_class = KeysetPagination
    serializer_class = s.TimelineEntrySerializer

    def list(self, request, *args, **kwargs):
        user = user_lists_get_visible_to(viewer=request.user, user_id=kwargs["user_id"])
        query = s.UserPostsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        include_replies = query.validated_data["include_replies"]
        paginator = self.paginator
        window = paginator.get_window(request)
        entries = selectors.user_timeline(
            viewer=request.user, user=user, window=window, include_replies=include_replies
        )
        page = paginator.paginate_rows(entries)
        data = rendering.render_entries(viewer=request.user, entries=page, request=request)
        return paginator.get_paginated_response(data)


class UserProfileView(APIView):
    @extend_schema(
        tags=USERS,
        summary="A user's public profile with their recent posts",
        responses={200: s.ProfileWithPostsSerializer},
    )
    def get(self, request, user_id: int):
        user = user_get_visible_to(viewer=request.user, user_id=user_id)
        return Response(_profile_with_posts(request=request, user=user))


class UserProfileByUsernameView(APIView):
    @extend_schema(
        tags=USERS,
        summary="A user's public profile with their recent posts, by username",
        responses={200: s.ProfileWithPostsSerializer},
    )
    def get(self, request, username: str):
        user = user_get_by_username_visible_to(viewer=request.user, username=username)
        return Response(_profile_with_posts(request=request, user=user))


def _profile_with_posts(*, request, user) -> dict:
    posts = selectors.user_recent_posts(viewer=request.user, user=user)
    context = {
        "request": request,
        "recent_posts": rendering.render_posts(viewer=request.user, posts=posts, request=request),
    }
    return s.ProfileWithPostsSerializer(user, context=context).data


# --- like, retweet, bookmark ---------------------------------------------------


class PostLikeView(WriteThrottled, APIView):
    @extend_schema(
        tags=POSTS,
        summary="Like a post (201 when liked now, 200 when already liked)",
        request=None,
        responses={200: s.PostSerializer, 201: s.PostSerializer},
    )
    def post(self, request, post_id: int):
        result = services.like_create(user=request.user, post_id=post_id)
        post = selectors.post_get_visible(viewer=request.user, post_id=result.value.id)  # counters
        return Response(_render_post(request, post), status=created_or_ok(result.created))

    @extend_schema(
        tags=POSTS,
        summary="Unlike a post (204 whether or not it was liked)",
        responses={204: NO_CONTENT},
    )
    def delete(self, request, post_id: int):
        services.like_delete(user=request.user, post_id=post_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostRetweetView(WriteThrottled, APIView):
    @extend_schema(
        tags=POSTS,
        summary="Retweet a post (201 when retweeted now, 200 when already retweeted)",
        description="A retweet's id retweets the original post.",
        request=None,
        responses={200: s.TimelineEntrySerializer, 201: s.TimelineEntrySerializer},
    )
    def post(self, request, post_id: int):
        result = services.retweet_create(user=request.user, post_id=post_id)
        retweet = result.value
        retweet.post = selectors.post_get_visible(viewer=request.user, post_id=retweet.post_id)
        entry = selectors.TimelineEntry.of_retweet(retweet)
        data = rendering.render_entries(viewer=request.user, entries=[entry], request=request)[0]
        return Response(data, status=created_or_ok(result.created))

    @extend_schema(
        tags=POSTS,
        summary="Undo a retweet (204 whether or not it was retweeted)",
        responses={204: NO_CONTENT},
    )
    def delete(self, request, post_id: int):
        services.retweet_delete(user=request.user, post_id=post_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostBookmarkView(WriteThrottled, APIView):
    @extend_schema(
        tags=POSTS,
        summary="Bookmark a post, privately (201 when added now, 200 when already there)",
        request=None,
        responses={200: s.PostSerializer, 201: s.PostSerializer},
    )
    def post(self, request, post_id: int):
        result = services.bookmark_create(user=request.user, post_id=post_id)
        post = selectors.post_get_visible(viewer=request.user, post_id=result.value.id)
        return Response(_render_post(request, post), status=created_or_ok(result.created))

    @extend_schema(
        tags=POSTS,
        summary="Remove a bookmark (204 whether or not it existed)",
        responses={204: NO_CONTENT},
    )
    def delete(self, request, post_id: int):
        services.bookmark_delete(user=request.user, post_id=post_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
