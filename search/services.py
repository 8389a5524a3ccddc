"""Writes of search: the hashtag rows and post links, kept from post events."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from search.models import Hashtag, PostHashtag
from tweets.hashtags import hashtags_in
from tweets.models import Post


@transaction.atomic
def hashtags_sync(*, post_ids: Iterable[int]) -> None:
    """Make the links of these posts match their current text: a live post links
    the tags it has now (an edit drops the ones it lost), a deleted or missing
    post links none. Reads the current state, so events in any order and any
    number of deliveries give the same rows (the (hashtag, post) unique
    constraint and ignore_conflicts make a concurrent repeat harmless).
    At most six queries per batch whatever its size."""
    post_ids = set(post_ids)
    if not post_ids:
        return
    live = list(
        Post.objects.filter(pk__in=post_ids, deleted_at__isnull=True).only(
            "id", "text", "author_id", "created_at"
        )
    )
    wanted = {post.id: hashtags_in(post.text) for post in live}
    names = {name for tags in wanted.values() for name in tags}
    tag_ids: dict[str, int] = {}
    if names:
        Hashtag.objects.bulk_create(
            [Hashtag(name=name) for name in sorted(names)], ignore_conflicts=True
        )
        tag_ids = dict(Hashtag.objects.filter(name__in=names).values_list("name", "id"))
    keep = {(post_id, tag_ids[name]) for post_id, tags in wanted.items() for name in tags}
    existing = set(
        PostHashtag.objects.filter(post_id__in=post_ids).values_list("post_id", "hashtag_id")
    )
    stale = existing - keep
    if stale:
        pairs = Q()
        for post_id, tag_id in stale:
            pairs |= Q(post_id=post_id, hashtag_id=tag_id)
        PostHashtag.objects.filter(pairs).delete()
    by_id = {post.id: post for post in live}
    PostHashtag.objects.bulk_create(
        [
            PostHashtag(
                post_id=post_id,
                hashtag_id=tag_id,
                author_id=by_id[post_id].author_id,
                created_at=by_id[post_id].created_at,
            )
            for post_id, tag_id in sorted(keep - existing)
        ],
        ignore_conflicts=True,
    )
