"""The public pages through aiohttp's test client, mounted as the composition root mounts them: each page
family's `routes()` on one application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.rendering import PageConfig, PageRenderer
from bots.ports import PageFamily

PUBLIC_URL = "https://oasis.test"


def renderer(*, bot_username: Callable[[], str | None] = lambda: None, timezone: str = "Asia/Seoul",
             public_url: str = PUBLIC_URL) -> PageRenderer:
    """Pages in English by default, threshold 5, as the tests' pages expect."""
    return PageRenderer(PageConfig(public_url, "en", 5, timezone, bot_username=bot_username))


@asynccontextmanager
async def serving(*families: PageFamily) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    for family in families:
        for method, path, handler in family.routes():
            app.router.add_route(method, path, handler)
    async with TestClient(TestServer(app)) as client:
        yield client


async def fetch(client: TestClient[Any, Any], path: str) -> tuple[int, str]:
    """(status, body) of a GET."""
    response = await client.get(path)
    return response.status, await response.text()
