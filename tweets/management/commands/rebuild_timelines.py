from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import User
from tweets.feed import rebuild, store


class Command(BaseCommand):
    help = (
        "Rebuild home timelines in Redis from PostgreSQL: the given users, or --all. "
        "A rebuilt timeline counts as active (fan-out reaches it) for FEED_ACTIVE_DAYS."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("users", nargs="*", help="user ids or usernames")
        parser.add_argument(
            "--all", action="store_true", help="every active account (not deactivated)"
        )
        parser.add_argument(
            "--existing-only",
            action="store_true",
            help="with --all: only users whose timeline is in Redis now (the active ones)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        if not store.enabled():
            raise CommandError("FEED_BACKEND is not redis: there are no timelines to rebuild.")
        if bool(options["users"]) == bool(options["all"]):
            raise CommandError("Name users or pass --all (not both).")
        if options["all"]:
            users = User.objects.visible().order_by("pk").values_list("pk", flat=True)
        else:
            users = [self._resolve(name) for name in options["users"]]
        total = users.count() if options["all"] else len(users)
        entries = rebuilt = 0
        for user_id in tqdm(
            users.iterator(chunk_size=2000) if options["all"] else users,
            total=total,
            unit="timeline",
            disable=options["no_progress"],
            file=self.stderr._out,
        ):
            key = store.timeline_key(user_id)
            if options["existing_only"] and not store.client().exists(key):
                continue
            entries += rebuild.rebuild_timeline(user_id)
            rebuilt += 1
        self.stdout.write(f"rebuilt {rebuilt} timelines ({entries} entries)")

    def _resolve(self, name: str) -> int:
        users = User.objects.filter(pk=int(name)) if name.isdigit() else None
        if users is None or not users.exists():
            users = User.objects.filter(username__iexact=name)
        user_id = users.values_list("pk", flat=True).first()
        if user_id is None:
            raise CommandError(f"No such user: {name}")
        return user_id
