"""Announcement subscriptions (`/subscribe`): a category's new proposals, themed `calls`, monthly `reports`,
or `all` of them."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.citizens import Actor
from core.clock import utcnow
from core.errors import Invalid
from core.models import Category, Subscription
from core.upsert import insert_ignore

TOPICS = ("calls", "reports", "all")


async def topics(session: AsyncSession) -> list[str]:
    """Every topic one may subscribe to: the categories, then calls, reports and all."""
    categories = (await session.scalars(select(Category.code).order_by(Category.position))).all()
    return [*categories, *TOPICS]


async def _checked(session: AsyncSession, topic: str) -> str:
    word = topic.strip().lower()
    known = await topics(session)
    if word not in known:
        raise Invalid("unknown_topic", topic=topic.strip(), topics=", ".join(known))
    return word


async def subscribe(session: AsyncSession, actor: Actor, topic: str) -> tuple[str, bool]:
    """(the topic, True if it is new for this person)."""
    word = await _checked(session, topic)
    return word, await insert_ignore(session, Subscription, citizen_id=actor.citizen_id, topic=word,
                                     created_at=utcnow())


async def unsubscribe(session: AsyncSession, actor: Actor, topic: str) -> tuple[str, bool]:
    word = await _checked(session, topic)
    removed = await session.execute(delete(Subscription).where(
        Subscription.citizen_id == actor.citizen_id, Subscription.topic == word))
    return word, bool(removed.rowcount)  # type: ignore[attr-defined]


async def mine(session: AsyncSession, actor: Actor) -> list[str]:
    rows = await session.scalars(select(Subscription.topic).where(Subscription.citizen_id == actor.citizen_id)
                                 .order_by(Subscription.topic))
    return list(rows.all())


async def subscribers(session: AsyncSession, topic: str) -> list[int]:
    """Who hears of `topic`: its subscribers and those who subscribed to all."""
    rows = await session.scalars(select(Subscription.citizen_id).where(Subscription.topic.in_((topic, "all"))))
    return sorted(set(rows.all()))
