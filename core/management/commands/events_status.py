import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.events.status import status


class Command(BaseCommand):
    help = "Outbox numbers: pending, dispatched, retrying, dead, age of the oldest pending event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        numbers = status()
        if options["json"]:
            self.stdout.write(json.dumps(numbers))
            return
        for key, value in numbers.items():
            self.stdout.write(f"{key}: {'-' if value is None else value}")
