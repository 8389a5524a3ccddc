"""GET /api/schema/ builds the schema once per process and format (config/schema.py)."""

import pytest
from django.test import RequestFactory
from drf_spectacular.views import SpectacularAPIView
from rest_framework.test import APIClient

from config.schema import CachedSchemaView

JSON = "application/vnd.oai.openapi+json"


@pytest.fixture
def builds(monkeypatch):
    """How many times the schema was built; the process's rendered copies dropped."""
    monkeypatch.setattr(CachedSchemaView, "_rendered", {})
    count = [0]
    build = CachedSchemaView._get_schema_response

    def counted(self, *args, **kwargs):
        count[0] += 1
        return build(self, *args, **kwargs)

    monkeypatch.setattr(CachedSchemaView, "_get_schema_response", counted)
    return count


def fresh(accept: str | None = None):
    """drf-spectacular's own view, building the schema for this request."""
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = SpectacularAPIView.as_view()(RequestFactory().get("/api/schema/", **headers))
    return response.render()


@pytest.mark.django_db
def test_the_schema_is_built_once_and_served_as_drf_spectacular_renders_it(builds):
    client = APIClient()
    for accept, times in ((None, 1), (JSON, 2)):
        first = client.get("/api/schema/", HTTP_ACCEPT=accept or "*/*")
        again = client.get("/api/schema/", HTTP_ACCEPT=accept or "*/*")
        assert builds[0] == times  # the second read was the kept copy
        expected = fresh(accept)
        for response in (first, again):
            assert response.status_code == 200
            assert response.content == expected.content
            assert response["Content-Type"] == expected["Content-Type"]
            assert response["Content-Disposition"] == expected["Content-Disposition"]
            assert "Accept" in response["Vary"]  # the first answer too: caches key on it


@pytest.mark.django_db
def test_no_query_parameter_or_header_makes_the_process_build_or_keep_another_copy(builds):
    client = APIClient()
    client.get("/api/schema/", HTTP_ACCEPT=JSON)
    for query in ("?lang=de", "?version=zz", "?lang=xx-random&version=9"):
        assert client.get(f"/api/schema/{query}", HTTP_ACCEPT=JSON).status_code == 200
    # DRF clamps the JSON indent to 0..8: 8 and 1,000 are one copy, not one per value.
    expected = fresh(f"{JSON}; indent=8").content
    for indent in (8, 1000, 9, 8):
        response = client.get("/api/schema/", HTTP_ACCEPT=f"{JSON}; indent={indent}")
        assert response.status_code == 200
        assert response.content == expected
    assert builds[0] == 2
    assert len(CachedSchemaView._rendered) == 2
