"""Moderators look at follows, requests, blocks and mutes, searching by username.

Rows are read-only here: a follow or block made or removed behind the services'
back would skip the counters and the events. Deleting goes through the services.
"""

from django.contrib import admin

from relationships import services
from relationships.models import Block, Follow, FollowRequest, Mute


class _ReadOnlyPairAdmin(admin.ModelAdmin):
    ordering = ["-created_at", "-id"]
    show_full_result_count = False  # no COUNT(*) over millions of rows per search

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
    list_display = ["id", "follower", "followee", "created_at"]
    list_select_related = ["follower", "followee"]
    search_fields = ["^follower__username", "^followee__username"]
    search_help_text = "Username prefix of either user."
    readonly_fields = ["follower", "followee", "created_at"]

    def remove(self, obj):
        services.follower_remove(user=obj.followee, follower_id=obj.follower_id)


@admin.register(FollowRequest)
class FollowRequestAdmin(_ReadOnlyPairAdmin):
    list_display = ["id", "requester", "target", "created_at"]
    list_select_related = ["requester", "target"]
    search_fields = ["^requester__username", "^target__username"]
    search_help_text = "Username prefix of either user."
    readonly_fields = ["requester", "target", "created_at"]

    def remove(self, obj):
        FollowRequest.objects.filter(pk=obj.pk).delete()  # no counters, no event


@admin.register(Block)
class BlockAdmin(_ReadOnlyPairAdmin):
    list_display = ["id", "blocker", "blocked", "created_at"]
    list_select_related = ["blocker", "blocked"]
    search_fields = ["^blocker__username", "^blocked__username"]
    search_help_text = "Username prefix of either user."
    readonly_fields = ["blocker", "blocked", "created_at"]

    def remove(self, obj):
        services.block_delete(blocker=obj.blocker, blocked_id=obj.blocked_id)


@admin.register(Mute)
class MuteAdmin(_ReadOnlyPairAdmin):
    list_display = ["id", "muter", "muted", "created_at"]
    list_select_related = ["muter", "muted"]
    search_fields = ["^muter__username", "^muted__username"]
    search_help_text = "Username prefix of either user."
    readonly_fields = ["muter", "muted", "created_at"]

    def remove(self, obj):
        services.mute_delete(muter=obj.muter, muted_id=obj.muted_id)
