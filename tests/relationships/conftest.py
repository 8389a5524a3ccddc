import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """These tests create many users and never sign in: skip the slow key derivation."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
