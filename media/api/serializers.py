"""Input shapes of the media API (the output is media.schemas.MediaSerializer)."""

from rest_framework import serializers

from core.fields import StrictJSONSerializer
from media.models import MAX_ALT_TEXT


class MediaUploadSerializer(serializers.Serializer):
    """A multipart/form-data body."""

    file = serializers.FileField(
        help_text=(
            "A JPEG, PNG, GIF or WebP image (decided from its bytes), at most "
            "MEDIA_UPLOAD_MAX_BYTES (10 MB by default) and MEDIA_MAX_PIXELS pixels."
        )
    )
    alt_text = serializers.CharField(
        max_length=MAX_ALT_TEXT, required=False, allow_blank=True, trim_whitespace=False
    )


class ProfileImageUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A JPEG, PNG, GIF or WebP image.")


class MediaUpdateSerializer(StrictJSONSerializer):
    alt_text = serializers.CharField(
        max_length=MAX_ALT_TEXT, allow_blank=True, trim_whitespace=False
    )
