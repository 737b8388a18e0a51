"""The search tokenizer (core/search.py): Hangul bigrams, lower-case words, and queries cut the same way."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.search import QUERY_TERMS_MAX, TERM_MAX, query_terms, terms


def test_hangul_runs_become_bigrams_and_a_lone_syllable_stays() -> None:
    assert terms("심야버스 노선") == ["심야", "야버", "버스", "노선"]
    assert terms("공원 산책로") == ["공원", "산책", "책로"]
    assert terms("길 A") == ["길", "a"]


def test_latin_and_digits_are_lower_case_words_and_scripts_split() -> None:
    assert terms("Night Buses, 24/7!") == ["night", "buses", "24", "7"]
    assert terms("CCTV설치 in Mapo-gu") == ["cctv", "설치", "in", "mapo", "gu"]
    assert terms("") == [] and terms("?! -- ...") == []


def test_terms_are_distinct_and_long_words_are_cut() -> None:
    assert terms("bus bus BUS 버스 버스") == ["bus", "버스"]
    assert terms("x" * 100) == ["x" * TERM_MAX]


def test_a_query_drops_terms_another_term_implies_and_keeps_a_few() -> None:
    assert query_terms("bus buses") == ["buses"]
    assert query_terms("심야버스") == ["심야", "버스"] and query_terms("산책로") == ["산책", "책로"]
    assert len(query_terms(" ".join(f"word{i}" for i in range(20)))) == QUERY_TERMS_MAX


texts = st.text(alphabet=st.sampled_from(list("버스공원산책로 abcXYZ019-_.,\n가")), max_size=60)


@given(texts)
def test_every_term_is_short_lower_case_and_found_in_the_text(text: str) -> None:
    for term in terms(text):
        assert 0 < len(term) <= TERM_MAX
        assert term == term.casefold()
        assert term in text.casefold()


@given(texts, texts)
def test_a_text_matches_a_query_made_of_any_of_its_own_words(left: str, right: str) -> None:
    """What the search promises: every query term is a prefix of some stored term of a text that
    contains the query's words."""
    stored = terms(f"{left} {right}")
    for word in right.split():
        for term in query_terms(word):
            assert any(s.startswith(term) for s in stored), (word, term, stored)
