"""The conversation as one function per inbound event: store it once, route it, answer in the person's language.

The event id, the person and every change the event causes are written in one transaction, so a
re-delivered event finds its inbox row and changes nothing, and a crash loses nothing acknowledged.

Group commit: events that arrive while a transaction is open wait for it and are then applied together,
one after another, in the next transaction, and each caller is answered after that commit. Under a storm
of Support presses this pays for BEGIN and COMMIT once per batch instead of once per press. If anything
in a batch fails, the batch is rolled back and its events are applied one by one, as if never batched.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bots import flows
from bots.context import BotConfig, Ctx
from bots.errors import error_text
from bots.i18n import Translator, normalize_language
from bots.names import department_name
from bots.neutral import ButtonPress, Command, Deleted, Edited, FormSubmit, Inbound, Reply, Text, plain_text
from bots.platforms import UNVOUCHED
from bots.ports import StorageUnavailable
from bots.replies import durable, persist
from bots.router import Router
from bots.routes import root_router
from bots.sanitize import excerpt, sanitize
from core.citizens import Account, Actor, enter, enter_many
from core.db import Sessions, is_database_failure
from core.errors import OasisError
from core.events import Fact, take
from core.inbox import claim_event, claim_events
from core.reactions import follow_up

log = logging.getLogger(__name__)

MAX_BATCH = 256
"""The most events one transaction applies. A batch costs a fixed part (its statements' round trips) plus a
little per event, so when presses arrive faster than they are applied, larger batches catch up sooner: with
400 presses in flight, batches of up to 256 instead of 64 cost a press 13 % less CPU on SQLite (~167 against
~193 µs) and held ~5,900 presses a second instead of ~5,100. Under the cap, a batch is what waited."""


class Conversation:
    """Implements bots.ports.InboundHandler for every adapter."""

    def __init__(self, sessions: Sessions, config: BotConfig, routes: Router | None = None, *,
                 lanes: int = 1, max_batch: int = MAX_BATCH) -> None:
        self.sessions = sessions
        self.config = config
        self.routes = routes or root_router()
        self.lanes = lanes
        self.max_batch = max_batch
        self._waiting: deque[tuple[Inbound, asyncio.Future[list[Reply] | None]]] = deque()
        self._busy_lanes = 0
        self._lane_tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, inbound: Inbound, /) -> list[Reply] | None:
        safe = sanitize(inbound)
        if safe is None:
            return None
        inbound = safe
        if isinstance(inbound.payload, ButtonPress) and inbound.payload.action in self.routes.aliases:
            payload = replace(inbound.payload, action=self.routes.aliases[inbound.payload.action])
            inbound = replace(inbound, payload=payload)  # an old button: today's name for it
        future: asyncio.Future[list[Reply] | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((inbound, future))
        if self._busy_lanes < self.lanes:
            self._busy_lanes += 1
            lane = asyncio.create_task(self._lane())
            self._lane_tasks.add(lane)
            lane.add_done_callback(self._lane_tasks.discard)
        try:
            return await future
        except Exception as error:
            if is_database_failure(error):
                raise StorageUnavailable(f"{type(error).__name__}: {str(error)[:200]}") from error
            raise

    async def _lane(self) -> None:
        try:
            while self._waiting:
                await _let_arrivals_in()
                if 1 < len(self._waiting) < self.max_batch:  # a storm: let the batch fill (GATHER_SECONDS)
                    await asyncio.sleep(GATHER_SECONDS)
                # Everything waiting, up to max_batch: a batch's statements read the same whatever its size
                # (core.upsert.insert_rows), so PostgreSQL's driver prepares each once.
                batch = [self._waiting.popleft() for _ in range(min(len(self._waiting), self.max_batch))]
                # Whoever gave up waiting (a webhook past its deadline answered 5xx) gets the event again
                # from the platform: applying it now would take effect with nobody told.
                batch = [(inbound, future) for inbound, future in batch if not future.done()]
                if not batch:
                    continue
                if len(batch) == 1:
                    await self._settle(batch[0][1], self.single(batch[0][0]))
                else:
                    await self._group(batch)
        finally:
            self._busy_lanes -= 1

    @staticmethod
    async def _settle(future: asyncio.Future[list[Reply] | None],
                      work: Awaitable[list[Reply] | None]) -> None:
        try:
            result = await work
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(result)

    async def _group(self, batch: list[tuple[Inbound, asyncio.Future[list[Reply] | None]]]) -> None:
        """Apply a batch in one transaction; on any failure fall back to one transaction per event."""
        contexts: list[Ctx | None] = []
        taken: list[Fact] = []
        async with self.sessions() as session:
            try:
                contexts = await self._open_many(session, [inbound for inbound, _ in batch])
                await self._route_many([ctx for ctx in contexts if ctx is not None])
                for ctx in contexts:
                    if ctx is not None:
                        await self._keep_replies(ctx)
                await session.commit()
                taken = take(session)
            except Exception:
                await _rolled_back(session)  # each event is tried again alone, and fails alone if it must
                contexts = []
        if not contexts:
            for inbound, future in batch:
                await self._settle(future, self.single(inbound))
            return
        caused = await follow_up(self.sessions, taken, self.config.rules)
        for (_, future), ctx in zip(batch, contexts, strict=True):
            await self._settle(future, self._finish(ctx, caused))

    async def _finish(self, ctx: Ctx | None, caused: Sequence[Fact]) -> list[Reply] | None:
        """After the commit: the answers that wait for the follow-ups, kept like the others."""
        if ctx is None:
            return None
        for answer in ctx.then:
            answer(caused)
        if ctx.then and self._durable(ctx) and any(durable(r) for r in ctx.replies):
            try:  # replies the after-commit steps added: kept in a transaction of their own
                async with self.sessions() as session, session.begin():
                    ctx.replies = await persist(session, ctx.inbound.platform, ctx.inbound.event_id,
                                                ctx.replies)
            except Exception as error:  # still sent directly, only not kept
                log.warning("replies after the commit of %s event %s not kept: %r", ctx.inbound.platform,
                            ctx.inbound.event_id, error)
        return ctx.replies

    def _durable(self, ctx: Ctx) -> bool:
        return ctx.inbound.platform in self.config.durable_replies

    async def _keep_replies(self, ctx: Ctx) -> None:
        """The replies become outbox rows in the event's own transaction (bots/replies.py)."""
        if self._durable(ctx):
            ctx.replies = await persist(ctx.session, ctx.inbound.platform, ctx.inbound.event_id, ctx.replies)

    async def single(self, inbound: Inbound) -> list[Reply] | None:
        """One event in its own transaction.

        If the database cannot be used, the error goes up (the adapter answers 5xx and the platform
        delivers the event again); any other failure is rolled back and answered, and the event recorded.
        """
        failure: OasisError | None = None
        async with self.sessions() as session:
            try:
                ctx = await self._open(session, inbound)
                if ctx is None:
                    await session.rollback()
                    return None
                await self._route(ctx)
                await self._keep_replies(ctx)
                await session.commit()
                taken = take(session)
                committed = True
            except Exception as error:
                if not await _rolled_back(session) or is_database_failure(error):
                    raise
                if isinstance(error, OasisError):
                    failure = error
                else:
                    log.exception("handler failed for %s event %s", inbound.platform, inbound.event_id)
                committed = False
        if committed:
            return await self._finish(ctx, await follow_up(self.sessions, taken, self.config.rules))
        # Undo the handler's partial work but still record the event, so it is not applied again.
        return await self._answer_failure(inbound, failure)

    async def _open(self, session: AsyncSession, inbound: Inbound) -> Ctx | None:
        if not await claim_event(session, inbound.platform, inbound.event_id):
            return None
        return self._context(session, inbound, await enter(session, account_of(inbound), unvouched=UNVOUCHED))

    async def _open_many(self, session: AsyncSession, inbounds: list[Inbound]) -> list[Ctx | None]:
        """Claim and identify a batch in a few multi-row statements; duplicates come back as None."""
        fresh = await claim_events(session, [(i.platform, i.event_id) for i in inbounds])
        first: list[Inbound] = []
        for inbound in inbounds:
            key = (inbound.platform, inbound.event_id)
            if key in fresh:
                fresh.discard(key)  # a second copy in the same batch is a duplicate too
                first.append(inbound)
        actors = iter(await enter_many(session, [account_of(i) for i in first], unvouched=UNVOUCHED))
        chosen = {id(i) for i in first}
        return [self._context(session, i, next(actors)) if id(i) in chosen else None for i in inbounds]

    def _context(self, session: AsyncSession, inbound: Inbound, actor: Actor) -> Ctx:
        lang = actor.language or normalize_language(inbound.who.locale) or self.config.default_language
        return Ctx(session=session, inbound=inbound, actor=actor,
                   t=Translator(lang, inbound.command_prefix, timezone=self.config.timezone),
                   config=self.config)

    async def _route_many(self, contexts: list[Ctx]) -> None:
        """In arrival order; consecutive presses of a batchable button are applied together."""
        run: list[tuple[Ctx, str]] = []
        for ctx in contexts:
            payload = ctx.inbound.payload
            if isinstance(payload, ButtonPress) and payload.action in self.routes.batch_buttons:
                if run and run[0][0].inbound.payload.action != payload.action:  # type: ignore[union-attr]
                    await self._flush(run)
                run.append((ctx, payload.value))
                continue
            await self._flush(run)
            await self._route(ctx)
        await self._flush(run)

    async def _flush(self, run: list[tuple[Ctx, str]]) -> None:
        if run:
            action = run[0][0].inbound.payload.action  # type: ignore[union-attr]
            await self.routes.batch_buttons[action](list(run))
            run.clear()

    async def _answer_failure(self, inbound: Inbound, failure: OasisError | None) -> list[Reply]:
        async with self.sessions() as session, session.begin():
            ctx = await self._open(session, inbound)
            if ctx is None:
                return []
            text = ctx.t.tr("Sorry, something went wrong on our side. Please try again in a moment.")
            if isinstance(failure, OasisError):
                try:
                    if "department" in failure.params:
                        failure.params["department"] = await department_name(ctx, str(failure.params["department"]))
                    text = error_text(failure, ctx.t)
                except Exception:  # the answer must never fail: the event would be re-delivered forever
                    log.exception("cannot word error %s", failure.code)
            if isinstance(inbound.payload, ButtonPress):
                ctx.notice(plain_text(text)[:190])
            else:
                ctx.reply(text)
            await self._keep_replies(ctx)
            return ctx.replies

    async def _route(self, ctx: Ctx) -> None:
        payload = ctx.inbound.payload
        if isinstance(payload, Command):
            await self._command(ctx, payload.name, payload.args)
        elif isinstance(payload, ButtonPress):
            handler = self.routes.buttons.get(payload.action)
            if handler is None:
                ctx.notice(ctx.t.tr_plain("This button is no longer valid."))
            else:
                await handler(ctx, payload.value)
        elif isinstance(payload, FormSubmit):
            form = self.routes.forms.get(payload.form)
            if form is not None:
                await form(ctx, payload.fields)
        elif isinstance(payload, Text):
            await self._text(ctx, payload.text)
        elif isinstance(payload, Edited):
            await self._in_group(ctx, "edit", payload.text)
        elif isinstance(payload, Deleted):
            await self._in_group(ctx, "delete", "")

    async def _in_group(self, ctx: Ctx, kind: str, text: str) -> None:
        if not ctx.inbound.where.direct and (handler := self.routes.in_groups.get(kind)) is not None:
            await handler(ctx, text)

    async def _command(self, ctx: Ctx, name: str, args: str) -> None:
        handler = self.routes.commands.get(name.lower())
        if handler is None:
            ctx.reply(ctx.t.tr("I don't know the command /{name}. Send /help to see what I can do.",
                               name=excerpt(name, 32)))
            return
        if name != "cancel":
            await flows.leave(ctx)
        await handler(ctx, args)

    async def _text(self, ctx: Ctx, text: str) -> None:
        if await flows.continue_flow(ctx, text, self.routes.flows):
            return
        if not ctx.inbound.where.direct:
            await self._in_group(ctx, "text", text)
            return
        if not text.strip():
            ctx.reply(ctx.t.tr("I can only read text messages. Send /help to see what I can do."))
            return
        word, _, rest = text.strip().partition(" ")
        name = word.lstrip("/").lower()
        if name in self.routes.commands:
            await self._command(ctx, name, rest.strip())
            return
        ctx.reply(ctx.t.tr(
            "To make a proposal, send /propose. To see proposals, send /new or /top. All commands: /help."
        ))


GATHER_SECONDS = 0.002
"""Under a storm (more than one event waiting), how long a batch waits to fill before it is taken: a batch
costs nearly the same whatever its size, and the wait lets the loop read what has arrived meanwhile. At
2,500 presses a second this took batches from ~20 to ~40 presses and the CPU per press down by a tenth
(bench/vote_storm.py); a single event never waits."""
ARRIVAL_TURNS = 4
"""Event loop turns from a request's bytes arriving to its event waiting here (the read, then the request's
own task), with turns to spare: one costs microseconds."""


async def _let_arrivals_in() -> None:
    """Let the event loop turn a few times before a batch is taken, so that the requests already read join
    it. A database driver that waits on the network gives the loop these turns during every statement;
    SQLite run inline (core/sqlite_inline.py) gives none, and without them each batch would hold only what
    was queued when the last one ended."""
    for _ in range(ARRIVAL_TURNS):
        await asyncio.sleep(0)


async def _rolled_back(session: AsyncSession) -> bool:
    """Roll back; False if even that failed (the connection is gone)."""
    take(session)  # what the undone work published did not happen
    try:
        await session.rollback()
    except Exception as error:
        log.warning("rollback failed: %s", error)
        return False
    return True


def account_of(inbound: Inbound) -> Account:
    who, where = inbound.who, inbound.where
    return Account(who.platform, who.user_id, who.display_name, who.locale,
                  where.chat_id if where.direct else None)
