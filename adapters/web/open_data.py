"""Open data: `GET /api/proposals.json` (a page at a time, with the board's filters and sort) and
`GET /api/proposals.csv` (every public proposal, streamed). The schema is versioned (SCHEMA) and documented
in the README ("Open data"); the licence is CC BY 4.0.

No personal data: no platform or citizen ids, no names (not even display names: a bulk export of who
proposed what is another thing than a page showing it); hidden proposals never appear.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from adapters.web.board import Names, board_filter
from adapters.web.rendering import PageConfig, with_query
from bots.ports import Route
from core import board
from core.db import Sessions

SCHEMA = "oasis.proposals/1"
LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
PER_PAGE = 20
PER_PAGE_MAX = 100
CSV_CHUNK = 500
"""Proposals read per query while streaming the CSV: each chunk its own short transaction."""
CSV_COLUMNS = ["id", "url", "title", "description", "status", "category", "category_name_ko", "category_name_en",
               "department", "department_name_ko", "department_name_en", "call_id", "supporters", "created_at",
               "status_changed_at"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def iso(moment: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with its offset: `2026-11-30T01:02:03Z`."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def neutral_cell(value: object) -> object:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _names(names: dict[str, tuple[str, str]], code: str) -> tuple[str, str]:
    return names.get(code, (code, code))


class OpenData:
    """`GET /api/proposals.json` and `GET /api/proposals.csv`."""

    def __init__(self, sessions: Sessions, config: PageConfig, names: Names | None = None) -> None:
        self.sessions, self.config = sessions, config
        self.names = names or Names(sessions)

    def routes(self) -> list[Route]:
        return [("GET", "/api/proposals.json", self.proposals_json), ("GET", "/api/proposals.csv", self.proposals_csv)]

    async def proposals_json(self, request: web.Request) -> web.Response:
        chosen = board_filter(request.query, per_page=PER_PAGE, per_page_max=PER_PAGE_MAX)
        names = await self.names()
        async with self.sessions() as session:
            found = await board.board(session, chosen)
            ids = [item.id for item in found.items]
            histories = await board.histories(session, ids)
            opinions = await board.opinions(session, ids)
        document = {
            "schema": SCHEMA, "licence": LICENCE,
            "page": chosen.page, "per_page": chosen.per_page,
            "total": found.total, "total_exact": found.total_exact,
            "next": self.config.public_url + with_query(request, page=chosen.page + 1) if found.has_next else None,
            "proposals": [self._proposal(item, names, histories[item.id], opinions.get(item.id))
                          for item in found.items],
        }
        return web.Response(text=json.dumps(document, ensure_ascii=False), content_type="application/json",
                            charset="utf-8", headers={"Access-Control-Allow-Origin": "*"})

    def _proposal(self, item: board.BoardItem, names: board.Directory, history: list[board.HistoryStep],
                  opinion: Any) -> dict[str, Any]:
        category, department = _names(names.categories, item.category), _names(names.departments, item.department)
        return {
            "id": item.id, "url": f"{self.config.public_url}/p/{item.id}", "title": item.title,
            "description": item.description, "status": item.status,
            "category": {"code": item.category, "name_ko": category[0], "name_en": category[1]},
            "department": {"code": item.department, "name_ko": department[0], "name_en": department[1]},
            "call": ({"id": item.call_id, "title": names.calls.get(item.call_id, "")}
                     if item.call_id is not None else None),
            "supporters": item.supporters, "created_at": iso(item.created_at),
            "status_changed_at": iso(item.status_changed_at),
            "history": [{"from": step.from_status, "to": step.to_status, "at": iso(step.at),
                         "reason_code": step.reason_code, "reason_text": step.reason_text} for step in history],
            "opinion": None if opinion is None else {
                "recommendation": opinion.recommendation, "necessity": opinion.necessity,
                "effectiveness": opinion.effectiveness, "feasibility": opinion.feasibility,
                "budget_krw": opinion.budget_krw, "reason_code": opinion.reason_code,
                "explanation": opinion.explanation, "at": iso(opinion.created_at)},
        }

    async def proposals_csv(self, request: web.Request) -> web.StreamResponse:
        """Every public proposal in id order, written chunk by chunk as it is read (never all in memory)."""
        response = web.StreamResponse(headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="oasis-proposals.csv"',
            "Access-Control-Allow-Origin": "*"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        names = await self.names()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write("\ufeff")  # so spreadsheet programs read the Korean as UTF-8
        writer.writerow(CSV_COLUMNS)
        last = 0
        while True:
            async with self.sessions() as session:
                chunk = await board.public_chunk(session, last, CSV_CHUNK)
            for item in chunk:
                category, department = _names(names.categories, item.category), _names(names.departments,
                                                                                       item.department)
                writer.writerow([neutral_cell(cell) for cell in (
                    item.id, f"{self.config.public_url}/p/{item.id}", item.title, item.description, item.status,
                    item.category, category[0], category[1], item.department, department[0], department[1],
                    "" if item.call_id is None else item.call_id, item.supporters, iso(item.created_at),
                    iso(item.status_changed_at))])
            await response.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
            if len(chunk) < CSV_CHUNK:
                break
            last = chunk[-1].id
        await response.write_eof()
        return response
