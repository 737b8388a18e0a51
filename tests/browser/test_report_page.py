"""A month's report opened in a real browser: it reads as a report (headings, figures, the adopted example),
a title's markup stays text, the site's navigation leads to it, and the language switch turns it Korean."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from core import panels, reviews
from core.clock import utcnow
from core.models import DepartmentReview, Proposal, StatusEvent
from core.reports import last_complete_month
from core.rules import Rules
from tests.browser.conftest import Site, screenshot
from tests.integration import factories as f

TITLE = "<img src=x onerror=alert(1)> 심야버스 노선 확대"
ZONE = "Asia/Seoul"


async def test_a_months_report_reads_in_the_browser(site: Site, page: Any) -> None:
    sessions = site.sessions
    author, admin = await f.citizen(sessions, "김민지"), await f.admin(sessions)
    official = await f.official(sessions, "transport")
    adopted = await f.under_review(sessions, author, title=TITLE)
    async with sessions() as s, s.begin():
        await reviews.review(s, official.actor, adopted, reviews.Opinion("forward", necessity="밤에 이동이 많아요"))
    async with sessions() as s, s.begin():
        await panels.decide(s, admin.actor, adopted, "adopt", "2027년 예산으로 시행합니다.", Rules(panel_quorum=0))
    for title in ("Shade trees on school routes", "Brighter underpasses"):
        await f.proposal(sessions, author, title=title)
    month = last_complete_month(utcnow(), ZONE)
    start, end = month.bounds(ZONE)
    async with sessions() as s, s.begin():  # everything happened last month
        await s.execute(update(Proposal).values(created_at=start))
        await s.execute(update(StatusEvent).values(created_at=end - (end - start) / 2))
        await s.execute(update(DepartmentReview).values(created_at=end - (end - start) / 2))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(f"{site.url}/calls?lang=en")
    await page.get_by_role("link", name="Reports", exact=True).click()  # the site's navigation
    await page.wait_for_load_state()
    await page.locator(f'a[href="/reports/{month.key}"]').click()  # the index lists last month
    await page.wait_for_load_state()
    assert page.url == f"{site.url}/reports/{month.key}"
    heading = page.get_by_role("heading", level=1)
    assert (await heading.inner_text()).startswith("Citizens' Voice: ")
    assert await page.locator("strong.received").inner_text() == "3"
    example = page.locator("article.example h3")
    assert await example.inner_text() == f"#{adopted} {TITLE}"  # the markup is text, never run
    assert "2027년 예산으로 시행합니다." in await page.locator("article.example").inner_text()
    await screenshot(page, "report-month")
    await page.get_by_role("link", name="한국어").click()
    await page.wait_for_load_state()
    assert await page.locator("html").get_attribute("lang") == "ko"
    assert (await page.get_by_role("heading", level=1).inner_text()).startswith("시민의 목소리: ")
    await screenshot(page, "report-month-ko")
    assert dialogs == []
