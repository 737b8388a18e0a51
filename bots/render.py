"""Proposals as people see them in a chat: cards with buttons, the full record, lists with pages."""

from __future__ import annotations

from bots.i18n import Translator, join
from bots.neutral import Button, RichText, Span
from bots.outbox_render import budget_line, reason_label, status_label
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
    d: Detail, t: Translator, threshold: int, category_name: str, department_name: str, public_url: str
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
        parts.append(t.tr("Department opinion due by {date}", date=c.review_deadline.strftime("%Y-%m-%d")))
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
    parts.append((proposal_link(public_url, c.id),))
    return join(*parts)
