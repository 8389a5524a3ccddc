"""Input and output shapes of the relationships API. No business logic here."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.schemas import UserSummarySerializer
from core.fields import ID_DIGITS, IdField, list_pattern

MAX_BATCH_IDS = 100


class RelationshipSerializer(serializers.Serializer):
    """How the signed-in user relates to `user_id`."""

    user_id = IdField(read_only=True)
    following = serializers.BooleanField(read_only=True, help_text="You follow them.")
    followed_by = serializers.BooleanField(read_only=True, help_text="They follow you.")
    requested = serializers.BooleanField(
        read_only=True, help_text="Your request to follow them (a private account) is pending."
    )
    blocking = serializers.BooleanField(read_only=True, help_text="You block them.")
    blocked_by = serializers.BooleanField(read_only=True, help_text="They block you.")
    muting = serializers.BooleanField(read_only=True, help_text="You mute them.")


class FollowRequestSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(read_only=True)
    id = IdField(read_only=True)
    requester = UserSummarySerializer(read_only=True)


class SuggestionSerializer(serializers.Serializer):
    """A row of the suggestions, a list of users like the others: `{"user", ...}`."""

    user = UserSummarySerializer(read_only=True)
    followers_count = serializers.IntegerField(read_only=True)
    mutual_count = serializers.IntegerField(
        read_only=True, help_text="How many of the people you follow follow this account."
    )


class SuggestionQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)


@extend_schema_field({"type": "string", "pattern": list_pattern(ID_DIGITS, at_most=MAX_BATCH_IDS)})
class BatchIdsField(serializers.CharField):
    """`1,2,3`: 64-bit ids (as the schema's pattern says: no spaces), at most MAX_BATCH_IDS."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)  # the pattern has no spaces
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        parts = text.split(",")
        if len(parts) > MAX_BATCH_IDS:
            raise serializers.ValidationError(
                f"At most {MAX_BATCH_IDS} ids at once.", code="too_many"
            )
        id_field = IdField()
        ids = []
        for part in parts:
            try:
                ids.append(id_field.to_internal_value(part))
            except serializers.ValidationError:
                raise serializers.ValidationError(
                    f"{part!r} is not an id: give a comma-separated list of ids.", code="invalid"
                ) from None
        return list(dict.fromkeys(ids))


class RelationshipBatchQuerySerializer(serializers.Serializer):
    ids = BatchIdsField(help_text=f"Comma-separated user ids, at most {MAX_BATCH_IDS}.")
