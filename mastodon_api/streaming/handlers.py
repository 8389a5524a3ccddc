"""New public posts → the Mastodon public and hashtag streams.

Warble's own realtime layer has no public firehose (its pushes are per user:
docs/realtime.md), so this handler announces each new post of a public
account to the group of the public streams and to the group of each of its
hashtags, as a hint `{"type": "mastodon.public_post", "post_id", "tags",
"has_media"}`. Each streaming session then reads the post for its own viewer
(visibility, blocks, mutes: the posts app's rules) before it delivers it
(mastodon_api.streaming.session). A group with no member costs Redis one call.
"""

from core.events import Delivered, handler
from core.realtime import push_to_group
from mastodon_api.streaming.session import PUBLIC_GROUP, PUBLIC_POST, hashtag_group
from tweets.events import PostCreated
from tweets.hashtags import hashtags_in
from tweets.models import Post


@handler(PostCreated)
def announce_public_posts(events: list[Delivered[PostCreated]]) -> None:
    """Best effort, like every push (sent after commit; a retry may announce a post
    twice, which a session delivers twice at worst)."""
    ids = {d.event.post_id for d in events}
    posts = Post.objects.filter(
        pk__in=ids, hidden_at__isnull=True, author__is_private=False, author__is_active=True
    ).only("id", "text", "media_ids")
    for post in sorted(posts, key=lambda p: p.id):
        tags = hashtags_in(post.text)
        frame = {
            "type": PUBLIC_POST,
            "post_id": str(post.id),
            "tags": tags,
            "has_media": bool(post.media_ids),
        }
        push_to_group(group=PUBLIC_GROUP, payload=frame)
        for tag in tags:
            push_to_group(group=hashtag_group(tag), payload=frame)
