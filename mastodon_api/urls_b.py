"""PART B of issue 19 (notifications, search, trends, media, streaming): owned by
the masto2 branch. Included by mastodon_api.root_urls at the root."""

urlpatterns: list = []
