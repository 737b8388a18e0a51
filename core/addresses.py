"""Where to reach a citizen proactively: which of their platform identities, which chat, which language.

A notification is addressed to a citizen, not to an account, because one person may have linked
several platforms (PRODUCT.md §1). The outbox dispatcher asks here, at send time, so a `/lang` or a
new platform seen since the row was written is honoured. The core knows nothing of the bots'
language list, so the platform locale is returned raw for the caller to normalise.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Citizen, Identity


@dataclass(frozen=True, slots=True)
class Address:
    """Where and in which language one notice goes: a citizen's chosen account, or a shared channel."""

    citizen_id: int | None
    """None for a shared channel (a department's channel)."""
    platform: str
    chat_id: str
    language: str | None
    """The citizen's own `/lang` choice, if any."""
    locale: str | None = None
    """The platform's locale for the chosen identity, raw (e.g. 'en-US'); the caller normalises it."""


def chat_of(identity: Identity, by_user_id: Collection[str]) -> str | None:
    """The direct chat to write to, or None if this account cannot be messaged first. `by_user_id`: the
    platforms whose people can be written to knowing only their user id (the caller's knowledge)."""
    if identity.direct_chat_id:
        return identity.direct_chat_id
    if identity.platform in by_user_id and identity.user_id:
        return identity.user_id
    return None


def by_recency(identities: Iterable[Identity]) -> list[Identity]:
    """Seen most recently first, never-seen last; among equals the newest identity first."""
    newest_first = sorted(identities, key=lambda i: i.id, reverse=True)
    seen = [(i.last_seen_at, i) for i in newest_first if i.last_seen_at is not None]
    seen.sort(key=lambda pair: pair[0], reverse=True)  # stable: ties keep newest-first
    return [i for _, i in seen] + [i for i in newest_first if i.last_seen_at is None]


def choose_identity(identities: Iterable[Identity], preferred: str | None,
                    by_user_id: Collection[str]) -> Identity | None:
    """The citizen's chosen platform if reachable there, else the most recently seen reachable one."""
    usable = by_recency(i for i in identities if chat_of(i, by_user_id) is not None)
    if preferred:
        for identity in usable:
            if identity.platform == preferred:
                return identity
    return usable[0] if usable else None


async def resolve_addresses(
    session: AsyncSession, citizen_ids: Iterable[int], platforms: Collection[str], *,
    by_user_id: Collection[str],
) -> dict[int, Address]:
    """Recipients for many citizens in two queries (a dispatcher batch); unreachable ones are absent."""
    ids = sorted(set(citizen_ids))
    if not ids or not platforms:
        return {}
    citizens = {
        c.id: c for c in (await session.scalars(select(Citizen).where(Citizen.id.in_(ids)))).all()
    }
    rows = await session.scalars(
        select(Identity).where(Identity.citizen_id.in_(ids), Identity.platform.in_(list(platforms)))
    )
    by_citizen: dict[int, list[Identity]] = {}
    for identity in rows.all():
        by_citizen.setdefault(identity.citizen_id, []).append(identity)
    found: dict[int, Address] = {}
    for cid, citizen in citizens.items():
        chosen = choose_identity(by_citizen.get(cid, ()), citizen.notify_platform, by_user_id)
        chat = chat_of(chosen, by_user_id) if chosen is not None else None
        if chosen is None or chat is None:
            continue
        found[cid] = Address(cid, chosen.platform, chat, citizen.language, chosen.locale)
    return found


async def resolve_address(
    session: AsyncSession, citizen_id: int, platforms: Collection[str], *, by_user_id: Collection[str]
) -> Address | None:
    """The identity to message among `platforms` (those we can send to); None if none is usable."""
    return (await resolve_addresses(session, [citizen_id], platforms, by_user_id=by_user_id)).get(citizen_id)
