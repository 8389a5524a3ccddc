"""Media: `POST /api/v1/media`, `POST /api/v2/media`, `GET` and `PUT /api/v1/media/{id}`.

Uploads go through media.services (the same checks, storage and background
processing as the native upload): the answer is `202 Accepted` with `url: null`
while the image is processed and `200` once it is ready (already, in the
embedded mode); `GET` answers `206 Partial Content` until then, as Mastodon does,
and `422` if processing failed. v1 behaves as v2 (Mastodon's v1 waits for the
processing; clients that poll, as they must for v2, work with both). `PUT` sets
the alt text (`description`) and the focal point (`focus=x,y`, each -1.0..1.0).
Only the owner's items exist here (anyone else's id is a 404). Scope:
`write:media` for every route, as Mastodon.
"""

from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.errors import Invalid
from core.throttling import ScopedRateThrottle
from mastodon_api.entities import base_url, media_attachment
from mastodon_api.views import MastodonView
from media import selectors, services
from media.models import MAX_ALT_TEXT, Media
from media.rendering import media_payload
from media.uploads import CappedUploadHandler

SCOPE = "write:media"


def parse_focus(value) -> tuple[float, float] | None:
    """Mastodon's `focus` ("x,y"); None when not given."""
    if value in (None, ""):
        return None
    try:
        x, y = (float(part) for part in str(value).split(","))
    except ValueError:
        raise Invalid(fields={"focus": ["Two numbers, x,y."]}, code="invalid") from None
    return x, y


def attachment(media: Media, request) -> dict:
    entity = media_attachment(media_payload(media), base=base_url(request))
    if media.focus_x is not None and media.focus_y is not None:
        entity["meta"]["focus"] = {"x": media.focus_x, "y": media.focus_y}
    return entity


def status_of(media: Media, *, processing: int) -> int:
    if media.state == Media.State.FAILED:
        return status.HTTP_422_UNPROCESSABLE_ENTITY
    return processing if media.state == Media.State.PROCESSING else status.HTTP_200_OK


def answer(media: Media, request, *, processing: int) -> Response:
    code = status_of(media, processing=processing)
    if code == status.HTTP_422_UNPROCESSABLE_ENTITY:
        return Response({"error": media.failure_reason or "Processing failed"}, status=code)
    return Response(attachment(media, request), status=code)


class UploadInput(serializers.Serializer):
    # A plain file: its type, size, bombs and corrupt files are media.services' checks.
    file = serializers.FileField(allow_empty_file=False)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_ALT_TEXT, trim_whitespace=False
    )
    focus = serializers.CharField(required=False, allow_blank=True, max_length=40)


class MediaUploadView(MastodonView):
    required_scopes = {"POST": SCOPE}
    parser_classes = [MultiPartParser]
    throttle_scope = "media_upload"

    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers = [CappedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]

    def post(self, request):
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        media = services.media_upload(
            owner=request.user,
            file=values["file"],
            alt_text=values.get("description", ""),
            focus=parse_focus(values.get("focus")),
        )
        media.refresh_from_db()  # processed already in embedded (eager) mode
        return answer(media, request, processing=status.HTTP_202_ACCEPTED)


class UpdateInput(serializers.Serializer):
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_ALT_TEXT, trim_whitespace=False
    )
    focus = serializers.CharField(required=False, allow_blank=True, max_length=40)


class MediaDetailView(MastodonView):
    required_scopes = {"GET": SCOPE, "PUT": SCOPE}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get(self, request, media_id: int):
        media = selectors.media_get_own(user=request.user, media_id=media_id)
        return answer(media, request, processing=status.HTTP_206_PARTIAL_CONTENT)

    def put(self, request, media_id: int):
        data = UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        media = services.media_update(
            user=request.user,
            media_id=media_id,
            alt_text=values.get("description"),
            focus=parse_focus(values.get("focus")),
        )
        return answer(media, request, processing=status.HTTP_206_PARTIAL_CONTENT)
