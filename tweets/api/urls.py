from django.urls import path

import core.converters  # noqa: F401 - registers <id:...>
from tweets.api import feed, views

urlpatterns = [
    path("posts", views.PostCreateView.as_view(), name="posts-create"),
    path("posts/<id:post_id>", views.PostDetailView.as_view(), name="posts-detail"),
    path("posts/<id:post_id>/history", views.PostHistoryView.as_view(), name="posts-history"),
    path("posts/<id:post_id>/comment", views.PostCommentView.as_view(), name="posts-comment"),
    path("posts/<id:post_id>/comments", views.PostCommentsView.as_view(), name="posts-comments"),
    path("posts/<id:post_id>/context", views.PostContextView.as_view(), name="posts-context"),
    path("posts/<id:post_id>/like", views.PostLikeView.as_view(), name="posts-like"),
    path("posts/<id:post_id>/retweet", views.PostRetweetView.as_view(), name="posts-retweet"),
    path("posts/<id:post_id>/bookmark", views.PostBookmarkView.as_view(), name="posts-bookmark"),
    path("posts/<id:post_id>/liked-by", views.PostLikedByView.as_view(), name="posts-liked-by"),
    path(
        "posts/<id:post_id>/retweeted-by",
        views.PostRetweetedByView.as_view(),
        name="posts-retweeted-by",
    ),
    path("bookmarks", views.BookmarkListView.as_view(), name="bookmarks"),
    path("feed", feed.FeedView.as_view(), name="feed"),
    path("users/<id:user_id>/posts", views.UserPostsView.as_view(), name="users-posts"),
    path("users/<id:user_id>/likes", views.UserLikesView.as_view(), name="users-likes"),
    # The profile lives here, not in accounts, because it embeds recent posts.
    path("users/<id:user_id>/profile", views.UserProfileView.as_view(), name="users-profile"),
    path(
        "users/by-username/<str:username>",
        views.UserProfileByUsernameView.as_view(),
        name="users-by-username",
    ),
]
