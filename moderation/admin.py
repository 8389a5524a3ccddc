"""The moderators' admin: the report queue, users and posts with moderation actions,
and the audit ledger (read-only, even for superusers).

Every action calls moderation.services (which calls the owning app's service and
appends to the audit log); nothing here writes a row itself, and the stock delete
is off everywhere. Staff who are not superusers see what their group grants: the
`Moderators` group (migration 0002) may view users and posts, handle reports,
hide posts and suspend users, and nothing else (no password, no permission, no
profile edits). Every changelist runs a constant number of queries
(list_select_related, counts as subqueries; tests/moderation/test_admin.py).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin import UserAdmin
from accounts.models import User
from core.errors import DomainError
from moderation import services
from moderation.models import AuditRecord, Report, ReportState, TargetType
from tweets.admin import AuthorFilter, PostAdmin
from tweets.models import Post


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class SuspendForm(ReasonForm):
    until = forms.SplitDateTimeField(
        required=False, widget=AdminSplitDateTime, help_text="Empty: until lifted by hand."
    )


def _with_form(modeladmin, request, queryset, *, form_class, title, apply):
    """An action that asks for a reason first (an intermediate page), then applies."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        done = 0
        for obj in queryset:
            try:
                done += bool(apply(obj, form.cleaned_data))
            except DomainError as exc:
                modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        modeladmin.message_user(request, f"{title}: {done} done.", messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/moderation/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": list(queryset),
            # The changelist's selection (reports, when acting on their targets).
            "selected": request.POST.getlist("_selected_action"),
            "form": form,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        },
    )


def _open_reports_of(target_type: str, ref: str) -> Subquery:
    counts = (
        Report.objects.filter(target_type=target_type, target_id=OuterRef(ref), state="open")
        .order_by()
        .values("target_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


# --- users -------------------------------------------------------------------------------


class UserStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("active", "Active"),
            ("suspended", "Suspended"),
            ("deactivated", "Deactivated"),
            ("erased", "Erased"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "active":
            return queryset.filter(is_active=True, deactivated_at__isnull=True)
        if value == "suspended":
            return queryset.filter(is_active=False, suspended_at__isnull=False)
        if value == "deactivated":
            return queryset.filter(is_active=True, deactivated_at__isnull=False)
        if value == "erased":
            return queryset.filter(username__startswith="deleted-", is_active=False)
        return queryset


admin.site.unregister(User)


@admin.register(User)
class ModerationUserAdmin(UserAdmin):
    list_display = [
        "username", "email", "display_name", "is_active", "suspended_until", "created_at",
    ]  # fmt: skip
    list_filter = [UserStateFilter, ("created_at", admin.DateFieldListFilter), "is_staff"]
    search_fields = ["username", "email"]
    show_full_result_count = False
    actions = ["suspend", "unsuspend", "erase"]
    readonly_fields = [
        *UserAdmin.readonly_fields, "suspended_at", "suspended_until", "suspension_reason",
    ]  # fmt: skip
    fieldsets = [
        *[fs for fs in UserAdmin.fieldsets if fs[0] != "Status"],
        (
            "Status",
            {
                "fields": [
                    "is_active",
                    "deactivated_at",
                    "suspended_at",
                    "suspended_until",
                    "suspension_reason",
                    "token_version",
                    "created_at",
                ]
            },
        ),
    ]

    def has_suspend_permission(self, request) -> bool:
        return request.user.has_perm(services.SUSPEND_PERMISSION)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # A moderator reads accounts; passwords and permissions are not theirs to see.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "password"]})
            for name, opts in fieldsets
            if name != "Permissions"
        ]

    @admin.action(description="Suspend selected accounts (reason, optional end)",
                  permissions=["suspend"])  # fmt: skip
    def suspend(self, request, queryset):
        return _with_form(
            self, request, queryset, form_class=SuspendForm, title="Suspend",
            apply=lambda user, data: services.user_suspend(
                moderator=request.user, user=user, reason=data["reason"], until=data["until"]
            ),
        )  # fmt: skip

    @admin.action(description="Lift the suspension of selected accounts", permissions=["suspend"])
    def unsuspend(self, request, queryset):
        return _with_form(
            self, request, queryset, form_class=ReasonForm, title="Unsuspend",
            apply=lambda user, data: services.user_unsuspend(
                moderator=request.user, user=user, reason=data["reason"]
            ),
        )  # fmt: skip


# --- posts -------------------------------------------------------------------------------


class HiddenFilter(admin.SimpleListFilter):
    title = "hidden"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("yes", "Hidden"), ("no", "Not hidden")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(hidden_at__isnull=self.value() == "no")
        return queryset


class ReportedFilter(admin.SimpleListFilter):
    title = "reported"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", "With open reports"), ("no", "No open report")]

    def queryset(self, request, queryset):
        reported = Exists(Report.objects.filter(post_id=OuterRef("pk"), state="open"))
        if self.value() == "yes":
            return queryset.filter(reported)
        if self.value() == "no":
            return queryset.exclude(reported)
        return queryset


admin.site.unregister(Post)


@admin.register(Post)
class ModerationPostAdmin(PostAdmin):
    list_display = [
        "id", "author", "short_text", "created_at", "hidden_at", "deleted_at", "open_reports",
        "like_count", "reply_count",
    ]  # fmt: skip
    list_filter = [*PostAdmin.list_filter, HiddenFilter, ReportedFilter]
    readonly_fields = [*PostAdmin.readonly_fields, "hidden_at"]
    fields = readonly_fields
    actions = ["hide", "unhide", "soft_delete"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(open_report_count=_open_reports_of(TargetType.POST, "pk"))
        )

    @admin.display(description="open reports", ordering="open_report_count")
    def open_reports(self, post) -> int:
        return post.open_report_count

    def has_hide_permission(self, request) -> bool:
        return request.user.has_perm(services.HIDE_PERMISSION)

    @admin.action(description="Hide selected posts (reason)", permissions=["hide"])
    def hide(self, request, queryset):
        return _with_form(
            self, request, queryset, form_class=ReasonForm, title="Hide",
            apply=lambda post, data: services.post_hide(
                moderator=request.user, post=post, reason=data["reason"]
            ),
        )  # fmt: skip

    @admin.action(description="Unhide selected posts", permissions=["hide"])
    def unhide(self, request, queryset):
        return _with_form(
            self, request, queryset, form_class=ReasonForm, title="Unhide",
            apply=lambda post, data: services.post_unhide(
                moderator=request.user, post=post, reason=data["reason"]
            ),
        )  # fmt: skip


# --- reports -----------------------------------------------------------------------------


class ReportStateFilter(admin.SimpleListFilter):
    """Open reports unless asked otherwise: the queue is what is still to decide."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*ReportState.choices, ("all", "All")]

    def choices(self, changelist):
        value = self.value() or ReportState.OPEN
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or ReportState.OPEN
        return queryset if value == "all" else queryset.filter(state=value)


class ReportedUserFilter(AuthorFilter):
    """The reported user (or the reported post's author), by username or id: a text box,
    as for posts' authors, not a list of every user."""

    title = "reported user"
    parameter_name = "user"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip().lstrip("@")
        if not value:
            return queryset
        if value.isdigit() and len(value) <= 19:
            return queryset.filter(target_user_id=int(value))
        return queryset.filter(target_user__username__iexact=value)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "id", "target", "reason", "target_open_reports", "created_at", "reporter_name",
        "short_comment", "state",
    ]  # fmt: skip
    list_display_links = ["id"]
    list_filter = [ReportStateFilter, "reason", "target_type", ReportedUserFilter]
    list_select_related = ["reporter", "target_user", "post"]
    show_full_result_count = False
    search_fields = ["=target_id", "comment", "=target_user__username"]
    actions = ["resolve", "dismiss", "hide_posts", "suspend_users"]
    readonly_fields = [
        "id", "target", "target_type", "target_id", "target_user", "reporter", "reason",
        "comment", "state", "created_at", "handled_at", "handled_by", "resolution_note",
    ]  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request):
        # The annotation first: the admin orders by it (get_ordering).
        open_of_target = (
            Report.objects.filter(
                target_type=OuterRef("target_type"), target_id=OuterRef("target_id"), state="open"
            )
            .order_by()
            .values("target_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Report.objects.annotate(
            target_open_count=Coalesce(Subquery(open_of_target, output_field=IntegerField()), 0)
        ).order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        # The queue: targets with the most open reports first, then the oldest report.
        # (An annotation, so not `ordering`, which the admin's checks limit to fields.)
        return ["-target_open_count", "created_at", "id"]

    @admin.display(description="open reports of target", ordering="target_open_count")
    def target_open_reports(self, report) -> int:
        return report.target_open_count

    @admin.display(description="reporter")
    def reporter_name(self, report) -> str:
        return report.reporter.username if report.reporter_id else "system (blocklist)"

    @admin.display(description="comment")
    def short_comment(self, report) -> str:
        return report.comment if len(report.comment) <= 60 else f"{report.comment[:59]}…"

    @admin.display(description="target")
    def target(self, report):
        if report.target_type == TargetType.POST:
            url = reverse("admin:tweets_post_change", args=[report.target_id])
            text = report.post.text if report.post_id else "(gone)"
            label = f"post {report.target_id} by @{report.target_user.username}: {text[:40]}"
        else:
            url = reverse("admin:accounts_user_change", args=[report.target_id])
            label = f"user @{report.target_user.username}"
        return format_html('<a href="{}">{}</a>', url, label)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_handle_permission(self, request) -> bool:
        return request.user.has_perm(services.HANDLE_REPORT_PERMISSION)

    def has_hide_permission(self, request) -> bool:
        return request.user.has_perm(services.HIDE_PERMISSION)

    def has_suspend_permission(self, request) -> bool:
        return request.user.has_perm(services.SUSPEND_PERMISSION)

    def _close(self, request, queryset, state: str):
        closed = sum(
            services.report_close(moderator=request.user, report=report, state=state)
            for report in queryset
        )
        self.message_user(request, f"{closed} report(s) {state}.", messages.SUCCESS)

    @admin.action(description="Resolve selected reports (action taken)", permissions=["handle"])
    def resolve(self, request, queryset):
        self._close(request, queryset, ReportState.RESOLVED)

    @admin.action(description="Dismiss selected reports (no action)", permissions=["handle"])
    def dismiss(self, request, queryset):
        self._close(request, queryset, ReportState.DISMISSED)

    @admin.action(description="Hide the reported posts (reason)", permissions=["hide"])
    def hide_posts(self, request, queryset):
        posts = Post.objects.filter(
            pk__in=queryset.filter(target_type=TargetType.POST).values("target_id")
        )
        return _with_form(
            self, request, posts, form_class=ReasonForm, title="Hide",
            apply=lambda post, data: services.post_hide(
                moderator=request.user, post=post, reason=data["reason"]
            ),
        )  # fmt: skip

    @admin.action(description="Suspend the reported users (reason, optional end)",
                  permissions=["suspend"])  # fmt: skip
    def suspend_users(self, request, queryset):
        users = User.objects.filter(pk__in=queryset.values("target_user_id"))
        return _with_form(
            self, request, users, form_class=SuspendForm, title="Suspend",
            apply=lambda user, data: services.user_suspend(
                moderator=request.user, user=user, reason=data["reason"], until=data["until"]
            ),
        )  # fmt: skip


# --- the audit ledger ----------------------------------------------------------------------


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """Read-only for everyone: no add, change or delete (403), superusers included.
    `manage.py verify_audit_log` checks the chain."""

    list_display = ["seq", "created_at", "actor_name", "action", "target_type", "target_id",
                    "reason"]  # fmt: skip
    list_filter = ["action", "target_type"]
    search_fields = ["=target_id", "=actor_name"]
    ordering = ["-seq"]
    show_full_result_count = False
    readonly_fields = [
        "seq", "created_at", "actor_name", "actor_id", "action", "target_type", "target_id",
        "reason", "prev_hash", "hash",
    ]  # fmt: skip
    fields = readonly_fields
    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
