from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.authentication import forget_authentication
        from accounts.models import User
        from core import stamps

        def user_saved(sender, instance, **kwargs) -> None:
            # Deactivation, erasure, an admin's edit...: no cached verdict outlives it.
            forget_authentication(instance.pk)
            # Nor a cached read showing the profile, or a `@name` that now links to it.
            stamps.stale((stamps.user(instance.pk), stamps.name(instance.username)))

        post_save.connect(user_saved, sender=User, weak=False, dispatch_uid="accounts.auth_cache")
