"""Media in the admin: the items, and storage used per user (a read-only list)."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat

from media.models import Media, UserStorage


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "kind", "state", "size", "post_id", "created_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["owner"]
    search_fields = ["=id", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = [
        "id", "owner", "kind", "state", "failure_reason", "key", "upload_name", "content_type",
        "original", "width", "height", "variants", "blurhash", "size_bytes", "post_id",
        "created_at", "processed_at",
    ]  # fmt: skip
    fields = ["alt_text", *readonly_fields]
    show_full_result_count = False

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj: Media) -> str:
        return filesizeformat(obj.size_bytes)

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # uploads go through the API's checks


def _per_owner(aggregate):
    return Coalesce(
        Subquery(
            Media.objects.filter(owner_id=OuterRef("pk"))
            .order_by()
            .values("owner_id")
            .annotate(value=aggregate)
            .values("value"),
            output_field=IntegerField(),
        ),
        0,
    )


@admin.register(UserStorage)
class UserStorageAdmin(admin.ModelAdmin):
    """Per-user storage: items and bytes stored (processed files), biggest first."""

    list_display = ["username", "items", "stored"]
    search_fields = ["username"]
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                media_items=_per_owner(Count("id")), media_bytes=_per_owner(Sum("size_bytes"))
            )
            .filter(media_items__gt=0)
            .order_by("-media_bytes", "pk")
        )

    @admin.display(description="media items", ordering="media_items")
    def items(self, obj) -> int:
        return obj.media_items

    @admin.display(description="stored", ordering="media_bytes")
    def stored(self, obj) -> str:
        return filesizeformat(obj.media_bytes)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
