"""Password change and the emailed reset flow."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.accounts.helpers import REFRESH_URL, TOKEN_URL, assert_error, client_with, obtain_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE_URL = "/api/v1/auth/password/change"
RESET_URL = "/api/v1/auth/password/reset"
CONFIRM_URL = "/api/v1/auth/password/reset/confirm"
NEW_PASSWORD = "a-brand-New-passphrase-8"


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def request_reset(api_client, django_capture_on_commit_callbacks):
    """POST the reset request and run what it schedules on commit (the email task)."""

    def post(email):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(RESET_URL, {"email": email})

    return post


def test_change_with_a_wrong_old_password_is_400(api_client, user):
    client = client_with(obtain_tokens(api_client, user.username)["access"])

    response = client.post(CHANGE_URL, {"old_password": "nope", "new_password": NEW_PASSWORD})

    assert_error(response, 400, attr="old_password")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("new_password", ["short", "password123", "1234567890123"])
def test_change_to_a_weak_password_is_400(api_client, user, new_password):
    client = client_with(obtain_tokens(api_client, user.username)["access"])
    response = client.post(
        CHANGE_URL, {"old_password": DEFAULT_PASSWORD, "new_password": new_password}
    )
    assert_error(response, 400, attr="new_password")


def test_change_revokes_old_tokens_and_the_new_password_signs_in(api_client, user):
    old = obtain_tokens(api_client, user.username)
    other_session = obtain_tokens(api_client, user.username)
    client = client_with(old["access"])

    response = client.post(
        CHANGE_URL, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    for tokens in (old, other_session):
        assert_error(client_with(tokens["access"]).get("/api/v1/users/me"), 401)
        assert_error(api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401)
    assert_error(
        api_client.post(TOKEN_URL, {"username": user.username, "password": DEFAULT_PASSWORD}),
        401,
    )
    fresh = obtain_tokens(api_client, user.username, NEW_PASSWORD)
    assert client_with(fresh["access"]).get("/api/v1/users/me").status_code == 200
    assert User.objects.get(pk=user.pk).password.startswith("argon2")


def test_change_needs_authentication(api_client):
    response = api_client.post(CHANGE_URL, {"old_password": "x", "new_password": NEW_PASSWORD})
    assert_error(response, 401)


# --- reset -----------------------------------------------------------------------


def reset_link_parts(message) -> tuple[str, str]:
    uid = re.search(r"uid: (\S+)", message.body).group(1)
    token = re.search(r"token: (\S+)", message.body).group(1)
    assert f"uid={uid}" in message.body
    assert f"token={token}" in message.body
    return uid, token


def test_reset_answers_the_same_for_known_and_unknown_emails(request_reset, user):
    known = request_reset(user.email.upper())
    unknown = request_reset("nobody@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert reset_link_parts(mail.outbox[0])


def test_a_sign_in_after_the_email_voids_the_reset_link(api_client, request_reset, user):
    request_reset(user.email)
    uid, token = reset_link_parts(mail.outbox[0])
    obtain_tokens(api_client, user.username)  # the user remembered the password

    response = api_client.post(
        CONFIRM_URL, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    )

    assert_error(response, 400, attr="token")


def test_reset_answers_the_same_when_the_broker_is_down(request_reset, user, monkeypatch):
    from kombu.exceptions import OperationalError

    from accounts import tasks

    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_password_reset_email, "delay", broker_down)

    known = request_reset(user.email)
    unknown = request_reset("nobody@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content


def test_reset_sends_nothing_for_erased_accounts(request_reset, user):
    user.is_active = False
    user.save()
    assert request_reset(user.email).status_code == 202
    assert mail.outbox == []


@pytest.mark.parametrize("payload", [{}, {"email": "not-an-email"}, {"email": ["a@b.co"]}])
def test_reset_with_a_bad_email_is_400(api_client, payload):
    assert_error(api_client.post(RESET_URL, payload, format="json"), 400, attr="email")


def test_reset_confirm_sets_the_password_once(api_client, request_reset, user):
    old = obtain_tokens(api_client, user.username)
    request_reset(user.email)
    uid, token = reset_link_parts(mail.outbox[0])

    response = api_client.post(
        CONFIRM_URL, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204, response.json()
    obtain_tokens(api_client, user.username, NEW_PASSWORD)
    assert_error(client_with(old["access"]).get("/api/v1/users/me"), 401)
    again = api_client.post(
        CONFIRM_URL, {"uid": uid, "token": token, "new_password": "yet-another-Passw0rd"}
    )
    assert_error(again, 400, attr="token")
    obtain_tokens(api_client, user.username, NEW_PASSWORD)


def test_reset_confirm_refuses_a_weak_password_and_keeps_the_token_usable(
    api_client, request_reset, user
):
    request_reset(user.email)
    uid, token = reset_link_parts(mail.outbox[0])

    weak = api_client.post(CONFIRM_URL, {"uid": uid, "token": token, "new_password": "123"})

    assert_error(weak, 400, attr="new_password")
    ok = api_client.post(CONFIRM_URL, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


def test_a_token_for_one_user_does_not_reset_another(api_client, request_reset, user):
    other = UserFactory()
    request_reset(user.email)
    _, token = reset_link_parts(mail.outbox[0])
    request_reset(other.email)
    other_uid, _ = reset_link_parts(mail.outbox[1])

    response = api_client.post(
        CONFIRM_URL, {"uid": other_uid, "token": token, "new_password": NEW_PASSWORD}
    )

    assert_error(response, 400, attr="token")
    other.refresh_from_db()
    assert other.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("uid", "token"),
    [
        ("garbage", "garbage"),
        ("MQ", "abc-123"),
        ("!!!", "x"),
        ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", "x"),  # base64 of 99999999999999999999999
        ("LTE", "x"),  # base64 of -1
        ("w6k", "x"),  # base64 of a non-ASCII byte sequence
        ("", "x"),
    ],
)
def test_garbage_reset_links_are_400(api_client, user, uid, token):
    response = api_client.post(
        CONFIRM_URL, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    )
    assert_error(response, 400)
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
