"""Check the moderation audit ledger's hash chain (moderation.audit.verify).

Exits 0 and says how many records it checked when the chain is intact; exits 1
naming every edited record, every deleted one (a gap in the sequence, or the
newest records missing against the head) otherwise.
"""

from django.core.management.base import BaseCommand, CommandError

from moderation import audit
from moderation.models import AuditRecord


class Command(BaseCommand):
    help = "Verify the moderation audit log's hash chain; name every edited or deleted record."

    def handle(self, *args, **options):
        problems = audit.verify()
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"The audit log was tampered with: {len(problems)} problem(s).")
        self.stdout.write(f"The audit log is intact ({AuditRecord.objects.count()} records).")
