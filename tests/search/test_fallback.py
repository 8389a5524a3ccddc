"""The embedded (SQLite) mode's match: icontains per term, -term excluded. The
logic is plain ORM, so it is tested here on PostgreSQL too."""

import pytest

from tests.factories import PostFactory
from tweets.models import Post
from tweets.textsearch import fallback_q, fallback_terms


def test_terms_of_a_web_search_query():
    assert fallback_terms('big "red cat" -dog -"hot dog" or') == (
        ["big", "red cat"],
        ["dog", "hot dog"],
    )
    assert fallback_terms("-only -negative") == ([], ["only", "negative"])


@pytest.mark.django_db
def test_fallback_matches_substrings_and_excludes():
    PostFactory(text="A big Red Cat naps")
    PostFactory(text="A big red dog runs")
    PostFactory(text="small red cat")

    def found(q: str) -> list[str]:
        return sorted(Post.objects.filter(fallback_q(q)).values_list("text", flat=True))

    assert found('big "red cat"') == ["A big Red Cat naps"]
    assert found("red -dog") == ["A big Red Cat naps", "small red cat"]
    assert found("-dog") == []  # nothing required: nothing found, as websearch_to_tsquery
