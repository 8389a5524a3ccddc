"""Post events → hashtag rows and links (search.services.hashtags_sync).

The full-text index needs no handler: it is a generated column of the post
(an edit re-indexes it in the edit's own transaction), and deleted or hidden
posts are filtered at query time by the posts' visibility rule.
"""

from core.events import Delivered, handler
from search import services
from tweets.events import PostCreated, PostDeleted, PostEdited

PostTextChange = PostCreated | PostEdited | PostDeleted


@handler(PostCreated, PostEdited, PostDeleted)
def index_hashtags(events: list[Delivered[PostTextChange]]) -> None:
    """Idempotent and order-free: each post's links are made to match its current
    text (none once deleted), whatever event arrived and however often."""
    services.hashtags_sync(post_ids={d.event.post_id for d in events})
