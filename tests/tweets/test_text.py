import pytest

from tweets.text import MAX_GRAPHEMES, TextError, clean_text, grapheme_count, validate_post_text


def test_nfc_normalisation_makes_decomposed_and_composed_text_equal():
    decomposed = "Cafe\u0301"
    assert clean_text(decomposed) == "Caf\u00e9"
    assert grapheme_count(clean_text(decomposed)) == 4


def test_control_characters_are_removed_but_newlines_kept():
    raw = "a\x00b\tc\x1b[31md\x7fe\x85f\r\ng\rh"
    assert clean_text(raw) == "abc[31mde\nf\ng\nh"


def test_bidi_overrides_and_invisible_characters_are_removed():
    raw = "safe\u202etxt.exe\u2066x\u2069\u200by\ufeff"
    assert clean_text(raw) == "safetxt.exexy"


def test_zero_width_joiner_in_emoji_sequences_is_kept():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    assert clean_text(family) == family
    assert grapheme_count(family) == 1


def test_lone_surrogates_are_removed():
    assert clean_text("ok\ud800!") == "ok!"


def test_surrounding_whitespace_is_trimmed():
    assert validate_post_text("  \n hello \n ") == "hello"


def test_grapheme_clusters_count_as_one_character_each():
    flag = "\U0001f1eb\U0001f1f7"  # regional indicators F + R
    skin_tone = "\U0001f44d\U0001f3fd"
    assert grapheme_count(flag + skin_tone + "e\u0301") == 3


def test_280_graphemes_pass_and_281_fail():
    assert validate_post_text("x" * MAX_GRAPHEMES) == "x" * MAX_GRAPHEMES
    with pytest.raises(TextError) as exc:
        validate_post_text("x" * (MAX_GRAPHEMES + 1))
    assert exc.value.code == "max_length"


def test_280_long_emoji_sequences_pass():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    assert grapheme_count(validate_post_text(family * MAX_GRAPHEMES)) == MAX_GRAPHEMES


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01\u202e", "\n\n\t"])
def test_text_empty_after_cleaning_is_refused(raw):
    with pytest.raises(TextError) as exc:
        validate_post_text(raw)
    assert exc.value.code == "blank"


def test_one_grapheme_stacked_with_combining_marks_is_refused():
    zalgo = "a" + "\u0301" * 5000
    assert grapheme_count(zalgo) == 1
    with pytest.raises(TextError):
        validate_post_text(zalgo)
