"""The domain's pure rules: transitions, input cleaning and limits, parsing of staff and citizen input."""

from __future__ import annotations

import pytest

from bots.i18n import format_rich, normalize_language
from bots.ids import parse_id
from bots.neutral import Span, plain_text
from core.citizens import Actor
from core.errors import Invalid
from core.proposals import validate_description, validate_title
from core.reviews import BUDGET_MAX_KRW, parse_budget, parse_reason_code
from core.rules import DESCRIPTION_MAX, TITLE_MAX, Rules, checked_text, clean_text
from core.statuses import ALLOWED, ReasonCode, Status, can_move

# --- statuses -----------------------------------------------------------------------------------------

ALLOWED_MOVES = [
    (Status.OPEN, Status.UNDER_REVIEW),
    (Status.OPEN, Status.WITHDRAWN),
    (Status.OPEN, Status.CLOSED),
    (Status.OPEN, Status.HIDDEN),
    (Status.UNDER_REVIEW, Status.PANEL_REVIEW),
    (Status.UNDER_REVIEW, Status.REJECTED),
    (Status.UNDER_REVIEW, Status.HIDDEN),
    (Status.PANEL_REVIEW, Status.ADOPTED),
    (Status.PANEL_REVIEW, Status.REJECTED),
    (Status.PANEL_REVIEW, Status.HIDDEN),
    (Status.ADOPTED, Status.IMPLEMENTING),
    (Status.ADOPTED, Status.IMPLEMENTED),
    (Status.IMPLEMENTING, Status.IMPLEMENTED),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED_MOVES)
def test_can_move_allows_the_lifecycle_of_product_section_2(current: Status, target: Status) -> None:
    assert can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.OPEN, Status.PANEL_REVIEW),  # skipping the department
        (Status.OPEN, Status.ADOPTED),
        (Status.OPEN, Status.REJECTED),  # rejection needs a review first
        (Status.OPEN, Status.OPEN),
        (Status.UNDER_REVIEW, Status.OPEN),  # no way back
        (Status.UNDER_REVIEW, Status.WITHDRAWN),  # withdraw only while open
        (Status.UNDER_REVIEW, Status.ADOPTED),  # the panel comes first
        (Status.PANEL_REVIEW, Status.UNDER_REVIEW),
        (Status.REJECTED, Status.OPEN),
        (Status.REJECTED, Status.UNDER_REVIEW),
        (Status.WITHDRAWN, Status.OPEN),
        (Status.CLOSED, Status.OPEN),
        (Status.HIDDEN, Status.OPEN),
        (Status.IMPLEMENTED, Status.IMPLEMENTING),
        (Status.IMPLEMENTING, Status.ADOPTED),
    ],
)
def test_can_move_refuses_other_transitions(current: Status, target: Status) -> None:
    assert not can_move(current, target)


def test_only_the_listed_moves_exist() -> None:
    every = {(c, t) for c in Status for t in Status if can_move(c, t)}
    assert every == set(ALLOWED_MOVES)


@pytest.mark.parametrize("terminal", [Status.REJECTED, Status.IMPLEMENTED, Status.WITHDRAWN, Status.CLOSED,
                                      Status.HIDDEN])
def test_terminal_statuses_go_nowhere(terminal: Status) -> None:
    assert terminal not in ALLOWED
    assert not any(can_move(terminal, target) for target in Status)


def test_reason_codes_are_those_of_the_product() -> None:
    assert {c.value for c in ReasonCode} == {
        "law", "budget", "duplicate", "already_done", "not_city", "infeasible", "other"
    }


def test_default_rules() -> None:
    assert Rules() == Rules(vote_threshold=5, review_days=14, support_days=0)


# --- clean_text / checked_text ------------------------------------------------------------------------


def test_clean_text_drops_control_characters_but_keeps_newlines_and_tabs() -> None:
    assert clean_text("a\x00b\x07c\x1bd\x7fe") == "abcde"
    assert clean_text("line one\nline two\n\tindented") == "line one\nline two\n\tindented"


def test_clean_text_drops_bom_and_unicode_line_separators() -> None:
    assert clean_text("\ufeffhello\ufeff") == "hello"
    assert clean_text("a\u2028b\u2029c") == "abc"


def test_clean_text_turns_crlf_into_lf_and_trims() -> None:
    assert clean_text("  first\r\nsecond \r\n ") == "first\nsecond"


def test_clean_text_keeps_ordinary_unicode_and_emoji_sequences() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # ZWJ sequence must survive
    assert clean_text(f"서울 {family} café") == f"서울 {family} café"


def test_clean_text_of_only_junk_is_empty() -> None:
    assert clean_text("\x00\x01\ufeff \n\t ") == ""


def test_checked_text_returns_the_cleaned_text() -> None:
    assert checked_text("  hello\x00 world  ", "comment", 50) == "hello world"


def test_checked_text_single_line_collapses_whitespace() -> None:
    assert checked_text("Bike\n lanes \t on   Jong-ro", "title", TITLE_MAX, single_line=True) == \
        "Bike lanes on Jong-ro"


@pytest.mark.parametrize("blank", ["", "   ", "\n\n", "\x00\ufeff", "\u2028"])
def test_title_empty(blank: str) -> None:
    with pytest.raises(Invalid) as info:
        validate_title(blank)
    assert info.value.code == "title_empty"


def test_title_limit_is_100_characters() -> None:
    assert TITLE_MAX == 100
    assert validate_title("가" * 100) == "가" * 100
    with pytest.raises(Invalid) as info:
        validate_title("가" * 101)
    assert info.value.code == "title_too_long"
    assert info.value.params == {"limit": 100, "length": 101}


def test_title_limit_counts_the_cleaned_text() -> None:
    # Control characters and surrounding blanks do not count against the limit.
    assert validate_title("\x00" * 50 + "x" * 100 + "   ") == "x" * 100


def test_description_limit_is_4000_characters_and_keeps_paragraphs() -> None:
    assert DESCRIPTION_MAX == 4000
    body = ("para\n\n" * 1000)[:4000]
    assert validate_description(body) == body.strip()
    with pytest.raises(Invalid) as info:
        validate_description("d" * 4001)
    assert info.value.code == "description_too_long"
    assert info.value.params["limit"] == 4000
    with pytest.raises(Invalid) as empty:
        validate_description(" \n ")
    assert empty.value.code == "description_empty"


# --- budgets and reason codes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1,200,000", 1_200_000),
        ("1200000", 1_200_000),
        ("5000원", 5000),
        ("5,000 원", 5000),
        ("KRW 5000", 5000),
        ("₩5,000", 5000),
        ("0", 0),
        (str(BUDGET_MAX_KRW), BUDGET_MAX_KRW),
        ("-", None),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_budget_accepts(given: str, expected: int | None) -> None:
    assert parse_budget(given) == expected


@pytest.mark.parametrize(
    "given", ["abc", "1.5", "-5", "12abc", "١٢٣", "²", "1e6", str(BUDGET_MAX_KRW + 1), "9" * 40]
)
def test_parse_budget_refuses(given: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_budget(given)
    assert info.value.code == "bad_budget"
    assert info.value.params == {"value": given}


@pytest.mark.parametrize("code", [c.value for c in ReasonCode])
def test_parse_reason_code_accepts_every_code(code: str) -> None:
    assert parse_reason_code(code) == code


def test_parse_reason_code_is_forgiving_about_case_and_blanks() -> None:
    assert parse_reason_code("  LAW ") == "law"
    assert parse_reason_code("Not_City") == "not_city"


@pytest.mark.parametrize("code", ["", "nope", "laws", "not city"])
def test_parse_reason_code_refuses_unknown_codes_and_lists_the_valid_ones(code: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_reason_code(code)
    assert info.value.code == "unknown_reason_code"
    assert info.value.params["code"] == code
    assert set(info.value.params["codes"].split(", ")) == {c.value for c in ReasonCode}


# --- ids ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("12", 12), ("#12", 12), ("p12", 12), ("P12", 12), ("  #7  ", 7), ("12 and some words", 12),
    ("999999999999", 999_999_999_999),
])
def test_parse_id_accepts(given: str, expected: int) -> None:
    assert parse_id(given) == expected


@pytest.mark.parametrize("given", ["x", "", "   ", "#", "p", "-1", "12abc", "1.5", "#x12", "9" * 13])
def test_parse_id_refuses_with_need_id(given: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_id(given)
    assert info.value.code == "need_id"


@pytest.mark.parametrize("given", ["²", "#³", "p1²"])
def test_parse_id_refuses_superscript_digits(given: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_id(given)
    assert info.value.code == "need_id"


# --- rich text and languages --------------------------------------------------------------------------


def test_format_rich_keeps_span_styles_and_stringifies_the_rest() -> None:
    title = Span("Bike lanes", "bold")
    link = Span("open", "link", url="https://example.org/p/3")
    spans = format_rich("#{id} {title}: {n} votes ({link})", {"id": 3, "title": title, "n": 4, "link": link})
    assert spans == (
        Span("#"), Span("3"), Span(" "), title, Span(": "), Span("4"), Span(" votes ("), link, Span(")"),
    )
    assert plain_text(spans) == "#3 Bike lanes: 4 votes (open)"


def test_format_rich_never_interprets_user_text() -> None:
    spans = format_rich("Title: {title}", {"title": "<b>{id}</b> *x*"})
    assert spans == (Span("Title: "), Span("<b>{id}</b> *x*"))
    assert all(span.style == "plain" for span in spans)


def test_format_rich_leaves_unknown_placeholders_visible() -> None:
    assert plain_text(format_rich("Hello {name}, {missing}!", {"name": "Ana"})) == "Hello Ana, {missing}!"


def test_format_rich_of_plain_template() -> None:
    assert format_rich("No placeholders", {}) == (Span("No placeholders"),)
    assert format_rich("", {}) == ()


@pytest.mark.parametrize(("code", "expected"), [
    ("en-US", "en"), ("en", "en"), ("ko_KR", "ko"), ("KO", "ko"), ("ja-JP", "ja"), ("zh-Hans-CN", "zh"),
    ("fr", None), ("fr-FR", None), ("", None), (None, None),
])
def test_normalize_language(code: str | None, expected: str | None) -> None:
    assert normalize_language(code) == expected


# --- actors -------------------------------------------------------------------------------------------


def test_actor_review_rights() -> None:
    citizen = Actor(1, frozenset())
    official = Actor(2, frozenset({("official", "transport")}))
    admin = Actor(3, frozenset({("admin", None)}))
    moderator = Actor(4, frozenset({("moderator", None)}))
    assert not citizen.may_review("transport")
    assert official.may_review("transport")
    assert not official.may_review("welfare")
    assert official.departments() == ["transport"]
    assert admin.may_review("transport") and admin.may_review("welfare")
    assert not moderator.may_review("transport")


def test_room_flood_limits_are_read_from_the_operators_words() -> None:
    from core.rules import parse_flood

    assert parse_flood("5/30s,20/600s") == ((5, 30.0), (20, 600.0))
    assert parse_flood(" 3/1m , 100/2h ") == ((3, 60.0), (100, 7200.0))
    for bad in ("", "5", "5/30", "five/30s", "5/30x", "0/30s", "5/0s"):
        with pytest.raises(ValueError):
            parse_flood(bad)
