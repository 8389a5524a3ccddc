"""Every list endpoint answers `{"results", "next", "previous"}` (DESIGN.md §6), and
every list of users has the same rows: `{"user": <UserSummary>, ...}`."""

import pytest

from relationships.services import follow_create
from tests.factories import PostFactory, UserFactory
from tests.schema import assert_matches, openapi_schema, resolve, response_schema
from tests.tweets.conftest import client_for
from tweets.services import like_create, retweet_create

USER_LISTS = [
    "/api/v1/posts/{post_id}/liked-by",
    "/api/v1/posts/{post_id}/retweeted-by",
    "/api/v1/users/{user_id}/followers",
    "/api/v1/users/{user_id}/following",
    "/api/v1/users/me/blocks",
    "/api/v1/users/me/mutes",
]


@pytest.fixture(scope="module")
def openapi() -> dict:
    return openapi_schema()


def _get_responses(openapi: dict):
    for path, operations in openapi["paths"].items():
        if "get" in operations and "200" in operations["get"]["responses"]:
            content = operations["get"]["responses"]["200"].get("content", {})
            if "application/json" in content:
                yield path, resolve(content["application/json"]["schema"], openapi)


def test_no_endpoint_answers_a_bare_array(openapi):
    bare = [path for path, schema in _get_responses(openapi) if schema.get("type") == "array"]
    assert not bare, bare


def test_every_list_is_the_full_envelope(openapi):
    lists = {
        path: schema
        for path, schema in _get_responses(openapi)
        if "results" in schema.get("properties", {})
    }
    assert "/api/v1/users/suggestions" in lists
    assert "/api/v1/users/relationships" in lists
    for path, schema in lists.items():
        assert set(schema["properties"]) == {"results", "next", "previous"}, path
        assert set(schema["required"]) == {"results", "next", "previous"}, path


def test_every_list_of_users_has_the_same_rows(openapi):
    for path in USER_LISTS:
        envelope = resolve(response_schema(openapi, path), openapi)
        assert envelope["properties"]["results"]["items"] == {
            "$ref": "#/components/schemas/UserListItem"
        }, path
    row = openapi["components"]["schemas"]["UserListItem"]
    assert set(row["properties"]) == {"user", "created_at"}
    suggestion = openapi["components"]["schemas"]["Suggestion"]
    assert suggestion["properties"]["user"]["allOf"] == [
        {"$ref": "#/components/schemas/UserSummary"}
    ]
    # No list hands out bare user summaries any more.
    for path, schema in _get_responses(openapi):
        items = schema.get("properties", {}).get("results", {}).get("items", {})
        assert items != {"$ref": "#/components/schemas/UserSummary"}, path


@pytest.mark.django_db
def test_lists_of_users_render_what_the_schema_declares(openapi):
    viewer, other = UserFactory(), UserFactory(avatar="avatars/a.png")
    post = PostFactory(author=viewer)
    follow_create(follower=other, followee_id=viewer.pk)
    follow_create(follower=viewer, followee_id=other.pk)
    like_create(user=other, post_id=post.id)
    retweet_create(user=other, post_id=post.id)
    stranger = UserFactory()
    follow_create(follower=other, followee_id=stranger.pk)  # suggested: other follows them
    client = client_for(viewer)
    urls = {
        "/api/v1/posts/{post_id}/liked-by": f"/api/v1/posts/{post.id}/liked-by",
        "/api/v1/posts/{post_id}/retweeted-by": f"/api/v1/posts/{post.id}/retweeted-by",
        "/api/v1/users/{user_id}/followers": f"/api/v1/users/{viewer.pk}/followers",
        "/api/v1/users/{user_id}/following": f"/api/v1/users/{viewer.pk}/following",
        "/api/v1/users/suggestions": "/api/v1/users/suggestions",
        "/api/v1/users/relationships": f"/api/v1/users/relationships?ids={other.pk}",
    }
    rows = {}
    for template, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.json())
        assert_matches(openapi, response.json(), path=template)
        assert len(response.json()["results"]) == 1, url
        rows[template] = response.json()["results"][0]
    # The same user, rendered the same in every list of users (absolute avatar URL).
    summaries = [row["user"] for path, row in rows.items() if "user" in row]
    assert len(summaries) == 5
    assert summaries[0]["avatar"].startswith("http://testserver/")
    assert all(summary == summaries[0] for summary in summaries[:4])
    assert summaries[4]["id"] == str(stranger.pk)
