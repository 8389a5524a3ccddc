"""The post shape other apps' APIs embed (notification targets), declared for the
OpenAPI schema. Posts are rendered by `tweets.rendering`; these serializers only
declare what it renders (tests/tweets/test_rendering.py checks the two agree).
"""

from rest_framework import serializers

from accounts.schemas import UserSummarySerializer
from core.fields import IdField
from media.schemas import MediaSerializer


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
    media = MediaSerializer(many=True)


class HashtagEntitySerializer(serializers.Serializer):
    """A hashtag in the text: `text[start:end]` is "#" and the tag as written
    (offsets in Unicode code points, end exclusive); `tag` is its normalised form
    (NFKC, case-folded), the one `GET /api/v1/hashtags/{tag}/posts` takes."""

    tag = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()


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
    reply_to = PostRefSerializer(read_only=True, allow_null=True)
    quote_of = PostRefSerializer(read_only=True, allow_null=True)
    media = MediaSerializer(read_only=True, many=True)
    mentions = MentionEntitySerializer(read_only=True, many=True)
    hashtags = HashtagEntitySerializer(read_only=True, many=True)
    like_count = serializers.IntegerField(read_only=True)
    retweet_count = serializers.IntegerField(read_only=True)
    reply_count = serializers.IntegerField(read_only=True)
    quote_count = serializers.IntegerField(read_only=True)
    liked = serializers.BooleanField(read_only=True)
    retweeted = serializers.BooleanField(read_only=True)
    bookmarked = serializers.BooleanField(read_only=True)
