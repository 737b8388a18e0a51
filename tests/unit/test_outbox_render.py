"""Outbox notices as people read them: PRODUCT.md §2 words, §4 contents, raw user text in spans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bots.i18n import Translator
from bots.neutral import RichText, Span, plain_text
from bots.outbox_render import REASON_LABELS, STATUS_LABELS, reason_label, render, status_label
from bots.time import local_day
from core.statuses import ReasonCode, Status

URL = "https://oasis.example"
EN = Translator("en")


def status_params(to: str, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"id": 12, "title": "Shade on bus stops", "from": "open", "to": to,
                              "reason_code": None, "reason_text": None}
    params.update(extra)
    return params


def ends_with_link(text: RichText, proposal_id: int) -> None:
    last = text[-1]
    assert last.style == "link"
    assert last.url == f"{URL}/p/{proposal_id}"


def test_every_status_and_reason_has_a_label() -> None:
    assert set(STATUS_LABELS) == {s.value for s in Status}
    assert set(REASON_LABELS) == {c.value for c in ReasonCode}


@pytest.mark.parametrize(
    ("status", "word"),
    [("open", "open"), ("under_review", "under review"), ("panel_review", "with the expert panel"),
     ("adopted", "adopted"), ("rejected", "rejected"), ("implementing", "being implemented"),
     ("implemented", "implemented"), ("withdrawn", "withdrawn"), ("closed", "closed"), ("hidden", "hidden")],
)
def test_status_words_are_the_products(status: str, word: str) -> None:
    assert status_label(status, EN) == word
    text = render("status_changed", status_params(status), EN, URL)
    assert f"#12 Shade on bus stops is now {word}." in plain_text(text)
    assert Span(word, "bold") in text
    ends_with_link(text, 12)


@pytest.mark.parametrize(
    ("code", "label"),
    [("law", "ordinance or law"), ("budget", "budget"), ("duplicate", "duplicate"),
     ("already_done", "already done"), ("not_city", "outside the city's jurisdiction"),
     ("infeasible", "infeasible"), ("other", "other")],
)
def test_reason_labels(code: str, label: str) -> None:
    assert reason_label(code, EN) == label


def test_unknown_labels_fall_back_to_the_code() -> None:
    assert status_label("frozen", EN) == "frozen"
    assert reason_label("whim", EN) == "whim"


def test_rejection_carries_reason_and_explanation() -> None:
    params = status_params("rejected", reason_code="budget", reason_text="No money this year.")
    text = render("status_changed", params, EN, URL)
    body = plain_text(text)
    assert "is now rejected." in body
    assert "Reason: budget" in body
    assert "No money this year." in body
    ends_with_link(text, 12)


def test_department_review_details_are_shown() -> None:
    params = status_params("panel_review", reason_text="Worth it.", review_id=3, necessity="High",
                           effectiveness="Good", feasibility="Easy", budget_krw=1200000)
    body = plain_text(render("status_changed", params, EN, URL))
    assert "is now with the expert panel." in body
    for line in ("Department opinion: Worth it.", "Necessity: High", "Effectiveness: Good",
                 "Feasibility: Easy", "Estimated budget: 1,200,000 KRW"):
        assert line in body


def test_under_review_gives_the_deadline_date() -> None:
    text = render("status_changed", status_params("under_review", deadline="2031-05-07T09:30"), EN, URL)
    body = plain_text(text)
    assert "is now under review." in body
    assert "2031-05-07" in body
    assert "09:30" not in body


def test_review_queued() -> None:
    params = {"id": 7, "title": "Night buses", "department": "transport", "deadline": "2031-01-02T00:00"}
    text = render("review_queued", params, EN, URL)
    body = plain_text(text)
    assert "#7" in body and "Night buses" in body and "transport" in body and "2031-01-02" in body
    ends_with_link(text, 7)


def test_new_comment() -> None:
    text = render("new_comment", {"id": 9, "title": "Parks", "comment_id": 41}, EN, URL)
    assert "New comment on your proposal #9 Parks." in plain_text(text)
    ends_with_link(text, 9)


def test_unknown_kind_is_generic() -> None:
    text = render("mystery", {"id": 5}, EN, URL)
    assert plain_text(text).startswith("#5: there is news about this proposal.")
    ends_with_link(text, 5)


@pytest.mark.parametrize("params", [{}, {"id": 4}, {"id": 4, "to": None}, {"title": "x"}])
def test_malformed_params_never_crash(params: dict[str, Any]) -> None:
    for kind in ("status_changed", "review_queued", "new_comment", "mystery"):
        text = render(kind, params, EN, URL)
        assert text[-1].style == "link"
        if "id" in params:
            assert "#4" in plain_text(text)


def test_user_html_stays_raw_in_its_own_span() -> None:
    title = "<b>Free</b> & <script>alert(1)</script>"
    explanation = "Costs > benefits & <i>more</i>"
    params = status_params("rejected", title=title, reason_code="other", reason_text=explanation)
    text = render("status_changed", params, EN, URL)
    assert Span(title, "bold") in text
    assert Span(explanation) in text
    assert "&amp;" not in plain_text(text) and "&lt;" not in plain_text(text)


@pytest.mark.parametrize(
    ("kind", "params"),
    [("status_changed", status_params("under_review", deadline="2031-05-07T09:30")),
     ("status_changed", status_params("rejected", reason_code="law", reason_text="Forbidden by law.")),
     ("review_queued", {"id": 12, "title": "t", "department": "transport", "deadline": "2031-01-02T00:00"}),
     ("new_comment", {"id": 12, "title": "t", "comment_id": 1}),
     ("mystery", {"id": 12})],
)
def test_korean_renders(kind: str, params: dict[str, Any]) -> None:
    text = render(kind, params, Translator("ko"), URL)
    assert "#12" in plain_text(text)
    ends_with_link(text, 12)


def test_dates_are_the_readers_city_dates_not_utc_ones() -> None:
    """A deadline at 20:00 UTC on the 13th is the 14th in Seoul: a notice must not read a day early."""
    seoul, utc = Translator("en", timezone="Asia/Seoul"), Translator("en", timezone="UTC")
    params = {"id": 7, "title": "Night buses", "stage": "review", "deadline": "2026-12-13T20:00", "days": 1}
    assert "by 2026-12-14" in plain_text(render("deadline_reminder", params, seoul, "https://oasis.example"))
    assert "by 2026-12-13" in plain_text(render("deadline_reminder", params, utc, "https://oasis.example"))
    assert local_day(datetime(2026, 12, 13, 20, 0), "Asia/Seoul") == "2026-12-14"
    assert local_day(None, "Asia/Seoul") == "-"


def test_a_report_notice_summarises_the_figures_and_links_to_the_report() -> None:
    params = {"period": "2026-10", "path": "/reports/2026-10", "received": 41, "entered_review": 6, "adopted": 2,
              "rejected": 3, "implemented": 1}
    text = render("report_published", params, EN, URL)
    assert plain_text(text).startswith("The monthly report for October 2026 is out.\nProposals received: 41 · "
                                       "entered review: 6 · adopted: 2 · rejected: 3 · implemented: 1.")
    assert text[-1].style == "link" and text[-1].url == f"{URL}/reports/2026-10"
    korean = plain_text(render("report_published", {**params, "period": "2026", "path": "/reports/2026"},
                               Translator("ko"), URL))
    assert "2026년 연보가 나왔어요." in korean and "접수 41건" in korean
    for odd in ("//elsewhere.example/x", "https://elsewhere.example", None):  # only a path on this site
        assert render("report_published", {**params, "path": odd}, EN, URL)[-1].url == URL
