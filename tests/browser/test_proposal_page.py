"""A share link opened in a real browser: the proposal's page reads, its title stays text, the language
switch works and is remembered, and the copy button copies the link."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, screenshot
from tests.integration import factories as f

TITLE = "<img src=x onerror=alert(1)> 심야버스 노선 확대"


async def test_a_shared_link_opens_the_proposal_and_the_language_switch_is_remembered(
    site: Site, page: Any
) -> None:
    author = await f.citizen(site.sessions, "김민지")
    pid = await f.proposal(site.sessions, author, title=TITLE, description="밤 12시 이후 20분 간격으로.")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(f"{site.url}/p/{pid}")
    heading = page.get_by_role("heading", level=1)
    assert await heading.inner_text() == f"#{pid} {TITLE}"  # the markup is shown as text, never run
    assert await page.locator("html").get_attribute("lang") == "en"
    await screenshot(page, "proposal-en")
    await page.get_by_role("link", name="한국어").click()
    await page.wait_for_load_state()
    assert await page.locator("html").get_attribute("lang") == "ko"
    await page.goto(f"{site.url}/p/{pid}")  # the choice is remembered
    assert await page.locator("html").get_attribute("lang") == "ko"
    await screenshot(page, "proposal-ko")
    assert dialogs == []


@pytest.mark.phone
async def test_the_copy_button_copies_the_link_on_a_phone(site: Site, page: Any) -> None:
    pid = await f.proposal(site.sessions, await f.citizen(site.sessions, "author"), title="Night buses")
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.goto(f"{site.url}/p/{pid}?lang=en")
    await page.get_by_role("button", name="Copy link").click()
    assert await page.evaluate("navigator.clipboard.readText()") == f"http://127.0.0.1/p/{pid}"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone's screen
    await screenshot(page, "proposal-phone")
