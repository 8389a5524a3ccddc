"""Event handlers of accounts: security emails (docs/events.md lists every handler)."""

from accounts import emails
from accounts.events import UserDeactivated, UserPasswordChanged, UserReactivated
from core.events import Delivered, handler


@handler(UserDeactivated, UserReactivated, UserPasswordChanged, per_event=True)
def send_security_email(events: list[Delivered[emails.SecurityEvent]]) -> None:
    """Tell the account owner, once per event.

    per_event: each event runs in its own transaction, which first inserts the
    event's processed marker (INSERT ... ON CONFLICT DO NOTHING) and calls this
    only if the marker is new, then sends, then commits. So a redelivered or
    retried event finds its marker and sends nothing; a concurrent delivery waits
    on the marker's unique index and then finds it; a failing event never rolls
    back (and so never repeats) another event's email, as a shared batch
    transaction would. The one window left is between the mail server accepting
    the message and the COMMIT: a crash there rolls the marker back and the
    retry sends a second copy (with the same Message-ID). A security email sent
    twice is better than one lost, so the marker is not committed before sending.
    The mail is sent by the Celery worker running this handler (core.run_handler).
    """
    for delivered in events:
        emails.send_security_email(delivered)
