from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.events.retention import prune


class Command(BaseCommand):
    help = "Delete dispatched outbox events and processed markers older than the retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=None, help="EVENTS_RETENTION_HOURS")

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prune(hours=options["hours"])
        self.stdout.write(f"pruned {deleted['events']} events, {deleted['markers']} markers")
