from django.urls import path

import core.converters  # noqa: F401 - registers <id:...>
from media.api import views

urlpatterns = [
    path("media", views.MediaUploadView.as_view(), name="media-upload"),
    path("media/<id:media_id>", views.MediaDetailView.as_view(), name="media-detail"),
    path("users/me/avatar", views.AvatarUploadView.as_view(), name="me-avatar"),
    path("users/me/banner", views.BannerUploadView.as_view(), name="me-banner"),
]
