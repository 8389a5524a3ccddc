"""Every write to accounts. Keyword-only, typed, transactional."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import forget_authentication, token_session_id, token_user_id
from accounts.events import (
    UserDeactivated,
    UserErased,
    UserPasswordChanged,
    UserReactivated,
    UserSuspended,
    UserUnsuspended,
)
from accounts.models import RevokedSession, User
from accounts.websocket_auth import announce_revocation
from core import stamps
from core.errors import Invalid
from core.events import publish

PROFILE_FIELDS = ("display_name", "bio", "location", "website", "is_private")


class ProfileChanges(TypedDict, total=False):
    """The PROFILE_FIELDS a profile update may change; a missing key is left alone."""

    display_name: str
    bio: str
    location: str
    website: str
    is_private: bool


ERASED_FIELDS = (
    "username", "email", "display_name", "bio", "location", "website", "avatar", "banner",
    "is_active", "is_private", "deactivated_at",
)  # fmt: skip


def _check_password(*, password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:  # Django's validators: one item per message
        raise Invalid(fields={field: exc.messages}) from exc


def _check_username_free(*, username: str, exclude_id: int | None = None) -> None:
    users = User.objects.filter(username__iexact=username)
    if exclude_id is not None:
        users = users.exclude(pk=exclude_id)
    if users.exists():
        raise Invalid(fields={"username": ["This username is taken."]}, code="unique")


def _require_current_password(*, user: User, password: str, field: str = "password") -> None:
    if not user.check_password(password):
        raise Invalid(fields={field: ["The password is not correct."]})


def _check_email_free(*, email: str) -> None:
    if User.objects.filter(email__iexact=email).exists():
        raise Invalid(fields={"email": ["An account with this email exists."]}, code="unique")


@transaction.atomic
def user_register(*, username: str, email: str, password: str, display_name: str = "") -> User:
    email = User.objects.normalize_email(email)
    _check_username_free(username=username)
    _check_email_free(email=email)
    user = User(username=username, email=email, display_name=display_name or username)
    _check_password(password=password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        field = "email" if "email" in str(exc).lower() else "username"
        raise Invalid(fields={field: [f"This {field} is taken."]}, code="unique") from exc
    return user


@transaction.atomic
def user_update_profile(
    *, user: User, username: str | None = None, **changes: Unpack[ProfileChanges]
) -> User:
    """Change the profile fields a user may change; anything else is ignored by design."""
    fields: dict[str, object] = dict(changes)
    changed = []
    if username is not None and username != user.username:
        _check_username_free(username=username, exclude_id=user.pk)
        user.username = username
        changed.append("username")
    for name in PROFILE_FIELDS:
        if name in fields and getattr(user, name) != fields[name]:
            setattr(user, name, fields[name])
            changed.append(name)
    if changed:
        try:
            with transaction.atomic():
                user.save(update_fields=changed)
        except IntegrityError as exc:
            raise Invalid(fields={"username": ["This username is taken."]}, code="unique") from exc
        if "is_private" in changed and not user.is_private:
            # Their posts are back in reads that filtered them out (retweets of them
            # shown to non-followers), which cannot say so (core.stamps).
            stamps.stale((stamps.EVERYTHING,))
    return user


@transaction.atomic
def session_sign_out(*, refresh: RefreshToken) -> None:
    """Sign one session out: its refresh token is blacklisted and its session id
    revoked, which refuses its access tokens at once (HTTP, WebSocket handshake,
    event stream) and, after commit, closes its open sockets (4401) and streams
    (`token.revoked`). The user's other sessions stay signed in. A pair issued
    before sessions existed has no session id: its access token lasts until it
    expires (at most JWT_ACCESS_MINUTES)."""
    user_id = token_user_id(refresh.payload)  # blacklist() looks the user up with it
    session_id = token_session_id(refresh.payload)
    refresh.blacklist()
    if session_id is None or not User.objects.filter(pk=user_id).exists():
        return  # no session to revoke, or the user is gone
    # Past this time no token of the session is valid anyway: the row can go.
    expires_at = max(
        datetime.fromtimestamp(int(refresh["exp"]), tz=UTC),
        timezone.now() + jwt_settings.ACCESS_TOKEN_LIFETIME,
    )
    RevokedSession.objects.get_or_create(
        sid=session_id, defaults={"user_id": user_id, "expires_at": expires_at}
    )
    forget_authentication(user_id)
    announce_revocation(user_id=user_id, session_id=session_id)


def revoke_tokens(*, user: User) -> None:
    """Invalidate every access and refresh token the user holds."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    forget_authentication(user.pk)
    user.refresh_from_db(fields=["token_version"])
    announce_revocation(user_id=user.pk, token_version=user.token_version)  # open sockets: 4401
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise Invalid(fields={"old_password": ["The current password is not correct."]})
    _check_password(password=new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoke_tokens(user=user)
    publish(UserPasswordChanged(user_id=user.pk))  # the security email (accounts.handlers)


def password_reset_request(*, email: str) -> None:
    """Email a reset link if the address is known; say nothing either way."""
    from accounts.tasks import send_password_reset_email

    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None and user.has_usable_password():
        # robust: a broker outage must not turn into a 500 that only known
        # addresses get (an account-existence oracle); the user can ask again.
        transaction.on_commit(lambda: send_password_reset_email.delay(user_id=user.pk), robust=True)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    invalid = Invalid(fields={"token": ["The reset link is invalid or has expired."]})
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        raise invalid from None
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise invalid
    _check_password(password=new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoke_tokens(user=user)
    publish(UserPasswordChanged(user_id=user.pk, reset=True))
    return user


@transaction.atomic
def user_deactivate(*, user: User, password: str) -> None:
    """Hide the account until it signs in again; asks for the password like erasure does."""
    _require_current_password(user=user, password=password)
    user.deactivated_at = timezone.now()
    user.save(update_fields=["deactivated_at"])
    revoke_tokens(user=user)
    publish(UserDeactivated(user_id=user.pk))


@transaction.atomic
def user_reactivate_on_login(*, user: User) -> None:
    if user.deactivated_at is not None:
        user.deactivated_at = None
        user.save(update_fields=["deactivated_at"])
        publish(UserReactivated(user_id=user.pk))


@transaction.atomic
def user_erase(*, user: User, password: str) -> None:
    """Delete your own account (the password confirms it): see user_erase_by_staff."""
    _require_current_password(user=user, password=password)
    _erase(user=user)


@transaction.atomic
def user_erase_by_staff(*, user: User) -> None:
    """Erase an account from the admin: the same erasure and events as the API's."""
    _erase(user=user)


def _erase(*, user: User) -> None:
    """Delete an account: erase personal data, keep the row so references stay valid.

    The username is freed (replaced by `deleted-<id>`), the email is replaced by
    an undeliverable placeholder, and the account can never sign in again. Both
    placeholders fail the API's validation ("-" is not allowed in usernames, a
    dotless domain is not an email), so nobody can register them first and make
    the erasure collide with a unique constraint.
    """
    revoke_tokens(user=user)
    user.username = f"deleted-{user.pk}"
    user.email = f"deleted-{user.pk}@invalid"
    user.display_name = ""
    user.bio = ""
    user.location = ""
    user.website = ""
    # The files themselves are deleted by media (its user.erased handler).
    user.avatar = ""
    user.banner = ""
    user.is_active = False
    user.is_private = True
    user.deactivated_at = user.deactivated_at or timezone.now()
    user.set_unusable_password()
    # Name the fields: a full save would write back stale counters over the
    # exact ones other transactions keep with F() updates.
    user.save(update_fields=[*ERASED_FIELDS, "password"])
    # Other apps drop what the account left behind (follows, posts, likes).
    publish(UserErased(user_id=user.pk))


@transaction.atomic
def user_images_set(*, user_id: int, avatar: str | None = None, banner: str | None = None) -> None:
    """Point the profile at a new avatar or banner: names in the public media storage,
    written there by the media pipeline (which also deletes the files they replace)."""
    changes = {name: value for name, value in (("avatar", avatar), ("banner", banner)) if value}
    if changes:
        User.objects.filter(pk=user_id).update(**changes)
        forget_authentication(user_id)  # a cached verdict carries the avatar
        stamps.stale((stamps.user(user_id),))  # and so do the pages showing the user


# --- staff (the admin) ------------------------------------------------------------

STAFF_FIELDS = ("email", "is_staff", "is_superuser")


@transaction.atomic
def user_update_by_staff(*, user: User, changes: Mapping[str, Any]) -> User:
    """Profile fields through the same rules as `PATCH /users/me`, plus the email and
    staff flags only the admin changes. Saves the named fields only: a full save
    would write back stale counters over those other transactions move with F().
    `changes` is the admin form's cleaned data (field name -> value of that field's type)."""
    unknown = set(changes) - {"username", *PROFILE_FIELDS, *STAFF_FIELDS}
    if unknown:
        raise ValueError(f"not changeable here: {', '.join(sorted(unknown))}")
    profile = {name: value for name, value in changes.items() if name not in STAFF_FIELDS}
    if profile:
        user_update_profile(user=user, **profile)
    staff = {name: value for name, value in changes.items() if name in STAFF_FIELDS}
    if "email" in staff:
        staff["email"] = User.objects.normalize_email(staff["email"])
        if User.objects.filter(email__iexact=staff["email"]).exclude(pk=user.pk).exists():
            raise Invalid(fields={"email": ["An account with this email exists."]})
    if staff:
        for name, value in staff.items():
            setattr(user, name, value)
        user.save(update_fields=list(staff))
    return user


@transaction.atomic
def password_set_by_staff(*, user: User, new_password: str | None) -> None:
    """A password set (None: password sign-in disabled) from the admin signs the
    account out everywhere, like a change."""
    if new_password is None:
        user.set_unusable_password()
    else:
        user.set_password(new_password)
    user.save(update_fields=["password"])
    revoke_tokens(user=user)
    publish(UserPasswordChanged(user_id=user.pk))


@transaction.atomic
def user_suspend(*, user: User, reason: str = "", until: datetime | None = None) -> bool:
    """Suspend an account: it cannot sign in, its tokens (and open sockets and
    streams) are revoked, and every read path hides it and its content (they
    require `is_active`). `until`: when the suspension ends by itself
    (`user_unsuspend_expired`). Returns whether it was active (an account already
    suspended keeps its suspension; an erased one stays erased)."""
    changed = User.objects.filter(pk=user.pk, is_active=True).update(
        is_active=False, suspended_at=timezone.now(), suspended_until=until,
        suspension_reason=reason,
    )  # fmt: skip
    if not changed:
        return False
    user.refresh_from_db(
        fields=["is_active", "suspended_at", "suspended_until", "suspension_reason"]
    )
    revoke_tokens(user=user)
    publish(UserSuspended(user_id=user.pk))
    return True


@transaction.atomic
def user_unsuspend(*, user: User) -> bool:
    """Lift a suspension (not an erasure: erased accounts stay closed)."""
    if user.username == f"deleted-{user.pk}":
        return False  # erased: personal data is gone, the account stays closed
    changed = User.objects.filter(pk=user.pk, is_active=False).update(
        is_active=True, suspended_at=None, suspended_until=None, suspension_reason=""
    )
    if not changed:
        return False
    user.refresh_from_db(
        fields=["is_active", "suspended_at", "suspended_until", "suspension_reason"]
    )
    publish(UserUnsuspended(user_id=user.pk))
    return True
