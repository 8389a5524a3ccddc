from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.events.dispatch import sweep


class Command(BaseCommand):
    help = (
        "One sweeper pass: send pending outbox events older than --min-age seconds "
        "(default EVENTS_SWEEP_AFTER_SECONDS) and the retries that are due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--min-age", type=float, default=None, help="seconds; 0 sends all")

    def handle(self, *args: Any, **options: Any) -> None:
        totals = sweep(min_age_seconds=options["min_age"])
        self.stdout.write(f"dispatched {totals['dispatched']} events, {totals['retried']} retries")
