"""Themed calls through the conversation and the `calls` job: announced once to subscribers, proposals to
a call stay open whatever their votes, and all move to review together, at the call's department, when
it closes. /subscribe, /unsubscribe and /call new (staff, guided)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import OpenForm
from core import calls
from core.clock import utcnow
from core.db import Sessions
from core.rules import Rules
from scheduler.jobs import JobEnv, run_job, sweep_reviews
from tests.clock import Clock
from tests.driver import Speaker, said
from tests.integration import factories as f

RULES = Rules(vote_threshold=2, review_days=14)
DAY = timedelta(days=1).total_seconds()


async def test_a_call_opens_collects_proposals_and_sends_them_all_to_review_when_it_closes(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    conversation = Conversation(sessions, BotConfig(RULES, "https://oasis.test", "en"))
    reader = Speaker(conversation, "reader")
    assert "Subscribed to calls" in said(await reader.command("subscribe", "calls"))
    assert "subscribed to calls already" in said(await reader.command("subscribe", "calls"))
    assert 'no topic "weather"' in said(await reader.command("subscribe", "weather"))
    official = await f.official(sessions, "environment")
    async with sessions() as s, s.begin():
        call = await calls.create(s, official.actor, department="environment", title="Greener schoolyards",
                                  description="Ideas for trees and shade at schools.",
                                  opens_at=utcnow() - timedelta(minutes=1), closes_at=utcnow() + timedelta(days=3))
    clock = Clock()
    env = JobEnv(sessions, RULES, clock=clock)
    for _ in range(2):
        await run_job(env, "calls")
    opened = [r for r in await f.outbox(sessions, kind="call_opened")]
    assert len(opened) == 1 and opened[0].params["title"] == "Greener schoolyards"

    author = Speaker(conversation, "author")
    listed = await author.command("calls")
    assert "Greener schoolyards" in said(listed) and "Propose to this call" in str(listed)
    await author.press("propose.call", str(call.id))
    await author.text("Shade sails over the playground")
    await author.text("Children need shade in summer.")
    await author.press("propose.category", "transport")
    done = said(await author.press("propose.submit", "1"))
    assert "part of the themed call of Climate and Environment Division" in done
    first = await f.get(sessions, 1)
    assert (first.call_id, first.department_code, first.kind) == (call.id, "environment", "call")

    other = Speaker(conversation, "other")  # /propose offers the open call as a step
    await other.command("propose")
    await other.text("Water fountains in schoolyards")
    await other.text("Children get thirsty when they play.")
    assert "open themed calls" in said(await other.press("propose.category", "welfare"))
    assert "Themed call: Greener schoolyards" in said(await other.press("propose.callpick", str(call.id)))
    await other.press("propose.submit", "1")
    assert (await f.get(sessions, 2)).call_id == call.id

    for voter in ("v1", "v2", "v3"):
        answer = said(await Speaker(conversation, voter).command("vote", "1"))
        assert "themed call that closes on" in answer
    assert await sweep_reviews(sessions, RULES) == 0  # the threshold never moves a call's proposal
    assert (await f.get(sessions, 1)).status == "open"

    clock.advance(1.5 * DAY)  # within two days of the close
    for _ in range(2):
        await run_job(env, "calls")
    assert len(await f.outbox(sessions, kind="call_closing")) == 1
    clock.advance(2 * DAY)
    assert (await run_job(env, "calls")).result == 3  # two proposals moved, one notice
    for pid in (1, 2):
        moved = await f.get(sessions, pid)
        assert (moved.status, moved.department_code) == ("under_review", "environment")
    assert len(await f.outbox(sessions, kind="call_closed")) == 1
    assert (await run_job(env, "calls")).result == 0
    assert "No themed call is open now" in said(await author.command("calls"))
    assert "Unsubscribed from calls" in said(await reader.command("unsubscribe", "calls"))


async def test_officials_open_a_call_step_by_step(sessions: Sessions, speaker: Callable[..., Speaker]) -> None:
    assert "Only officials" in said(await speaker("citizen").command("call", "new"))
    official = speaker((await f.official(sessions, "culture")).user_id)
    assert "A new themed call for Culture Policy Division" in said(await official.command("call", "new"))
    await official.text("Music in the parks")
    await official.text("-")
    await official.text("now")
    assert "is not a time" in said(await official.text("next friday"))
    shown = said(await official.text("2099-01-31T18:00"))
    assert "Themed call: Music in the parks" in shown and "2099-01-31" in shown
    assert "is set" in said(await official.press("call.create", "1"))
    async with sessions() as s:
        [made] = await calls.open_calls(s)
    assert (made.department_code, made.title) == ("culture", "Music in the parks")


async def test_the_propose_form_offers_open_calls(sessions: Sessions, speaker: Callable[..., Speaker]) -> None:
    slack = speaker("U0FORM", platform="slack", forms=True)
    form = (await slack.command("propose"))[0]
    assert isinstance(form, OpenForm) and "call" not in [field.name for field in form.form.fields]
    official = await f.official(sessions, "environment")
    async with sessions() as s, s.begin():
        call = await calls.create(s, official.actor, department="environment", title="Greener schoolyards",
                                  description="", opens_at=utcnow() - timedelta(minutes=1),
                                  closes_at=utcnow() + timedelta(days=3))
    form = (await slack.command("propose"))[0]
    assert isinstance(form, OpenForm)
    [field] = [field for field in form.form.fields if field.name == "call"]
    assert (str(call.id), "Greener schoolyards") in field.options
    done = said(await slack.submit("propose", {"title": "Shade sails", "description": "Shade for children.",
                                               "category": "welfare", "call": str(call.id)}))
    assert "themed call of Climate and Environment Division" in done
    assert (await f.get(sessions, 1)).call_id == call.id
