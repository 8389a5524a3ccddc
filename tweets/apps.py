from django.apps import AppConfig


class TweetsConfig(AppConfig):
    name = "tweets"

    def ready(self) -> None:
        from media.services import on_attached_media_changed
        from tweets.services import post_bump_version

        # Read-your-writes for alt text edits (media.services).
        on_attached_media_changed(post_bump_version)
