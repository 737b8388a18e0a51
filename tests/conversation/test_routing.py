"""Which department handles a proposal: keyword rules at submission, and /route by officials later."""

from __future__ import annotations

from collections.abc import Callable

from core import reviews
from core.db import Sessions
from tests.driver import Speaker, said
from tests.integration import factories as f


async def test_keywords_route_a_new_proposal_when_they_fit_another_department_better(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    author = speaker("author")
    await author.command("propose")
    await author.text("Trees by the river")
    await author.text("Plant trees and make a small park; 공원 is what the 나무 need.")
    done = said(await author.press("propose.category", "transport"))
    done = said(await author.press("propose.submit", "1")) or done
    assert "It goes to Climate and Environment Division, because it mentions: 공원, 나무, park, tree." in done
    assert (await f.get(sessions, 1)).department_code == "environment"
    # A tie, or no keyword at all, keeps the category's department; "parking" is not "park".
    pid = await f.proposal(sessions, await f.citizen(sessions), title="Parking by the bus stop",
                           description="Parking near the park entrance.", category="transport")
    assert (await f.get(sessions, pid)).department_code == "transport"


async def test_officials_route_a_proposal_under_review_and_its_deadline_starts_again(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    pid = await f.under_review(sessions, await f.citizen(sessions, "author"))
    before = (await f.get(sessions, pid)).review_deadline
    transport = speaker((await f.official(sessions, "transport")).user_id)
    environment = await f.official(sessions, "environment")
    assert "Only officials" in said(await speaker("citizen").command("route", f"{pid} environment"))
    assert "not yours" in said(await speaker(environment.user_id).command("route", f"{pid} welfare"))
    assert 'no department "nowhere"' in said(await transport.command("route", f"{pid} nowhere"))
    assert "with that department already" in said(await transport.command("route", f"{pid} transport"))
    assert f"Sent #{pid} to Climate and Environment Division" in said(
        await transport.command("route", f"{pid} environment"))
    moved = await f.get(sessions, pid)
    assert moved.department_code == "environment" and moved.review_deadline and before
    assert moved.review_deadline > before
    queued = [r for r in await f.outbox(sessions, kind="review_queued") if r.citizen_id == environment.id]
    assert len(queued) == 1 and queued[0].params["deadline"] == moved.review_deadline.isoformat(timespec="minutes")
    routed = await f.outbox(sessions, kind="routed")
    assert routed and all(r.params["from_department"] == "transport" for r in routed)
    shown = said(await speaker("citizen").command("show", str(pid)))
    assert "sent from Transport Policy Division to Climate and Environment Division" in shown
    official = await f.official(sessions, "environment", "second")
    async with sessions() as s, s.begin():
        await reviews.review(s, official.actor, pid, reviews.Opinion("forward", necessity="Yes."))
    assert "only an open proposal or one under review" in said(
        await speaker(environment.user_id).command("route", f"{pid} transport"))
