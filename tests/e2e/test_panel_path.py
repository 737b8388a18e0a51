"""One proposal from /propose to "implemented", end to end: real PTB and Bolt on the Telegram and Slack
doubles. The panels evaluate (on Telegram, guided by buttons; on Slack, in a modal), a citizen may neither
evaluate nor decide, an admin adopts, the department records implementation, and the author (in Korean)
and a supporter (in English) hear of every step with #<id> and its reasons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.citizens import grant_role
from core.db import make_engine, make_sessions
from core.models import PanelEvaluation, Proposal
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_wire import message_text
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import callback_update, html_to_plain, message_update
from tests.e2e.slack_harness import World, command, dm, message, opened_view, running, scalar

AUTHOR, OFFICIAL, INSIDER, ADMIN = 100, 900, 700, 800
SUPPORTERS = [101, 102, 103, 104]
EXPERT, FAN = "UEXPERT", "UFAN"  # on Slack: a panel member, and the fifth supporter


async def grants(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            await grant_role(session, "telegram", str(OFFICIAL), "official", "transport")
            await grant_role(session, "telegram", str(INSIDER), "panel_internal", None)
            await grant_role(session, "slack", EXPERT, "panel_external", None)
            await grant_role(session, "telegram", str(ADMIN), "admin", None)
    finally:
        await engine.dispose()


async def say(w: World, user: int, text: str, language: str = "en") -> None:
    assert w.telegram is not None
    assert await w.telegram.post(message_update(w.telegram.next_id(), user, text, language_code=language)) == 200


async def press(w: World, user: int, data: str, language: str = "en") -> None:
    assert w.telegram is not None
    assert await w.telegram.post(callback_update(w.telegram.next_id(), user, data, language_code=language)) == 200


async def told(tg: TelegramApiDouble, chat: int, *needles: str) -> str:
    """The first message to `chat` holding every needle, as a person reads it."""
    _, params = await tg.wait_for(lambda m, p: m == "sendMessage" and str(p["chat_id"]) == str(chat)
                                  and all(n in html_to_plain(p["text"]) for n in needles))
    return html_to_plain(params["text"])


def last_to(tg: TelegramApiDouble, chat: int) -> str:
    return html_to_plain(str(tg.sent_to(chat)[-1]["text"]))


async def test_from_proposal_to_implemented_with_both_panels_on_telegram_and_slack(sessions, db_url: str) -> None:
    await grants(db_url)
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_user(EXPERT, "expert")
        slack.add_user(FAN, "fan")
        async with running(db_url, slack, tg) as w:
            await say(w, AUTHOR, "/propose", "ko")
            await say(w, AUTHOR, "Night buses", "ko")
            await say(w, AUTHOR, "Buses every 20 minutes after midnight on the main lines.", "ko")
            await press(w, AUTHOR, "pcat:transport", "ko")
            await press(w, AUTHOR, "psubmit:1", "ko")
            for supporter in SUPPORTERS:
                await say(w, supporter, "/vote 1")
            await command(w, FAN, "vote 1")
            await told(tg, OFFICIAL, "#1")
            await say(w, OFFICIAL, "/review 1 forward Worth a pilot on two lines.")
            assert await scalar(db_url, select(Proposal.status).where(Proposal.id == 1)) == "panel_review"

            # The internal panel on Telegram: the request's button, then the scores by buttons.
            request = await told(tg, INSIDER, "Please evaluate #1")
            assert "Evaluation due by" in request
            await press(w, INSIDER, "panel.open:1")
            await told(tg, INSIDER, "Necessity")
            for step in ("necessity", "effectiveness", "feasibility", "budget_fit"):
                await press(w, INSIDER, f"panel.score:{step}:4")
            await told(tg, INSIDER, "A comment for the record")
            await say(w, INSIDER, "Pilot it on two lines first.")
            assert "recorded (4/4/4/4)" in await told(tg, INSIDER, "recorded")

            # The external panel on Slack: the request in the DM, its button opens the modal.
            asked = await message(slack, dm(EXPERT), "Please evaluate #1")
            assert (await w.post(rq.press(EXPERT, asked, "panel.open")))[0] == 200
            view = await opened_view(slack, "evaluate", 1)
            status, _ = await w.post(rq.view_submission(EXPERT, view, {
                "necessity": "5", "effectiveness": "3", "feasibility": "2", "budget_fit": "3",
                "comment": "Costs are underestimated."}))
            assert status == 200
            await message(slack, dm(EXPERT), "recorded (5/3/2/3)")
            assert await scalar(db_url, select(PanelEvaluation.comment).where(
                PanelEvaluation.panel == "panel_external")) == "Costs are underestimated."

            # A citizen can do neither; the admin decides.
            await say(w, SUPPORTERS[0], "/evaluate 1 5 5 5 5")
            assert "Only members of the expert panels" in last_to(tg, SUPPORTERS[0])
            await say(w, SUPPORTERS[0], "/decide 1 adopt Yes please")
            assert "Only administrators" in last_to(tg, SUPPORTERS[0])
            await say(w, ADMIN, "/decide 1 adopt Good value: two lines first, then the rest.")
            assert "#1 is adopted" in last_to(tg, ADMIN)
            await say(w, OFFICIAL, "/progress 1 implementing Tender published.")
            await say(w, OFFICIAL, "/progress 1 implemented Both lines run every night.")

            steps: list[tuple[str, ...]] = [("is now adopted", "Decision: Good value: two lines first"),
                                            ("is now being implemented", "Tender published."),
                                            ("is now implemented", "Both lines run every night.")]
            for needles in steps:
                assert "#1" in await told(tg, SUPPORTERS[2], *needles)
            for needles_ko in (("채택", "결정: Good value"), ("실행 중", "Tender published."),
                               ("실행 완료", "Both lines run every night.")):
                assert "#1" in await told(tg, AUTHOR, *needles_ko)
            for needles in steps:  # the supporter on Slack hears of every step too, and sees them in /show
                assert "#1" in message_text((await message(slack, dm(FAN), *needles))["params"])
            await command(w, FAN, "show 1")
            on_slack = message_text((await message(slack, dm(FAN), "History"))["params"])
            assert "adopted → being implemented" in on_slack and "being implemented → implemented" in on_slack

            await say(w, SUPPORTERS[2], "/show 1")
            shown = await told(tg, SUPPORTERS[2], "History")
            expected: list[Any] = [
                "Internal panel (retired officials): 1 of 1 evaluated — necessity 4.0",
                "External panel (outside experts): 1 of 1 evaluated — necessity 5.0, effectiveness 3.0",
                "with the expert panel → adopted", "Good value: two lines first",
                "adopted → being implemented", "being implemented → implemented"]
            assert all(part in shown for part in expected), shown
