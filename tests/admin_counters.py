"""Every stored counter equals the COUNT(*) it stands for (after admin actions and erasure)."""

from django.db.models import Q

from accounts.models import User
from relationships.models import Follow
from tweets.models import Like, Post, Retweet


def counter_mismatches() -> list[str]:
    """Each user and post whose counters disagree with the rows, as readable lines."""
    wrong = []
    for user in User.objects.all():
        expected = {
            "followers_count": Follow.objects.filter(followee=user).count(),
            "following_count": Follow.objects.filter(follower=user).count(),
            "posts_count": Post.objects.filter(author=user, deleted_at__isnull=True).count(),
        }
        for name, count in expected.items():
            if getattr(user, name) != count:
                wrong.append(f"user {user.username}: {name}={getattr(user, name)}, rows={count}")
    live = Q(deleted_at__isnull=True)
    for post in Post.objects.all():
        expected = {
            "like_count": Like.objects.filter(post=post).count(),
            "retweet_count": Retweet.objects.filter(post=post).count(),
            "reply_count": Post.objects.filter(live, reply_to_id=post.pk).count(),
            "quote_count": Post.objects.filter(live, quote_of_id=post.pk).count(),
        }
        for name, count in expected.items():
            if getattr(post, name) != count:
                wrong.append(f"post {post.pk}: {name}={getattr(post, name)}, rows={count}")
    return wrong
