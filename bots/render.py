"""Proposals as people see them in a chat: cards with buttons, the full record, lists with pages."""

from __future__ import annotations

from datetime import datetime

from bots.i18n import N_, Translator, join
from bots.neutral import Button, RichText, Span
from bots.outbox_render import budget_line, reason_label, status_label
from bots.time import local_day
from core.models import StatusEvent
from core.panels import PanelResult
from core.queries import Card, Detail
from core.statuses import Status

PAGE_SIZE = 5


def proposal_link(public_url: str, proposal_id: int) -> Span:
    return Span(f"{public_url}/p/{proposal_id}", "link", url=f"{public_url}/p/{proposal_id}")


def votes_line(card: Card, t: Translator, threshold: int) -> RichText:
    votes = t.tr_plural("{n} supporter", "{n} supporters", card.votes)
    if card.status == Status.OPEN and card.votes < threshold:
        needed = t.tr_plural("{n} more needed for review", "{n} more needed for review", threshold - card.votes)
        return join(votes, needed, sep=" · ")
    return votes


def card_text(card: Card, t: Translator, threshold: int, category_name: str) -> RichText:
    head = t.tr("#{id} {title}", id=card.id, title=Span(card.title, "bold"))
    meta = join((Span(category_name),), (Span(status_label(card.status, t)),), sep=" · ")
    return join(head, meta, votes_line(card, t, threshold))


def card_buttons(card: Card, t: Translator) -> tuple[tuple[Button, ...], ...]:
    row: list[Button] = []
    if card.status == Status.OPEN:
        row.append(Button("proposal.vote", str(card.id), t.tr_plain("👍 Support")))
    row.append(Button("proposal.follow", str(card.id), t.tr_plain("🔔 Follow")))
    row.append(Button("proposal.show", str(card.id), t.tr_plain("Details")))
    return (tuple(row),)


def page_buttons(order: str, category: str, offset: int, total: int, t: Translator) -> tuple[Button, ...]:
    buttons: list[Button] = []
    if offset > 0:
        previous = max(offset - PAGE_SIZE, 0)
        buttons.append(Button("list.page", f"{order}:{category}:{previous}", t.tr_plain("◀ Previous")))
    if offset + PAGE_SIZE < total:
        buttons.append(Button("list.page", f"{order}:{category}:{offset + PAGE_SIZE}", t.tr_plain("Next ▶")))
    return tuple(buttons)


def detail_text(
    d: Detail, t: Translator, threshold: int, category_name: str, department_name: str, public_url: str,
    *, timezone: str = "Asia/Seoul", now: datetime | None = None,
) -> RichText:
    c = d.card
    parts: list[RichText] = [
        t.tr("#{id} {title}", id=c.id, title=Span(c.title, "bold")),
        t.tr("Status: {status}", status=Span(status_label(c.status, t), "bold")),
        t.tr("Category: {category} · Department: {department}", category=category_name,
               department=department_name),
        votes_line(c, t, threshold),
        (Span(d.description),),
    ]
    if c.review_deadline and c.status == Status.UNDER_REVIEW:
        parts.append(_due(t, N_("Department opinion due by {date}"), c.review_deadline, timezone, now))
    review = d.review
    if review is not None:
        parts.append((Span(t.tr_plain("Department opinion"), "bold"),))
        if review.recommendation == "reject":
            parts.append(t.tr("Not adopted: {reason}", reason=reason_label(review.reason_code or "other", t)))
        for label, value in (
            (t.tr_plain("Necessity"), review.necessity),
            (t.tr_plain("Effectiveness"), review.effectiveness),
            (t.tr_plain("Feasibility"), review.feasibility),
        ):
            if value:
                parts.append(t.tr("{label}: {value}", label=label, value=value))
        if review.recommendation == "forward":
            parts.append(budget_line(t, review.budget_krw))
        if review.explanation:
            parts.append((Span(review.explanation),))
    if d.panels:
        parts.append((Span(t.tr_plain("Expert panels"), "bold"),))
        if d.panel_deadline and c.status == Status.PANEL_REVIEW:
            parts.append(_due(t, N_("Evaluation due by {date}"), d.panel_deadline, timezone, now))
        parts.extend(_panel_line(result, t) for result in d.panels)
    if len(d.history) > 1:
        parts.append((Span(t.tr_plain("History"), "bold"),))
        parts.extend(_history_line(event, d, t, timezone) for event in d.history)
    parts.append((proposal_link(public_url, c.id),))
    return join(*parts)


PANEL_LABELS = {"panel_internal": N_("Internal panel (retired officials)"),
                "panel_external": N_("External panel (outside experts)")}


def _panel_line(result: PanelResult, t: Translator) -> RichText:
    label = t.tr_plain(PANEL_LABELS.get(result.panel, result.panel))
    if not result.count:
        return t.tr("{panel}: no evaluations yet ({members} members)", panel=label, members=result.members)
    a = result.averages
    return t.tr("{panel}: {count} of {members} evaluated — necessity {n}, effectiveness {e}, feasibility {f}, "
                "budget fit {b}", panel=label, count=result.count, members=result.members,
                n=_score(a["necessity"]), e=_score(a["effectiveness"]), f=_score(a["feasibility"]),
                b=_score(a["budget_fit"]))


def _score(value: float) -> str:
    return f"{value:.1f}"


def _history_line(event: StatusEvent, d: Detail, t: Translator, timezone: str) -> RichText:
    when = local_day(event.created_at, timezone)
    to = status_label(event.to_status, t)
    routed = (event.details or {}).get("routed")
    if isinstance(routed, dict):
        def named(code: object) -> str:
            names = d.departments.get(str(code)) or {}
            return names.get(t.lang) or names.get("en") or str(code)

        line = t.tr("{date} · sent from {before} to {department}", date=when, before=named(routed.get("from")),
                    department=named(routed.get("to")))
    elif event.from_status is None:
        line = t.tr("{date} · {status}", date=when, status=to)
    elif event.from_status == event.to_status:
        line = t.tr("{date} · progress", date=when)
    else:
        line = t.tr("{date} · {before} → {status}", date=when, before=status_label(event.from_status, t),
                    status=to)
    who = d.names.get(event.actor_id) if event.actor_id is not None else None
    extra: list[Span] = []
    if who and event.from_status is not None:
        extra.append(Span(t.tr_plain(" · by {name}", name=who)))
    if event.reason_code:
        extra.append(Span(f" · {reason_label(event.reason_code, t)}"))
    if event.reason_text:
        extra.append(Span(f" · {event.reason_text}"))
    return (*line, *extra)


def _due(t: Translator, msgid: str, deadline: datetime, timezone: str, now: datetime | None) -> RichText:
    if now is not None and deadline < now:
        return t.tr("Overdue since {date}", date=Span(local_day(deadline, timezone), "bold"))
    return t.tr(msgid, date=local_day(deadline, timezone))
