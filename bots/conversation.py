"""The conversation as one function per inbound event: store it once, route it, answer in the person's language.

The event id, the person and every change the event causes are written in one transaction, so a
re-delivered event finds its inbox row and changes nothing, and a crash loses nothing acknowledged.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bots import account_commands, citizen_commands, flows, forms, staff_commands  # noqa: F401 (registering)
from bots.context import BotConfig, Ctx
from bots.errors import error_text
from bots.i18n import Translator, normalize_language
from bots.names import department_name
from bots.neutral import ButtonPress, Command, FormSubmit, Inbound, Outbound, Text
from bots.registry import Registry, registry
from core.citizens import ensure_identity, load_actor
from core.db import Sessions
from core.errors import OasisError
from core.inbox import claim_event

log = logging.getLogger(__name__)


class Conversation:
    """Implements bots.neutral.InboundHandler for every adapter."""

    def __init__(self, sessions: Sessions, config: BotConfig, routes: Registry = registry) -> None:
        self.sessions = sessions
        self.config = config
        self.routes = routes

    async def __call__(self, inbound: Inbound) -> list[Outbound] | None:
        failure: OasisError | None
        async with self.sessions() as session:
            try:
                ctx = await self._open(session, inbound)
                if ctx is None:
                    await session.rollback()
                    return None
                await self._route(ctx)
                await session.commit()
            except OasisError as error:
                await session.rollback()
                failure = error
            except DBAPIError:
                await session.rollback()
                raise
            except Exception:
                log.exception("handler failed for %s event %s", inbound.platform, inbound.event_id)
                await session.rollback()
                failure = None
            else:
                for job in ctx.after_commit:
                    try:
                        await job()
                    except Exception:
                        # The event's own change is committed; the review sweep finishes what this began.
                        log.exception("after-commit step failed for %s event %s", inbound.platform,
                                      inbound.event_id)
                return ctx.replies
        # Undo the handler's partial work but still record the event, so it is not applied again.
        return await self._answer_failure(inbound, failure)

    async def _open(self, session: AsyncSession, inbound: Inbound) -> Ctx | None:
        if not await claim_event(session, inbound.platform, inbound.event_id):
            return None
        who, where = inbound.who, inbound.where
        identity = await ensure_identity(
            session, who.platform, who.user_id, display_name=who.display_name, locale=who.locale,
            direct_chat_id=where.chat_id if where.direct else None,
        )
        actor = await load_actor(session, identity.citizen_id)
        lang = actor.language or normalize_language(who.locale) or self.config.default_language
        return Ctx(session=session, sessions=self.sessions, inbound=inbound, actor=actor,
                   t=Translator(lang), config=self.config)

    async def _answer_failure(self, inbound: Inbound, failure: OasisError | None) -> list[Outbound]:
        async with self.sessions() as session, session.begin():
            ctx = await self._open(session, inbound)
            if ctx is None:
                return []
            if isinstance(failure, OasisError):
                if "department" in failure.params:
                    failure.params["department"] = await department_name(ctx, str(failure.params["department"]))
                ctx.reply(error_text(failure, ctx.t))
            else:
                ctx.reply(ctx.t.text("Sorry, something went wrong on our side. Please try again in a moment."))
            if isinstance(inbound.payload, ButtonPress):
                ctx.notice("".join(s.text for s in ctx.replies[-1].text)[:190])
                ctx.replies.pop()
            return ctx.replies

    async def _route(self, ctx: Ctx) -> None:
        payload = ctx.inbound.payload
        if isinstance(payload, Command):
            await self._command(ctx, payload.name, payload.args)
        elif isinstance(payload, ButtonPress):
            handler = self.routes.buttons.get(payload.action)
            if handler is None:
                ctx.notice(ctx.t.s("This button is no longer valid."))
            else:
                await handler(ctx, payload.value)
        elif isinstance(payload, FormSubmit):
            form = self.routes.forms.get(payload.form)
            if form is not None:
                await form(ctx, payload.fields)
        elif isinstance(payload, Text):
            await self._text(ctx, payload.text)

    async def _command(self, ctx: Ctx, name: str, args: str) -> None:
        handler = self.routes.commands.get(name.lower())
        if handler is None:
            ctx.reply(ctx.t.text("I don't know the command /{name}. Send /help to see what I can do.", name=name))
            return
        if name != "cancel":
            await flows.leave(ctx)
        await handler(ctx, args)

    async def _text(self, ctx: Ctx, text: str) -> None:
        if await flows.continue_flow(ctx, text):
            return
        if not ctx.inbound.where.direct:
            return
        if not text.strip():
            ctx.reply(ctx.t.text("I can only read text messages. Send /help to see what I can do."))
            return
        word, _, rest = text.strip().partition(" ")
        name = word.lstrip("/").lower()
        if name in self.routes.commands:
            await self._command(ctx, name, rest.strip())
            return
        ctx.reply(ctx.t.text(
            "To make a proposal, send /propose. To see proposals, send /new or /top. All commands: /help."
        ))

