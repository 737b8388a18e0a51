"""Composition root: settings → database → conversation → surfaces → outbox dispatcher → HTTP server.

A surface (bots.ports.Surface: Telegram, Slack, the web chat) brings its sender,
its routes and its life cycle; adding one is a line in the list below."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from adapters.slack import SlackAdapter
from adapters.telegram.surface import TelegramSurface
from adapters.telegram.webhook import TelegramWebhook
from adapters.web.board import BoardPages, Names
from adapters.web.metrics import Metrics
from adapters.web.open_data import OpenData
from adapters.web.pages import PublicPages
from adapters.web.rendering import PageConfig, PageRenderer
from adapters.web.reports import ReportPages
from adapters.web.server import build_web_app, start_site
from adapters.web.stats import StatisticsPages
from adapters.webchat.surface import WebChat
from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import Inbound, Reply
from bots.ports import PageFamily, Sender, Surface
from bots.redaction import Redactor, secrets_of
from bots.settings import Settings
from core import mileage, room
from core.db import INTERACTIVE, LONG, is_sqlite, make_engine, make_reader, make_sessions, ping
from core.instances import Instance
from core.mileage import Mileage
from core.outbox import INSTANCE
from core.rules import Rules, parse_days, parse_flood
from core.send_slots import SendSlots, StoredDirectChats
from scheduler.dispatch import OutboxDispatcher
from scheduler.jobs import build_scheduler

log = logging.getLogger(__name__)


def mileage_from(settings: Settings) -> Mileage:
    return Mileage(proposal=settings.oasis_mileage_proposal, vote=settings.oasis_mileage_vote,
                   comment=settings.oasis_mileage_comment, review=settings.oasis_mileage_review,
                   adopted=settings.oasis_mileage_adopted, implemented=settings.oasis_mileage_implemented)


def rules_from(settings: Settings) -> Rules:
    return Rules(vote_threshold=settings.oasis_vote_threshold, review_days=settings.oasis_review_days,
                 support_days=settings.oasis_support_days, reports_to_hide=settings.oasis_reports_to_hide,
                 room_flood=parse_flood(settings.oasis_room_flood), panel_days=settings.oasis_panel_days,
                 panel_quorum=settings.oasis_panel_quorum, reminder_days=parse_days(settings.oasis_reminder_days))


@dataclass
class OasisApp:
    """Everything `oasis run` starts, so tests and benchmarks can start exactly the same thing."""

    settings: Settings
    port: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        # The conversation waits briefly and fails fast: an unanswered event comes again. On PostgreSQL the
        # outbox and the timed jobs get their own pool with longer limits; SQLite has one writer anyway.
        self.engine = make_engine(s.oasis_database_url, INTERACTIVE)
        self.jobs_engine = self.engine if is_sqlite(s.oasis_database_url) else make_engine(
            s.oasis_database_url, LONG, pool_size=5, max_overflow=5)
        # This process as the outbox knows it: what it holds is taken over at once should it die.
        self.instance = Instance(self.jobs_engine)
        points = {mileage.INFO_KEY: mileage_from(s), INSTANCE: self.instance}
        self.sessions = make_sessions(self.engine, after_outbox_commit=self._wake_dispatcher, info=points)
        jobs_sessions = (self.sessions if self.jobs_engine is self.engine
                         else make_sessions(self.jobs_engine, info=points))
        self.rules = rules_from(s)
        # The surfaces people talk to Oasis on; each adds its sender, routes and life cycle (bots.ports.Surface).
        self.telegram: TelegramSurface | None = None
        if s.telegram_bot_token:
            self.telegram = TelegramSurface(s.telegram_bot_token, s.telegram_api_base_url, self.handle,
                                            max_per_second=s.telegram_max_messages_per_second,
                                            webhook_url=s.telegram_webhook_url,
                                            webhook_secret=s.telegram_webhook_secret,
                                            room_chat=str(s.telegram_room_chat_id) if s.telegram_room_chat_id
                                            else None,
                                            group_limit=parse_flood(s.telegram_group_limit)[0],
                                            # Several processes may send for the bot on PostgreSQL: they
                                            # share its rate there. SQLite has one sending process.
                                            shared_rate=None if is_sqlite(s.oasis_database_url)
                                            else SendSlots(self.jobs_engine))
        self.slack: SlackAdapter | None = None
        if s.slack_bot_token and s.slack_signing_secret:
            self.slack = SlackAdapter(s.slack_bot_token, s.slack_signing_secret, self.handle, api_url=s.slack_api_url,
                                      room_channel=s.slack_room_channel_id or None,
                                      admin_token=s.slack_admin_user_token or None,
                                      direct_chats=StoredDirectChats(self.jobs_engine))
        elif s.slack_bot_token or s.slack_signing_secret:
            log.warning("Slack is off: set both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it")
        # The renderer of every public page; the web chat's page uses it too.
        self.renderer = PageRenderer(PageConfig(
            s.oasis_public_url.rstrip("/"), s.oasis_default_language, self.rules.vote_threshold, s.oasis_timezone,
            bot_username=self._bot_username))
        self.webchat = WebChat(self.sessions, self.handle, self.renderer, secret_key=s.oasis_secret_key,
                               public_url=s.oasis_public_url.rstrip("/"),
                               session_limit=parse_flood(s.oasis_web_session_limit),
                               address_limit=parse_flood(s.oasis_web_address_limit),
                               new_sessions_limit=parse_flood(s.oasis_web_new_sessions))
        self.renderer.chosen_language = self.webchat.reader_language  # every page speaks a web person's /lang
        self.surfaces: list[Surface] = [x for x in (self.telegram, self.slack, self.webchat) if x is not None]
        self.senders: dict[str, Sender] = {x.name: x.sender for x in self.surfaces if x.sender is not None}
        self.conversation = Conversation(
            self.sessions, BotConfig(self.rules, s.oasis_public_url.rstrip("/"), s.oasis_default_language,
                                     durable_replies=frozenset(x.name for x in self.surfaces if x.keeps_replies),
                                     timezone=s.oasis_timezone),
            # SQLite has one writer (and one pooled connection). On PostgreSQL a second lane keeps one slow
            # event from holding every other; more lanes only split a storm into smaller batches, and each
            # batch costs the same round trips whatever its size (bench/vote_storm.py).
            lanes=1 if is_sqlite(s.oasis_database_url) else 2,
        )
        self.dispatcher = OutboxDispatcher(
            jobs_sessions, self.senders, default_language=s.oasis_default_language,
            public_url=s.oasis_public_url.rstrip("/"), redact=Redactor(secrets_of(s)),
            give_up=timedelta(hours=s.oasis_outbox_give_up_hours), lease_seconds=s.oasis_outbox_lease_seconds,
            timezone=s.oasis_timezone, instance=self.instance,
        )
        if self.telegram is not None:
            self.telegram.receipts = self.dispatcher  # the webhook reports the answers it sent itself
        self.scheduler = build_scheduler(jobs_sessions, self.rules, self.dispatcher, inbox_days=s.oasis_inbox_days,
                                         timezone=s.oasis_timezone)
        self._stop = asyncio.Event()
        self.exported = Metrics(self.metrics)  # /metrics: what the server measures and what the app reports
        # The public web face (PRODUCT.md §8): each page family mounts its own routes.
        # Statistics and reports read for a while (up to a second, cached): on their own engine, never
        # holding the conversation's connection.
        self.reader = make_reader(s.oasis_database_url)
        reading = make_sessions(self.reader)
        names = Names(self.sessions)  # the board and the open data share one cache of the directory's names
        self.pages: list[PageFamily] = [
            PublicPages(self.sessions, self.renderer),
            BoardPages(self.sessions, self.renderer, names),
            OpenData(self.sessions, self.renderer.config, names),
            ReportPages(reading, self.renderer),
            StatisticsPages(reading, self.renderer),
        ]
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        s = self.settings
        await self.instance.start()  # alive before it claims anything, or stores a reply it holds
        await self.dispatcher.release_held_replies()  # before any event can store new ones
        for surface in self.surfaces:
            await surface.prepare()
        await self._hold_room()
        routes = [(method, path, self.exported.timed(surface.name, handler))
                  for surface in self.surfaces for method, path, handler in surface.routes()]
        routes += [route for pages in self.pages for route in pages.routes()]
        app = build_web_app(self.health, self.exported, routes)
        self._runner, self.port = await start_site(app, s.oasis_host, self.port or s.oasis_port)
        for surface in self.surfaces:
            await surface.start(self._stop)
        self.tasks.append(asyncio.create_task(self.dispatcher.run(self._stop)))
        self.scheduler.start()

    async def _hold_room(self) -> None:
        """Where the dialogue room is held now: each surface with a room configured and the rights it needs
        (one missing right turns off only that surface's room, with one line saying what to fix)."""
        held: dict[str, str | None] = {}
        for surface in self.surfaces:
            chat = surface.room_chat
            problem = await surface.room_problem() if chat is not None else None
            if problem is not None:
                log.warning("dialogue room off on %s: %s", surface.name, problem)
                chat = None
            held[surface.name] = chat
        async with self.sessions() as session, session.begin():
            for name, chat in held.items():
                await room.set_destination(session, name, chat)

    def _bot_username(self) -> str | None:
        """The Telegram bot's name once getMe answered (the public pages link to it)."""
        if self.telegram is None:
            return None
        try:
            return self.telegram.bot.username
        except RuntimeError:  # not initialized yet
            return None

    @property
    def telegram_webhook(self) -> TelegramWebhook | None:
        return self.telegram.webhook if self.telegram is not None else None

    async def handle(self, inbound: Inbound, /) -> list[Reply] | None:
        return await self.conversation(inbound)

    def _wake_dispatcher(self) -> None:
        """Notices just committed go out at once rather than at the dispatcher's next poll."""
        dispatcher = getattr(self, "dispatcher", None)
        if dispatcher is not None:
            dispatcher.wake()

    async def health(self) -> None:
        await ping(self.engine)

    async def metrics(self) -> dict[str, float]:
        counts = await self.dispatcher.pending_counts()
        values: dict[str, float] = {f'oasis_outbox_messages{{status="{k}"}}': v for k, v in counts.items()}
        values["oasis_outbox_sent_total"] = self.dispatcher.sent
        values["oasis_outbox_failed_total"] = self.dispatcher.failed
        values["oasis_outbox_retried_total"] = self.dispatcher.retried
        values["oasis_outbox_maybe_sent_total"] = self.dispatcher.maybe_sent
        values["oasis_outbox_toasts_replaced_total"] = self.dispatcher.toasts_replaced
        for surface in self.surfaces:
            values.update(surface.metrics())
        return values

    async def stop(self) -> None:
        self._stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._runner is not None:
            await self._runner.cleanup()
        for task in self.tasks:  # the dispatcher ends its batch while the surfaces can still send
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(task, timeout=5)
        for surface in self.surfaces:
            await surface.stop()
        await self.instance.stop()
        await self.engine.dispose()
        await self.reader.dispose()
        if self.jobs_engine is not self.engine:
            await self.jobs_engine.dispose()

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await self._stop.wait()
        finally:
            await self.stop()

    def request_stop(self) -> None:
        self._stop.set()

    async def stopped(self) -> None:
        """Returns once a stop was requested (a signal, or `request_stop`)."""
        await self._stop.wait()

    def add_sender(self, sender: Sender) -> None:
        """Another surface's sender (`oasis chat`'s terminal): the outbox sends its people's rows too."""
        self.senders[sender.platform] = sender
