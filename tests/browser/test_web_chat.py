"""The web chat in a real browser: a guided /propose held by typing and pressing buttons, to its Submit,
and the new proposal then on the board and its public page; the same on a phone, by keyboard only, without sideways
scrolling."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.citizens import grant_role
from tests.browser.conftest import Site, screenshot
from tests.integration import factories as f

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
    await page.goto(f"{site.url}/")  # the board lists it at once, first among the newest
    await page.get_by_role("link", name=TITLE).first.click()
    await page.wait_for_url(f"{site.url}/p/{pid}")
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


async def test_an_official_writes_an_opinion_in_the_html_form_a_button_opens(site: Site, page: Any) -> None:
    await page.goto(f"{site.url}/chat")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "oasis_web")
    async with site.sessions() as s, s.begin():
        await grant_role(s, "web", cookie["value"].split(".")[0], "official", "transport")
    pid = await f.under_review(site.sessions, await f.citizen(site.sessions, "author"), title="Night buses")
    log = page.get_by_role("log")
    await say(page, "queue")
    await log.get_by_role("button", name="✍ Write opinion").first.click()  # a notice may offer one too
    form = log.get_by_role("form", name=f"Opinion on #{pid}")
    await form.wait_for()
    first = await form.get_by_label("Recommendation").get_attribute("id")
    assert await page.evaluate("document.activeElement.id") == first  # the form's first field has the focus
    await form.get_by_label("Recommendation").select_option("reject")
    await form.get_by_role("button", name="Publish").click()
    reason = form.get_by_label("Reason (if rejected)")
    await page.wait_for_function("document.activeElement && document.activeElement.getAttribute('aria-invalid')")
    assert await reason.get_attribute("aria-invalid") == "true"  # refused beside the field, focused
    await reason.select_option(index=1)
    await form.get_by_label("Explanation").fill("The <b>budget</b> for this year is spent.")
    await form.get_by_role("button", name="Publish").click()
    await log.get_by_text(f"Published: #{pid} was rejected").wait_for()
    await screenshot(page, "chat-form")
