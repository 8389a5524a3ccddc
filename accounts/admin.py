"""Moderators manage users in the Django admin, through the accounts services.

Nothing here writes a user row behind the services' back: the change form saves
only the fields it changed (counters are never written back stale), a password
set here revokes the account's tokens, suspending is moderation.admin's (through
moderation.services: audited, tokens and open sockets revoked), and the stock
delete, whose cascade skipped every counter and event, is replaced by the API's
erasure.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import models

from accounts import services
from accounts.models import User
from core.errors import Invalid

EDITABLE = {"username", *services.PROFILE_FIELDS, *services.STAFF_FIELDS}


class StaffPasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        services.password_set_by_staff(
            user=self.user, new_password=self.cleaned_data["password1"] if usable else None
        )
        return self.user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "display_name", "is_private", "is_active", "created_at"]
    list_filter = ["is_active", "is_private", "is_staff"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-created_at"]
    change_password_form = StaffPasswordChangeForm
    actions = ["erase"]  # moderation.admin adds suspend / unsuspend (audited)
    # Django 6 changes the default scheme of a bare "example.org" to https; say so now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = [
        "created_at",
        "followers_count",
        "following_count",
        "posts_count",
        "token_version",
        "is_active",
        "deactivated_at",
        "avatar",
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

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the cascade skipped counters and events: use "Erase" instead

    def save_model(self, request, obj, form, change):
        if not change:  # a new account: nothing counts it yet
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE}
        # The form has set its values on `obj` already: the service starts from the row.
        try:
            services.user_update_by_staff(user=User.objects.get(pk=obj.pk), changes=changes)
        except Invalid as exc:
            self.message_user(request, f"Not saved: {exc}", messages.ERROR)

    @admin.action(
        description="Erase selected accounts (as if they deleted themselves)",
        permissions=["change"],
    )
    def erase(self, request, queryset):
        targets = [u for u in queryset if u != request.user and u.username != f"deleted-{u.pk}"]
        for user in targets:
            services.user_erase_by_staff(user=user)
        self.message_user(request, f"Erased {len(targets)} account(s).", messages.SUCCESS)
