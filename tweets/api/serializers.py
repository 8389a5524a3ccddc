"""Input and output shapes of the posts API. No business logic here.

The output serializers only declare the shapes for the OpenAPI schema: posts
are rendered by `tweets.rendering` (one renderer for every path: detail, lists,
timelines, threads, the feed, notifications, pushes), and
tests/tweets/test_rendering.py checks that what it renders matches what is
declared here.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.schemas import ProfileSerializer, UserSummarySerializer
from core.fields import IdField, StrictJSONSerializer
from tweets.schemas import PostSerializer
from tweets.text import MAX_GRAPHEMES

# Raw input bound, far above any valid post; the real limit (280 graphemes after
# cleaning) is checked by the service.
MAX_RAW_TEXT = 20_000


class BookmarkedPostSerializer(PostSerializer):
    """A post in your bookmarks: the post, and when you bookmarked it."""

    bookmarked_at = serializers.DateTimeField(read_only=True)


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


class UserPostsQuerySerializer(serializers.Serializer):
    include_replies = serializers.BooleanField(
        required=False, default=False, help_text="Also list the user's replies."
    )


class PostWriteSerializer(StrictJSONSerializer):
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
