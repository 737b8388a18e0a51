"""The batch's account lookup (core.citizens.known_accounts) reads each account by the whole unique key,
whatever the database's statistics say: a plan that scanned every account of a platform cost a storm of
new people more with each one who joined (found in bench/vote_storm.py on a PostgreSQL whose autovacuum
was off: the driver kept the plan it had made for an empty table)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from core.citizens import Account, enter_many, known_accounts
from core.db import Sessions
from tests.integration.factories import engine_of


async def test_accounts_are_looked_up_by_platform_and_user_id_even_before_any_statistics(
        sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        await enter_many(session, [Account("telegram", str(n), f"P{n}", "en", None) for n in range(300)])
    engine = engine_of(sessions)
    query = known_accounts(engine.dialect.name).params(platform="telegram", user_ids=["7", "8", "nobody"])
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # As the driver runs it once it has been used a few times: one plan for any values, made from
            # the statistics of the moment (none: this database was never analysed).
            await conn.execute(text("SET plan_cache_mode = force_generic_plan"))
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            params = [compiled.params[name] for name in compiled.positiontup or []]
            await driver.execute(f"PREPARE lookup AS {compiled}")
            plan = await driver.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE lookup({', '.join(map(_literal, params))})")
            nodes = list(_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
            accounts = [n for n in nodes if n.get("Relation Name") == "identities"]
            assert accounts and all("user_id" in n.get("Index Cond", "") and "user_id" not in n.get("Filter", "")
                                    for n in accounts), accounts
        else:
            literal = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
            rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {literal}")).all()
            details = [str(row[-1]) for row in rows if "identities" in str(row[-1])]
            assert details and all("platform=? AND user_id=?" in d for d in details), details
        found = (await conn.execute(query)).all()
    assert sorted(row.user_id for row in found) == ["7", "8"]


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return f"ARRAY[{', '.join(map(_literal, value))}]::varchar[]"
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


def _nodes(plan: dict[str, Any]) -> Any:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)
