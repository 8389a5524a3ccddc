"""Search API shapes: query parameters and rows (posts use the posts API's shape)."""

from rest_framework import serializers

from accounts.schemas import UserSummarySerializer
from tweets.schemas import PostSerializer

MAX_QUERY = 200
SORTS = ("relevance", "latest")
TYPES = ("posts", "users", "hashtags")
WINDOWS = ("1h", "24h")


class _QField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", MAX_QUERY)
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)


class PostSearchQuerySerializer(serializers.Serializer):
    q = _QField(
        help_text=(
            'Words (stemmed: "running" finds "run"), "exact phrases", -exclusions and `or`, '
            "plus the operators `from:username` and `has:media`. Blank: no results."
        )
    )
    sort = serializers.ChoiceField(
        choices=SORTS,
        default="relevance",
        help_text="relevance (then newest first), or latest (newest first).",
    )
    # `from` is a Python keyword: the field is named by `source` below.
    has = serializers.ChoiceField(
        choices=("media",), required=False, help_text="`media`: as the has:media operator."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(
            required=False,
            max_length=31,
            help_text="Only posts by this username (as the from: operator).",
        )
        return fields


class UserSearchQuerySerializer(serializers.Serializer):
    q = _QField(help_text="A username or display name, or part of one; typos are forgiven.")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)


class AutocompleteQuerySerializer(serializers.Serializer):
    q = _QField(max_length=50, help_text="The start of a username or display name (@ optional).")
    limit = serializers.IntegerField(min_value=1, max_value=10, default=10)


class SearchQuerySerializer(serializers.Serializer):
    q = _QField(help_text="As for the search of each kind.")
    type = serializers.ChoiceField(
        choices=TYPES, required=False, help_text="Only this kind (default: all three)."
    )
    limit = serializers.IntegerField(min_value=1, max_value=20, default=5)


class TrendsQuerySerializer(serializers.Serializer):
    window = serializers.ChoiceField(
        choices=WINDOWS, default="1h", help_text="The last hour or the last 24 hours."
    )


class UserResultSerializer(serializers.Serializer):
    """A user found by a search: `{"user"}` like every list of users, and whether
    you follow them."""

    user = UserSummarySerializer(read_only=True)
    following = serializers.BooleanField(read_only=True)


class HashtagSerializer(serializers.Serializer):
    tag = serializers.CharField(read_only=True, help_text="Normalised (NFKC, case-folded), no #.")


class TrendSerializer(serializers.Serializer):
    tag = serializers.CharField(read_only=True)
    authors = serializers.IntegerField(
        read_only=True, help_text="Distinct accounts that used the tag in the window."
    )
    score = serializers.FloatField(
        read_only=True, help_text="How far above its usual rate (the last 7 days)."
    )


class SearchResultsSerializer(serializers.Serializer):
    posts = PostSerializer(many=True, read_only=True)
    users = UserResultSerializer(many=True, read_only=True)
    hashtags = HashtagSerializer(many=True, read_only=True)
