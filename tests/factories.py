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

