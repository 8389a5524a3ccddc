"""Moderators look at follows, requests, blocks and mutes, searching by username.

Rows are read-only here: a follow or block made or removed behind the services'
back would skip the counters and the events. Deleting goes through the services.
"""

import contextlib

from django.contrib import admin

from core.errors import NotFound
from relationships import services
from relationships.models import Block, Follow, FollowRequest, Mute


class _ReadOnlyPairAdmin(admin.ModelAdmin):
    """Subclasses name the two user fields (`pair`); the columns, search and
    read-only fields follow from them."""

    pair: tuple[str, str]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False  # no COUNT(*) over millions of rows per search
    search_help_text = "Username prefix of either user."

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        first, second = cls.pair
        cls.list_display = ["id", first, second, "created_at"]
        cls.list_select_related = [first, second]
        cls.search_fields = [f"^{first}__username", f"^{second}__username"]
        cls.readonly_fields = [first, second, "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def remove(self, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.remove(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.remove(obj)


@admin.register(Follow)
class FollowAdmin(_ReadOnlyPairAdmin):
    pair = ("follower", "followee")

    def remove(self, obj):
        services.follower_remove(user=obj.followee, follower_id=obj.follower_id)


@admin.register(FollowRequest)
class FollowRequestAdmin(_ReadOnlyPairAdmin):
    pair = ("requester", "target")

    def remove(self, obj):
        # NotFound: answered meanwhile, or the requester's account is gone (then the
        # request is hidden everywhere, as for its target in the API).
        with contextlib.suppress(NotFound):
            services.follow_request_reject(user=obj.target, request_id=obj.pk)


@admin.register(Block)
class BlockAdmin(_ReadOnlyPairAdmin):
    pair = ("blocker", "blocked")

    def remove(self, obj):
        services.block_delete(blocker=obj.blocker, blocked_id=obj.blocked_id)


@admin.register(Mute)
class MuteAdmin(_ReadOnlyPairAdmin):
    pair = ("muter", "muted")

    def remove(self, obj):
        services.mute_delete(muter=obj.muter, muted_id=obj.muted_id)
