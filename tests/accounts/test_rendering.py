"""User summaries (accounts.rendering): the one way a user is embedded anywhere."""

from unittest import mock

import pytest
from django.db.models.fields.files import FieldFile
from rest_framework.test import APIRequestFactory

from accounts.models import User
from accounts.rendering import USER_SUMMARY_FIELDS, user_summary
from accounts.schemas import UserBaseSerializer, UserSummarySerializer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("avatar", ["avatars/a.png", ""])
def test_a_summary_is_what_drf_renders_for_the_same_fields(avatar):
    user = UserFactory(avatar=avatar, display_name="Ann", is_private=True)
    request = APIRequestFactory().get("/api/v1/feed")
    for context in ({}, {"request": request}):
        expected = UserBaseSerializer(user, context=context).data
        assert user_summary(user, request=context.get("request")) == expected
        assert UserSummarySerializer(user, context=context).data == expected
    if avatar:
        assert user_summary(user, request=request)["avatar"] == (
            "http://testserver/media/avatars/a.png"
        )


def test_the_summary_serializer_cannot_be_extended():
    # Its fields are rendered by user_summary: a subclass's extra fields would vanish.
    with pytest.raises(TypeError):

        class WithCounts(UserSummarySerializer):
            pass


@pytest.mark.parametrize("avatar", ["avatars/a.png", ""])
def test_a_user_read_from_the_row_renders_its_avatar_as_drf_does(avatar):
    created = UserFactory(avatar=avatar)
    expected = UserBaseSerializer(User.objects.get(pk=created.pk)).data
    fresh = User.objects.only(*USER_SUMMARY_FIELDS).get(pk=created.pk)
    init = FieldFile.__init__
    with mock.patch.object(FieldFile, "__init__", autospec=True, side_effect=init) as made:
        assert user_summary(fresh) == expected
    # Without an avatar no file object is made (most users; 2 µs each on a feed page).
    assert made.called == bool(avatar)
