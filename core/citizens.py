"""Who someone is: platform identities, the citizen behind them, and their roles."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, DateTime, Select, String, bindparam, delete, func, insert, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.directory import get_department
from core.errors import Forbidden, Invalid
from core.models import Citizen, Identity, RoleGrant
from core.statuses import Role
from core.upsert import dialect_of, insert_rows

STAFF_ROLES = frozenset({Role.OFFICIAL, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """A citizen with their roles, as the rules need to see them."""

    citizen_id: int
    roles: frozenset[tuple[str, str | None]]
    language: str | None = None
    vouched: bool = True
    """A messenger account vouches for this person (one of their accounts is on a platform where an account
    is a person, not a browser's cookie): only then does their Support count (core/votes.py)."""

    def has(self, role: Role, department: str | None = None) -> bool:
        if department is None:
            return any(r == role for r, _ in self.roles)
        return (role.value, department) in self.roles

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ADMIN)

    def departments(self) -> list[str]:
        return sorted(d for r, d in self.roles if r == Role.OFFICIAL and d)

    def may_review(self, department: str) -> bool:
        return self.is_admin or self.has(Role.OFFICIAL, department)


async def find_identity(session: AsyncSession, platform: str, user_id: str) -> Identity | None:
    return await session.scalar(
        select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)
    )


async def ensure_identity(
    session: AsyncSession,
    platform: str,
    user_id: str,
    *,
    display_name: str = "",
    locale: str | None = None,
    direct_chat_id: str | None = None,
    seen: bool = True,
) -> Identity:
    """The identity for this account, creating it and its citizen on first sight; refreshes what we know.

    `seen=False` (an operator granting a role) must not make this account look like the one in use.
    """
    ident = await find_identity(session, platform, user_id)
    now = utcnow()
    if ident is None:
        citizen = Citizen(display_name=display_name)
        session.add(citizen)
        await session.flush()
        ident = Identity(citizen_id=citizen.id, platform=platform, user_id=user_id)
        session.add(ident)
    if display_name:
        ident.display_name = display_name
    if locale:
        ident.locale = locale
    if direct_chat_id:
        ident.direct_chat_id = direct_chat_id
    if seen:
        ident.last_seen_at = now
    await session.flush()
    return ident


SEEN_REFRESH = timedelta(minutes=10)


async def has_direct_chat(session: AsyncSession, citizen_id: int) -> bool:
    """Whether the person ever wrote to the bot privately on any linked account (where a bot may not
    write first, as on Telegram, only then can it write to them)."""
    found = await session.scalar(select(Identity.id).where(
        Identity.citizen_id == citizen_id, Identity.direct_chat_id.is_not(None)).limit(1))
    return found is not None


@dataclass(frozen=True)
class Account:
    """An account as an inbound event names it."""

    platform: str
    user_id: str
    display_name: str = ""
    locale: str | None = None
    direct_chat_id: str | None = None


async def enter(session: AsyncSession, account: Account, *, unvouched: Collection[str] = ()) -> Actor:
    return (await enter_many(session, [account], unvouched=unvouched))[0]


async def enter_many(session: AsyncSession, accounts: Sequence[Account], *,
                     unvouched: Collection[str] = ()) -> list[Actor]:
    """The actors behind a batch of inbound events, in a few statements whatever the batch size.

    Known accounts cost one read per platform (plus roles, only for those who have any) and a write only
    when something changed or they were last seen a while ago; new ones, two multi-row inserts.
    `unvouched`: platforms whose accounts alone do not make a person (the web chat's cookie sessions); their
    people are `vouched` only once linked to an account elsewhere, which costs one more read when any
    account of the batch is on one of them.
    """
    now = utcnow()
    known: dict[tuple[str, str], Any] = {}
    dialect = dialect_of(session)
    for platform in {p.platform for p in accounts}:
        user_ids = list(dict.fromkeys(p.user_id for p in accounts if p.platform == platform))
        lookup = await session.execute(known_accounts(dialect), {"platform": platform, "user_ids": user_ids})
        for row in lookup.all():
            known[(platform, row.user_id)] = row
    first_seen: dict[tuple[str, str], Account] = {}  # in arrival order, so ids follow it as if one by one
    for account in accounts:
        if (account.platform, account.user_id) not in known:
            first_seen.setdefault((account.platform, account.user_id), account)
    new = list(first_seen.values())
    created: dict[tuple[str, str], int] = {}
    if new:
        ids = await _new_citizens(session, [p.display_name for p in new], now)
        await insert_rows(session, Identity, [
            {"citizen_id": cid, "platform": p.platform, "user_id": p.user_id, "display_name": p.display_name,
             "locale": p.locale, "direct_chat_id": p.direct_chat_id, "last_seen_at": now}
            for p, cid in zip(new, ids, strict=True)
        ], ignore_conflicts=False)
        created = {(p.platform, p.user_id): int(cid) for p, cid in zip(new, ids, strict=True)}
    actors: dict[tuple[str, str], Actor] = {}
    for account in accounts:
        key = (account.platform, account.user_id)
        if key in actors:
            continue
        if key in created:
            actors[key] = Actor(citizen_id=created[key], roles=frozenset())
            continue
        row = known[key]
        await _refresh(session, row, account, now)
        actors[key] = (await load_actor(session, row.citizen_id) if row.has_roles
                       else Actor(citizen_id=row.citizen_id, roles=frozenset(), language=row.language))
    if unvouched and any(p.platform in unvouched for p in accounts):
        await _vouch(session, actors, {(p.platform, p.user_id) for p in accounts if p.platform in unvouched},
                     unvouched)
    return [actors[(p.platform, p.user_id)] for p in accounts]


@cache
def known_accounts(dialect: str) -> Select[*tuple[Any, ...]]:
    """The accounts among `user_ids` on `platform` (both bound when run), with what `enter_many` needs of
    their people; built once per dialect (building it cost a fifth of a storm's batch).

    On PostgreSQL each id is looked up on its own (a LATERAL subquery with LIMIT 1, which the planner cannot
    merge into a join) rather than with `user_id IN (...)`: the driver keeps the statement's plan, and a plan
    made while the table was small (a new database, autovacuum not run yet or turned off) scanned every
    account of the platform for each batch, ever slower as people joined. A lookup by the whole unique key
    has only one plan, whatever the statistics say. SQLite plans each statement when it is prepared, and an
    IN list on the unique index's columns is always an index lookup there."""
    has_roles = select(RoleGrant.id).where(RoleGrant.citizen_id == Identity.citizen_id).exists().label("has_roles")
    columns = (Identity.id, Identity.user_id, Identity.citizen_id, Identity.display_name, Identity.locale,
               Identity.direct_chat_id, Identity.last_seen_at, Citizen.language, has_roles)
    platform = bindparam("platform", type_=String)
    if dialect != "postgresql":
        return (select(*columns).join(Citizen, Citizen.id == Identity.citizen_id)
                .where(Identity.platform == platform, Identity.user_id.in_(bindparam("user_ids", expanding=True))))
    wanted = func.unnest(bindparam("user_ids", type_=ARRAY(String))).table_valued("user_id").render_derived("wanted")
    one = (select(*columns).join(Citizen, Citizen.id == Identity.citizen_id)
           .where(Identity.platform == platform, Identity.user_id == wanted.c.user_id).limit(1).lateral("one"))
    return select(*one.c).select_from(wanted).join(one, true())


async def _vouch(session: AsyncSession, actors: dict[tuple[str, str], Actor], keys: set[tuple[str, str]],
                 unvouched: Collection[str]) -> None:
    """Mark the actors of these unvouched accounts as vouched only if their citizen has another account on a
    platform that vouches (a linked messenger)."""
    citizens = {actors[key].citizen_id for key in keys}
    vouched = set((await session.scalars(select(Identity.citizen_id).where(
        Identity.citizen_id.in_(citizens), Identity.platform.not_in(list(unvouched))))).all())
    for key in keys:
        if actors[key].citizen_id not in vouched:
            actors[key] = replace(actors[key], vouched=False)


_NEW_CITIZENS = text("""
    WITH new AS MATERIALIZED (
        SELECT nextval(pg_get_serial_sequence('citizens', 'id')) AS id, name, place
        FROM unnest(:names) WITH ORDINALITY AS given(name, place)),
    added AS (INSERT INTO citizens (id, display_name, created_at) SELECT id, name, :now FROM new)
    SELECT id FROM new ORDER BY place""").bindparams(bindparam("names", type_=ARRAY(String)),
                                                     bindparam("now", type_=DateTime))
"""PostgreSQL: new citizens' ids in the order of their names (the CTE is evaluated once, so each id stays
paired with its name's place)."""


async def _new_citizens(session: AsyncSession, names: list[str], now: datetime) -> list[int]:
    """Citizen rows for new people, their ids in the order given, in one statement.

    On PostgreSQL the ids are drawn from the sequence, paired with each name's place, in a statement whose
    text is the same for any number of people (_NEW_CITIZENS). SQLite promises no order for RETURNING, so
    SQLAlchemy would insert one row per statement; there the ids of several are chosen instead: the
    transaction holds SQLite's only write lock from its start (BEGIN IMMEDIATE, core/db.py), so nobody
    can take them meanwhile (and if someone could, the primary key would refuse, and the event be retried).
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return [int(cid) for cid in (await connection.execute(_NEW_CITIZENS, {"names": names, "now": now})).scalars()]
    if len(names) == 1:
        return [int(await connection.scalar(insert(Citizen).returning(Citizen.id),
                                            {"display_name": names[0], "created_at": now}) or 0)]
    first = int(await connection.scalar(select(func.coalesce(func.max(Citizen.id), 0))) or 0) + 1
    ids = list(range(first, first + len(names)))
    await connection.execute(insert(Citizen), [
        {"id": cid, "display_name": name, "created_at": now} for cid, name in zip(ids, names, strict=True)])
    return ids


async def _refresh(session: AsyncSession, row: Any, account: Account, now: datetime) -> None:
    changes: dict[str, object] = {}
    for name, value, old in (("display_name", account.display_name, row.display_name),
                             ("locale", account.locale, row.locale),
                             ("direct_chat_id", account.direct_chat_id, row.direct_chat_id)):
        if value and value != old:
            changes[name] = value
    if changes or row.last_seen_at is None or now - row.last_seen_at > SEEN_REFRESH:
        await session.execute(update(Identity).where(Identity.id == row.id).values(last_seen_at=now, **changes))
    if "display_name" in changes:  # the name people see follows the account's, unless another account set it
        await session.execute(update(Citizen).where(
            Citizen.id == row.citizen_id, Citizen.display_name.in_(("", row.display_name or ""))
        ).values(display_name=account.display_name))


async def load_actor(session: AsyncSession, citizen_id: int) -> Actor:
    citizen = await session.get(Citizen, citizen_id)
    rows = (
        await session.execute(
            select(RoleGrant.role, RoleGrant.department_code).where(RoleGrant.citizen_id == citizen_id)
        )
    ).all()
    roles = frozenset((r, d) for r, d in rows)
    return Actor(citizen_id=citizen_id, roles=roles, language=citizen.language if citizen else None)


async def set_language(session: AsyncSession, citizen_id: int, language: str) -> None:
    citizen = await session.get(Citizen, citizen_id)
    if citizen is not None:
        citizen.language = language


def _parse_role(role: str) -> Role:
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise Invalid("unknown_role", role=role) from exc
    if parsed == Role.CITIZEN:
        raise Invalid("unknown_role", role=role)
    return parsed


async def grant_role(
    session: AsyncSession, platform: str, user_id: str, role: str, department: str | None = None
) -> bool:
    """Grant by platform account, even before that person has spoken to the bot. False if already held."""
    parsed = _parse_role(role)
    if parsed == Role.OFFICIAL:
        if not department:
            raise Invalid("department_required")
        await get_department(session, department)
    elif department:
        raise Invalid("department_only_for_officials")
    ident = await ensure_identity(session, platform, user_id, seen=False)
    exists = await session.scalar(
        select(RoleGrant.id).where(
            RoleGrant.citizen_id == ident.citizen_id,
            RoleGrant.role == parsed.value,
            RoleGrant.department_code.is_(None) if department is None else RoleGrant.department_code == department,
        )
    )
    if exists:
        return False
    session.add(RoleGrant(citizen_id=ident.citizen_id, role=parsed.value, department_code=department))
    return True


async def revoke_role(
    session: AsyncSession, platform: str, user_id: str, role: str, department: str | None = None
) -> int:
    """Remove the grant (all departments of that role when none is named); returns how many went."""
    parsed = _parse_role(role)
    ident = await find_identity(session, platform, user_id)
    if ident is None:
        return 0
    stmt = delete(RoleGrant).where(RoleGrant.citizen_id == ident.citizen_id, RoleGrant.role == parsed.value)
    if department:
        stmt = stmt.where(RoleGrant.department_code == department)
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def require_staff(actor: Actor) -> None:
    if not (actor.is_admin or actor.has(Role.OFFICIAL)):
        raise Forbidden("staff_only")


async def officials_of(session: AsyncSession, department: str) -> list[int]:
    rows = await session.scalars(
        select(RoleGrant.citizen_id).where(
            RoleGrant.role == Role.OFFICIAL.value, RoleGrant.department_code == department
        )
    )
    return sorted(set(rows.all()))


async def admins(session: AsyncSession) -> list[int]:
    rows = await session.scalars(select(RoleGrant.citizen_id).where(RoleGrant.role == Role.ADMIN.value))
    return sorted(set(rows.all()))


async def moderators(session: AsyncSession) -> list[int]:
    """Who handles the room's reports: moderators and admins."""
    rows = await session.scalars(select(RoleGrant.citizen_id).where(
        RoleGrant.role.in_([Role.MODERATOR.value, Role.ADMIN.value])))
    return sorted(set(rows.all()))


def require_moderator(actor: Actor) -> None:
    if not (actor.is_admin or actor.has(Role.MODERATOR)):
        raise Forbidden("moderators_only")
