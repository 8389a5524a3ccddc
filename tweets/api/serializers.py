"""Input and output shapes of the posts API. No business logic here.

Every post in every response has the shape of PostSerializer. It reads what it
cannot know from the post row (referenced posts, the viewer's flags) from a
`tweets.selectors.PostRenderContext` in `context["posts"]`, so rendering any
number of posts costs the same few queries; `render_posts` and
`render_entries` build that context and serialize.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import ProfileSerializer, UserSummarySerializer
from core.fields import IdField
from tweets import selectors
from tweets.selectors import PostRenderContext
from tweets.text import MAX_GRAPHEMES

# Raw input bound, far above any valid post; the real limit (280 graphemes after
# cleaning) is checked by the service.
MAX_RAW_TEXT = 20_000


class MediaRefSerializer(serializers.Serializer):
    """An attached media item (the media issue extends this with URLs and sizes)."""

    id = IdField()


class PostRefSerializer(serializers.Serializer):
    """A post referenced by a reply or a quote, embedded as a summary.

    `available` is false when the referenced post was deleted or the viewer may
    not see it; then only `id` is filled and the other fields are null.
    """

    id = IdField()
    available = serializers.BooleanField()
    author = UserSummarySerializer(allow_null=True)
    text = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
    media = MediaRefSerializer(many=True)


def _media(post) -> list[dict]:
    return [{"id": str(media_id)} for media_id in post.media_ids]


class MentionEntitySerializer(serializers.Serializer):
    """A mention of an existing user in the text: `text[start:end]` is "@username"
    (offsets in Unicode code points, end exclusive)."""

    username = serializers.CharField(help_text="As written in the text.")
    user_id = IdField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class PostSerializer(serializers.Serializer):
    id = IdField(read_only=True)
    text = serializers.CharField(read_only=True)
    author = UserSummarySerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    conversation_id = IdField(read_only=True, help_text="Id of the thread's root post.")
    reply_to = serializers.SerializerMethodField()
    quote_of = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField()
    like_count = serializers.IntegerField(read_only=True)
    retweet_count = serializers.IntegerField(read_only=True)
    reply_count = serializers.IntegerField(read_only=True)
    quote_count = serializers.IntegerField(read_only=True)
    liked = serializers.SerializerMethodField()
    retweeted = serializers.SerializerMethodField()
    bookmarked = serializers.SerializerMethodField()

    @property
    def _render(self) -> PostRenderContext:
        return self.context.get("posts") or PostRenderContext()

    def _ref(self, ref_id):
        if ref_id is None:
            return None
        ref = self._render.refs.get(ref_id)
        if ref is None:
            return {
                "id": str(ref_id),
                "available": False,
                "author": None,
                "text": None,
                "created_at": None,
                "media": [],
            }
        return {
            "id": str(ref.id),
            "available": True,
            "author": UserSummarySerializer(ref.author, context=self.context).data,
            "text": ref.text,
            "created_at": serializers.DateTimeField().to_representation(ref.created_at),
            "media": _media(ref),
        }

    @extend_schema_field(PostRefSerializer(allow_null=True))
    def get_reply_to(self, post) -> dict | None:
        return self._ref(post.reply_to_id)

    @extend_schema_field(PostRefSerializer(allow_null=True))
    def get_quote_of(self, post) -> dict | None:
        return self._ref(post.quote_of_id)

    @extend_schema_field(MediaRefSerializer(many=True))
    def get_media(self, post) -> list[dict]:
        return _media(post)

    @extend_schema_field(MentionEntitySerializer(many=True))
    def get_mentions(self, post) -> list[dict]:
        return [
            {**entity, "user_id": str(entity["user_id"])}
            for entity in self._render.mentions.get(post.id, [])
        ]

    def get_liked(self, post) -> bool:
        return post.id in self._render.liked

    def get_retweeted(self, post) -> bool:
        return post.id in self._render.retweeted

    def get_bookmarked(self, post) -> bool:
        return post.id in self._render.bookmarked


class TimelineEntrySerializer(serializers.Serializer):
    """One timeline row (user posts now, the home feed later)."""

    id = IdField(help_text="The post's id, or the retweet's id for a retweet.")
    type = serializers.ChoiceField(choices=["post", "retweet"])
    created_at = serializers.DateTimeField()
    retweeted_by = UserSummarySerializer(allow_null=True)
    post = PostSerializer()


class PostThreadSerializer(serializers.Serializer):
    ancestors = PostSerializer(many=True, help_text="From the root down to the parent.")
    post = PostSerializer()
    descendants = PostSerializer(
        many=True, help_text="Replies below the post, breadth first, oldest first per level."
    )


class PostEditSerializer(serializers.Serializer):
    id = IdField()
    text = serializers.CharField(help_text="The text the post had before this edit.")
    edited_at = serializers.DateTimeField(help_text="When this text was replaced.")


class ProfileWithPostsSerializer(ProfileSerializer):
    recent_posts = serializers.SerializerMethodField()

    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "recent_posts"]
        read_only_fields = fields

    @extend_schema_field(PostSerializer(many=True))
    def get_recent_posts(self, user) -> list[dict]:
        return self.context.get("recent_posts", [])


# --- input -------------------------------------------------------------------


class PostWriteSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=MAX_RAW_TEXT,
        trim_whitespace=False,
        help_text=(
            f"1 to {MAX_GRAPHEMES} characters as a user sees them (grapheme clusters, "
            "after NFC normalisation and removing control characters)."
        ),
    )


class CommentCreateSerializer(PostWriteSerializer):
    quote_of = IdField(required=False, allow_null=True)
    media_ids = serializers.ListField(child=IdField(), required=False, max_length=4)


class PostCreateSerializer(CommentCreateSerializer):
    reply_to = IdField(required=False, allow_null=True)


# --- rendering -----------------------------------------------------------------


def _context(*, viewer, posts, request) -> dict:
    return {
        "request": request,
        "posts": selectors.post_render_context(viewer=viewer, posts=posts),
    }


def render_posts(*, viewer, posts, request=None) -> list[dict]:
    """Serialize posts for a viewer in a fixed number of queries (at most two)."""
    posts = list(posts)
    context = _context(viewer=viewer, posts=posts, request=request)
    return PostSerializer(posts, many=True, context=context).data


def render_entries(*, viewer, entries, request=None) -> list[dict]:
    entries = list(entries)
    context = _context(viewer=viewer, posts=[e.post for e in entries], request=request)
    return TimelineEntrySerializer(entries, many=True, context=context).data


def render_thread(*, viewer, thread: selectors.PostThread, request=None) -> dict:
    posts = [*thread.ancestors, thread.post, *thread.descendants]
    context = _context(viewer=viewer, posts=posts, request=request)
    return PostThreadSerializer(thread, context=context).data
