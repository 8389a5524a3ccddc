import dataclasses
from typing import Any

from django.core.management.base import BaseCommand

from core.events import catalogue, registry
from core.events.scan import scan_apps
from core.events.types import qualified


class Command(BaseCommand):
    help = (
        "List every event of the catalogue: its class and fields, where it is published, "
        "and its handlers or the reason it has none."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        published: dict[str, list[str]] = {}
        for site in scan_apps():
            if site.event is not None:
                published.setdefault(site.event.name, []).append(site.where)
        for cls in catalogue:
            fields = ", ".join(f.name for f in dataclasses.fields(cls))
            self.stdout.write(f"{cls.name}  {qualified(cls)}({fields})")
            for where in published.get(cls.name, []):
                self.stdout.write(f"  published at {where}")
            for spec in registry.handlers_for(cls.name):
                kind = "transactional" if spec.transactional else "idempotent"
                if spec.per_event:
                    kind += ", per event"
                self.stdout.write(f"  -> {spec.key}  [queue={spec.queue}, {kind}]")
            if cls.unhandled:
                self.stdout.write(f"  unhandled: {cls.unhandled}")
