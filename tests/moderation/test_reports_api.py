"""POST /api/v1/reports: users report posts and users into the moderators' queue."""

import pytest
from django.db import IntegrityError, transaction
from rest_framework.throttling import SimpleRateThrottle

from moderation.models import Report
from tests.factories import UserFactory
from tests.moderation.conftest import client_for
from tweets import services as posts

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports"


def test_report_a_post_then_again_returns_the_open_report(alice, bob):
    post = posts.post_create(author=bob, text="something rude")
    client = client_for(alice)
    body = {"target_type": "post", "target_id": str(post.pk), "reason": "abuse", "comment": "x"}

    first = client.post(URL, body, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["state"] == "open"
    assert first.json()["target_id"] == str(post.pk)
    again = client.post(URL, {**body, "reason": "spam"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    report = Report.objects.get()
    assert (report.reporter, report.target_user, report.post_id) == (alice, bob, post.pk)


def test_report_a_user(alice, bob):
    response = client_for(alice).post(
        URL,
        {"target_type": "user", "target_id": str(bob.pk), "reason": "harassment"},
        format="json",
    )
    assert response.status_code == 201
    assert Report.objects.get().target_user == bob


def test_one_open_report_per_reporter_and_target_is_a_database_rule(alice, bob):
    fields = {"reporter": alice, "target_type": "user", "target_id": bob.pk, "target_user": bob}
    Report.objects.create(**fields, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(**fields, reason="abuse")
    Report.objects.update(state="dismissed")
    Report.objects.create(**fields, reason="abuse")  # a closed one does not count


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"target_type": "post", "target_id": "999999", "reason": "spam"}, 404),
        ({"target_type": "user", "target_id": "999999", "reason": "spam"}, 404),
        ({"target_type": "post", "target_id": "1", "reason": "boring"}, 400),
        ({"target_type": "comment", "target_id": "1", "reason": "spam"}, 400),
        ({"target_type": "user", "target_id": 5, "reason": "spam"}, 400),
        ({"target_type": "user", "reason": "spam"}, 400),
    ],
)
def test_bad_reports(alice, body, status):
    response = client_for(alice).post(URL, body, format="json")
    assert response.status_code == status
    assert response.json()["errors"]


def test_reporting_yourself_or_a_post_you_cannot_see(alice, bob):
    own = posts.post_create(author=alice, text="mine")
    client = client_for(alice)
    mine = client.post(URL, {"target_type": "post", "target_id": str(own.pk), "reason": "spam"})
    assert mine.status_code == 400
    assert mine.json()["errors"][0]["attr"] == "target_id"
    hidden = UserFactory(is_private=True)
    secret = posts.post_create(author=hidden, text="followers only")
    body = {"target_type": "post", "target_id": str(secret.pk), "reason": "spam"}
    assert client.post(URL, body, format="json").status_code == 404
    assert not Report.objects.exists()


def test_anonymous_is_401(api_client, bob):
    body = {"target_type": "user", "target_id": str(bob.pk), "reason": "spam"}
    assert api_client.post(URL, body, format="json").status_code == 401


def test_reports_are_throttled(alice, monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "report": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    client = client_for(alice)
    targets = [UserFactory() for _ in range(3)]
    for target in targets[:2]:
        body = {"target_type": "user", "target_id": str(target.pk), "reason": "spam"}
        assert client.post(URL, body, format="json").status_code == 201
    body = {"target_type": "user", "target_id": str(targets[2].pk), "reason": "spam"}
    response = client.post(URL, body, format="json")
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
