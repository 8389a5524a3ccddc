"""Thin Celery tasks: load by id, do one thing."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import RevokedSession, User


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset_email(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.FRONTEND_PASSWORD_RESET_URL.format(uid=uid, token=token)
    send_mail(
        subject="Reset your Warble password",
        message=(
            f"Hello {user.username},\n\nSomeone asked to reset your Warble password. "
            f"If it was you, open this link within the hour:\n\n{link}\n\n"
            f"uid: {uid}\ntoken: {token}\n\nIf it was not you, ignore this email."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


@shared_task(name="accounts.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens() -> None:
    """Drop refresh tokens (and their blacklist rows) and signed-out sessions that
    have expired anyway."""
    from django.core.management import call_command

    call_command("flushexpiredtokens")
    RevokedSession.objects.filter(expires_at__lt=timezone.now()).delete()
