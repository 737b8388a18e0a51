"""The monthly and annual reports on the web: `GET /reports` (the periods that have one), `GET /reports/<YYYY-MM>`
and `GET /reports/<YYYY>` ("Citizens' Voice", core/reports.py), in the reader's language.

The page lays out the same `ReportView` (bots/report_text.py) that the CLI's Markdown does, and `document`
renders it without a request for `oasis report --format html`: a file whose site links point at
OASIS_PUBLIC_URL. A bad or future period is a 404 page that says so.

A year's report reads a third of a large database's history (about half a second for 100,000 proposals on
SQLite, whose one connection the bots share), so each report, and the index, is kept for a few minutes:
whoever follows a shared link to it within that time gets it without a query.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web

from adapters.web.rendering import PageRenderer
from bots.i18n import Translator
from bots.periods import period_label
from bots.ports import Route
from bots.report_text import figure, view
from core import reports
from core.clock import utcnow
from core.db import Sessions

KEEP_SECONDS = 300.0
KEEP_MAX = 64


class Recent:
    """The last few values built, each for `seconds`: a report is read by many, and changes slowly."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self.values: OrderedDict[str, tuple[float, object]] = OrderedDict()

    def get(self, key: str) -> object | None:
        found = self.values.get(key)
        if found is None or found[0] <= self.clock():
            return None
        return found[1]

    def put(self, key: str, value: object) -> None:
        self.values[key] = (self.clock() + self.seconds, value)
        self.values.move_to_end(key)
        while len(self.values) > KEEP_MAX:
            self.values.popitem(last=False)


class ReportPages:
    """`GET /reports` and `GET /reports/{period}`, built from the database (and kept a few minutes)."""

    def __init__(self, sessions: Sessions, renderer: PageRenderer, *, keep_seconds: float = KEEP_SECONDS) -> None:
        self.sessions, self.renderer, self.config = sessions, renderer, renderer.config
        self.recent = Recent(keep_seconds)

    def routes(self) -> list[Route]:
        return [("GET", "/reports", self.index), ("GET", "/reports/{period}", self.report)]

    async def index(self, request: web.Request) -> web.Response:
        t = await self.renderer.reader(request)
        found = self.recent.get("index")
        if not isinstance(found, reports.Available):
            async with self.sessions() as session:
                found = await reports.available(session, self.config.timezone, utcnow())
            self.recent.put("index", found)
        now = utcnow()
        months = [{"key": m.key, "label": period_label(m.key, t), "received": figure(n),
                   "complete": reports.has_ended(m, now, self.config.timezone)} for m, n in found.months]
        years = [{"key": y.key, "label": period_label(y.key, t),
                  "complete": reports.has_ended(y, now, self.config.timezone)} for y in found.years]
        return self.renderer.render("reports.html", t, request, status=200, months=months, years=years)

    async def report(self, request: web.Request) -> web.Response:
        t = await self.renderer.reader(request)
        raw = request.match_info["period"]
        now = utcnow()
        try:
            period = reports.Period.parse(raw)
        except ValueError:
            period = None
        if period is None or not reports.has_begun(period, now, self.config.timezone):
            return self.renderer.render("report_missing.html", t, request, status=404, asked=raw[:20])
        report = self.recent.get(period.key)
        if not isinstance(report, reports.Report):
            async with self.sessions() as session:
                report = await reports.build(session, period, self.config.timezone, now)
            self.recent.put(period.key, report)
        return self.renderer.render("report.html", t, request, status=200, **page_values(report, t,
                                                                                      self.config.public_url))


def page_values(report: reports.Report, t: Translator, public_url: str) -> dict[str, object]:
    """What report.html shows beside the site's frame: the view, and links to the periods around it."""
    period = report.period
    return {"v": view(report, t, public_url), "previous_key": period.previous().key,
            "year_key": str(period.year) if period.is_month else None,
            "year_label": period_label(str(period.year), t)}


def document(renderer: PageRenderer, report: reports.Report, t: Translator) -> str:
    """The report page as a file (`oasis report --format html`): links resolve against OASIS_PUBLIC_URL."""
    public_url = renderer.config.public_url.rstrip("/")
    path = f"/reports/{report.period.key}"

    return renderer.html("report.html", t, path, {"base_href": public_url + "/", **page_values(report, t, public_url)})
