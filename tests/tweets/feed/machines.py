"""The users and rules the feed's state machines share (test_property, test_page_cache).

Four users act through the services, each change committed as a real commit
would be (`committed`: the fixture of tests/tweets/feed/conftest.py, set by
the test on its subclass); a change the services refuse changes nothing.
Subclasses add their own rules, an `@initialize` that calls `start`, and
their invariant.
"""

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from core.errors import DomainError
from relationships import services as rel
from tests.factories import UserFactory
from tweets import services as posts

who = st.integers(min_value=0, max_value=3)
which = st.integers(min_value=0, max_value=10_000)


class SocialMachine(RuleBasedStateMachine):
    committed = None  # the `committed` fixture's callable

    def start(self):
        self.users = UserFactory.create_batch(4)
        self.posts: list[tuple[int, int]] = []  # (post id, author index)

    def act(self, func, **kwargs):
        try:
            with type(self).committed():
                return func(**kwargs)
        except DomainError:
            return None  # refused (blocked, not visible, ...): nothing changed

    def some_post(self, i):
        """The i-th post made so far (modulo), as (post id, author index), or Nones."""
        return self.posts[i % len(self.posts)] if self.posts else (None, None)

    def add_post(self, a, **kwargs):
        made = self.act(posts.post_create, author=self.users[a], **kwargs)
        if made:
            self.posts.append((made.id, a))

    @rule(a=who, b=who)
    def follow(self, a, b):
        if a != b:
            self.act(rel.follow_create, follower=self.users[a], followee_id=self.users[b].pk)

    @rule(a=who, b=who)
    def unfollow(self, a, b):
        self.act(rel.follow_delete, follower=self.users[a], followee_id=self.users[b].pk)

    @rule(a=who, i=which)
    def reply(self, a, i):
        parent, _ = self.some_post(i)
        if parent:
            self.add_post(a, text="r", reply_to_id=parent)

    @rule(a=who, i=which)
    def retweet(self, a, i):
        post_id, _ = self.some_post(i)
        if post_id:
            self.act(posts.retweet_create, user=self.users[a], post_id=post_id)

    @rule(a=who, i=which)
    def unretweet(self, a, i):
        post_id, _ = self.some_post(i)
        if post_id:
            self.act(posts.retweet_delete, user=self.users[a], post_id=post_id)

    @rule(i=which)
    def delete(self, i):
        post_id, author = self.some_post(i)
        if post_id:
            self.act(posts.post_delete, user=self.users[author], post_id=post_id)

    @rule(a=who, b=who)
    def block(self, a, b):
        if a != b:
            self.act(rel.block_create, blocker=self.users[a], blocked_id=self.users[b].pk)

    @rule(a=who, b=who)
    def unblock(self, a, b):
        self.act(rel.block_delete, blocker=self.users[a], blocked_id=self.users[b].pk)

    @rule(a=who, b=who)
    def mute(self, a, b):
        if a != b:
            self.act(rel.mute_create, muter=self.users[a], muted_id=self.users[b].pk)

    @rule(a=who, b=who)
    def unmute(self, a, b):
        self.act(rel.mute_delete, muter=self.users[a], muted_id=self.users[b].pk)
