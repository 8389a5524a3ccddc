"""Users. Usernames and emails are unique regardless of case."""

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.files.storage import Storage, storages
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

USERNAME_PATTERN = r"[A-Za-z0-9_]{3,30}"
username_validator = RegexValidator(
    regex=rf"^{USERNAME_PATTERN}\Z",
    message="3 to 30 characters: letters, digits and underscores.",
    code="invalid_username",
)


def public_media_storage() -> Storage:
    """Avatars and banners are written by the media pipeline into the public "media"
    storage (config/settings/base.py); a callable, so settings decide at run time."""
    return storages["media"]


class UserQuerySet(models.QuerySet["User"]):
    def visible(self) -> "UserQuerySet":
        """Users whose profiles can be shown: active and not self-deactivated."""
        return self.filter(is_active=True, deactivated_at__isnull=True)


if TYPE_CHECKING:
    # What BaseUserManager.from_queryset(UserQuerySet) builds, spelled out for mypy:
    # django-stubs cannot type a class derived from a from_queryset() manager.
    class _UserManagerBase(BaseUserManager["User"]):
        def get_queryset(self) -> UserQuerySet: ...
        def visible(self) -> UserQuerySet: ...

else:
    _UserManagerBase = BaseUserManager.from_queryset(UserQuerySet)


class UserManager(_UserManagerBase):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(username__iexact=username)

    def create_user(
        self, username: str, email: str, password: str | None = None, **extra
    ) -> "User":
        user = self.model(username=username, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(username, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=30, validators=[username_validator])
    email = models.EmailField(max_length=254)
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=160, blank=True)
    location = models.CharField(max_length=30, blank=True)
    website = models.URLField(max_length=200, blank=True)
    # Set by media (POST /users/me/avatar, /banner) through services.user_images_set.
    avatar = models.ImageField(upload_to="avatars/", blank=True, storage=public_media_storage)
    banner = models.ImageField(upload_to="banners/", blank=True, storage=public_media_storage)
    is_private = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True, help_text="Off for suspended or erased accounts.")
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # A moderator's suspension (moderation.services): `is_active` is off while it lasts;
    # `suspended_until` (optional) is when it ends by itself.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True)
    # Carried in every JWT as "ver"; bumping it revokes every token issued before
    # (password change, deactivation, erasure).
    token_version = models.PositiveIntegerField(default=0)
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            # Case-insensitive uniqueness; the backend looks users up with iexact.
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            # "Popular accounts" (suggestions fallback) without a full scan.
            models.Index(fields=["-followers_count", "-id"], name="user_popular_idx"),
            # The expiry sweep finds suspensions that are due without a scan.
            models.Index(
                fields=["suspended_until"],
                name="user_suspension_due_idx",
                condition=models.Q(suspended_until__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        """Reading a deferred field loads every deferred field in one query (Django's
        documented pattern): the signed-in user of a cached authentication has only
        its id and token state loaded (accounts.authentication), and a view reading
        several of its fields costs one query, not one per field."""
        if fields is not None:
            deferred = self.get_deferred_fields()
            if deferred.intersection(fields):
                fields = deferred.union(fields)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    @property
    def is_deactivated(self) -> bool:
        return self.deactivated_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class RevokedSession(models.Model):
    """A signed-out session: tokens whose "sid" claim names it are refused
    (accounts.authentication). PostgreSQL keeps it, so a Redis outage cannot
    let one through; a row is useless once `expires_at` passed (no token of the
    session is valid any more) and is pruned then."""

    sid = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    revoked_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.sid.hex} (user {self.user_id})"
