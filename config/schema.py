"""The OpenAPI schema, built once per process and format instead of per request.

drf-spectacular builds the schema on every GET: 0.9-1.3 s of CPU here, and half a
second more to render it as YAML, on a route anyone may call. It depends on
nothing a request carries (public, one URLconf, one API version, English only),
so each process keeps what it rendered, keyed by a bounded set: the renderer and
its clamped indent. A deploy starts new processes, so a new release is served
its own schema.
"""

from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request


class CachedSchemaView(SpectacularAPIView):
    _rendered: ClassVar[dict[tuple[type, int | None], tuple[bytes, str, str]]] = {}

    @extend_schema(exclude=True)  # as drf-spectacular's own view, with SERVE_INCLUDE_SCHEMA off
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        key = (type(request.accepted_renderer), _indent(request))
        if key not in self._rendered:
            # `lang` and `version` are not read: the text is English and the version
            # is in the paths (/api/v1/), so no caller can make the process build or
            # keep another copy.
            # What finalize_response would set, without it: it also moves the view's
            # `Vary: Accept` onto the response it is given, which is not the one returned.
            response = self._get_schema_response(request)
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            self._rendered[key] = (
                response.content,
                response["Content-Type"],
                response["Content-Disposition"],
            )
        content, content_type, disposition = self._rendered[key]
        return HttpResponse(
            content, content_type=content_type, headers={"Content-Disposition": disposition}
        )

    def _get_version_parameter(self, request: Request) -> None:
        return None


def _indent(request: Request) -> int | None:
    """The JSON renderers' `indent` media-type parameter, clamped to 0..8 as DRF does."""
    get_indent = getattr(request.accepted_renderer, "get_indent", None)
    if get_indent is None:
        return None
    indent: int | None = get_indent(request.accepted_media_type, {})
    return indent
