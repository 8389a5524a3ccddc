from django.urls import path

import core.converters  # noqa: F401 - registers <id:...>
from moderation.api import views

urlpatterns = [
    path("reports", views.ReportCreateView.as_view(), name="reports"),
    path("users/me/export", views.ExportView.as_view(), name="users-me-export"),
    path(
        "users/me/export/<id:export_id>/download",
        views.ExportDownloadView.as_view(),
        name="users-me-export-download",
    ),
]
