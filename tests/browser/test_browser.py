"""A real headless Chromium (Debian's, /usr/bin/chromium, driven by Playwright) against
a live server: the moderators' admin and Swagger UI, as people use them.

Chromium is never downloaded: `make test` installs Debian's package when it is
missing (`make browser-deps`). Without it these tests fail, they do not skip.
The database is written before the browser starts (`world` comes before `browser`
in the arguments) and only the API is asked afterwards: the Playwright driver's
event loop must not meet Django's ORM.
"""

from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import Group

from accounts.api.serializers import TokenObtainSerializer
from moderation import services
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.integration.procs import Procs
from tests.integration.servers import start_runserver
from tweets import services as posts

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 20_000


@pytest.fixture
def server(transactional_db):
    with Procs() as procs:
        yield start_runserver(procs, THROTTLE_ENABLED="0")


@pytest.fixture
def browser():
    assert CHROMIUM.exists(), (
        "Debian's chromium is missing: `make browser-deps` (apt-get install chromium)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {TokenObtainSerializer.get_token(user).access_token}"}


@pytest.fixture
def world(transactional_db):
    moderator = UserFactory(username="moderator", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = posts.post_create(author=bob, text="buy cheap followers now")
    report = services.report_create(
        reporter=alice, target_type="post", target_id=post.pk, reason="spam", comment="spam"
    ).value
    return {"post": post, "report": report, "viewer": bearer(alice)}


def test_a_moderator_hides_a_reported_post_from_the_queue(server, world, browser, tmp_path):
    post, report = world["post"], world["report"]
    url = f"{server}/api/v1/posts/{post.pk}"
    assert httpx.get(url, headers=world["viewer"]).status_code == 200

    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server}/admin/login/?next=/admin/moderation/report/")
    page.fill("#id_username", "moderator")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/moderation/report/")
    assert page.locator(f"text=post {post.pk} by @bob").count() == 1
    screenshot = tmp_path / "report-queue.png"
    page.screenshot(path=str(screenshot), full_page=True)

    page.check(f'input[name="_selected_action"][value="{report.pk}"]')
    page.select_option('select[name="action"]', "hide_posts")
    page.click('button[name="index"]')
    page.fill('textarea[name="reason"]', "spam, rule 2")
    page.click('input[name="confirm"]')
    page.wait_for_url("**/admin/moderation/report/")
    assert "Hide: 1 done." in page.inner_text("ul.messagelist")
    page.close()

    response = httpx.get(url, headers=world["viewer"])
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_swagger_ui_authorizes_and_tries_the_feed(server, world, browser):
    token = world["viewer"]["Authorization"].removeprefix("Bearer ")
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")

    page.click("button.authorize")
    page.fill("#auth-bearer-value", token)
    page.click(".modal-ux button.authorize")
    page.locator(".modal-ux .auth-container h6", has_text="Authorized").wait_for()
    page.click(".modal-ux button.btn-done")

    operation = page.locator(
        ".opblock-get", has=page.locator('.opblock-summary-path[data-path="/api/v1/feed"]')
    )
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response td.response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    page.close()
