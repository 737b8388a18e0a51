"""The public board, `GET /`: proposals with filters, search, sorting and pages, no login, no personal data.

Everything the reader chooses is a GET parameter of an ordinary form (status, category, department,
call, q, sort, page), so a filtered board is a link that can be shared, and works without JavaScript.
The read itself is core/board.py, which the open data API (adapters/web/open_data.py) shares.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from aiohttp import web

from adapters.web.rendering import PageRenderer, with_query
from bots.i18n import Translator
from bots.names import in_language
from bots.outbox_render import status_label
from bots.ports import Route
from bots.time import local_day
from core import board
from core.db import Sessions

PAGE_SIZE = 20
PAGE_MAX = 10_000
"""Pages beyond this are refused as empty: a deep offset walks every row before it (the CSV has them all)."""
QUERY_MAX = 200
NAMES_SECONDS = 10.0


def board_filter(query: Mapping[str, str], *, per_page: int = PAGE_SIZE, per_page_max: int = PAGE_SIZE) -> \
        board.BoardFilter:
    """The reader's choices from a query string, leniently: a value that makes no sense is ignored."""
    def number(key: str, default: int, low: int, high: int) -> int:
        raw = query.get(key, "").strip()
        return max(low, min(high, int(raw))) if raw.isdigit() and len(raw) < 9 else default

    status = query.get("status", "").strip()
    call = query.get("call", "").strip()
    sort = query.get("sort", "").strip()
    return board.BoardFilter(
        status=status if status in board.PUBLIC_STATUSES else None,
        category=query.get("category", "").strip()[:40] or None,
        department=query.get("department", "").strip()[:40] or None,
        call=int(call) if call.isdigit() and len(call) < 12 else None,
        q=query.get("q", "").strip()[:QUERY_MAX],
        sort=sort if sort in board.SORTS else "newest",
        page=number("page", 1, 1, PAGE_MAX),
        per_page=number("per_page", per_page, 1, per_page_max))


class Names:
    """The directory's names (categories, departments, themed calls), read again after NAMES_SECONDS:
    they change a few times a year, and every request of the board and the API needs them."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.held: tuple[float, board.Directory] | None = None

    async def __call__(self) -> board.Directory:
        now = time.monotonic()
        if self.held is None or now - self.held[0] > NAMES_SECONDS:
            async with self.sessions() as session:
                self.held = (now, await board.directory(session))
        return self.held[1]


class BoardPages:
    """`GET /`: the board."""

    def __init__(self, sessions: Sessions, renderer: PageRenderer, names: Names | None = None) -> None:
        self.sessions, self.renderer, self.config = sessions, renderer, renderer.config
        self.names = names or Names(sessions)

    def routes(self) -> list[Route]:
        return [("GET", "/", self.board)]

    async def board(self, request: web.Request) -> web.Response:
        t = await self.renderer.reader(request)
        chosen = board_filter(request.query)
        names = await self.names()
        async with self.sessions() as session:
            found = await board.board(session, chosen)
        lang, zone = t.lang, self.config.timezone
        items = [{
            "id": item.id, "title": item.title, "status": status_label(item.status, t),
            "status_code": item.status, "supporters": item.supporters,
            "category": in_language(lang, *names.categories[item.category])
            if item.category in names.categories else item.category,
            "department": in_language(lang, *names.departments[item.department])
            if item.department in names.departments else item.department,
            "received": local_day(item.created_at, zone),
        } for item in found.items]
        filtered = any((chosen.status, chosen.category, chosen.department, chosen.call is not None, chosen.q))
        return self.renderer.render(
            "board.html", t, request, status=200, items=items, chosen=chosen, filtered=filtered,
            summary=summary(t, found, chosen),
            statuses=[(code, status_label(code, t)) for code in board.PUBLIC_STATUSES],
            categories=[(code, in_language(lang, ko, en)) for code, (ko, en) in names.categories.items()],
            departments=sorted(((code, in_language(lang, ko, en)) for code, (ko, en) in names.departments.items()),
                               key=lambda pair: pair[1]),
            calls=list(names.calls.items()),
            sorts=[("newest", t.tr_plain("Newest first")), ("supported", t.tr_plain("Most supported")),
                   ("decided", t.tr_plain("Recently decided"))],
            previous=with_query(request, page=chosen.page - 1 if chosen.page > 2 else None)
            if chosen.page > 1 else None,
            next=with_query(request, page=chosen.page + 1) if found.has_next else None)


def summary(t: Translator, found: board.BoardPage, chosen: board.BoardFilter) -> str:
    """"Proposals 21–40 of 1,234" (or "of more than 1,000")."""
    if not found.items:
        return ""
    first = chosen.offset + 1
    last = chosen.offset + len(found.items)
    if found.total_exact:
        return t.tr_plain("Proposals {first}–{last} of {total}", first=first, last=last, total=f"{found.total:,}")
    return t.tr_plain("Proposals {first}–{last} of more than {total}", first=first, last=last,
                      total=f"{found.total:,}")
