"""The moderation ledger: an append-only, hash-chained list of AuditRecords.

Each record's hash is SHA-256 over its own fields and the previous record's
hash. `verify()` recomputes the chain and names every record that was edited,
every gap left by a deleted record, and a head that no longer matches the last
record (the newest records deleted). Appends lock the single AuditHead row, so
concurrent moderators still write one chain, never a fork.

What it protects against: edits and deletions made behind the application's
back (SQL, the shell, a restored backup). Someone able to rewrite every later
record and the head as well can forge a consistent chain; ship the head hash
elsewhere (the log line `audit head` written by every append) to catch that.
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from moderation.models import AuditHead, AuditRecord

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SYSTEM = "system"


def record_hash(
    *,
    seq: int,
    actor_id: int | None,
    actor_name: str,
    action: str,
    target_type: str,
    target_id: int,
    reason: str,
    created_at: datetime,
    prev_hash: str,
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "reason": reason,
            "created_at": created_at.astimezone(UTC).isoformat(),
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _hash_of(record: AuditRecord) -> str:
    return record_hash(
        seq=record.seq,
        actor_id=record.actor_id,
        actor_name=record.actor_name,
        action=record.action,
        target_type=record.target_type,
        target_id=record.target_id,
        reason=record.reason,
        created_at=record.created_at,
        prev_hash=record.prev_hash,
    )


@transaction.atomic
def append(
    *,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int,
    reason: str = "",
) -> AuditRecord:
    """Add one record at the end of the chain (in the caller's transaction, so an
    action that rolls back leaves no record)."""
    AuditHead.objects.get_or_create(pk=1, defaults={"hash": GENESIS})
    head = AuditHead.objects.select_for_update().get(pk=1)
    record = AuditRecord(
        seq=head.seq + 1,
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else SYSTEM,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        # Microseconds survive every database; the hash reads them back as stored.
        created_at=timezone.now().astimezone(UTC),
        prev_hash=head.hash,
    )
    record.hash = _hash_of(record)
    record.save(force_insert=True)
    head.seq, head.hash = record.seq, record.hash
    head.save(update_fields=["seq", "hash"])
    logger.info("audit head %s %s", record.seq, record.hash)
    return record


def verify(*, chunk: int = 2000) -> list[str]:
    """Every problem of the chain, one readable line each (empty: intact)."""
    problems: list[str] = []
    expected_seq, prev_hash, last = 1, GENESIS, None
    records: Iterator[AuditRecord] = AuditRecord.objects.order_by("seq").iterator(chunk_size=chunk)
    for record in records:
        label = f"audit record #{record.seq} (id {record.pk})"
        if record.seq != expected_seq:
            missing = (
                f"#{expected_seq}"
                if record.seq == expected_seq + 1
                else f"#{expected_seq}-#{record.seq - 1}"
            )
            problems.append(f"audit record {missing} deleted (the chain jumps to {label})")
        elif record.prev_hash != prev_hash:
            problems.append(
                f"{label}: its link to #{record.seq - 1} is broken "
                f"(#{record.seq - 1} was changed, or this record's prev_hash was)"
            )
        if _hash_of(record) != record.hash:
            problems.append(f"{label} was edited: its contents do not match its hash")
        expected_seq, prev_hash, last = record.seq + 1, record.hash, record
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    last_seq = last.seq if last else 0
    if head_seq > last_seq:
        problems.append(
            f"audit record #{last_seq + 1}-#{head_seq} deleted "
            f"(the head names #{head_seq}, the last record is #{last_seq})"
        )
    elif head_seq < last_seq or head_hash != prev_hash:
        problems.append(f"the audit head (#{head_seq}) does not match the last record")
    return problems
