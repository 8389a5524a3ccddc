"""factory-boy factories, one per model the tests create."""

import factory

from accounts.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


# --- relationships ---------------------------------------------------------
# Rows only: counters (followers_count, following_count) and events are the
# services' job, so tests about those call relationships.services instead.


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "relationships.Follow"

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)


class FollowRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "relationships.FollowRequest"

    requester = factory.SubFactory(UserFactory)
    target = factory.SubFactory(UserFactory, is_private=True)


class BlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "relationships.Block"

    blocker = factory.SubFactory(UserFactory)
    blocked = factory.SubFactory(UserFactory)


class MuteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "relationships.Mute"

    muter = factory.SubFactory(UserFactory)
    muted = factory.SubFactory(UserFactory)


# --- tweets ------------------------------------------------------------------
# Rows only: counters (like_count, posts_count, ...) and events are the job of
# tweets.services, so tests about those call the services or the API instead.


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tweets.Post"

    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Post number {n}")
    reply_to = None
    quote_of = None
    conversation_id = factory.LazyAttribute(
        lambda o: o.reply_to.conversation_id if o.reply_to else None
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        post = model_class(*args, **kwargs)
        if post.conversation_id is None:
            post.conversation_id = post.id  # a root is its own conversation
        post.save(force_insert=True)
        return post


class RetweetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tweets.Retweet"

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


class LikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tweets.Like"

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


class BookmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tweets.Bookmark"

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


class PostEditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tweets.PostEdit"

    post = factory.SubFactory(PostFactory)
    text = factory.Sequence(lambda n: f"Earlier text {n}")


class MediaFactory(factory.django.DjangoModelFactory):
    """A processed (ready) upload, as its row says; no files are written."""

    class Meta:
        model = "media.Media"

    owner = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"test-media-key-{n:08d}")
    state = "ready"
    original = factory.LazyAttribute(lambda m: f"{m.key}/original.jpg")
    width, height = 800, 600
    variants = factory.LazyAttribute(
        lambda m: {
            "small": {"name": f"{m.key}/small.webp", "width": 400, "height": 300},
            "large": {"name": f"{m.key}/large.webp", "width": 800, "height": 600},
        }
    )
    blurhash = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
