"""What a hashtag is (tweets.hashtags): the rules the renderer and the index share."""

import pytest

from tweets.hashtags import hashtags_in, parse_hashtags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#café au lait", ["café"]),
        ("#Café and #CAFÉ and #cafe\u0301", ["café"]),  # case and composition normalised
        ("I love #C++ and #C#", ["c"]),  # the tag ends where letters and digits end
        ("#123 is an issue, #2024 a year", []),  # digits only: not a tag (our choice)
        ("#año2024 #web3 #snake_case", ["año2024", "web3", "snake_case"]),
        ("#日本語 #Ωmega #مرحبا", ["日本語", "ωmega", "مرحبا"]),
        ("https://example.com/page#section www.x.org/#top", []),  # URL fragments
        ("see https://e.com/a#b then #real", ["real"]),
        ("a#b ##double &#123; /#path", []),  # glued to a word, #, & or /
        ("(#paren) #end.", ["paren", "end"]),
        ("#" + "a" * 101, []),  # too long: not a tag at all
        ("#" + "a" * 100, ["a" * 100]),
        ("no tags here #", []),
    ],
)
def test_hashtags(text, tags):
    assert hashtags_in(text) == tags


def test_spans_cover_the_tag_as_written():
    text = "hi #Café!"
    (span,) = parse_hashtags(text)
    assert text[span.start : span.end] == "#Café"
    assert span.tag == "café"
