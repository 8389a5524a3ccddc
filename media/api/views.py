"""Media API: multipart uploads (the only non-JSON bodies of the API), their state,
their alt text; avatars and banners through the same pipeline.

An upload answers 202 with the item `processing`; poll `GET /media/{id}` until it
is `ready` (or `failed`). 413 past MEDIA_UPLOAD_MAX_BYTES, 415 for anything but
JPEG, PNG, GIF and WebP (decided from the bytes), 400 for corrupt files and
decompression bombs (media.imaging).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.schema import error_responses
from core.throttling import ScopedRateThrottle, WriteThrottled
from media import selectors, services
from media.api import serializers as s
from media.models import Media
from media.rendering import media_payload
from media.schemas import MediaSerializer
from media.uploads import CappedUploadHandler

MEDIA = ["media"]
USERS = ["users"]


class _Upload(APIView):
    """Multipart only; the file streamed to disk under the size cap; its own throttle."""

    parser_classes = [MultiPartParser]
    throttle_scope = "media_upload"
    validation_errors = {"post": {"file": {"invalid_image"}}}  # core.schema

    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers = [CappedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]

    def _upload(self, request, *, kind: str, serializer) -> Response:
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        media = services.media_upload(
            owner=request.user,
            file=data.validated_data["file"],
            alt_text=data.validated_data.get("alt_text", ""),
            kind=kind,
        )
        media.refresh_from_db()  # processed already in embedded (eager) mode
        return Response(media_payload(media), status=status.HTTP_202_ACCEPTED)


class MediaUploadView(_Upload):
    @extend_schema(
        tags=MEDIA,
        summary="Upload an image (processed in the background: poll until ready)",
        request=s.MediaUploadSerializer,
        responses={202: MediaSerializer, **error_responses(409, 415, 422)},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        return self._upload(request, kind=Media.Kind.ATTACHMENT, serializer=s.MediaUploadSerializer)


class MediaDetailView(WriteThrottled, APIView):
    partial_patch = False  # the body is the alt text (core.schema)

    @extend_schema(
        tags=MEDIA, summary="Your media item and its state", responses={200: MediaSerializer}
    )
    def get(self, request, media_id: int):
        return Response(
            media_payload(selectors.media_get_own(user=request.user, media_id=media_id))
        )

    @extend_schema(
        tags=MEDIA,
        summary="Change your media item's alt text",
        request=s.MediaUpdateSerializer,
        responses={200: MediaSerializer},
    )
    def patch(self, request, media_id: int):
        data = s.MediaUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        media = services.media_update(user=request.user, media_id=media_id, **data.validated_data)
        return Response(media_payload(media))


class AvatarUploadView(_Upload):
    @extend_schema(
        tags=USERS,
        summary="Upload your avatar (cropped to a square; your profile shows it once ready)",
        request=s.ProfileImageUploadSerializer,
        responses={202: MediaSerializer, **error_responses(415)},
    )
    def post(self, request):
        return self._upload(
            request, kind=Media.Kind.AVATAR, serializer=s.ProfileImageUploadSerializer
        )


class BannerUploadView(_Upload):
    @extend_schema(
        tags=USERS,
        summary="Upload your profile banner (your profile shows it once ready)",
        request=s.ProfileImageUploadSerializer,
        responses={202: MediaSerializer, **error_responses(415)},
    )
    def post(self, request):
        return self._upload(
            request, kind=Media.Kind.BANNER, serializer=s.ProfileImageUploadSerializer
        )
