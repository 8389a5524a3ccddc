"""Moderators look at notifications and mentions; nobody edits them here.

Rows are read-only: they are effects of domain events, and a row added or
changed by hand would not match any cause (and skip the pushes). Deleting a
notification is allowed to superusers only, as a support tool, and goes through
`services.withdraw` (the recipient's unread count is pushed).
"""

from django.contrib import admin

from notifications import services
from notifications.models import Mention, Notification, NotificationSettings


class _ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False  # no COUNT(*) over millions of rows per search

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(_ReadOnlyAdmin):
    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        services.withdraw(notifications=Notification.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.withdraw(notifications=queryset)

    list_display = ["id", "recipient", "verb", "actor", "target_type", "target_id", "is_read"]
    list_display += ["surfaced_at"]
    list_filter = ["verb", "is_read"]
    list_select_related = ["recipient", "actor"]
    search_fields = ["^recipient__username", "^actor__username"]
    search_help_text = "Username prefix of the recipient or the actor."
    ordering = ["-sort_id"]
    readonly_fields = [
        "id",
        "recipient",
        "actor",
        "verb",
        "target_type",
        "target_id",
        "sort_id",
        "is_read",
        "created_at",
        "surfaced_at",
        "emailed_at",
    ]


@admin.register(Mention)
class MentionAdmin(_ReadOnlyAdmin):
    list_display = ["id", "post_id", "user", "created_at"]
    list_select_related = ["user"]
    search_fields = ["^user__username"]
    search_help_text = "Username prefix of the mentioned user."
    ordering = ["-id"]
    readonly_fields = ["post", "user", "created_at"]
    raw_id_fields = ["post"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(_ReadOnlyAdmin):
    list_display = ["user", "email_verbs", "last_digest_at"]
    list_select_related = ["user"]
    search_fields = ["^user__username"]
    readonly_fields = ["user", "email_verbs", "last_digest_at"]
