"""The statistics pages in a real browser: the seed's table and the SVG charts are there and visible, with
JavaScript off too, and each department's record reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import Site, screenshot
from tests.integration import factories as f


async def arrange(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proposals received in 2024 and 2025 (UTC noon: the same year in Seoul), one withdrawn, two under
    review."""
    moment = [datetime(2024, 3, 1, 12)]
    for module in ("core.proposals", "core.votes"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: moment[0])
    author = await f.citizen(site.sessions, "김민지")
    for when, category in ((datetime(2024, 3, 1, 12), "transport"), (datetime(2024, 9, 1, 12), "environment"),
                           (datetime(2025, 2, 1, 12), "transport"), (datetime(2025, 5, 1, 12), "welfare")):
        moment[0] = when
        await f.proposal(site.sessions, author, category=category)
    moment[0] = datetime(2024, 4, 1, 12)
    await f.withdraw(site.sessions, author, await f.proposal(site.sessions, author))
    for when in (datetime(2025, 6, 1, 12), datetime(2025, 7, 1, 12)):
        moment[0] = when
        await f.under_review(site.sessions, author, voters=[await f.citizen(site.sessions, "supporter")])


async def test_the_statistics_page_shows_the_table_and_visible_charts(
    site: Site, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await arrange(site, monkeypatch)
    await page.goto(f"{site.url}/stats?lang=en")
    table = page.get_by_role("table", name="Proposals received and adopted, by year of receipt")
    assert await table.is_visible()
    header = await table.locator("thead th").all_inner_texts()
    assert header == ["Total", "2024", "2025"]
    received = await table.get_by_role("row", name="Received").locator("td").all_inner_texts()
    assert received == ["7", "3", "4"]
    chart = page.get_by_role("img", name="Proposals received per year")
    assert await chart.is_visible()
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    assert await chart.locator("rect").count() == 2  # a bar per year
    await screenshot(page, "stats")


async def test_the_departments_page_and_the_page_without_javascript(
    site: Site, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await arrange(site, monkeypatch)
    await page.goto(f"{site.url}/departments?lang=en")
    table = page.get_by_role("table", name="Each department's record")
    assert await table.is_visible()
    transport = await table.get_by_role("row", name="Transport Policy Division").locator("td").all_inner_texts()
    assert transport[0] == "5"  # received: the withdrawn one and the two under review included
    assert "Oasis publishes how long each department takes to answer" in await page.inner_text("main")
    await screenshot(page, "departments")
    context = await page.context.browser.new_context(java_script_enabled=False)
    try:
        plain = await context.new_page()
        await plain.goto(f"{site.url}/stats?lang=ko")
        assert await plain.get_by_role("table", name="접수 연도별 접수건수와 채택건수").is_visible()
        assert await plain.get_by_role("img", name="연도별 접수건수").is_visible()
    finally:
        await context.close()
