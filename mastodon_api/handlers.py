"""Domain-event handlers of the Mastodon face (core.apps autodiscovers this module):
the public and hashtag streams' announcements (mastodon_api.streaming.handlers)."""

from mastodon_api.streaming.handlers import announce_public_posts

__all__ = ["announce_public_posts"]
