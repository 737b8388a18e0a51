"""`GET /stats`, `GET /departments` and `GET /api/stats.json`: what became of the proposals, from live data.

`/stats` reproduces the seed's table (received, adopted, adoption rate (%) by year, with a total column)
and the same by category and by department, with server-drawn SVG charts (adapters/web/charts.py);
`/departments` publishes each department's record (received, median days to opinion, overdue now,
adoption rate); `/api/stats.json` gives the same figures as open data (schema STATS_SCHEMA, README
"Statistics as open data"). The figures come from core/statistics.py through a `StatisticsCache`: at most
CACHE_SECONDS old, and the pages say when they were computed. Names come from the directory and are escaped
like all text (Jinja2 autoescaping, charts.py escapes its own).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from aiohttp import web
from babel.numbers import format_decimal
from markupsafe import Markup

from adapters.web.charts import BLUE, GREEN, Bar, bar_chart, row_chart
from adapters.web.rendering import PageRenderer
from bots.i18n import Translator
from bots.names import in_language
from bots.ports import Route
from bots.time import zone
from core.db import Sessions
from core.statistics import DepartmentRecord, Group, Measure, Statistics, StatisticsCache

STATS_SCHEMA = "oasis.stats/1"
NO_RATE = "–"  # an adoption rate of nothing received


def count(n: int, lang: str) -> str:
    """165,824 in the reader's language."""
    return str(format_decimal(n, locale=lang))


def rate_percent(measure: Measure, lang: str) -> str:
    """The adoption rate in percent with two decimals, as the seed's table has it ("1.64"); "–" for none."""
    rate = measure.rate
    return NO_RATE if rate is None else str(format_decimal(rate * 100, format="#,##0.00", locale=lang))


def days(value: float | None, lang: str) -> str:
    return NO_RATE if value is None else str(format_decimal(value, format="#,##0.0", locale=lang))


class StatisticsPages:
    """The statistics pages and their open data, all read from one cache of the figures."""

    def __init__(self, sessions: Sessions, renderer: PageRenderer, *, cache: StatisticsCache | None = None) -> None:
        self.renderer, self.config = renderer, renderer.config
        self.cache = cache or StatisticsCache(sessions, timezone=renderer.config.timezone)

    def routes(self) -> list[Route]:
        return [("GET", "/stats", self.stats), ("GET", "/departments", self.departments),
                ("GET", "/api/stats.json", self.json)]

    async def stats(self, request: web.Request) -> web.Response:
        t = await self.renderer.reader(request)
        figures = await self.cache.get()
        lang = t.lang
        years = figures.by_year.years
        # The seed's shape: the total first, then each year, oldest first.
        columns = [_cells(t.tr_plain("Total"), figures.by_year.total, lang)] + [
            _cells(str(year), measure, lang) for year, measure in years]
        charts = _year_charts(figures, t) if years else []
        received = figures.by_year.total.received
        return self.renderer.render(
            "stats.html", t, request, status=200, columns=columns,
            group_charts={"by-category": _category_chart(figures, t), "by-department": _department_chart(figures, t)}
            if received else {},
            charts=charts, by_category=[_group_row(g, lang) for g in figures.by_category],
            by_department=[_group_row(g, lang) for g in figures.by_department],
            computed=_as_of(figures), timezone=figures.timezone)

    async def departments(self, request: web.Request) -> web.Response:
        t = await self.renderer.reader(request)
        figures = await self.cache.get()
        lang = t.lang
        rows = [{"name": in_language(lang, d.name_ko, d.name_en), "received": count(d.measure.received, lang),
                 "median": days(d.median_days_to_opinion, lang), "opinions": count(d.opinions, lang),
                 "overdue": count(d.overdue, lang), "rate": rate_percent(d.measure, lang)}
                for d in figures.departments]
        return self.renderer.render("departments.html", t, request, status=200, rows=rows,
                                    computed=_as_of(figures))

    async def json(self, request: web.Request) -> web.Response:
        return web.json_response(stats_document(await self.cache.get()), headers={
            "Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=30"})


def stats_document(figures: Statistics) -> dict[str, Any]:
    """The open-data document (README, "Statistics as open data")."""
    return {
        "schema": STATS_SCHEMA,
        "generated_at": figures.computed_at.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "timezone": figures.timezone,
        "by_year": {"years": [{"year": year, **_measure(m)} for year, m in figures.by_year.years],
                    "total": _measure(figures.by_year.total)},
        "by_category": [_named(g) for g in figures.by_category],
        "by_department": [_department(d) for d in figures.departments],
    }


def _measure(m: Measure) -> dict[str, Any]:
    return {"received": m.received, "adopted": m.adopted,
            "adoption_rate": None if m.rate is None else round(m.rate, 6)}


def _named(g: Group) -> dict[str, Any]:
    return {"code": g.code, "name_ko": g.name_ko, "name_en": g.name_en, **_measure(g.measure)}


def _department(d: DepartmentRecord) -> dict[str, Any]:
    return {"code": d.code, "name_ko": d.name_ko, "name_en": d.name_en, **_measure(d.measure),
            "opinions": d.opinions,
            "median_days_to_opinion": None if d.median_days_to_opinion is None else round(d.median_days_to_opinion, 2),
            "overdue": d.overdue}


def _cells(label: str, m: Measure, lang: str) -> dict[str, str]:
    return {"label": label, "received": count(m.received, lang), "adopted": count(m.adopted, lang),
            "rate": rate_percent(m, lang)}


def _group_row(g: Group, lang: str) -> dict[str, str]:
    return _cells(in_language(lang, g.name_ko, g.name_en), g.measure, lang)


def _as_of(figures: Statistics) -> str:
    """When the figures were computed, in the city's time zone."""
    local = figures.computed_at.replace(tzinfo=UTC).astimezone(zone(figures.timezone))
    return local.strftime("%Y-%m-%d %H:%M")


def _year_charts(figures: Statistics, t: Translator) -> list[dict[str, str | Markup]]:
    """(caption, SVG) of the three charts by year; the caption is the chart's own title, shown."""
    lang, years = t.lang, figures.by_year.years
    specs = [
        ("chart-received", t.tr_plain("Proposals received per year"),
         t.tr_plain("Bar chart of the proposals received each year."),
         [Bar(str(y), m.received, count(m.received, lang)) for y, m in years], BLUE),
        ("chart-adopted", t.tr_plain("Proposals adopted per year"),
         t.tr_plain("Bar chart of the proposals received each year that were adopted."),
         [Bar(str(y), m.adopted, count(m.adopted, lang)) for y, m in years], GREEN),
        ("chart-rate", t.tr_plain("Adoption rate per year (%)"),
         t.tr_plain("Bar chart of the adoption rate of each year's proposals, in percent."),
         [Bar(str(y), (m.rate or 0.0) * 100, rate_percent(m, lang)) for y, m in years], BLUE),
    ]
    return [{"caption": title, "svg": bar_chart(chart_id=key, title=title, summary=summary, bars=bars, colour=colour)}
            for key, title, summary, bars, colour in specs]



def _category_chart(figures: Statistics, t: Translator) -> dict[str, str | Markup]:
    title = t.tr_plain("Proposals received per category")
    bars = [Bar(in_language(t.lang, g.name_ko, g.name_en), g.measure.received, count(g.measure.received, t.lang))
            for g in figures.by_category]
    summary = t.tr_plain("Bar chart of the proposals received in each category.")
    return {"caption": title, "svg": row_chart(chart_id="chart-categories", title=title, summary=summary, bars=bars)}


def _department_chart(figures: Statistics, t: Translator) -> dict[str, str | Markup]:
    title = t.tr_plain("Adoption rate per department (%)")
    bars = [Bar(in_language(t.lang, g.name_ko, g.name_en), (g.measure.rate or 0.0) * 100,
                rate_percent(g.measure, t.lang)) for g in figures.by_department]
    return {"caption": title, "svg": row_chart(
        chart_id="chart-departments", title=title, bars=bars, colour=GREEN,
        summary=t.tr_plain("Bar chart of the adoption rate of each department's proposals, in percent."))}
