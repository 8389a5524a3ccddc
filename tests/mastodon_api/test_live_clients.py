"""Real Mastodon clients against a live server: Mastodon.py and the toot CLI.

One gunicorn for the module, serving the Mastodon face on `localhost` and the native
API on `127.0.0.1` (MASTODON_API_HOSTS=localhost), Celery tasks run in the server's
process (eager: fan-out, media processing), the database is the test database.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from mastodon import Mastodon

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.integration.procs import Procs
from tests.integration.servers import start_wsgi
from tests.mastodon_api.conftest import issued_token

pytestmark = [pytest.mark.integration]

SCOPES = ["read", "write", "follow", "push"]
OOB = "urn:ietf:wg:oauth:2.0:oob"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """(Mastodon base URL, native base URL)."""
    with Procs() as procs:
        native = start_wsgi(
            procs,
            MASTODON_API_HOSTS="localhost",
            CELERY_TASK_ALWAYS_EAGER="1",
            THROTTLE_ENABLED="0",
        )
        yield native.replace("127.0.0.1", "localhost"), native


def consent(url: str, *, username: str) -> str:
    """The user's browser: open the consent page, sign in, authorize; returns the
    code shown for the out-of-band redirect URI."""
    with httpx.Client() as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = browser.post(
            url,
            data={
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": DEFAULT_PASSWORD,
                "allow": "1",
            },
        )
    assert answer.status_code == 200, answer.text
    return re.search(r'<code id="code">([^<]+)</code>', answer.text).group(1)


def png_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_mastodon_py_client(server, transactional_db):
    base, native = server
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    carol = UserFactory(username="carol", is_private=True)

    # Alice: a new app, authorization code + PKCE (S256), consent page submitted here.
    client_id, client_secret = Mastodon.create_app(
        "pytest", api_base_url=base, redirect_uris=OOB, scopes=SCOPES
    )
    masto = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=base,
        version_check_mode="none",
    )
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    url = masto.auth_request_url(scopes=SCOPES, redirect_uris=OOB, allow_http=True)
    url += "&" + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    code = consent(url, username="alice")
    token = httpx.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": OOB,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text
    a = Mastodon(
        access_token=token.json()["access_token"], api_base_url=base, version_check_mode="none"
    )
    assert a.account_verify_credentials()["username"] == "alice"

    # Bob: Mastodon.py's own code flow (no PKCE).
    b = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=base,
        version_check_mode="none",
    )
    code = consent(b.auth_request_url(scopes=SCOPES, allow_http=True), username="bob")
    b.log_in(code=code, scopes=SCOPES, allow_http=True)
    assert b.me()["username"] == "bob"
    c = Mastodon(access_token=issued_token(carol), api_base_url=base, version_check_mode="none")

    instance = a.instance_v2()
    assert instance["configuration"]["statuses"]["max_characters"] == 280
    assert instance["configuration"]["statuses"]["max_media_attachments"] == 4

    # Post with media (uploaded through the native API with the same OAuth token).
    upload = httpx.post(
        f"{native}/api/v1/media",
        headers={"Authorization": f"Bearer {a.access_token}"},
        files={"file": ("pic.png", png_bytes(), "image/png")},
    )
    assert upload.status_code == 202, upload.text
    b.account_follow(alice.pk)
    first = a.status_post("Hello #warble with a picture", media_ids=[upload.json()["id"]])
    assert first["media_attachments"][0]["id"] == upload.json()["id"]
    # Whole URLs on this host (the local storage's are paths), as clients need.
    assert first["media_attachments"][0]["url"].startswith(f"{base}/media/")
    assert first["media_attachments"][0]["preview_url"].startswith(f"{base}/media/")
    assert 'class="mention hashtag"' in first["content"]
    same = a.status_post("once #warble", idempotency_key="k-1")
    again = a.status_post("once #warble", idempotency_key="k-1")
    assert same["id"] == again["id"]
    for n in range(3):
        a.status_post(f"post {n} #warble")

    # Home and tag timelines, paged by Link headers.
    home = b.timeline_home(limit=2)
    assert len(home) == 2
    older = b.fetch_next(home)
    assert len(older) == 2
    assert int(older[0]["id"]) < int(home[-1]["id"])
    seen = [s["id"] for s in home + older + (b.fetch_next(older) or [])]
    assert first["id"] in seen
    tagged = b.timeline_hashtag("warble", limit=3)
    assert len(tagged) == 3
    rest = b.fetch_next(tagged)
    assert {s["id"] for s in rest} | {s["id"] for s in tagged} >= {first["id"], same["id"]}
    newer = b.fetch_previous(rest)
    assert newer
    assert all(int(s["id"]) > int(rest[0]["id"]) for s in newer)

    # Favourite, reblog, bookmark.
    assert b.status_favourite(first["id"])["favourited"] is True
    reblog = b.status_reblog(first["id"])
    assert reblog["reblog"]["id"] == first["id"]
    assert b.status_bookmark(first["id"])["bookmarked"] is True
    assert [s["id"] for s in b.bookmarks()] == [first["id"]]
    assert [s["id"] for s in b.favourites()] == [first["id"]]
    seen_by_alice = a.status(first["id"])
    assert seen_by_alice["favourites_count"] == 1
    assert seen_by_alice["reblogs_count"] == 1
    assert [acc["username"] for acc in a.status_favourited_by(first["id"])] == ["bob"]
    assert b.status_unreblog(first["id"])["reblogged"] is False

    # Follow a locked account; it approves.
    assert b.account_follow(carol.pk)["requested"] is True
    assert [acc["username"] for acc in c.follow_requests()] == ["bob"]
    c.follow_request_authorize(bob.pk)
    assert b.account_relationships([carol.pk])[0]["following"] is True

    # Edit and its history.
    edited = a.status_update(first["id"], "Hello #warble, edited")
    assert "edited" in edited["content"]
    assert edited["edited_at"]
    history = a.status_history(first["id"])
    assert len(history) == 2
    assert "edited" not in history[0]["content"]
    assert "edited" in history[1]["content"]
    assert a.status_source(first["id"])["text"] == "Hello #warble, edited"


def test_toot_cli_logs_in_posts_and_reads_its_timeline(server, transactional_db, tmp_path):
    base, _native = server
    UserFactory(username="dora", email="dora@example.com")
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path),
        "HOME": str(tmp_path),
        "TERM": "dumb",
        "NO_COLOR": "1",
    }
    toot = [sys.executable, "-m", "toot"]

    def run(*args: str) -> str:
        done = subprocess.run(
            [*toot, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run(
        "login_cli",
        "--instance",
        base,
        "--email",
        "dora@example.com",
        "--password",
        DEFAULT_PASSWORD,
    )
    config = json.loads(Path(tmp_path, "toot", "config.json").read_text())
    assert "dora@" in next(iter(config["users"]))
    run("post", "Tooted from the command line #toot")
    timeline = run("timeline", "--once")
    assert "Tooted from the command line" in timeline
