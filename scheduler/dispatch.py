"""The outbox dispatcher: claims due rows, renders them in each reader's language, hands them to senders.

At-least-once: a claimed row is leased to this process (core/instances.py: on PostgreSQL an advisory lock
held while it runs, on SQLite a heartbeat); after a crash another instance, or the restarted process,
takes its rows over as soon as it is known dead (at once on PostgreSQL, `DEAD_AFTER` on SQLite); a claim
whose process lives but hangs comes due when its lease runs out (PRODUCT.md §4, §9). Each outcome commits
in its own short transaction.

Order: a person's notices, and a channel's messages (a room thread's copies among them), arrive as
written. A chat's rows go one at a time in id order and a retry postpones the rest with it; a row is held
back while an earlier row of its citizen or channel is pending (retrying, or being sent elsewhere; a dead
instance's row is taken over first, in order). Replies and room deletes are never held
(core/outbox.py AHEAD). PostgreSQL claims take an advisory lock so two instances never split a chat.

When to retry and when to give up is scheduler/retry_policy.py (bounded by time, not by count).
Attempts are counted for the record; rows postponed untried get their attempt back.

Fast lane: direct replies (kind "reply", bots/replies.py) are claimed before notices, and the adapter
that sent one itself reports the outcome here (`ReplyReceipts`), so a reply it could not send is
retried, paced and counted like any notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bots import replies
from bots.i18n import Translator, normalize_language
from bots.log_throttle import ThrottledLog
from bots.neutral import Message, Span
from bots.outbox_render import render, render_buttons
from bots.platforms import MESSAGED_BY_USER_ID
from bots.ports import Sender
from core.addresses import Address, resolve_addresses
from core.clock import utcnow
from core.db import Sessions, is_database_failure
from core.instances import BEAT, DEAD_AFTER, Instance, beat
from core.models import OutboxMessage
from core.outbox import (
    AHEAD,
    PENDING,
    claim_due,
    counts,
    find_message,
    mark_failed,
    mark_retry,
    mark_sent,
    queue_reply,
    release_held_replies,
    remember_message,
)
from scheduler import room_delivery
from scheduler.retry_policy import DEFAULT_GIVE_UP, gives_up, maybe_sent, retry_wait

log = logging.getLogger(__name__)

HOLD_BACK_MAX = timedelta(seconds=2)  # a blocker leased by another instance is usually done by then
TOAST_RETRY_WAITS = (0.25, 0.5, 1.0, 2.0)  # seconds between tries to keep a lost toast's words
CLAIM_LOCK_KEY = 0x6F61736973  # arbitrary constant for pg_advisory_xact_lock ("oasis")


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed row, detached from its session (the claim transaction is already committed)."""

    id: int
    citizen_id: int | None
    kind: str
    params: dict[str, Any]
    attempts: int
    channel: tuple[str, str] | None = None
    """(platform, channel id) for a row addressed to a channel rather than a person."""
    message_ref: str | None = None
    edit_ref: str | None = None
    created_at: datetime | None = None

    @classmethod
    def of(cls, row: OutboxMessage) -> Job:
        channel = (row.channel_platform, row.channel_id) if row.channel_platform and row.channel_id else None
        return cls(row.id, row.citizen_id, row.kind, row.params if isinstance(row.params, dict) else {},
                   row.attempts, channel, row.message_ref, row.edit_ref, row.created_at)


class OutboxDispatcher:
    """Sends due outbox rows through the platform `Sender`s; safe to run in several processes."""

    def __init__(
        self,
        sessions: Sessions,
        senders: Mapping[str, Sender],
        *,
        default_language: str,
        public_url: str,
        give_up: timedelta = DEFAULT_GIVE_UP,
        batch: int = 100,
        concurrency: int = 32,
        per_chat: int = 10,
        lease_seconds: float = 60.0,
        idle_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        redact: Callable[[str], str] = str,
        messaged_by_user_id: Collection[str] = MESSAGED_BY_USER_ID,
        timezone: str = "Asia/Seoul",
        instance: Instance | None = None,
    ) -> None:
        # The live mapping, not a copy: a surface added later (`oasis chat`'s console) is served too.
        self.sessions, self.senders, self.public_url = sessions, senders, public_url
        self.default_language, self.give_up, self.clock = default_language, give_up, clock
        self.batch, self.concurrency, self.lease_seconds = batch, concurrency, lease_seconds
        self.per_chat = per_chat  # a chat paced at ~1/s must not hold a whole batch for minutes
        self.idle_seconds = idle_seconds
        self.by_user_id = frozenset(messaged_by_user_id)
        self.timezone = timezone  # dates in notices are the reader's city's (OASIS_TIMEZONE)
        self.room = room_delivery.RoomDelivery(sessions, Translator(default_language, timezone=timezone))
        self.redact = redact  # a send error can quote a URL with the bot token in it: never store that
        self.sent = self.failed = self.retried = self.maybe_sent = 0
        self._wake = asyncio.Event()
        self._translators: dict[str, Translator] = {}
        self._failures = ThrottledLog(log)
        self.toasts_replaced = 0
        self._owns_instance = instance is None  # else whoever made it starts and stops it
        if instance is None:
            bind = sessions.kw.get("bind")
            if not isinstance(bind, AsyncEngine):
                raise ValueError("the dispatcher needs an Instance, or sessions bound to an engine to make one")
            instance = Instance(bind, clock=clock)
        self.instance = instance
        """This process: its claims stand while it is alive (core/instances.py)."""
        self.dead_after = DEAD_AFTER

    async def close(self) -> None:
        """Let go of the instance this dispatcher made for itself (`run` does so when it ends)."""
        if self._owns_instance:
            await self.instance.stop()

    def wake(self) -> None:
        """New rows were committed: look now, not at the next idle tick."""
        self._wake.set()

    async def pending_counts(self) -> dict[str, int]:
        """Rows per status (pending, sent, failed) for metrics."""
        async with self.sessions() as session:
            return await counts(session)

    async def release_held_replies(self) -> None:
        """At start-up, before events are taken: answers a crashed process stored but did not report as
        sent are the dispatcher's now (else they would wait out their hold)."""
        try:
            async with self.sessions() as session, session.begin():
                if released := await release_held_replies(session):
                    log.info("outbox: %d answers stored before a restart are sent now", released)
        except Exception as error:
            self._failures.failure("outbox start-up", error)

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; errors are logged and backed off, never fatal. Keeping this process
        alive runs beside it, so its claims stand also while a long batch is being sent."""
        beating = asyncio.create_task(self._keep_alive(stop))
        try:
            await self._dispatch(stop)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            await self.close()

    async def _keep_alive(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.instance.keep_alive()
            except Exception as error:
                self._failures.failure("outbox instance liveness", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), BEAT)

    async def _dispatch(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                processed = await self.run_once()
            except Exception as error:
                failures += 1
                delay = min(2.0 ** min(failures - 1, 5), 30.0)
                self._failures.failure("outbox dispatch failed; backing off", error)
                await self._idle(stop, delay)
                continue
            failures = 0
            if processed == 0:
                await self._idle(stop, self.idle_seconds)

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver it; returns how many rows were handled."""
        jobs = await self._claim()
        if not jobs:
            return 0
        async with self.sessions() as session:
            people = {j.citizen_id for j in jobs if j.citizen_id is not None}
            addresses = await resolve_addresses(session, people, self.senders.keys(),
                                                 by_user_id=self.by_user_id)
        chats: dict[tuple[str, str], list[tuple[Job, Address]]] = {}
        for job in jobs:
            if job.channel is not None:
                platform, channel = job.channel
                address: Address | None = Address(None, platform, channel, None)
                if platform not in self.senders:
                    await self._fail(job, f"no_sender:{platform}")
                    continue
            else:
                address = addresses.get(job.citizen_id) if job.citizen_id is not None else None
            if address is None:
                await self._fail(job, "no_recipient")
            else:
                chats.setdefault((address.platform, address.chat_id), []).append((job, address))
        limit = asyncio.Semaphore(self.concurrency)

        async def one_chat(items: Sequence[tuple[Job, Address]]) -> None:
            async with limit:
                await self._deliver_chat(items)

        for result in await asyncio.gather(*(one_chat(i) for i in chats.values()), return_exceptions=True):
            if isinstance(result, BaseException):  # e.g. the database went away mid-batch: leases expire
                self._failures.failure("outbox delivery to one chat stopped", result)
        return len(jobs)

    async def _claim(self) -> list[Job]:
        if not self.instance.alive:  # claims made now would look orphaned to the others at once
            await self.instance.start()
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
            else:  # SQLite: a claim is a beat too, so a process that claims is never taken for dead
                await beat(session, self.instance.id, now)
            rows = await claim_due(session, limit=self.batch, lease_seconds=self.lease_seconds, now=now,
                                   platforms=list(self.senders), by_user_id=self.by_user_id,
                                   instance=self.instance.id, dead_after=self.dead_after)
            held = await self._hold_back(session, rows, now)
            return [Job.of(r) for r in rows if r.id not in held]

    async def _hold_back(self, session: AsyncSession, rows: Sequence[OutboxMessage], now: datetime) -> set[int]:
        """Give back rows that must wait: behind an earlier pending row of the same citizen or channel (one
        retrying, or leased by another process, perhaps a dead one), or over `per_chat` in this batch.
        Their attempt is returned, as they were not tried. Rows claimed ahead of the rest (replies, room
        deletes) never wait."""
        if not rows:
            return set()
        claimed = {r.id for r in rows}
        keyed = [(r, _order_key(r)) for r in rows if r.kind not in AHEAD]
        if not keyed:
            return set()
        people = {key[1] for _, key in keyed if key[0] == "citizen"}
        chats = {key[2] for _, key in keyed if key[0] == "channel"}
        earlier = await session.execute(
            select(OutboxMessage).where(
                OutboxMessage.status == PENDING,
                OutboxMessage.next_attempt_at > now,
                or_(OutboxMessage.citizen_id.in_(people), OutboxMessage.channel_id.in_(chats)),
                OutboxMessage.kind.not_in(AHEAD),
                OutboxMessage.id < max(claimed),
                OutboxMessage.id.not_in(claimed),
            ).order_by(OutboxMessage.id.desc())
        )
        first = {_order_key(row): (row.id, row.next_attempt_at) for row in earlier.scalars()}  # lowest id wins
        held: set[int] = set()
        taken: dict[tuple[str, object, object], int] = {}
        for row, key in keyed:  # id order
            blocker = first.get(key)
            if blocker is not None and row.id > blocker[0]:
                row.next_attempt_at = min(max(blocker[1], now), now + HOLD_BACK_MAX)  # then look again
            elif key[0] == "citizen" and taken.get(key, 0) >= self.per_chat:
                row.next_attempt_at = now  # the next batch, in order
            else:
                taken[key] = taken.get(key, 0) + 1
                continue
            row.attempts -= 1
            row.claimed_by = None
            held.add(row.id)
        await session.flush()
        return held

    async def _deliver_chat(self, items: Sequence[tuple[Job, Address]]) -> None:
        """One chat's rows, one at a time, in id order; a retry postpones the rest with it."""
        for index, (job, address) in enumerate(items):
            retry_at = await self._deliver(job, address)
            if retry_at is not None:
                await self._postpone([later.id for later, _ in items[index + 1:]], retry_at)
                return

    async def _deliver(self, job: Job, address: Address) -> datetime | None:
        """Send one row and record the outcome; returns the retry time if it is to be tried again."""
        sender = self.senders[address.platform]
        if job.kind in room_delivery.KINDS:
            return await self._deliver_room(job, address, sender)
        if job.kind == room_delivery.DIGEST:
            counted = await self.room.digest(job.params, job.citizen_id)
            if counted is None:
                await self._record_sent(job, address.platform, address.chat_id, None)
                return None
            job = replace(job, params=counted)
        if job.kind == replies.KIND:  # worded when it was written, in the language of that moment
            message = replies.decode(job.params, address.chat_id)
        else:
            lang = self.language_for(address)
            t = self._translators.setdefault(lang, Translator(lang, timezone=self.timezone))
            message = Message(chat_id=address.chat_id, text=render(job.kind, job.params, t, self.public_url),
                              buttons=render_buttons(job.kind, job.params, t),
                              edit_message_id=await self._edit_target(job, address))
        try:
            message_id = await asyncio.wait_for(sender.send(message), timeout=self.lease_seconds)
        except Exception as exc:  # DeliveryErrors, timeouts, and anything a sender did not foresee
            return await self._after_failure(job, exc)
        await self._record_sent(job, address.platform, address.chat_id, message_id)
        return None

    async def _deliver_room(self, job: Job, address: Address, sender: Sender) -> datetime | None:
        try:
            message_id = await asyncio.wait_for(self.room.deliver(job.kind, job.params, address, sender),
                                                timeout=self.lease_seconds)
        except Exception as exc:
            return await self._after_failure(job, exc)
        await self._record_sent(job, address.platform, address.chat_id, message_id)
        return None

    async def _record_sent(self, job: Job, platform: str, chat_id: str, message_id: str | None) -> None:
        async with self.sessions() as session, session.begin():
            await mark_sent(session, job.id, platform)
            if job.message_ref and message_id:
                await remember_message(session, job.message_ref, platform, chat_id, message_id)
        self.sent += 1

    async def _after_failure(self, job: Job, exc: Exception) -> datetime | None:
        """Retry after the wait the failure calls for, unless that falls beyond the give-up time."""
        wait = retry_wait(exc, job.attempts)
        if wait is None:
            await self._fail(job, f"{type(exc).__name__}: {exc}")
            return None
        if maybe_sent(exc):
            self.maybe_sent += 1
        return await self._retry(job, wait, exc)

    # -- replies the adapters sent themselves (bots.ports.ReplyReceipts) -----------------------------
    async def delivered(self, platform: str, reply: Message, message_id: str | None) -> None:
        if reply.outbox_id is not None:
            job = Job(reply.outbox_id, None, replies.KIND, {}, 1, (platform, reply.chat_id))
            await self._record_sent(job, platform, reply.chat_id, message_id)

    async def undelivered(self, platform: str, reply: Message, error: Exception) -> None:
        if reply.outbox_id is None:
            return
        async with self.sessions() as session:
            row = await session.get(OutboxMessage, reply.outbox_id)
            job = Job.of(row) if row is not None and row.status == PENDING else None
        if job is not None:
            await self._after_failure(job, error)
            self.wake()

    async def toast_lost(self, platform: str, chat_id: str, thread_id: str | None, text: str) -> None:
        """The words of a button's answer become a message. Nothing else keeps them, so a database too busy
        to take them at once (a crowd pressing on SQLite's one connection) is tried again, a few times."""
        message = Message(chat_id=chat_id, text=(Span(text),), thread_id=thread_id)
        key = f"toast:{utcnow().timestamp()}"
        for wait in (*TOAST_RETRY_WAITS, None):
            try:
                async with self.sessions() as session, session.begin():
                    await queue_reply(session, platform, chat_id, key, replies.encode(message), hold_seconds=0,
                                      attempts=0)
                break
            except Exception as error:
                if wait is None or not is_database_failure(error):
                    raise
                await asyncio.sleep(wait)
        self.toasts_replaced += 1
        self.wake()

    async def _edit_target(self, job: Job, address: Address) -> str | None:
        """The message to edit for this row, if it names one we posted to the same chat; else send anew."""
        if not job.edit_ref:
            return None
        async with self.sessions() as session:
            posted = await find_message(session, job.edit_ref)
        if posted is None or (posted.platform, posted.chat_id) != (address.platform, address.chat_id):
            return None
        return posted.message_id

    async def _retry(self, job: Job, wait: timedelta, exc: Exception) -> datetime | None:
        error = self.redact(f"{type(exc).__name__}: {exc}")[:500]
        at = self.clock() + wait
        if gives_up(at, job.created_at, self.give_up):
            await self._fail(job, f"gave up after {self.give_up}: {error}")
            return None
        async with self.sessions() as session, session.begin():
            await mark_retry(session, job.id, at, error)
        self.retried += 1
        self._failures.failure("outbox send failed; retried later", exc)
        return at

    async def _fail(self, job: Job, error: str) -> None:
        error = self.redact(error)
        async with self.sessions() as session, session.begin():
            await mark_failed(session, job.id, error)
        self.failed += 1
        log.warning("outbox row %s (%s to citizen %s) failed: %s", job.id, job.kind, job.citizen_id, error)

    async def _postpone(self, ids: list[int], at: datetime) -> None:
        """Move untried rows to `at`, giving back the attempt their claim counted."""
        if not ids:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING)
                .values(next_attempt_at=at, attempts=OutboxMessage.attempts - 1, claimed_by=None)
            )

    def language_for(self, address: Address) -> str:
        """Their `/lang` choice, else their platform's locale, else the default (PRODUCT.md §3)."""
        return (normalize_language(address.language) or normalize_language(address.locale)
                or self.default_language)

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        self._wake.clear()


def _order_key(row: OutboxMessage) -> tuple[str, object, object]:
    """What a row keeps its order within: its citizen's notices, or one channel's messages."""
    if row.citizen_id is not None:
        return ("citizen", row.citizen_id, None)
    return ("channel", row.channel_platform, row.channel_id)
