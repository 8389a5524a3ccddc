from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "display_name", "is_private", "is_active", "created_at"]
    list_filter = ["is_active", "is_private", "is_staff"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-created_at"]
    # Django 6 changes the default scheme of a bare "example.org" to https; say so now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = [
        "created_at",
        "followers_count",
        "following_count",
        "posts_count",
        "token_version",
    ]
    fieldsets = [
        (None, {"fields": ["username", "email", "password"]}),
        (
            "Profile",
            {"fields": ["display_name", "bio", "location", "website", "avatar", "is_private"]},
        ),
        ("Counters", {"fields": ["followers_count", "following_count", "posts_count"]}),
        ("Status", {"fields": ["is_active", "deactivated_at", "token_version", "created_at"]}),
        ("Permissions", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "password1", "password2"]})
    ]
