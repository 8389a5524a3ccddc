"""`make run` works from nothing: embedded mode, a real server, real HTTP.

The server is started the way the Makefile starts it (migrate, seed_demo, then runserver,
which is daphne's since daphne is in INSTALLED_APPS), in a clean environment:
no DATABASE_URL, REDIS_URL or DJANGO_ENV, and a fresh SQLite file in a
temporary WARBLE_VAR_DIR. Then a client signs up and goes through the whole
token life cycle, and the API docs and schema are served.
"""

import os
import re
import sqlite3
import subprocess
import sys

import httpx
import pytest

from tests.integration.procs import ROOT, Proc, free_port, wait_until

pytestmark = pytest.mark.integration

PASSWORD = "a-long-Passphrase-42"


def clean_environment(var_dir) -> dict[str, str]:
    """Only what a shell needs: nothing that would switch Warble out of embedded mode."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(WARBLE_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    """(base URL, SQLite path) of a migrated embedded-mode server; stopped at teardown."""
    var_dir = tmp_path_factory.mktemp("embedded-var")
    env = clean_environment(var_dir)
    for command in (["migrate", "--noinput"], ["seed_demo", "--users", "8"]):
        step = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert step.returncode == 0, step.stdout + step.stderr

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = Proc(
        "runserver",
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
    )
    server.env = env  # Proc merges os.environ; this server must not see it
    server.start()
    try:

        def healthy() -> bool:
            if not server.running():
                raise AssertionError(f"runserver exited:\n{server.log()[-5000:]}")
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout=60, interval=0.2, what="/healthz")
        yield base, var_dir / "warble.sqlite3"
    finally:
        server.stop()
        print(f"----- runserver log -----\n{server.log()[-20000:]}")  # shown on failure
        server.close()


@pytest.fixture
def client(embedded_server):
    base, _ = embedded_server
    with httpx.Client(base_url=base, timeout=15) as client:
        yield client


def test_runs_in_embedded_mode_with_sqlite_in_wal(client, embedded_server):
    _, database = embedded_server
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["database"] == "ok"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_demo_data_is_loaded_and_demo_users_can_sign_in(client):
    from config.management.commands.seed_demo import DEMO_PASSWORD

    token = client.post("/api/v1/auth/token", json={"username": "alice", "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access']}"}
    me = client.get("/api/v1/users/me", headers=headers).json()
    assert me["following_count"] > 0
    assert me["posts_count"] > 0
    posts = client.get(f"/api/v1/users/{me['id']}/posts", headers=headers)
    assert posts.status_code == 200, posts.text
    assert len(posts.json()["results"]) > 0


def test_a_demo_user_posts_and_reads_the_home_feed_on_sqlite(client):
    """The feed's SQL pull path and its hydration on SQLite: `make run`'s first screen."""
    from config.management.commands.seed_demo import DEMO_PASSWORD

    token = client.post("/api/v1/auth/token", json={"username": "alice", "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access']}"}
    created = client.post("/api/v1/posts", json={"text": "fresh on sqlite"}, headers=headers)
    assert created.status_code == 201, created.text

    feed = client.get("/api/v1/feed?limit=5", headers=headers)
    assert feed.status_code == 200, feed.text
    entries = feed.json()["results"]
    assert len(entries) == 5
    assert entries[0]["post"]["id"] == created.json()["id"]  # own posts lead, newest first
    assert all(set(e["post"]) >= {"like_count", "liked", "author"} for e in entries)
    assert feed.json()["next"]


def test_register_sign_in_refresh_and_sign_out(client):
    registered = client.post(
        "/api/v1/auth/register",
        json={"username": "smoke", "email": "smoke@example.com", "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["id"]
    assert isinstance(user_id, str)

    signed_in = client.post("/api/v1/auth/token", json={"username": "smoke", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    tokens = signed_in.json()

    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access']}"})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user_id
    assert me.json()["email"] == "smoke@example.com"
    assert client.get("/api/v1/users/me").status_code == 401

    refreshed = client.post("/api/v1/auth/token/refresh", json={"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200, refreshed.text
    rotated = refreshed.json()
    assert rotated["refresh"] != tokens["refresh"]
    headers = {"Authorization": f"Bearer {rotated['access']}"}
    assert client.get("/api/v1/users/me", headers=headers).json()["id"] == user_id
    # Rotation blacklisted the old refresh token.
    reused = client.post("/api/v1/auth/token/refresh", json={"refresh": tokens["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["type"] == "client_error"

    logout = client.post("/api/v1/auth/logout", json={"refresh": rotated["refresh"]})
    assert logout.status_code == 204, logout.text
    after = client.post("/api/v1/auth/token/refresh", json={"refresh": rotated["refresh"]})
    assert after.status_code == 401


def test_swagger_ui_and_its_assets_are_served(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:  # served offline by the sidecar, no CDN
        assert client.get(asset).status_code == 200, asset


def test_openapi_schema_is_served(client):
    schema = client.get("/api/schema/", params={"format": "json"})
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/auth/register" in body["paths"]
    assert "/api/v1/users/me" in body["paths"]
