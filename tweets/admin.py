"""Moderation view of posts: search, filter, read, soft-delete.

Everything is read-only: posts change through tweets.services only, so
counters and the edit history stay true. Deleting is the soft delete the
authors get (the row stays, every read path hides it), offered as an action.
"""

from django.contrib import admin, messages

from tweets import services
from tweets.models import Post, PostEdit


class AuthorFilter(admin.SimpleListFilter):
    """A text box (username or id): a list of every author would not scale."""

    title = "author"
    parameter_name = "author"
    template = "admin/tweets/input_filter.html"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        # The template reads the current value and the other active filters from here.
        self.preserved_params = [
            (key, value)
            for key, value in changelist.get_filters_params().items()
            if key != self.parameter_name
        ]
        return []

    def queryset(self, request, queryset):
        value = (self.value() or "").strip().lstrip("@")
        if not value:
            return queryset
        if value.isdigit() and len(value) <= 19:
            return queryset.filter(author_id=int(value))
        return queryset.filter(author__username__iexact=value)


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Deleted"), ("no", "Not deleted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class PostEditInline(admin.TabularInline):
    model = PostEdit
    fields = ["edited_at", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "author",
        "short_text",
        "created_at",
        "edited_at",
        "deleted_at",
        "like_count",
        "retweet_count",
        "reply_count",
        "quote_count",
    ]
    list_select_related = ["author"]
    list_filter = [AuthorFilter, ("created_at", admin.DateFieldListFilter), DeletedFilter]
    search_fields = ["=id", "text", "=author__username"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    show_full_result_count = False  # COUNT(*) over every post is slow
    readonly_fields = [
        "id",
        "author",
        "text",
        "reply_to",
        "quote_of",
        "conversation_id",
        "media_ids",
        "created_at",
        "edited_at",
        "deleted_at",
        "like_count",
        "retweet_count",
        "reply_count",
        "quote_count",
    ]
    fields = readonly_fields
    inlines = [PostEditInline]
    actions = ["soft_delete"]

    @admin.display(description="text")
    def short_text(self, post: Post) -> str:
        return post.text if len(post.text) <= 80 else f"{post.text[:79]}…"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a hard delete would skip the counters; use the action

    @admin.action(
        description="Delete selected posts (soft: hidden everywhere)", permissions=["change"]
    )
    def soft_delete(self, request, queryset):
        deleted = sum(services.post_soft_delete(post=post) for post in queryset)
        self.message_user(request, f"Deleted {deleted} post(s).", messages.SUCCESS)
