from django.urls import path

import core.converters  # noqa: F401 - registers <id:...>
from relationships.api import views

# Literal paths (users/me/..., users/suggestions, users/relationships) come
# before the <id:user_id> ones; none of them is all digits, so neither shadows.
urlpatterns = [
    path("users/me/blocks", views.BlockListView.as_view(), name="users-me-blocks"),
    path("users/me/mutes", views.MuteListView.as_view(), name="users-me-mutes"),
    path("users/suggestions", views.SuggestionListView.as_view(), name="users-suggestions"),
    path("users/relationships", views.RelationshipBatchView.as_view(), name="users-relationships"),
    path("users/<id:user_id>/follow", views.FollowView.as_view(), name="users-follow"),
    path("users/<id:user_id>/follower", views.FollowerRemoveView.as_view(), name="users-follower"),
    path("users/<id:user_id>/followers", views.FollowerListView.as_view(), name="users-followers"),
    path("users/<id:user_id>/following", views.FollowingListView.as_view(), name="users-following"),
    path("users/<id:user_id>/block", views.BlockView.as_view(), name="users-block"),
    path("users/<id:user_id>/mute", views.MuteView.as_view(), name="users-mute"),
    path(
        "users/<id:user_id>/relationship",
        views.RelationshipView.as_view(),
        name="users-relationship",
    ),
    path("follow-requests", views.FollowRequestListView.as_view(), name="follow-requests"),
    path(
        "follow-requests/<id:request_id>/approve",
        views.FollowRequestApproveView.as_view(),
        name="follow-requests-approve",
    ),
    path(
        "follow-requests/<id:request_id>/reject",
        views.FollowRequestRejectView.as_view(),
        name="follow-requests-reject",
    ),
]
