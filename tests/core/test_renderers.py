"""The API's JSON renderer: orjson, with DRF's bytes for what the API sends."""

import datetime
import decimal
import json
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core import renderers as ours
from tests.factories import FollowFactory, PostFactory, RetweetFactory, UserFactory
from tests.tweets.conftest import client_for

SAMPLE = {
    "text": 'déjà vu 🚀 "quoted" \\ back\nslash \t tab \x00 nul \x1f',
    "separators": "a\u2028line\u2029paragraph",
    "numbers": [0, -1, 2**63 - 1, 1.5, -0.25, True, False, None],
    "nested": ReturnDict({"list": ReturnList([{"a": []}, {}], serializer=None)}, serializer=None),
    "error": [ErrorDetail("This field is required.", code="required")],
    "lazy": gettext_lazy("Not found."),
    "when": datetime.datetime(2026, 11, 29, 23, 1, 2, 345678, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 11, 29),
    "amount": decimal.Decimal("1.25"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "tuple": (1, "two"),
    7: "an int key",
}


def drf(data, media_type=None) -> bytes:
    return renderers.JSONRenderer().render(data, media_type)


def test_the_bytes_equal_drfs_for_every_kind_of_value_the_api_sends():
    rendered = ours.JSONRenderer().render(SAMPLE)
    assert rendered == drf(SAMPLE)
    assert b"\\u2028" in rendered  # escaped, as DRF does
    assert b"\\u2029" in rendered
    assert ours.JSONRenderer().render(None) == b""


def test_orjson_encodes_and_drfs_encoder_only_does_what_orjson_cannot(monkeypatch):
    calls = []
    default = ours.JSONRenderer._encoder.default
    monkeypatch.setattr(
        ours.JSONRenderer._encoder, "default", lambda value: calls.append(value) or default(value)
    )
    monkeypatch.setattr(renderers.json, "dumps", lambda *a, **k: pytest.fail("stdlib used"))
    ours.JSONRenderer().render({"results": [{"id": "1", "n": 2, "tags": ["a"]}] * 3})
    assert calls == []
    ours.JSONRenderer().render({"at": SAMPLE["when"], "n": SAMPLE["amount"]})
    assert calls == [SAMPLE["when"], SAMPLE["amount"]]


@pytest.mark.parametrize(
    "data",
    [
        {"big": 2**64},  # past orjson's integers
        {"\ud800k": ["v\udfff"]},  # lone surrogates: DRF's path replaces them
    ],
)
def test_what_orjson_refuses_takes_drfs_path(data):
    rendered = ours.JSONRenderer().render(data)
    assert json.loads(rendered) == json.loads(drf(ours.without_lone_surrogates(data)))


def test_a_requested_indent_is_honoured():
    media_type = "application/json; indent=2"
    assert ours.JSONRenderer().render(SAMPLE, media_type) == drf(SAMPLE, media_type)
    assert b"\n  " in ours.JSONRenderer().render(SAMPLE, media_type)


def test_what_no_encoder_knows_still_fails_as_before():
    with pytest.raises(TypeError):
        ours.JSONRenderer().render({"x": object()})


@pytest.mark.django_db
def test_a_feed_page_is_the_bytes_drf_would_send():
    viewer, author = UserFactory.create_batch(2)
    FollowFactory(follower=viewer, followee=author)
    post = PostFactory(author=author, text="hi @nobody #tag 🚀")
    RetweetFactory(user=viewer, post=post)
    response = client_for(viewer).get("/api/v1/feed")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    assert response.content == drf(response.data)
