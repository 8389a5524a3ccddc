from django.urls import path

from search.api import views

urlpatterns = [
    path("search", views.SearchView.as_view(), name="search"),
    path("search/posts", views.PostSearchView.as_view(), name="search-posts"),
    path("search/users", views.UserSearchView.as_view(), name="search-users"),
    path(
        "search/users/autocomplete",
        views.UserAutocompleteView.as_view(),
        name="search-users-autocomplete",
    ),
    path("hashtags/<str:tag>/posts", views.HashtagPostsView.as_view(), name="hashtag-posts"),
    path("trends", views.TrendsView.as_view(), name="trends"),
]
