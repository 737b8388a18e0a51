"""A report (core/reports.py) in the reader's language: the words and figures every renderer shows, and the
Markdown the CLI writes. The web page (adapters/web/reports.py) lays out the same `ReportView` in HTML.

User text (proposal titles, decision texts) stays raw in the view; each renderer escapes it for its markup
(`markdown_text` here, Jinja2's autoescaping on the page).
"""

from __future__ import annotations

from dataclasses import dataclass

from bots.i18n import N_, Translator
from bots.names import in_language
from bots.outbox_render import reason_label, status_label
from bots.periods import period_label
from bots.time import local_day
from core.reports import Named, Report, Trend

METRIC_LABELS = {
    "received": N_("Proposals received"),
    "entered_review": N_("Entered department review"),
    "opinions": N_("Department opinions published"),
    "forwarded": N_("Forwarded to the expert panel"),
    "adopted": N_("Adopted"),
    "rejected": N_("Rejected"),
    "implemented": N_("Implemented"),
    "median_days_to_opinion": N_("Median days to a department opinion"),
}


def figure(value: int | float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:.1f}"


def change(trend: Trend) -> str:
    """"+3", "−2", "0", or "–" when either side has no figure."""
    delta = trend.change
    if delta is None:
        return "–"
    text = figure(abs(delta))
    return f"+{text}" if delta > 0 else f"−{text}" if delta < 0 else "0"


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class TrendRow:
    label: str
    current: str
    previous: str
    change: str


@dataclass(frozen=True)
class ProposalLine:
    id: int
    title: str
    url: str
    detail: str
    """Its category, supporters and status, or its department and day of adoption."""
    reason: str = ""


@dataclass(frozen=True)
class ReportView:
    """Everything a renderer writes, already in the reader's language (titles and reasons raw)."""

    lang: str
    key: str
    title: str
    period: str
    previous: str
    kind: str
    note: str
    handled: tuple[Row, ...]
    received: str
    by_category: tuple[Row, ...]
    rejected_by_reason: tuple[Row, ...]
    most_supported: tuple[ProposalLine, ...]
    trends: tuple[TrendRow, ...]
    adopted: tuple[ProposalLine, ...]
    url: str
    headings: dict[str, str]


def _name(named: Named, t: Translator) -> str:
    return in_language(t.lang, named.name_ko, named.name_en)


def view(report: Report, t: Translator, public_url: str) -> ReportView:
    base = public_url.rstrip("/")
    period, previous = period_label(report.period.key, t), period_label(report.previous.key, t)
    note = t.tr_plain("Figures from live data in {zone} time, as of {day}.", zone=report.timezone,
                      day=local_day(report.generated_at, report.timezone))
    if not report.complete:
        note += " " + t.tr_plain("The period is not over yet: the figures are so far.")
    trends = report.trends()
    return ReportView(
        lang=t.lang, key=report.period.key,
        title=t.tr_plain("Citizens' Voice: {period}", period=period), period=period, previous=previous,
        kind=t.tr_plain("Monthly report") if report.period.is_month else t.tr_plain("Annual report"),
        note=note,
        handled=tuple(Row(t.tr_plain(METRIC_LABELS[x.name]), figure(x.current)) for x in trends
                      if x.name != "received"),
        received=figure(report.counts.received),
        by_category=tuple(Row(_name(c.category, t), figure(c.received)) for c in report.by_category),
        rejected_by_reason=tuple(Row(reason_label(code, t), figure(n)) for code, n in report.rejected_by_reason),
        most_supported=tuple(ProposalLine(
            p.id, p.title, f"{base}/p/{p.id}",
            " · ".join((_name(p.category, t), t.tr_plain("supporters: {n}", n=figure(p.supporters)),
                        status_label(p.status, t)))) for p in report.most_supported),
        trends=tuple(TrendRow(t.tr_plain(METRIC_LABELS[x.name]), figure(x.current), figure(x.previous), change(x))
                     for x in trends),
        adopted=tuple(ProposalLine(
            a.id, a.title, f"{base}/p/{a.id}",
            t.tr_plain("{department}, adopted on {day}", department=_name(a.department, t),
                       day=local_day(a.adopted_at, report.timezone)), a.reason) for a in report.adopted_examples),
        url=f"{base}/reports/{report.period.key}",
        headings={
            "proposed": t.tr_plain("What was proposed"),
            "by_category": t.tr_plain("By category"),
            "category": t.tr_plain("Category"),
            "proposals": t.tr_plain("Proposals"),
            "most_supported": t.tr_plain("Most supported new proposals"),
            "handled": t.tr_plain("How it was handled"),
            "reasons": t.tr_plain("Rejections by reason"),
            "reason": t.tr_plain("Reason"),
            "rejections": t.tr_plain("Rejected"),
            "trends": t.tr_plain("Trends against {period}", period=previous),
            "measure": t.tr_plain("Measure"),
            "change": t.tr_plain("Change"),
            "adopted": t.tr_plain("Examples of adopted proposals"),
            "none": t.tr_plain("None in this period."),
            "received": t.tr_plain(METRIC_LABELS["received"]),
            "decision": t.tr_plain("Decision:"),
            "online": t.tr_plain("This report online:"),
        },
    )


MARKDOWN_SPECIAL = "\\`*_[]|~"
"""Characters that mean something inside a line of Markdown (no user text begins a line here)."""


def markdown_text(text: str) -> str:
    """User text as literal Markdown: one line, punctuation escaped, no raw HTML (`<` as an entity)."""
    flat = " ".join(text.split())
    out = []
    for ch in flat:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]], right_from: int = 1) -> list[str]:
    align = ["---" if index < right_from else "---:" for index in range(len(head))]
    lines = ["| " + " | ".join(markdown_text(h) for h in head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(markdown_text(cell) for cell in row) + " |" for row in rows]
    return lines


def markdown(report: Report, t: Translator, public_url: str) -> str:
    """The report as a Markdown document (`oasis report`)."""
    v = view(report, t, public_url)
    h = v.headings
    lines = [f"# {markdown_text(v.title)}", "", f"*{markdown_text(v.kind)}* · {markdown_text(v.note)}", "",
             f"## {markdown_text(h['proposed'])}", "", f"{markdown_text(h['received'])}: **{v.received}**", "",
             f"### {markdown_text(h['by_category'])}", ""]
    if v.by_category:
        lines += _table((h["category"], h["proposals"]), [(r.label, r.value) for r in v.by_category])
    else:
        lines.append(markdown_text(h["none"]))
    lines += ["", f"### {markdown_text(h['most_supported'])}", ""]
    if v.most_supported:
        lines += [f"{n}. [#{p.id} {markdown_text(p.title)}]({p.url}) — {markdown_text(p.detail)}"
                  for n, p in enumerate(v.most_supported, 1)]
    else:
        lines.append(markdown_text(h["none"]))
    lines += ["", f"## {markdown_text(h['handled'])}", ""]
    lines += [f"- {markdown_text(r.label)}: **{r.value}**" for r in v.handled]
    lines += ["", f"### {markdown_text(h['reasons'])}", ""]
    if v.rejected_by_reason:
        lines += _table((h["reason"], h["rejections"]), [(r.label, r.value) for r in v.rejected_by_reason])
    else:
        lines.append(markdown_text(h["none"]))
    lines += ["", f"## {markdown_text(h['trends'])}", ""]
    lines += _table((h["measure"], v.period, v.previous, h["change"]),
                    [(r.label, r.current, r.previous, r.change) for r in v.trends])
    lines += ["", f"## {markdown_text(h['adopted'])}", ""]
    if v.adopted:
        for p in v.adopted:
            lines += [f"### [#{p.id} {markdown_text(p.title)}]({p.url})", "", markdown_text(p.detail), ""]
            if p.reason:
                lines += [f"> {markdown_text(h['decision'])} {markdown_text(p.reason)}", ""]
    else:
        lines += [markdown_text(h["none"]), ""]
    lines += ["---", "", f"{markdown_text(h['online'])} <{v.url}>", ""]
    return "\n".join(lines)
