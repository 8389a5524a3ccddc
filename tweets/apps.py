from django.apps import AppConfig


class TweetsConfig(AppConfig):
    name = "tweets"

    def ready(self) -> None:
        from core import stamps
        from media.services import on_attached_media_changed
        from tweets.feed import pages
        from tweets.services import post_bump_version

        # Read-your-writes for alt text edits (media.services).
        on_attached_media_changed(post_bump_version)
        # Changes stamp what they make stale for the feed's page cache.
        stamps.use_backend(pages.stamp)
