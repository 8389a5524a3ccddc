"""PART A of issue 19: apps, instance, accounts, statuses, timelines, markers."""

from django.urls import path

from mastodon_api.api import accounts as a
from mastodon_api.api import apps, instance
from mastodon_api.api import statuses as s
from mastodon_api.api import timelines as t

ID = "<str:account_id>"
SID = "<str:status_id>"

urlpatterns = [
    path("api/v1/apps", apps.AppsView.as_view()),
    path("api/v1/apps/verify_credentials", apps.AppVerifyView.as_view()),
    # instance
    path("api/v1/instance", instance.InstanceV1View.as_view()),
    path("api/v2/instance", instance.InstanceV2View.as_view()),
    path(".well-known/nodeinfo", instance.NodeInfoLinksView.as_view()),
    path("nodeinfo/2.0", instance.NodeInfoView.as_view()),
    path(".well-known/oauth-authorization-server", instance.OAuthServerMetadataView.as_view()),
    # accounts
    path("api/v1/accounts/verify_credentials", a.VerifyCredentialsView.as_view()),
    path("api/v1/accounts/update_credentials", a.UpdateCredentialsView.as_view()),
    path("api/v1/accounts/lookup", a.LookupView.as_view()),
    path("api/v1/accounts/relationships", a.RelationshipsView.as_view()),
    path("api/v1/accounts/search", a.AccountSearchView.as_view()),
    path(f"api/v1/accounts/{ID}", a.AccountView.as_view()),
    path(f"api/v1/accounts/{ID}/statuses", a.AccountStatusesView.as_view()),
    path(f"api/v1/accounts/{ID}/followers", a.FollowersView.as_view()),
    path(f"api/v1/accounts/{ID}/following", a.FollowingView.as_view()),
    path(f"api/v1/accounts/{ID}/follow", a.FollowView.as_view()),
    path(f"api/v1/accounts/{ID}/unfollow", a.UnfollowView.as_view()),
    path(f"api/v1/accounts/{ID}/block", a.BlockView.as_view()),
    path(f"api/v1/accounts/{ID}/unblock", a.UnblockView.as_view()),
    path(f"api/v1/accounts/{ID}/mute", a.MuteView.as_view()),
    path(f"api/v1/accounts/{ID}/unmute", a.UnmuteView.as_view()),
    path("api/v1/follow_requests", a.FollowRequestsView.as_view()),
    path(f"api/v1/follow_requests/{ID}/authorize", a.FollowRequestAuthorizeView.as_view()),
    path(f"api/v1/follow_requests/{ID}/reject", a.FollowRequestRejectView.as_view()),
    path("api/v1/blocks", a.BlocksView.as_view()),
    path("api/v1/mutes", a.MutesView.as_view()),
    path("api/v1/bookmarks", a.BookmarksView.as_view()),
    path("api/v1/favourites", a.FavouritesView.as_view()),
    path("api/v2/suggestions", a.SuggestionsView.as_view()),
    # statuses
    path("api/v1/statuses", s.StatusesView.as_view()),
    path(f"api/v1/statuses/{SID}", s.StatusView.as_view()),
    path(f"api/v1/statuses/{SID}/history", s.StatusHistoryView.as_view()),
    path(f"api/v1/statuses/{SID}/source", s.StatusSourceView.as_view()),
    path(f"api/v1/statuses/{SID}/context", s.StatusContextView.as_view()),
    path(f"api/v1/statuses/{SID}/favourite", s.FavouriteView.as_view()),
    path(f"api/v1/statuses/{SID}/unfavourite", s.UnfavouriteView.as_view()),
    path(f"api/v1/statuses/{SID}/reblog", s.ReblogView.as_view()),
    path(f"api/v1/statuses/{SID}/unreblog", s.UnreblogView.as_view()),
    path(f"api/v1/statuses/{SID}/bookmark", s.BookmarkView.as_view()),
    path(f"api/v1/statuses/{SID}/unbookmark", s.UnbookmarkView.as_view()),
    path(f"api/v1/statuses/{SID}/favourited_by", s.FavouritedByView.as_view()),
    path(f"api/v1/statuses/{SID}/reblogged_by", s.RebloggedByView.as_view()),
    # timelines, markers
    path("api/v1/timelines/home", t.HomeTimelineView.as_view()),
    path("api/v1/timelines/public", t.PublicTimelineView.as_view()),
    path("api/v1/timelines/tag/<str:hashtag>", t.TagTimelineView.as_view()),
    path("api/v1/markers", t.MarkersView.as_view()),
]
