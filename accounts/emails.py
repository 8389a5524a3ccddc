"""Security emails: what happened to the account, when, and what to do if it was not you.

Sent by accounts.handlers.send_security_email, one event per transaction: see
there why each is sent once.
"""

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage

from accounts.events import UserDeactivated, UserPasswordChanged, UserReactivated
from accounts.models import User
from core.events import Delivered

SecurityEvent = UserDeactivated | UserReactivated | UserPasswordChanged

NOT_YOU = "If this was not you, reset your password now: someone else knows it."


def message_id(event_id: int) -> str:
    """The same Message-ID for every copy of one event's email: mail servers and clients
    that de-duplicate by Message-ID show a repeat (see the handler) once."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "warble.local"
    return f"<security-{event_id}@{domain}>"


def compose(delivered: Delivered[SecurityEvent], *, user: User) -> tuple[str, str]:
    event, when = delivered.event, delivered.created_at.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(event, UserDeactivated):
        return "Your Warble account was deactivated", (
            f"Your Warble account was deactivated on {when}. It stays hidden until you "
            f"sign in again.\n\nIf this was not you, sign in to reactivate it and change "
            f"your password."
        )
    if isinstance(event, UserReactivated):
        return "Your Warble account was reactivated", (
            f"Someone signed in to your deactivated Warble account on {when}, which "
            f"reactivated it.\n\n{NOT_YOU}"
        )
    how = "with a password reset link" if event.reset else "from a signed-in session"
    return "Your Warble password was changed", (
        f"The password of your Warble account was changed on {when}, {how}. Every "
        f"session was signed out.\n\n{NOT_YOU}"
    )


def send_security_email(delivered: Delivered[SecurityEvent]) -> bool:
    """Email the account about the event; False when there is no one to tell (an erased or
    suspended account, no address). Raises if the mail server refuses."""
    user = User.objects.filter(pk=delivered.event.user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    subject, text = compose(delivered, user=user)
    EmailMessage(
        subject=subject,
        body=f"Hello {user.username},\n\n{text}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Message-ID": message_id(delivered.id)},
    ).send(fail_silently=False)
    return True
