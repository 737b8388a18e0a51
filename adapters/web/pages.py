"""The public page of one proposal, `GET /p/<id>`: what every share link Oasis sends opens.

No login and no personal data: people appear by their display name, never by a platform id. The body is
the same detail `/show` gives in a chat (bots/render.detail_text), in the reader's language, turned into
HTML here with every piece of user text escaped (Jinja2 autoescaping; `rich_html` escapes each span);
around it the tags that make a shared link preview (OpenGraph, Twitter card) and the ways to share it.
A hidden proposal's page says when and why it was hidden and shows none of its content.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from aiohttp import web
from sqlalchemy import Select, select

from adapters.web.rendering import PageRenderer, rich_html
from bots.names import in_language
from bots.outbox_render import status_label
from bots.ports import Route
from bots.render import detail_text
from bots.time import local_day
from core import queries
from core.clock import utcnow
from core.db import Sessions
from core.models import Category, Department, Proposal, StatusEvent
from core.statuses import Status

DESCRIPTION_PREVIEW = 200  # characters of the description in a link preview


class PublicPages:
    """`GET /p/{id}` and `GET /calls`, rendered from the database on each request."""

    def __init__(self, sessions: Sessions, renderer: PageRenderer) -> None:
        self.sessions, self.renderer, self.config = sessions, renderer, renderer.config

    def routes(self) -> list[Route]:
        return [("GET", "/p/{id}", self.proposal), ("GET", "/calls", self.calls)]

    async def proposal(self, request: web.Request) -> web.Response:
        t = await self.renderer.reader(request)
        raw = request.match_info["id"]
        pid = int(raw) if raw.isdigit() and len(raw) < 12 else 0
        async with self.sessions() as session:
            row = await session.get(Proposal, pid) if pid else None
            if row is None:
                return self.renderer.render("missing.html", t, request, status=404, pid=raw)
            if row.status == Status.HIDDEN:
                hidden = await session.scalar(select_hidden(pid))
                return self.renderer.render("hidden.html", t, request, status=200, pid=pid,
                                    when=local_day(hidden.created_at, self.config.timezone) if hidden else "",
                                    reason=hidden.reason_text if hidden else "")
            detail = await queries.detail(session, pid)
            discussion = await queries.public_discussion(session, pid)
            category = await session.get(Category, detail.card.category)
            department = await session.get(Department, detail.card.department)
        category_name = in_language(t.lang, category.name_ko, category.name_en) if category else detail.card.category
        department_name = in_language(t.lang, department.name_ko, department.name_en) if department else ""
        url = f"{self.config.public_url}/p/{pid}"
        body = detail_text(detail, t, self.config.vote_threshold, category_name, department_name,
                           self.config.public_url, timezone=self.config.timezone, now=utcnow())
        preview = detail.description if len(detail.description) <= DESCRIPTION_PREVIEW \
            else detail.description[:DESCRIPTION_PREVIEW - 1] + "…"
        bot = self.config.bot_username()
        return self.renderer.render(
            "proposal.html", t, request, status=200, pid=pid, title=detail.card.title, url=url,
            status_word=status_label(detail.card.status, t), preview=preview, body=rich_html(body),
            telegram_share="https://t.me/share/url?" + urlencode({"url": url, "text": detail.card.title},
                                                                   quote_via=quote),
            deep_link=f"https://t.me/{bot.lstrip('@')}?start=p{pid}" if bot else None,
            discussion=[{"author": m.author, "day": local_day(m.created_at, self.config.timezone),
                         "body": m.body, "edited": m.edited} for m in discussion])

    async def calls(self, request: web.Request) -> web.Response:
        """Themed calls: open now, coming, closed; each with the proposals made to it."""
        t = await self.renderer.reader(request)
        async with self.sessions() as session:
            found = await queries.public_calls(session)
            departments = {d.code: d for d in (await session.scalars(select(Department))).all()}
        now, zone = utcnow(), self.config.timezone
        groups: dict[str, list[dict[str, object]]] = {"open": [], "coming": [], "closed": []}
        for item in found:
            call, dep = item.call, departments.get(item.call.department_code)
            when = ("closed" if call.closed_at is not None or call.closes_at <= now
                    else "coming" if call.opens_at > now else "open")
            groups[when].append({
                "title": call.title, "description": call.description,
                "department": in_language(t.lang, dep.name_ko, dep.name_en) if dep else call.department_code,
                "opens": local_day(call.opens_at, zone), "closes": local_day(call.closes_at, zone),
                "count": item.count,
                "proposals": [{"id": pid, "title": title, "status": status_label(status, t)}
                              for pid, title, status in item.proposals]})
        return self.renderer.render("calls.html", t, request, status=200, groups=groups)


def select_hidden(pid: int) -> Select[StatusEvent]:
    """The step that hid the proposal (the latest, should it have been hidden more than once)."""
    return (select(StatusEvent).where(StatusEvent.proposal_id == pid, StatusEvent.to_status == Status.HIDDEN.value)
            .order_by(StatusEvent.id.desc()).limit(1))
