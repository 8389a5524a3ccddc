"""The media shape other apps' APIs embed (a post's `media`), declared for the OpenAPI
schema; `media.rendering.media_payload` renders it."""

from rest_framework import serializers

from core.fields import IdField
from media.models import MAX_ALT_TEXT, Media


class MediaVariantSerializer(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class MediaVariantsSerializer(serializers.Serializer):
    small = MediaVariantSerializer(help_text="At most 400 px on the long side (by default).")
    large = MediaVariantSerializer(help_text="At most 1,200 px on the long side (by default).")


class MediaSerializer(serializers.Serializer):
    """An uploaded image. `url`, `variants`, sizes and `blurhash` are null until
    `state` is `ready`; `failure_reason` says why a `failed` item failed."""

    id = IdField()
    type = serializers.ChoiceField(choices=["image"])
    state = serializers.ChoiceField(choices=Media.State.choices)
    url = serializers.CharField(
        allow_null=True, help_text="The re-encoded original (no EXIF, GPS or XMP)."
    )
    variants = MediaVariantsSerializer(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    alt_text = serializers.CharField(max_length=MAX_ALT_TEXT, allow_blank=True)
    blurhash = serializers.CharField(allow_null=True)
    failure_reason = serializers.CharField(allow_null=True)
