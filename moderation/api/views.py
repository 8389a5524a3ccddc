"""Reports and "your data" exports: parse input, call one service, render output.

POST /reports is idempotent per open report: 201 for a new report, 200 with the
open one when the reporter already reported that target. A target the reporter
cannot see is a 404, as everywhere.
"""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.errors import NotFound
from core.responses import created_or_ok
from core.schema import error_responses
from core.throttling import UserRateThrottle, WriteThrottled
from moderation import export as exports
from moderation import services
from moderation.api import serializers as s
from moderation.models import DataExport, ExportState, Report

MODERATION = ["moderation"]
USERS = ["users"]


def _report(report: Report) -> dict:
    return s.ReportSerializer(report).data


class ReportCreateView(WriteThrottled, APIView):
    validation_errors = {"post": {"target_id": {"invalid"}}}  # core.schema: self-reports

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), ReportRateThrottle()]

    @extend_schema(
        tags=MODERATION,
        summary="Report a post or a user to the moderators",
        description=(
            "Reasons: spam, abuse, harassment, illegal, other. One open report per target: "
            "reporting the same target again while yours is open answers 200 with it. "
            "A target you cannot see is a 404; yourself or your own post a 400."
        ),
        request=s.ReportCreateSerializer,
        responses={201: s.ReportSerializer, 200: s.ReportSerializer},
    )
    def post(self, request):
        data = s.ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.report_create(reporter=request.user, **data.validated_data)
        return Response(_report(result.value), status=created_or_ok(result.created))


class ReportRateThrottle(UserRateThrottle):
    """Reports per user: THROTTLE_REPORT_RATE (default 30 an hour), besides "write"."""

    scope = "report"


def _export(request, export: DataExport) -> dict:
    url = None
    if export.state == ExportState.READY:
        url = request.build_absolute_uri(
            reverse("users-me-export-download", kwargs={"export_id": export.pk})
        )
    return s.DataExportSerializer(
        {
            "id": export.pk,
            "state": export.state,
            "created_at": export.created_at,
            "finished_at": export.finished_at,
            "size": export.size,
            "download_url": url,
        }
    ).data


class ExportView(WriteThrottled, APIView):
    @extend_schema(
        tags=USERS,
        summary="Your latest data export: its state and, once ready, its download URL",
        responses={200: s.DataExportSerializer},
    )
    def get(self, request):
        return Response(_export(request, exports.export_latest(user=request.user)))

    @extend_schema(
        tags=USERS,
        summary="Export your data (profile, posts, likes, bookmarks, follows, ...) as a zip",
        description=(
            "Starts building the archive in the background: poll GET for its state. One "
            "export per day: another within 24 hours of the last is a 409 `export_limit`."
        ),
        request=None,
        responses={202: s.DataExportSerializer, **error_responses(409)},
    )
    def post(self, request):
        export = exports.export_request(user=request.user)
        return Response(_export(request, export), status=status.HTTP_202_ACCEPTED)


class ExportDownloadView(APIView):
    @extend_schema(
        tags=USERS,
        summary="Download one of your data exports (a zip)",
        description="Only its owner, signed in, can download it: for anyone else it is a 404.",
        responses={
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The zip archive."
            )
        },
    )
    def get(self, request, export_id: int):
        export = exports.export_file(user=request.user, export_id=export_id)
        try:
            handle = exports.default_storage.open(export.file_name, "rb")
        except FileNotFoundError:
            raise NotFound() from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"warble-export-{export.created_at:%Y%m%d}.zip",
            content_type="application/zip",
        )
