"""Login lock-out counts failures per account and address (issue 14, item 11).

It counted per identifier: the username and the email of one account each got
their own five tries from one address (and so did every spelling of them).
"""

import pytest
from axes.models import AccessAttempt

from tests.accounts.helpers import TOKEN_URL, assert_error
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(settings):
    settings.THROTTLE_ENABLED = False  # axes alone
    return UserFactory(username="alice", email="alice@example.com")


WRONG = "wrong-password-1"


def attempt(client, login, password=WRONG, ip="10.0.0.1"):
    return client.post(TOKEN_URL, {"username": login, "password": password}, REMOTE_ADDR=ip)


def test_username_and_email_share_one_count(api_client, alice):
    for login in ("alice", "alice@example.com", "ALICE", "Alice@Example.com"):
        assert_error(attempt(api_client, login), 401)
    # The fifth failure, whichever name it uses, locks the account from this address.
    assert_error(attempt(api_client, "alice@example.com"), 429, code="login_locked_out")
    for login in ("alice", "alice@example.com"):
        assert_error(
            attempt(api_client, login, password=DEFAULT_PASSWORD), 429, code="login_locked_out"
        )
    # Per address: the owner elsewhere still signs in.
    assert attempt(api_client, "alice", password=DEFAULT_PASSWORD, ip="10.0.0.2").status_code == 200


def test_one_count_per_account(api_client, alice):
    bob = UserFactory(username="bob", email="bob@example.com")
    for _ in range(4):
        assert_error(attempt(api_client, "alice@example.com"), 401)
    # Another account from the same address has its own count.
    assert_error(attempt(api_client, "bob"), 401)
    assert attempt(api_client, bob.email, password=DEFAULT_PASSWORD).status_code == 200
    assert AccessAttempt.objects.filter(username=f"account:{alice.pk}").exists()


def test_a_success_by_email_resets_the_count_of_the_username(api_client, alice):
    for _ in range(4):
        assert_error(attempt(api_client, "alice"), 401)
    assert attempt(api_client, "alice@example.com", password=DEFAULT_PASSWORD).status_code == 200
    for _ in range(4):
        assert_error(attempt(api_client, "alice"), 401)


def test_unknown_logins_are_locked_out_alike(api_client, alice):
    for _ in range(5):
        response = attempt(api_client, "nobody@example.com")
    assert_error(response, 429, code="login_locked_out")
