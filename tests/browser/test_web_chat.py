"""The web chat in a real browser: a guided /propose held by typing and pressing buttons, to its Submit,
and the new proposal then on its public page; the same on a phone, by keyboard only, without sideways
scrolling."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Site, screenshot

TITLE = "<img src=x onerror=alert(1)> Night buses"


async def say(page: Any, text: str) -> None:
    box = page.get_by_label("Your message")
    await box.fill(text)
    await box.press("Enter")


async def propose(page: Any, site: Site, title: str) -> int:
    """`/propose` through to Submit by typing and pressing; returns the new proposal's number."""
    log = page.get_by_role("log")
    await page.goto(f"{site.url}/chat")
    assert await page.locator("html").get_attribute("lang") == "en"
    await say(page, "/propose")
    await log.get_by_text("First, its title").wait_for()
    await say(page, title)
    await log.get_by_text("Now describe").wait_for()
    await say(page, "Buses every 20 minutes after midnight.")
    await log.get_by_role("button", name="Transport").last.click()
    await log.get_by_text("Please check your proposal").wait_for()
    await log.get_by_role("button", name="✅ Submit").last.click()
    received = log.get_by_text(re.compile(r"Proposal #\d+ received")).first
    await received.wait_for()
    found = re.search(r"Proposal #(\d+) received", await received.inner_text())
    assert found
    return int(found.group(1))


async def test_a_proposal_made_in_the_web_chat_is_on_its_page(site: Site, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    pid = await propose(page, site, TITLE)
    assert await page.get_by_role("log").get_by_text(TITLE).count() >= 1  # shown as text, never run
    await screenshot(page, "chat")
    await page.goto(f"{site.url}/p/{pid}")
    heading = page.get_by_role("heading", level=1)
    assert await heading.inner_text() == f"#{pid} {TITLE}"
    assert dialogs == []


@pytest.mark.phone
async def test_the_web_chat_on_a_phone_by_keyboard(site: Site, page: Any) -> None:
    await page.goto(f"{site.url}/chat")
    await page.get_by_label("Your message").focus()
    await page.keyboard.type("help")
    await page.keyboard.press("Enter")
    await page.get_by_role("log").get_by_text("/propose").first.wait_for()
    pid = await propose(page, site, "Shade at bus stops, with a title long enough to wrap on a phone screen")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone's screen
    await screenshot(page, "chat-phone")
    await page.goto(f"{site.url}/p/{pid}")
    assert "Shade at bus stops" in await page.get_by_role("heading", level=1).inner_text()
