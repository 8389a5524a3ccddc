"""PART A of issue 19: apps, instance, accounts, statuses, timelines, markers."""

from django.urls import path

from mastodon_api.api import apps

urlpatterns = [
    path("api/v1/apps", apps.AppsView.as_view()),
    path("api/v1/apps/verify_credentials", apps.AppVerifyView.as_view()),
]
