"""The board in a real browser: the list, a search for a two-syllable Korean word through the form, a
category filter, and a proposal's page opened from the list."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site, screenshot
from tests.integration import factories as f


async def test_the_board_filters_searches_and_opens_a_proposal(site: Site, page: Any) -> None:
    author = await f.citizen(site.sessions, "김민지")
    night = await f.proposal(site.sessions, author, title="심야버스 노선 확대", description="밤 12시 이후에도.")
    park = await f.proposal(site.sessions, author, title="공원 산책로 정비", description="걷기 좋은 길.",
                            category="environment")
    await f.proposal(site.sessions, author, title="<b>Bike</b> lanes", description="Protected ones.")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(f"{site.url}/?lang=en")
    items = page.locator("ol.proposals h2")
    assert await items.count() == 3
    assert "<b>Bike</b> lanes" in await items.first.inner_text()  # markup shown as text
    await screenshot(page, "board")

    await page.get_by_label("Search").fill("버스")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_load_state()
    assert [await h.inner_text() for h in await items.all()] == [f"#{night} 심야버스 노선 확대"]
    assert await page.get_by_label("Search").input_value() == "버스"  # the form keeps what was asked

    await page.get_by_label("Search").fill("")
    await page.get_by_label("Category").select_option("environment")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_load_state()
    assert "category=environment" in page.url
    assert [await h.inner_text() for h in await items.all()] == [f"#{park} 공원 산책로 정비"]
    await screenshot(page, "board-filtered")

    await page.get_by_role("link", name=f"#{park} 공원 산책로 정비").click()
    await page.wait_for_load_state()
    assert page.url.endswith(f"/p/{park}")
    assert await page.get_by_role("heading", level=1).inner_text() == f"#{park} 공원 산책로 정비"
    assert dialogs == []
