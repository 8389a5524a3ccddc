"""Input and output shapes of the notifications API. No business logic here.

A notification renders as {"id", "verb", "actor", "target", "is_read",
"created_at"}: the actor as a user summary, the target as a post (the posts
API's shape) or a user summary, or null. `NotificationSerializer` only declares
that shape for the schema: `notifications.rendering` renders it, for the list
and for pushes alike.
"""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.schemas import UserSummarySerializer
from core.fields import IdField, StrictJSONSerializer, list_pattern
from notifications.models import Verb
from tweets.schemas import PostSerializer

TARGET_SCHEMA = PolymorphicProxySerializer(
    component_name="NotificationTarget",
    serializers=[PostSerializer, UserSummarySerializer],
    resource_type_field_name=None,
    allow_null=True,
)


@extend_schema_field(TARGET_SCHEMA)
class _TargetField(serializers.Field):
    pass


class NotificationSerializer(serializers.Serializer):
    id = IdField(help_text="Stable: use it to mark read or delete, even after it re-surfaces.")
    verb = serializers.ChoiceField(choices=Verb.choices)
    actor = UserSummarySerializer()
    target = _TargetField(
        read_only=True,
        help_text=(
            "The post liked, retweeted, replied to... (for reply, quote and mention: the "
            "new post itself), a user, or null (follows)."
        ),
    )
    is_read = serializers.BooleanField()
    created_at = serializers.DateTimeField(
        help_text="When it last happened: a re-surfaced notification shows the latest time.",
    )


_VERB = "(?:" + "|".join(Verb.values) + ")"


@extend_schema_field({"type": "string", "pattern": list_pattern(_VERB)})
class VerbListField(serializers.CharField):
    """`like,follow`: known verbs, comma-separated (as the schema's pattern says: no
    spaces, no empty items)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)  # the pattern has no spaces
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        raw = super().to_internal_value(data)
        verbs = raw.split(",")
        unknown = sorted(set(verbs) - set(Verb.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown types: {', '.join(unknown) or raw}.", code="invalid"
            )
        return list(dict.fromkeys(verbs))


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, allow_null=True, help_text="true: only unread; false: only read."
    )
    types = VerbListField(
        required=False,
        help_text=f"Comma-separated verbs to keep ({', '.join(Verb.values)}).",
    )


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)


class MarkReadSerializer(StrictJSONSerializer):
    """Exactly one of `ids`, `all` or `max_id`."""

    ids = serializers.ListField(
        child=IdField(), required=False, min_length=1, max_length=500, help_text="These ones."
    )
    all = serializers.BooleanField(required=False, help_text="true: every notification.")
    max_id = IdField(
        required=False,
        help_text=(
            "Everything at or below this notification in the list (the newest one the "
            "client has shown)."
        ),
    )

    def validate(self, attrs):
        given = [key for key in ("ids", "max_id") if key in attrs]
        if attrs.get("all"):
            given.append("all")
        if len(given) != 1:
            raise serializers.ValidationError(
                "Send exactly one of ids, all (true) or max_id.", code="one_of_ids_all_max_id"
            )
        return attrs


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many changed from unread to read.")
    unread_count = serializers.IntegerField()


@extend_schema_field(
    {
        "type": "object",
        "properties": {verb: {"type": "boolean"} for verb in Verb.values},
        "additionalProperties": False,  # another key is an `unknown_verb` 400
    }
)
class _EmailVerbsField(serializers.DictField):
    pass


def _email_field():
    return _EmailVerbsField(
        child=serializers.BooleanField(),
        help_text=f"Email digests per verb ({', '.join(Verb.values)}); all off by default.",
    )


class NotificationSettingsSerializer(serializers.Serializer):
    email = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {verb: {"type": "boolean"} for verb in Verb.values},
            "required": Verb.values,
        }
    )
    def get_email(self, row) -> dict:
        chosen = set(row.email_verbs or [])
        return {verb: verb in chosen for verb in Verb.values}


class NotificationSettingsUpdateSerializer(StrictJSONSerializer):
    email = _email_field()

    def validate_email(self, value):
        unknown = sorted(set(value) - set(Verb.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown verbs: {', '.join(unknown)}.", code="unknown_verb"
            )
        return value
