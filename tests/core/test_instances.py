"""core.instances.loaded: the instance `Model.from_db` gives, without its cost."""

import pytest
from django.db import connection
from django.db.models.signals import post_init, pre_init

from accounts.models import User
from core.instances import loaded
from tests.factories import UserFactory

NAMES = ["id", "username", "display_name", "avatar", "is_private"]


def _values(user: User) -> list:
    return [user.pk, user.username, user.display_name, "avatars/a.png", True]


def _same(a: User, b: User) -> None:
    assert type(a) is type(b)
    assert {k: v for k, v in a.__dict__.items() if k != "_state"} == {
        k: v for k, v in b.__dict__.items() if k != "_state"
    }
    assert (a._state.db, a._state.adding) == (b._state.db, b._state.adding)
    assert a.get_deferred_fields() == b.get_deferred_fields()


@pytest.mark.django_db
def test_it_is_the_instance_from_db_gives_whatever_the_order_of_the_names():
    row = UserFactory(bio="written before")
    values = _values(row)
    expected = User.from_db(connection.alias, NAMES, values)
    got = loaded(User, connection.alias, reversed(NAMES), reversed(values))
    _same(got, expected)
    assert got._state.adding is False
    assert got._state.db == connection.alias
    assert "bio" in got.get_deferred_fields()
    assert got.avatar.url == expected.avatar.url == "/media/avatars/a.png"
    assert got == expected  # same model, same primary key
    # A deferred field is read from the row (all deferred fields at once: User).
    assert got.bio == "written before"
    assert got.email == row.email
    got.display_name = "changed"
    got.save(update_fields=["display_name"])
    assert User.objects.get(pk=row.pk).display_name == "changed"


@pytest.mark.django_db
@pytest.mark.parametrize("signal", [pre_init, post_init])
def test_init_receivers_see_every_instance_it_builds(signal):
    row = UserFactory()
    seen = []

    def receiver(sender, **kwargs):
        seen.append(sender)

    signal.connect(receiver, sender=User)
    try:
        got = loaded(User, connection.alias, NAMES, _values(row))
    finally:
        signal.disconnect(receiver, sender=User)
    assert seen == [User]
    _same(got, User.from_db(connection.alias, NAMES, _values(row)))
