from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.events.dispatch import replay
from core.models import DeadLetter


class Command(BaseCommand):
    help = "Re-run dead letters (failed (event, handler) pairs) with a fresh round of retries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--handler", help="only this handler (its dotted key)")
        parser.add_argument(
            "--event-id", type=int, action="append", dest="event_ids", help="repeatable"
        )
        parser.add_argument("--dry-run", action="store_true", help="only count them")

    def handle(self, *args: Any, **options: Any) -> None:
        letters = DeadLetter.objects.all()
        if options["handler"]:
            letters = letters.filter(handler=options["handler"])
        if options["event_ids"]:
            letters = letters.filter(event_id__in=options["event_ids"])
        if options["dry_run"]:
            self.stdout.write(f"{letters.count()} dead letters would be replayed")
            return
        self.stdout.write(f"replayed {replay(letters)} dead letters")
