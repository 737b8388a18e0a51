"""The statistics' definitions that need no database: "adopted" read from the current status, the rate of
nothing received, the year of a time near New Year in the city's time zone, and the SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.web.charts import Bar, bar_chart, row_chart
from core.statistics import ADOPTED, Measure, _local_year, _year_start_utc
from core.statuses import ALLOWED, Status

SVG = "{http://www.w3.org/2000/svg}"


def test_counting_the_current_status_is_counting_every_proposal_ever_adopted() -> None:
    """Everything reachable from `adopted` is in ADOPTED and nothing there leads out of it (not to hidden):
    were a transition out of adoption added to ALLOWED, the statistics would have to read the events."""
    reachable, frontier = {Status.ADOPTED}, [Status.ADOPTED]
    while frontier:
        for nxt in ALLOWED.get(frontier.pop(), frozenset()):
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert {s.value for s in reachable} == ADOPTED


def test_a_rate_of_nothing_received_is_none() -> None:
    assert Measure().rate is None
    assert Measure(8, 2).rate == 0.25
    assert Measure(3, 1) + Measure(1, 1) == Measure(4, 2)


def test_the_year_is_the_citys() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    assert _year_start_utc(2026, seoul) == datetime(2025, 12, 31, 15)
    assert _local_year(datetime(2025, 12, 31, 15), seoul) == 2026
    assert _local_year(datetime(2025, 12, 31, 14, 59), seoul) == 2025
    assert _year_start_utc(2026, ZoneInfo("America/New_York")) == datetime(2026, 1, 1, 5)


def test_a_chart_is_well_formed_and_says_what_it_shows() -> None:
    chart = ET.fromstring(str(bar_chart(chart_id="c<1>", title="Received & <adopted>", summary="Bars.", bars=[
        Bar("2024", 4, "4"), Bar("<2025>", 0, "0"), Bar("2026", 8, "8")])))
    assert chart.get("role") == "img" and chart.get("aria-labelledby") == "c<1>-title"
    assert chart.findtext(f"{SVG}title") == "Received & <adopted>"
    assert chart.findtext(f"{SVG}desc") == "Bars. 2024: 4; <2025>: 0; 2026: 8."
    heights = [float(r.get("height", "0")) for r in chart.findall(f"{SVG}rect")]
    assert len(heights) == 2 and heights[0] * 2 == heights[1]
    empty = ET.fromstring(str(bar_chart(chart_id="e", title="Nothing", summary="No bars.", bars=[])))
    assert empty.findall(f"{SVG}rect") == [] and empty.findtext(f"{SVG}desc") == "No bars."


def test_a_row_chart_names_each_row_and_scales_its_bars() -> None:
    chart = ET.fromstring(str(row_chart(chart_id="r", title="Per <department>", summary="Rows.", bars=[
        Bar("Transport & <b>Roads</b>", 3, "3"), Bar("Welfare", 0, "0"), Bar("Safety", 6, "6")])))
    assert chart.get("role") == "img" and chart.findtext(f"{SVG}title") == "Per <department>"
    assert chart.findtext(f"{SVG}desc") == "Rows. Transport & <b>Roads</b>: 3; Welfare: 0; Safety: 6."
    texts = [t.text for t in chart.findall(f"{SVG}text")]
    assert texts[:2] == ["Transport & <b>Roads</b>", "3"]
    widths = [float(r.get("width", "0")) for r in chart.findall(f"{SVG}rect")]
    assert len(widths) == 2 and widths[0] * 2 == widths[1]
