"""Real-browser tests: the running Oasis server, driven by Debian's headless Chromium through Playwright
(`executable_path`: Playwright's own browser download is not used). Without chromium they skip, saying so.

Each test keeps a screenshot of the pages it saw under tests/artifacts/ (git-ignored), for a person to look
at after a CI run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bots.app import OasisApp
from bots.settings import Settings
from core.db import Sessions, make_engine, make_sessions
from core.migrate import upgrade
from tests.dbutil import sqlite_url

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str:
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")


@dataclass
class Site:
    """The running server and a way into its database, for arranging what the browser will see."""

    url: str
    app: OasisApp
    sessions: Sessions


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """Oasis as `oasis run` starts it (no messenger configured), on SQLite, on a free port."""
    db_url = sqlite_url(tmp_path)
    await upgrade(db_url)
    settings = Settings(_env_file=None, oasis_database_url=db_url, oasis_host="127.0.0.1",  # type: ignore[call-arg]
                        oasis_port=0, oasis_public_url="http://127.0.0.1", oasis_default_language="en")
    app = OasisApp(settings)
    await app.start()
    engine = make_engine(db_url)
    try:
        yield Site(f"http://127.0.0.1:{app.port}", app, make_sessions(engine))
    finally:
        await engine.dispose()
        await app.stop()


@pytest.fixture
async def page(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A fresh page in headless Chromium, a phone-sized one when the test is marked `phone`."""
    executable = chromium_path()
    from playwright.async_api import async_playwright

    phone = request.node.get_closest_marker("phone") is not None
    async with async_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root without it
        browser = await playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        context = await browser.new_context(
            locale="en-US", viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900})
        try:
            yield await context.new_page()
        finally:
            await context.close()
            await browser.close()


async def screenshot(page: Any, name: str) -> Path:
    """Keep what the browser showed as tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
