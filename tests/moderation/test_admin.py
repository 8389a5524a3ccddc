"""The moderators' admin: exactly the group's permissions, actions through the
services, and changelists whose query count does not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moderation.models import AuditRecord, Report
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tweets import services as posts
from tweets.models import Post

pytestmark = pytest.mark.django_db


def action(client, url, name, objs, **data):
    return client.post(url, {"action": name, "_selected_action": [str(o.pk) for o in objs], **data})


def test_a_moderator_cannot_edit_passwords_permissions_or_profiles(mod_admin, alice):
    user_url = f"/admin/accounts/user/{alice.pk}"
    assert mod_admin.get(f"{user_url}/change/").status_code == 200  # may read
    page = mod_admin.get(f"{user_url}/change/").content.decode()
    assert "user_permissions" not in page
    assert "is_superuser" not in page
    assert mod_admin.get(f"{user_url}/password/").status_code == 403
    response = mod_admin.post(
        f"{user_url}/password/", {"password1": "Xx-new-pass-99", "password2": "Xx-new-pass-99"}
    )
    assert response.status_code == 403
    change = mod_admin.post(
        f"{user_url}/change/", {"username": "alice", "email": alice.email, "is_superuser": "on"}
    )
    assert change.status_code == 403
    assert mod_admin.get("/admin/auth/group/").status_code == 403
    assert mod_admin.get("/admin/accounts/user/add/").status_code == 403
    assert mod_admin.get(f"{user_url}/delete/").status_code == 403
    alice.refresh_from_db()
    assert not alice.is_superuser
    assert not alice.is_staff
    assert alice.check_password(DEFAULT_PASSWORD)


def test_moderator_actions_go_through_the_services(mod_admin, alice, bob):
    post = posts.post_create(author=bob, text="bad")
    Report.objects.create(
        reporter=alice, target_type="post", target_id=post.pk, post=post, target_user=bob,
        reason="spam",
    )  # fmt: skip
    queue = "/admin/moderation/report/"
    report = Report.objects.get()
    form = action(mod_admin, queue, "hide_posts", [report])
    assert form.status_code == 200
    assert b"reason" in form.content
    done = action(mod_admin, queue, "hide_posts", [report], reason="spam", apply="1")
    assert done.status_code == 302
    assert Post.objects.get(pk=post.pk).hidden_at is not None
    assert Report.objects.get().state == "resolved"

    users = "/admin/accounts/user/"
    done = action(
        mod_admin, users, "suspend", [bob], reason="repeat spam", until_0="", until_1="",
        apply="1",
    )  # fmt: skip
    assert done.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active
    assert bob.suspension_reason == "repeat spam"
    action(mod_admin, users, "unsuspend", [bob], reason="appeal", apply="1")
    bob.refresh_from_db()
    assert bob.is_active
    actions = list(AuditRecord.objects.order_by("seq").values_list("action", "actor_name"))
    assert actions == [("post.hide", "mod"), ("user.suspend", "mod"), ("user.unsuspend", "mod")]


def test_resolve_and_dismiss(mod_admin, alice, bob):
    carol = UserFactory()
    for reporter in (alice, carol):
        Report.objects.create(
            reporter=reporter, target_type="user", target_id=bob.pk, target_user=bob,
            reason="abuse",
        )  # fmt: skip
    first = Report.objects.order_by("created_at").first()
    assert action(mod_admin, "/admin/moderation/report/", "dismiss", [first]).status_code == 302
    assert set(Report.objects.values_list("state", flat=True)) == {"dismissed"}  # both
    assert AuditRecord.objects.filter(action="report.dismissed").count() == 2


def test_the_queue_orders_by_report_count_then_age(mod_admin, alice, bob):
    lone, busy = UserFactory(username="lone"), UserFactory(username="busy")
    Report.objects.create(
        reporter=alice, target_type="user", target_id=lone.pk, target_user=lone, reason="spam"
    )
    for reporter in (alice, bob):
        Report.objects.create(
            reporter=reporter, target_type="user", target_id=busy.pk, target_user=busy,
            reason="spam",
        )  # fmt: skip
    page = mod_admin.get("/admin/moderation/report/").content.decode()
    assert page.index("user @busy") < page.index("user @lone")
    assert (
        "user @lone" not in mod_admin.get("/admin/moderation/report/?reason=abuse").content.decode()
    )
    only_lone = mod_admin.get("/admin/moderation/report/?user=lone").content.decode()
    assert "user @lone" in only_lone
    assert "user @busy" not in only_lone


def _fill(n: int, base: int) -> None:
    reporter = UserFactory()
    for i in range(n):
        author = UserFactory(username=f"a{base}_{i}")
        post = posts.post_create(author=author, text=f"post {i}")
        Report.objects.create(
            reporter=reporter, target_type="post", target_id=post.pk, post=post,
            target_user=author, reason="spam",
        )  # fmt: skip
        Report.objects.create(
            reporter=reporter, target_type="user", target_id=author.pk, target_user=author,
            reason="abuse",
        )  # fmt: skip
    from moderation import audit

    for i in range(n):
        audit.append(actor=reporter, action="post.hide", target_type="post", target_id=i)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/moderation/report/",
        "/admin/moderation/report/?state=all&reason=spam",
        "/admin/moderation/report/?user=a1_3",
        "/admin/tweets/post/",
        "/admin/tweets/post/?reported=yes&hidden=no",
        "/admin/accounts/user/",
        "/admin/accounts/user/?state=active&q=a",
        "/admin/moderation/auditrecord/",
    ],
)
def test_changelists_run_a_constant_number_of_queries(mod_admin, url):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = mod_admin.get(url)
        assert response.status_code == 200
        return len(queries)

    _fill(2, 0)
    few = count()
    _fill(6, 1)
    assert count() == few
