"""The department's side through the conversation: the queue, the opinion as a form, guided, or in one line."""

from __future__ import annotations

from collections.abc import Callable

from bots.context import BotConfig
from bots.conversation import Conversation
from bots.neutral import ButtonPress, Command, FormSubmit, OpenForm, RefuseForm
from core.db import Sessions
from core.rules import Rules
from tests.driver import Speaker, said
from tests.integration import factories as f


def talk(conversation: Conversation, user: str, *, forms: bool = False) -> Speaker:
    return Speaker(conversation, user, forms=forms)


async def _under_review(sessions: Sessions) -> int:
    return await f.under_review(sessions, await f.citizen(sessions, "author"))


async def test_review_form_is_refused_to_citizens_and_checks_reasons(sessions: Sessions) -> None:
    rules = Rules(vote_threshold=1)
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author)
    await f.vote(sessions, author, pid, rules)
    await f.start_review(sessions, pid, rules)
    official = await f.official(sessions, "transport")
    conversation = Conversation(sessions, BotConfig(rules, "https://oasis.test", "en"))
    citizen = talk(conversation, "dave", forms=True)
    assert "Only officials" in said(await citizen(ButtonPress("review", str(pid))))
    staff = talk(conversation, official.user_id, forms=True)
    opened = (await staff(ButtonPress("review", str(pid))))[0]
    assert isinstance(opened, OpenForm) and opened.form.state == str(pid)
    no_reason = await staff(FormSubmit("review", {"recommendation": "reject", "explanation": "No."}, str(pid)))
    assert isinstance(no_reason[0], RefuseForm) and dict(no_reason[0].errors).keys() == {"reason_code"}
    no_text = await staff(FormSubmit("review", {"recommendation": "reject", "reason_code": "law"}, str(pid)))
    assert isinstance(no_text[0], RefuseForm) and dict(no_text[0].errors).keys() == {"explanation"}
    typed = talk(conversation, official.user_id)
    assert 'Unknown reason code "nonsense"' in said(await typed(Command("review", f"{pid} reject nonsense No.")))
    done = await staff(FormSubmit("review", {"recommendation": "reject", "reason_code": "law",
                                             "explanation": "The ordinance forbids it."}, str(pid)))
    assert "was rejected" in said(done)
    assert (await f.get(sessions, pid)).status == "rejected"


async def test_the_queue_is_for_staff_and_shows_what_is_due(sessions: Sessions,
                                                            speaker: Callable[..., Speaker]) -> None:
    pid = await _under_review(sessions)
    official = await f.official(sessions, "transport")
    assert "Only officials" in said(await speaker("citizen").command("queue"))
    queue = await speaker(official.user_id).command("queue")
    assert f"#{pid}" in said(queue) and "Opinion due by" in said(queue)
    other = await f.official(sessions, "welfare")
    assert "No proposals are waiting" in said(await speaker(other.user_id).command("queue"))


async def test_the_guided_opinion_with_old_and_new_button_names(sessions: Sessions,
                                                              speaker: Callable[..., Speaker]) -> None:
    pid = await _under_review(sessions)
    official = speaker((await f.official(sessions, "transport")).user_id)
    assert "Forward" in said(await official.press("review.open", str(pid)))
    assert "Necessity" in said(await official.press("rrec", "forward"))  # a button sent before issue 8
    for answer in ("Buses are full at night.", "Shorter waits.", "The operator agrees.", "1,200,000"):
        await official.text(answer)
    assert "expired" in said(await official.press("review.reason", "law"))  # not at this step
    assert "goes to the expert panel" in said(await official.press("review.publish", ""))
    assert (await f.get(sessions, pid)).status == "panel_review"
    assert "expired" in said(await official.press("rsubmit", ""))  # pressed again: the flow is over


async def test_the_one_line_opinion_and_its_mistakes(sessions: Sessions, speaker: Callable[..., Speaker]) -> None:
    pid = await _under_review(sessions)
    official = speaker((await f.official(sessions, "transport")).user_id)
    assert "Write forward or reject." == said(await official.command("review", f"{pid} maybe"))
    assert "Please give a proposal number" in said(await official.command("review", "soon"))
    elsewhere = speaker((await f.official(sessions, "welfare")).user_id)
    assert f"#{pid} belongs to the Transport Policy Division department, which is not yours." == said(
        await elsewhere.command("review", f"{pid} forward Fine."))
    done = said(await official.command("review", f"{pid} reject budget The budget for this year is spent."))
    assert f"#{pid} was rejected" in done
    assert "is rejected" in said(await official.command("review", f"{pid} forward Again."))
