"""The audit log is a hash chain: verify_audit_log names edited and deleted records."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from moderation import audit
from moderation.models import AuditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(moderator):
    for n in range(5):
        audit.append(
            actor=moderator, action="post.hide", target_type="post", target_id=n + 1, reason=f"r{n}"
        )
    return list(AuditRecord.objects.order_by("seq"))


def verify(capsys) -> str:
    with pytest.raises(CommandError):
        call_command("verify_audit_log")
    return capsys.readouterr().err


def test_an_intact_chain_verifies(chain, capsys):
    call_command("verify_audit_log")
    assert "intact (5 records)" in capsys.readouterr().out
    assert [r.prev_hash for r in chain[1:]] == [r.hash for r in chain[:-1]]
    assert chain[0].prev_hash == audit.GENESIS


def test_an_edited_record_is_named(chain, capsys):
    AuditRecord.objects.filter(pk=chain[2].pk).update(reason="nothing to see")
    err = verify(capsys)
    assert f"audit record #3 (id {chain[2].pk}) was edited" in err
    assert "#1" not in err
    assert "#4" not in err


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(chain, capsys):
    record = chain[1]
    record.reason = "forged"
    record.hash = audit._hash_of(record)
    record.save()
    err = verify(capsys)
    assert f"audit record #3 (id {chain[2].pk}): its link to #2 is broken" in err


def test_a_deleted_record_is_named(chain, capsys):
    AuditRecord.objects.filter(pk=chain[1].pk).delete()
    assert "audit record #2 deleted" in verify(capsys)


def test_deleting_the_newest_records_is_seen(chain, capsys):
    AuditRecord.objects.filter(seq__gte=4).delete()
    assert "audit record #4-#5 deleted" in verify(capsys)


def test_the_admin_cannot_change_the_log_even_for_superusers(chain, superuser_admin, mod_admin):
    base = "/admin/moderation/auditrecord/"
    record = chain[0]
    for client in (superuser_admin, mod_admin):
        assert client.get(base).status_code == 200
        assert client.get(f"{base}{record.pk}/change/").status_code == 200  # read-only view
        assert client.post(f"{base}{record.pk}/change/", {"reason": "x"}).status_code == 403
        assert client.get(f"{base}{record.pk}/delete/").status_code == 403
        assert client.post(f"{base}{record.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}add/", {"action": "x"}).status_code == 403
        bulk = client.post(base, {"action": "delete_selected", "_selected_action": [record.pk]})
        assert bulk.status_code in (200, 302)
    assert AuditRecord.objects.get(pk=record.pk).reason == "r0"
    assert AuditRecord.objects.count() == 5
    assert audit.verify() == []
