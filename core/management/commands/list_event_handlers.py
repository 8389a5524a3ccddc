from django.core.management.base import BaseCommand

from core.events import registry


class Command(BaseCommand):
    help = "List every event name and the handlers registered for it (apps' handlers.py)."

    def handle(self, *args, **options) -> None:
        if not registry.by_event:
            self.stdout.write("No event handlers are registered.")
            return
        for name in sorted(registry.by_event):
            self.stdout.write(name)
            for spec in registry.handlers_for(name):
                kind = "transactional" if spec.transactional else "idempotent"
                self.stdout.write(f"  -> {spec.key}  [queue={spec.queue}, {kind}]")
