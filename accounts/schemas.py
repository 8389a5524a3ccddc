"""The account shapes other apps' APIs embed, declared for the OpenAPI schema.

A user summary appears in posts, notifications and lists of users, which other
apps' `api/` packages declare; they import the declarations from here (no app
imports another app's `api`: import-linter). Users are rendered by
`accounts.rendering`; these serializers only declare what it renders (and
`UserSummarySerializer` hands its output to it wherever it is nested).
"""

from rest_framework import serializers

from accounts.models import User
from accounts.rendering import USER_SUMMARY_FIELDS, user_summary
from core.fields import IdField


class UserBaseSerializer(serializers.ModelSerializer):
    # The user's fields; extend this one for more of them (profiles).
    id = IdField(read_only=True)

    class Meta:
        model = User
        fields = list(USER_SUMMARY_FIELDS)
        read_only_fields = fields


class UserSummarySerializer(UserBaseSerializer):
    """How a user is embedded in other payloads (post authors, notification actors,
    lists of users)."""

    # Rendered by the one user renderer, wherever this serializer is nested.
    def to_representation(self, instance):
        return user_summary(instance, request=self.context.get("request"))

    def __init_subclass__(cls, **kwargs):
        # A subclass's added fields would be silently dropped by to_representation.
        raise TypeError(f"{cls.__name__}: extend UserBaseSerializer, not UserSummarySerializer")


class UserListItemSerializer(serializers.Serializer):
    """One row of a list of users (followers, following, blocks, mutes, liked by,
    retweeted by): the user, and when the relation started."""

    # Declares accounts.rendering.user_row for the schema.

    user = UserSummarySerializer(read_only=True)
    created_at = serializers.DateTimeField(
        read_only=True, help_text="When the follow, block, mute, like or retweet was made."
    )


class ProfileSerializer(UserBaseSerializer):
    """The public profile."""

    # "" when the user gave none (read-only model fields lose allow_blank).
    website = serializers.URLField(read_only=True, allow_blank=True)

    class Meta(UserBaseSerializer.Meta):
        fields = [
            *UserBaseSerializer.Meta.fields,
            "bio",
            "location",
            "website",
            "banner",
            "created_at",
            "followers_count",
            "following_count",
            "posts_count",
        ]
        read_only_fields = fields
