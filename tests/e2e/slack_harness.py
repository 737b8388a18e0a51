"""Start the real Oasis server with Slack on (and Telegram too, when a Bot API double is given)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy import func, select, text

from bots.app import OasisApp
from bots.settings import Settings
from core.citizens import grant_role
from core.db import make_engine, make_sessions
from core.migrate import upgrade
from core.models import RoomCopy, RoomPlace
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_requests import SIGNING_SECRET, SlackPoster, SlackRequest
from tests.doubles.slack_wire import message_text
from tests.doubles.telegram_api import TelegramApiDouble
from tests.e2e.harness import Client, settings_for

AUTHOR, OFFICIAL, CHANNEL = "UAUTHOR", "UOFFICIAL", "CTRANSPORT"


@dataclass
class World:
    app: OasisApp
    slack: SlackPoster
    telegram: Client | None

    async def post(self, request: SlackRequest, **kwargs: Any) -> tuple[int, str]:
        return await self.slack.post(request, **kwargs)


def slack_settings(db_url: str, api: SlackApiDouble, telegram: TelegramApiDouble | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"slack_bot_token": api.token, "slack_signing_secret": SIGNING_SECRET,
                              "slack_api_url": api.base_url, **overrides}
    if telegram is not None:
        return settings_for(db_url, telegram, **values)
    values = {"oasis_database_url": db_url, "oasis_host": "127.0.0.1", "oasis_port": 0,
              "oasis_public_url": "https://oasis.test", "oasis_default_language": "en", **values}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running(db_url: str, api: SlackApiDouble, telegram: TelegramApiDouble | None = None, *,
                  migrate: bool = False, **overrides: Any) -> AsyncIterator[World]:
    if migrate:
        await upgrade(db_url)
    app = OasisApp(slack_settings(db_url, api, telegram, **overrides))
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            poster = SlackPoster(http, f"http://127.0.0.1:{app.port}/slack/events")
            yield World(app, poster, Client(app, http, telegram) if telegram is not None else None)
    finally:
        await app.stop()


async def sql(db_url: str, statement: str, **params: Any) -> None:
    """Run one statement in its own transaction (test setup, e.g. a department's Slack channel)."""
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            await session.execute(text(statement), params)
    finally:
        await engine.dispose()


def dm(user: str) -> str:
    return SlackApiDouble.dm_of(user)


async def command(w: World, user: str, text: str, channel: str | None = None) -> None:
    assert (await w.post(rq.slash_command(user, text, channel or dm(user))))[0] == 200


async def message(api: SlackApiDouble, channel: str, *needles: str, wait: float = 15) -> dict[str, Any]:
    """The first message in `channel` whose text holds every needle, waiting for it."""

    def matches(method: str, params: dict[str, Any]) -> bool:
        text = message_text(params)
        return (method == "chat.postMessage" and params.get("channel") == channel and all(n in text for n in needles)
                and any(m["params"] is params for m in api.posted(channel)))  # and Slack accepted it

    _, params = await api.wait_for(matches, wait)
    return next(m for m in api.posted(channel) if m["params"] is params)


async def opened_view(api: SlackApiDouble, callback_id: str, count: int) -> dict[str, Any]:
    """The `count`-th modal opened with this callback id."""
    await api.wait_for(lambda m, p: m == "views.open" and
                       sum(1 for v in api.views if v["callback_id"] == callback_id) >= count)
    return [v for v in api.views if v["callback_id"] == callback_id][count - 1]


async def scalar(db_url: str, query: Any) -> Any:
    engine = make_engine(db_url)
    async with make_sessions(engine)() as session:
        value = await session.scalar(query)
    await engine.dispose()
    return value


async def place_recorded(db_url: str, platform: str, chat_id: str, place_ref: str, wait: float = 15) -> None:
    """Waits until Oasis has recorded a room thread's topic or root (`room_places`). The platform shows it
    a moment before: the dispatcher records it after the API answers, so a message written in it sooner is
    in a place Oasis does not know yet, and is ignored as any other group chat's would be."""
    deadline = asyncio.get_running_loop().time() + wait
    query = select(func.count()).select_from(RoomPlace).where(
        RoomPlace.platform == platform, RoomPlace.chat_id == chat_id, RoomPlace.place_ref == place_ref)
    while not await scalar(db_url, query):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"Oasis did not record {platform} place {place_ref} in {chat_id} within {wait}s")
        await asyncio.sleep(0.02)


async def copy_recorded(db_url: str, platform: str, message_ref: str, wait: float = 15) -> None:
    """Waits until Oasis has recorded the copy it posted as `message_ref` (`room_copies`). The platform
    shows the copy a moment before: a shortcut on it sooner points at a message Oasis does not know yet."""
    deadline = asyncio.get_running_loop().time() + wait
    query = select(func.count()).select_from(RoomCopy).where(
        RoomCopy.platform == platform, RoomCopy.platform_message_id == message_ref)
    while not await scalar(db_url, query):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"Oasis did not record its {platform} copy {message_ref} within {wait}s")
        await asyncio.sleep(0.02)


async def propose_via_modal(w: World, api: SlackApiDouble, user: str, title: str) -> None:
    before = sum(1 for v in api.views if v["callback_id"] == "propose")
    await command(w, user, "propose")
    view = await opened_view(api, "propose", before + 1)
    status, body = await w.post(rq.view_submission(user, view, {
        "title": title, "description": "Buses every 20 minutes after midnight.", "category": "transport"}))
    assert (status, body) == (200, "")


async def setup_department(db_url: str, api: SlackApiDouble) -> None:
    await sql(db_url, "UPDATE departments SET channel_platform = 'slack', channel_id = :c "
                      "WHERE code = 'transport'", c=CHANNEL)
    api.add_channel(CHANNEL)
    engine = make_engine(db_url)
    async with make_sessions(engine)() as session, session.begin():
        await grant_role(session, "slack", OFFICIAL, "official", "transport")
    await engine.dispose()
