"""After the department's opinion, through the conversation: the panels' evaluations (guided, as a form,
in one line), the admin's decision and its quorum, and implementation with its progress notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bots.neutral import OpenForm, RefuseForm
from core import reviews
from core.db import Sessions
from core.models import StatusEvent
from tests.clock import Clock
from tests.driver import Speaker, said
from tests.integration import factories as f

FORWARD = reviews.Opinion("forward", necessity="Buses are full.", explanation="Worth a pilot.")


async def with_the_panel(sessions: Sessions) -> int:
    pid = await f.under_review(sessions, await f.citizen(sessions, "author"))
    official = await f.official(sessions, "transport")
    async with sessions() as s, s.begin():
        await reviews.review(s, official.actor, pid, FORWARD, panel_days=14)
    return pid


async def panel_member(sessions: Sessions, panel: str) -> str:
    return (await f.grant(sessions, await f.citizen(sessions, panel), panel)).user_id


async def test_panel_members_are_asked_and_evaluate_guided_in_one_line_and_as_a_form(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    inside = await panel_member(sessions, "panel_internal")
    outside = await panel_member(sessions, "panel_external")
    pid = await with_the_panel(sessions)
    asked = await f.outbox(sessions, kind="panel_request")
    assert len(asked) == 2 and all(r.params["id"] == pid and r.params["deadline"] for r in asked)

    assert "Only members of the expert panels" in said(await speaker("citizen").command("evaluate", f"{pid} 5 5 5 5"))
    member = speaker(inside)
    assert f"#{pid}" in said(await member.command("panel"))
    assert "Necessity" in said(await member.press("panel.open", str(pid)))
    assert "expired" in said(await member.press("panel.score", "feasibility:3"))  # not this step yet
    await member.press("panel.score", "necessity:5")
    assert '"9" is not a score' in said(await member.text("9"))
    await member.text("4")
    await member.press("panel.score", "feasibility:3")
    await member.text("4")
    assert "recorded (5/4/3/4)" in said(await member.text("Pilot it on two lines first."))
    assert "Nothing is waiting" in said(await member.command("panel"))
    assert "is changed: 5/5/3/4" in said(await member.command("evaluate", f"{pid} 5 5 3 4 Changed my mind."))

    expert = speaker(outside, forms=True)
    opened = (await expert.press("panel.open", str(pid)))[0]
    assert isinstance(opened, OpenForm) and opened.form.state == str(pid)
    refused = await expert.submit("evaluate", {"necessity": "6", "effectiveness": "3", "feasibility": "3",
                                               "budget_fit": "3"}, str(pid))
    assert isinstance(refused[0], RefuseForm)
    assert "recorded (2/3/3/3)" in said(await expert.submit(
        "evaluate", {"necessity": "2", "effectiveness": "3", "feasibility": "3", "budget_fit": "3"}, str(pid)))

    shown = said(await speaker("citizen").command("show", str(pid)))
    assert "Internal panel (retired officials): 1 of 1 evaluated — necessity 5.0, effectiveness 5.0" in shown
    assert "External panel (outside experts): 1 of 1 evaluated — necessity 2.0" in shown
    assert "under review → with the expert panel" in shown


async def test_the_decision_waits_for_each_panels_quorum_unless_it_has_no_members_or_its_time_is_up(
    sessions: Sessions, speaker: Callable[..., Speaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = await panel_member(sessions, "panel_internal")
    outside = await panel_member(sessions, "panel_external")
    pid = await with_the_panel(sessions)
    admin = speaker((await f.admin(sessions)).user_id)
    assert "Only administrators" in said(await speaker(inside).command("decide", f"{pid} adopt Yes."))
    await speaker(inside).command("evaluate", f"{pid} 4 4 4 4")
    assert said(await admin.command("decide", f"{pid} adopt Good value.")) == (
        f"#{pid} cannot be decided yet: each panel needs 1 evaluations; so far the internal panel has 1 and the "
        "external panel 0.")
    assert "reasons for the decision" in said(await admin.command("decide", f"{pid} adopt"))
    assert "Unknown reason code" in said(await admin.command("decide", f"{pid} reject maybe No."))
    clock = Clock()
    clock.advance(timedelta(days=15).total_seconds())  # past the panel's 14 days
    monkeypatch.setattr("core.panels.utcnow", clock)
    done = said(await admin.command("decide", f"{pid} reject budget Too costly for this year."))
    assert f"#{pid} is rejected (budget)" in done
    assert "the external panel had too few evaluations, which did not hold it up because its deadline has " \
           "passed" in done
    decision = (await f.events(sessions, pid))[-1]
    assert isinstance(decision, StatusEvent) and decision.to_status == "rejected" and decision.reason_code == "budget"
    assert decision.details is not None and decision.details["quorum_waived"] == {"panel_external": "deadline_passed"}
    told = [r.params for r in await f.outbox(sessions, kind="status_changed") if r.params.get("to") == "rejected"]
    assert told and all((p["id"], p["reason_code"], p["reason_text"]) == (pid, "budget", "Too costly for this year.")
                        for p in told)
    assert "while it is with the expert panel" in said(await speaker(outside).command("evaluate", f"{pid} 1 1 1 1"))


async def test_implementation_moves_once_and_then_takes_progress_notes(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    pid = await with_the_panel(sessions)  # no panel members at all: nothing holds the decision up
    admin = speaker((await f.admin(sessions)).user_id)
    official = speaker((await f.official(sessions, "transport")).user_id)
    assert "implementation is recorded once it is adopted" in said(
        await official.command("progress", f"{pid} implementing Started."))
    assert f"#{pid} is adopted" in said(await admin.command("decide", f"{pid} adopt Good value for money."))
    assert "Only officials" in said(await speaker("citizen").command("progress", f"{pid} implementing Hi"))
    assert "is now being implemented" in said(await official.command("progress", f"{pid} implementing Tender out."))
    assert "Progress note" in said(await official.command("progress", f"{pid} implementing Two lines run."))
    assert "is now implemented" in said(await official.command("progress", f"{pid} implemented All lines run."))
    steps = [(e.from_status, e.to_status) for e in await f.events(sessions, pid)]
    assert steps[-4:] == [("panel_review", "adopted"), ("adopted", "implementing"),
                          ("implementing", "implementing"), ("implementing", "implemented")]
    rows = [r for r in await f.outbox(sessions, kind="status_changed") if r.params.get("id") == pid]
    told = [r.params["to"] for r in rows if r.citizen_id == rows[0].citizen_id]  # the author's
    assert told[-4:] == ["adopted", "implementing", "implementing", "implemented"]
    shown = said(await speaker("citizen").command("show", str(pid)))
    assert "· progress · by " in shown and "· Two lines run." in shown and "being implemented → implemented" in shown
