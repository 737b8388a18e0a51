"""Outbox rows → the message a person reads, in their language (PRODUCT.md §2 words, §4 notices).

The core writes a `kind` and raw `params` in the transaction of the change; wording happens here, at
send time, so a notice speaks the recipient's current language. User text (titles, explanations)
stays raw in its own `Span`: each adapter escapes it for its markup. Rendering never raises: a row
with odd params still tells the person something and links to the proposal, rather than blocking
the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bots.i18n import N_, Translator, join
from bots.neutral import Button, RichText, Span
from bots.periods import period_label
from bots.platforms import PLATFORMS
from bots.time import local_day
from core.statuses import ReasonCode, Status

log = logging.getLogger(__name__)

STATUS_LABELS: dict[str, str] = {
    Status.OPEN: N_("open"),
    Status.UNDER_REVIEW: N_("under review"),
    Status.PANEL_REVIEW: N_("with the expert panel"),
    Status.ADOPTED: N_("adopted"),
    Status.REJECTED: N_("rejected"),
    Status.IMPLEMENTING: N_("being implemented"),
    Status.IMPLEMENTED: N_("implemented"),
    Status.WITHDRAWN: N_("withdrawn"),
    Status.CLOSED: N_("closed"),
    Status.HIDDEN: N_("hidden"),
}

REASON_LABELS: dict[str, str] = {
    ReasonCode.LAW: N_("ordinance or law"),
    ReasonCode.BUDGET: N_("budget"),
    ReasonCode.DUPLICATE: N_("duplicate"),
    ReasonCode.ALREADY_DONE: N_("already done"),
    ReasonCode.NOT_CITY: N_("outside the city's jurisdiction"),
    ReasonCode.INFEASIBLE: N_("infeasible"),
    ReasonCode.OTHER: N_("other"),
}

REVIEW_FIELDS = ("necessity", "effectiveness", "feasibility", "budget_krw")

Params = Mapping[str, Any]


def status_label(status: str, t: Translator) -> str:
    """A status as people read it ("under review"); an unknown status is shown as stored."""
    msgid = STATUS_LABELS.get(status)
    return t.tr_plain(msgid) if msgid else str(status)


def reason_label(code: str, t: Translator) -> str:
    """A rejection reason code as people read it ("ordinance or law")."""
    msgid = REASON_LABELS.get(code)
    return t.tr_plain(msgid) if msgid else str(code)


def proposal_url(public_url: str, proposal_id: object) -> str:
    return f"{public_url.rstrip('/')}/p/{proposal_id}"


def day(value: object, t: Translator) -> str:
    """The reader's date of a stored (UTC) ISO timestamp, in their time zone ('2025-06-01T20:00' →
    '2025-06-02' in Seoul); anything else as is."""
    try:
        return local_day(datetime.fromisoformat(str(value)), t.timezone)
    except ValueError:
        return str(value)


def money(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def budget_line(t: Translator, amount: object) -> RichText:
    if amount is None:
        return t.tr("Estimated budget: not estimated")
    return t.tr("Estimated budget: {amount} KRW", amount=money(amount))


def department_label(params: Params, t: Translator) -> str:
    """The department's name in the reader's language, when the core sent both; else its code."""
    names = params.get("department_names")
    if isinstance(names, dict):
        return str(names.get(t.lang) or names.get("en") or params.get("department") or "")
    return str(params.get("department") or "")


def _title(params: Params) -> Span:
    return Span(str(params.get("title") or ""), "bold")


def _status_changed(params: Params, t: Translator) -> RichText:
    target = str(params.get("to") or "")
    reason_text = str(params.get("reason_text") or "")
    if target == Status.IMPLEMENTING and params.get("from") == target:  # a progress note: the status stays
        return join(t.tr("Progress on #{id} {title} ({status}):", id=params["id"], title=_title(params),
                         status=status_label(target, t)), (Span(reason_text),))
    parts = [
        t.tr("#{id} {title} is now {status}.", id=params["id"], title=_title(params),
               status=Span(status_label(target, t), "bold")),
    ]
    if target == Status.REJECTED:
        code = str(params.get("reason_code") or ReasonCode.OTHER)
        parts.append(t.tr("Reason: {reason}", reason=Span(reason_label(code, t), "bold")))
        if reason_text:
            parts.append((Span(reason_text),))
    elif reason_text:
        from_review = "review_id" in params or any(params.get(f) for f in REVIEW_FIELDS)
        label = (N_("Decision: {text}") if params.get("decision") else
                 N_("Department opinion: {text}") if from_review else N_("Details: {text}"))
        parts.append(t.tr(label, text=reason_text))
    parts.extend(_review_lines(params, t))
    if target == Status.PANEL_REVIEW and params.get("panel_deadline"):
        parts.append(t.tr("The expert panels will evaluate it by {deadline}.",
                          deadline=Span(day(params["panel_deadline"], t), "bold")))
    if target == Status.UNDER_REVIEW and params.get("deadline"):
        parts.append(t.tr("The department will give its opinion by {deadline}.",
                            deadline=Span(day(params["deadline"], t), "bold")))
    return join(*parts)


def _review_lines(params: Params, t: Translator) -> list[RichText]:
    """The department's assessment, when a department review caused the change."""
    lines = []
    if params.get("necessity"):
        lines.append(t.tr("Necessity: {text}", text=str(params["necessity"])))
    if params.get("effectiveness"):
        lines.append(t.tr("Effectiveness: {text}", text=str(params["effectiveness"])))
    if params.get("feasibility"):
        lines.append(t.tr("Feasibility: {text}", text=str(params["feasibility"])))
    if params.get("review_id") and ("budget_krw" in params) and params.get("to") == Status.PANEL_REVIEW:
        lines.append(budget_line(t, params.get("budget_krw")))
    return lines


def _review_queued(params: Params, t: Translator) -> RichText:
    parts = [
        t.tr("New in the review queue of {department}: #{id} {title}.",
               department=department_label(params, t), id=params["id"], title=_title(params)),
    ]
    if params.get("deadline"):
        parts.append(t.tr("Please publish the department opinion by {deadline}.",
                            deadline=Span(day(params["deadline"], t), "bold")))
    return join(*parts)


def _department_card(params: Params, t: Translator) -> RichText:
    """The card in a department's channel: the proposal, its deadline, and once decided, the decision."""
    parts = [
        t.tr("#{id} {title}", id=params["id"], title=_title(params)),
        t.tr("Department: {department}", department=department_label(params, t)),
    ]
    if params.get("description"):
        parts.append((Span(str(params["description"])),))
    decision = params.get("recommendation")
    if decision == "forward":
        parts.append(t.tr("Decided: forwarded to the expert panel."))
        parts.extend(_review_lines(params, t))
    elif decision == "reject":
        parts.append(t.tr("Decided: rejected. Reason: {reason}",
                            reason=Span(reason_label(str(params.get("reason_code") or "other"), t), "bold")))
        if params.get("reason_text"):
            parts.append((Span(str(params["reason_text"])),))
    elif params.get("deadline"):
        parts.append(t.tr("Please publish the department opinion by {deadline}.",
                            deadline=Span(day(params["deadline"], t), "bold")))
    return join(*parts)


def render_buttons(kind: str, params: Params, t: Translator) -> tuple[tuple[Button, ...], ...]:
    """A notice that asks someone to act carries the button to do it."""
    if kind in ("review_queued", "department_card") and params.get("id") is not None \
            and not params.get("recommendation"):
        return ((Button("review.open", str(params["id"]), t.tr_plain("✍ Write opinion")),),)
    if kind == "deadline_reminder" and params.get("id") is not None:
        if params.get("stage") == "panel":
            return ((Button("panel.open", str(params["id"]), t.tr_plain("✍ Evaluate")),),)
        return ((Button("review.open", str(params["id"]), t.tr_plain("✍ Write opinion")),),)
    if kind == "panel_request" and params.get("id") is not None:
        return ((Button("panel.open", str(params["id"]), t.tr_plain("✍ Evaluate")),),)
    if kind == "room_reported" and params.get("message_id") is not None:
        value = f"m{params['message_id']}"
        return ((Button("room.hide", value, t.tr_plain("Keep hidden")),
                 Button("room.restore", value, t.tr_plain("Restore"))),)
    return ()


def _panel_request(params: Params, t: Translator) -> RichText:
    parts = [t.tr("Please evaluate #{id} {title} for the expert panel.", id=params["id"], title=_title(params))]
    if params.get("deadline"):
        parts.append(t.tr("Evaluation due by {deadline}.", deadline=Span(day(params["deadline"], t), "bold")))
    return join(*parts)


def _deadline_reminder(params: Params, t: Translator) -> RichText:
    days = int(str(params.get("days") or 0))
    deadline = Span(day(params.get("deadline"), t), "bold")
    if params.get("stage") == "panel":
        return t.tr_plural("Reminder: your evaluation of #{id} {title} is due in {n} day, by {deadline}.",
                           "Reminder: your evaluation of #{id} {title} is due in {n} days, by {deadline}.", days,
                           id=params["id"], title=_title(params), deadline=deadline)
    return t.tr_plural("Reminder: the department opinion on #{id} {title} is due in {n} day, by {deadline}.",
                       "Reminder: the department opinion on #{id} {title} is due in {n} days, by {deadline}.", days,
                       id=params["id"], title=_title(params), deadline=deadline)


def _deadline_overdue(params: Params, t: Translator) -> RichText:
    deadline = Span(day(params.get("deadline"), t), "bold")
    if params.get("stage") == "panel":
        return t.tr("Overdue: the expert panels' evaluation of #{id} {title} was due by {deadline}. You may decide "
                    "without the missing evaluations.", id=params["id"], title=_title(params), deadline=deadline)
    return t.tr("Overdue: the department opinion on #{id} {title} ({department}) was due by {deadline}.",
                id=params["id"], title=_title(params), deadline=deadline, department=department_label(params, t))


def _routed(params: Params, t: Translator) -> RichText:
    return t.tr("#{id} {title} is now handled by {department} (before: {before}).", id=params["id"],
                title=_title(params), department=department_label(params, t),
                before=department_label({"department": params.get("from_department"),
                                         "department_names": params.get("from_department_names")}, t))


def _call_notice(params: Params, t: Translator, msgid: str) -> RichText:
    return t.tr(msgid, title=Span(str(params.get("title") or ""), "bold"), department=department_label(params, t),
                date=Span(day(params.get("closes"), t), "bold"))


def _call_opened(params: Params, t: Translator) -> RichText:
    return _call_notice(params, t, N_("New themed call by {department}: {title}, open until {date}. /calls to "
                                      "propose."))


def _call_closing(params: Params, t: Translator) -> RichText:
    return _call_notice(params, t, N_("The themed call {title} closes on {date}. /calls to propose before then."))


def _call_closed(params: Params, t: Translator) -> RichText:
    return _call_notice(params, t, N_("The themed call {title} is closed: its proposals now go to {department} "
                                      "for review."))


def _new_proposal(params: Params, t: Translator) -> RichText:
    return t.tr("New proposal #{id} {title}. /show {id} to read it, /unsubscribe to stop these.", id=params["id"],
                title=_title(params))


def _new_comment(params: Params, t: Translator) -> RichText:
    return t.tr("New comment on your proposal #{id} {title}.", id=params["id"], title=_title(params))


def _room_hidden(params: Params, t: Translator) -> RichText:
    if params.get("by_reports"):
        return t.tr("Your message m{id} in the dialogue room was reported by several people and is hidden until "
                    "a moderator looks at it.", id=params.get("message_id"))
    return t.tr("A moderator hid your message m{id} in the dialogue room. Reason: {reason}",
                id=params.get("message_id"), reason=Span(str(params.get("reason") or ""), "bold"))


def _room_reported(params: Params, t: Translator) -> RichText:
    return join(t.tr_plural("Room message m{id} was reported by {n} person and is hidden until you decide:",
                            "Room message m{id} was reported by {n} people and is hidden until you decide:",
                            int(str(params.get("reports") or 0)), id=params.get("message_id")),
                (Span(str(params.get("excerpt") or "")),))


def _room_digest(params: Params, t: Translator) -> RichText:
    count = int(str(params.get("count") or 0))
    return t.tr_plural("{n} new message in the discussion of #{id} {title}.",
                       "{n} new messages in the discussion of #{id} {title}.", count,
                       id=params["id"], title=_title(params))


def _room_flood(params: Params, t: Translator) -> RichText:
    return t.tr("You are writing faster than the dialogue room allows: your message m{id} and the next ones "
                "for a little while are kept but not shown to others. Please slow down.",
                id=params.get("message_id"))


def _room_original_kept(params: Params, t: Translator) -> RichText:
    platform = PLATFORMS.get(str(params.get("platform") or ""))
    where = platform.label if platform is not None else str(params.get("platform") or "")
    if params.get("hide"):
        return t.tr("Room message m{id} is hidden everywhere else, but the bot may not delete the original on "
                    "{platform}; a notice there asks people not to answer it.", id=params.get("message_id"),
                    platform=where)
    return t.tr("Your message m{id} is deleted everywhere else, but the bot may not delete it on {platform}: "
                "please delete it there yourself.", id=params.get("message_id"), platform=where)


def _report_published(params: Params, t: Translator) -> RichText:
    key = str(params.get("period") or "")
    msgid = (N_("The monthly report for {period} is out.") if "-" in key
             else N_("The annual report for {period} is out."))
    figures = {name: int(str(params.get(name) or 0)) for name in
               ("received", "entered_review", "adopted", "rejected", "implemented")}
    return join(t.tr(msgid, period=Span(period_label(key, t), "bold")),
                t.tr("Proposals received: {received} · entered review: {entered_review} · adopted: {adopted} · "
                     "rejected: {rejected} · implemented: {implemented}.", **figures),
                t.tr("/unsubscribe reports to stop these."))


def _generic(params: Params, t: Translator) -> RichText:
    if params.get("id") is None:
        return t.tr("There is news for you.")
    return t.tr("#{id}: there is news about this proposal.", id=params["id"])


RENDERERS: dict[str, Callable[[Params, Translator], RichText]] = {
    "status_changed": _status_changed,
    "review_queued": _review_queued,
    "new_comment": _new_comment,
    "department_card": _department_card,
    "room_hidden": _room_hidden,
    "room_reported": _room_reported,
    "room_flood": _room_flood,
    "room_digest": _room_digest,
    "room_original_kept": _room_original_kept,
    "panel_request": _panel_request,
    "deadline_reminder": _deadline_reminder,
    "deadline_overdue": _deadline_overdue,
    "routed": _routed,
    "call_opened": _call_opened,
    "call_closing": _call_closing,
    "call_closed": _call_closed,
    "new_proposal": _new_proposal,
    "report_published": _report_published,
}


def render(kind: str, params: Params, t: Translator, public_url: str) -> RichText:
    """The notice for one outbox row, ending with a link to the proposal's public page (or to the page the
    row names by its `path`, such as a report's)."""
    if not isinstance(params, Mapping):
        params = {}
    renderer = RENDERERS.get(kind, _generic)
    try:
        body = renderer(params, t)
    except Exception:  # a malformed row must still say something, never block the outbox
        log.exception("cannot render %s notice with params %r", kind, params)
        body = _generic(params, t)
    proposal_id = params.get("id")
    path = params.get("path")
    if proposal_id is not None:
        url = proposal_url(public_url, proposal_id)
    elif isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        url = public_url.rstrip("/") + path
    else:
        url = public_url
    return join(body, (Span(url, "link", url=url),))
