"""Input and output shapes of the reports and export API. No business logic here."""

from rest_framework import serializers

from core.fields import CleanCharField, IdField, StrictJSONSerializer
from moderation.models import ExportState, Reason, TargetType


class ReportCreateSerializer(StrictJSONSerializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = IdField(help_text="The reported post's or user's id.")
    reason = serializers.ChoiceField(choices=Reason.choices)
    comment = CleanCharField(
        required=False, allow_blank=True, max_length=1000, single_line=False, default=""
    )


class ReportSerializer(serializers.Serializer):
    """A report as its reporter sees it (who handled it is the moderators' business)."""

    id = IdField()
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = IdField()
    reason = serializers.ChoiceField(choices=Reason.choices)
    comment = serializers.CharField()
    state = serializers.ChoiceField(choices=["open", "resolved", "dismissed"])
    created_at = serializers.DateTimeField()


class DataExportSerializer(serializers.Serializer):
    id = IdField()
    state = serializers.ChoiceField(choices=ExportState.choices)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    size = serializers.IntegerField(help_text="Bytes of the zip (0 until ready).")
    download_url = serializers.CharField(
        allow_null=True,
        help_text="Where the owner downloads the zip with their token (null until ready).",
    )
