"""Fixtures for the moderation tests: a moderator (in the Moderators group), clients."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_storage(settings, tmp_path):
    """Files (data exports) go to the test's own folder through default_storage."""
    default = settings.STORAGES["default"]
    options = {**default.get("OPTIONS", {}), "location": tmp_path}
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}


def make_moderator(**kwargs):
    moderator = UserFactory(is_staff=True, **kwargs)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    return moderator


@pytest.fixture
def moderator(db):
    return make_moderator(username="mod")


@pytest.fixture
def mod_admin(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def superuser_admin(db) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client
