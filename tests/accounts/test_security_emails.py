"""Security emails: deactivation, reactivation and password changes each tell the account,
once, through the event backbone (accounts.handlers.send_security_email).

These tests commit for real (`transaction=True`), so each write's events are
delivered after its commit as in embedded mode; the redelivery tests then call
the backbone again with the same event ids.
"""

import smtplib
import threading

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import emails, services
from accounts.events import UserPasswordChanged
from core.events import delivery, dispatch, publish
from core.ids import new_id
from core.models import EventDelivery, OutboxEvent, ProcessedEvent
from core.tasks import run_handler
from tests.accounts.helpers import TOKEN_URL, assert_error, client_with, obtain_tokens
from tests.conftest import bearer_client
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HANDLER = "accounts.handlers.send_security_email"
DEACTIVATE_URL = "/api/v1/users/me/deactivate"
NEW_PASSWORD = "a-brand-New-passphrase-8"


def sent(mailoutbox) -> list[tuple[str, str]]:
    return [(message.to[0], message.subject) for message in mailoutbox]


def event_ids(name: str) -> list[int]:
    return list(OutboxEvent.objects.filter(name=name).order_by("id").values_list("id", flat=True))


def password_changes(*users) -> list[int]:
    """One user.password_changed event per user in one transaction, delivered on commit."""
    with transaction.atomic():
        return [publish(UserPasswordChanged(user_id=user.pk)) for user in users]


# --- the three emails ------------------------------------------------------------


def test_deactivating_asks_for_the_password(mailoutbox):
    user = UserFactory()
    client = bearer_client(user)

    assert_error(client.post(DEACTIVATE_URL), 400, attr="password")
    assert_error(client.post(DEACTIVATE_URL, {"password": "not-my-password"}), 400, attr="password")

    user.refresh_from_db()
    assert user.deactivated_at is None
    assert client.get("/api/v1/users/me").status_code == 200  # tokens untouched
    assert not OutboxEvent.objects.exists()
    assert mailoutbox == []


def test_deactivation_revokes_tokens_and_emails_the_account_once(mailoutbox):
    user = UserFactory()
    client = bearer_client(user)

    assert client.post(DEACTIVATE_URL, {"password": DEFAULT_PASSWORD}).status_code == 204

    user.refresh_from_db()
    assert user.deactivated_at is not None
    assert_error(client.get("/api/v1/users/me"), 401)
    assert sent(mailoutbox) == [(user.email, "Your Warble account was deactivated")]
    [event_id] = event_ids("user.deactivated")
    message = mailoutbox[0]
    assert message.extra_headers["Message-ID"] == f"<security-{event_id}@warble.local>"
    when = OutboxEvent.objects.get(id=event_id).created_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"deactivated on {when}" in message.body


def test_signing_in_again_reactivates_and_emails_the_account(api_client, mailoutbox):
    user = UserFactory()
    bearer_client(user).post(DEACTIVATE_URL, {"password": DEFAULT_PASSWORD})

    obtain_tokens(api_client, user.username)
    obtain_tokens(api_client, user.username)  # an active account: nothing more to say

    assert sent(mailoutbox) == [
        (user.email, "Your Warble account was deactivated"),
        (user.email, "Your Warble account was reactivated"),
    ]


def test_a_password_change_and_a_reset_each_email_the_account(api_client, mailoutbox):
    user = UserFactory()
    tokens = obtain_tokens(api_client, user.username)
    changed = client_with(tokens["access"]).post(
        "/api/v1/auth/password/change",
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204
    assert_error(client_with(tokens["access"]).get("/api/v1/users/me"), 401)  # still revoked

    user.refresh_from_db()
    reset = api_client.post(
        "/api/v1/auth/password/reset/confirm",
        {
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "new_password": DEFAULT_PASSWORD,
        },
    )
    assert reset.status_code == 204

    assert sent(mailoutbox) == [(user.email, "Your Warble password was changed")] * 2
    assert "from a signed-in session" in mailoutbox[0].body
    assert "with a password reset link" in mailoutbox[1].body
    assert api_client.post(TOKEN_URL, {"username": user.username, "password": DEFAULT_PASSWORD})


def test_an_erased_account_gets_no_email(mailoutbox):
    user = UserFactory()
    services.user_erase(user=user, password=DEFAULT_PASSWORD)
    [event_id] = password_changes(user)

    assert mailoutbox == []
    assert ProcessedEvent.objects.filter(event_id=event_id, handler=HANDLER).exists()
    assert not EventDelivery.objects.exists()


# --- once, whatever the backbone does again ------------------------------------------


def test_a_redelivered_or_retried_event_sends_no_second_email(mailoutbox):
    user = UserFactory()
    bearer_client(user).post(DEACTIVATE_URL, {"password": DEFAULT_PASSWORD})
    [event_id] = event_ids("user.deactivated")
    assert len(mailoutbox) == 1

    delivery.deliver(handler=HANDLER, event_ids=[event_id])  # the broker redelivers
    run_handler.apply(kwargs={"handler": HANDLER, "event_ids": [event_id]})  # the task again
    EventDelivery.objects.create(event_id=event_id, handler=HANDLER, attempts=1)
    dispatch.replay(EventDelivery.objects.all())  # an operator replays it

    assert len(mailoutbox) == 1
    assert not EventDelivery.objects.exists()  # the replay found it done


def test_concurrent_deliveries_of_one_event_send_one_email(mailoutbox, monkeypatch):
    user = UserFactory()
    row = OutboxEvent.objects.create(  # written directly: nothing delivers it yet
        id=new_id(), name="user.password_changed", payload={"user_id": user.pk}
    )
    real_send = emails.send_security_email
    barrier = threading.Barrier(4)
    started = threading.Event()

    def slow_send(delivered):
        started.set()
        threading.Event().wait(0.3)  # the other deliveries queue up on the marker meanwhile
        return real_send(delivered)

    monkeypatch.setattr(emails, "send_security_email", slow_send)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            delivery.deliver(handler=HANDLER, event_ids=[row.id])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert started.is_set()
    assert sent(mailoutbox) == [(user.email, "Your Warble password was changed")]


def test_a_failed_email_is_retried_alone_and_the_others_are_not_sent_again(
    mailoutbox, monkeypatch, settings
):
    """One batch of three: the second address is refused once. A batch-wide transaction
    would roll back the first email's marker with it, and the split-and-retry would send
    the first email again; per event, each is sent exactly once."""
    settings.EVENTS_RETRY_BASE_SECONDS = 0
    first, refused, third = UserFactory(), UserFactory(), UserFactory()
    real_send_messages = EmailBackend.send_messages
    refusals = []

    def send_messages(self, messages):
        if messages[0].to == [refused.email] and not refusals:
            refusals.append(messages[0].to)
            raise smtplib.SMTPRecipientsRefused({refused.email: (450, b"try again later")})
        return real_send_messages(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)

    ids = password_changes(first, refused, third)  # one handler batch of three

    assert sorted(to for to, _ in sent(mailoutbox)) == sorted([first.email, third.email])
    [retry] = EventDelivery.objects.all()
    assert (retry.event_id, retry.state) == (ids[1], "retrying")
    assert "SMTPRecipientsRefused" in retry.last_error

    dispatch.sweep()  # the retry is due

    assert sorted(to for to, _ in sent(mailoutbox)) == sorted(
        u.email for u in (first, refused, third)
    )
    assert not EventDelivery.objects.exists()
    dispatch.sweep()
    assert len(mailoutbox) == 3


def test_a_crash_after_sending_and_before_the_commit_sends_again_with_the_same_id(
    mailoutbox, monkeypatch, settings
):
    """The chosen trade-off: the marker commits after the send, so a failure in between
    repeats the email (same Message-ID) rather than losing it."""
    settings.EVENTS_RETRY_BASE_SECONDS = 0
    user = UserFactory()
    real_send = emails.send_security_email
    crashes = []

    def send_then_crash(delivered):
        real_send(delivered)
        if not crashes:
            crashes.append(delivered.id)
            raise ConnectionError("database gone before COMMIT")

    monkeypatch.setattr(emails, "send_security_email", send_then_crash)

    [event_id] = password_changes(user)
    assert not ProcessedEvent.objects.filter(event_id=event_id, handler=HANDLER).exists()
    dispatch.sweep()

    assert len(mailoutbox) == 2
    assert {m.extra_headers["Message-ID"] for m in mailoutbox} == {
        f"<security-{event_id}@warble.local>"
    }
    assert ProcessedEvent.objects.filter(event_id=event_id, handler=HANDLER).exists()
    dispatch.sweep()
    assert len(mailoutbox) == 2
