"""Read models: lists, details and the review queue, with vote counts derived from the votes table."""

from __future__ import annotations

import pytest

from core import proposals, queries
from core.citizens import load_actor
from core.db import Sessions
from core.errors import NotFound
from core.reviews import Opinion, review
from core.rules import Rules
from core.statuses import Status
from tests.integration import factories as f

RULES = Rules(vote_threshold=50)


async def _cards(sessions: Sessions, **kwargs: object) -> tuple[list[queries.Card], int]:
    async with sessions() as s:
        return await queries.list_cards(s, **kwargs)  # type: ignore[arg-type]


async def _hide(sessions: Sessions, pid: int, moderator: f.Person) -> None:
    async with sessions() as s, s.begin():
        p = await proposals.get_proposal(s, pid, for_update=True)
        await proposals.record_transition(s, p, Status.HIDDEN, actor_id=moderator.id, reason_text="spam")


@pytest.fixture
async def board(sessions: Sessions) -> dict[str, int]:
    """Five proposals with 2, 0, 3, 1 and 3 votes, in two categories, created in this order."""
    author = await f.citizen(sessions, "Ana")
    people = [await f.citizen(sessions) for _ in range(3)]
    plan = [("a", "transport", 2), ("b", "welfare", 0), ("c", "transport", 3), ("d", "transport", 1),
            ("e", "welfare", 3)]
    ids: dict[str, int] = {}
    for title, category, n in plan:
        pid = await f.proposal(sessions, author, title=title, category=category)
        for person in people[:n]:
            await f.vote(sessions, person, pid, RULES)
        ids[title] = pid
    return ids


async def test_new_lists_newest_first_with_vote_counts(sessions: Sessions, board: dict[str, int]) -> None:
    cards, total = await _cards(sessions, order="new", limit=10)
    assert total == 5
    assert [c.title for c in cards] == ["e", "d", "c", "b", "a"]
    assert {c.title: c.votes for c in cards} == {"a": 2, "b": 0, "c": 3, "d": 1, "e": 3}
    first = cards[0]
    assert (first.id, first.status, first.category, first.department) == (board["e"], "open", "welfare", "welfare")
    assert first.review_deadline is None


async def test_top_lists_most_supported_first(sessions: Sessions, board: dict[str, int]) -> None:
    cards, total = await _cards(sessions, order="top", limit=10)
    assert total == 5
    assert [c.votes for c in cards] == [3, 3, 2, 1, 0]
    assert [c.title for c in cards] == ["e", "c", "a", "d", "b"]  # ties: newest first


async def test_top_follows_votes_as_they_change(sessions: Sessions, board: dict[str, int]) -> None:
    late = [await f.citizen(sessions) for _ in range(4)]
    for person in late:
        await f.vote(sessions, person, board["b"], RULES)
    cards, _ = await _cards(sessions, order="top", limit=2)
    assert [(c.title, c.votes) for c in cards] == [("b", 4), ("e", 3)]


async def test_category_filter(sessions: Sessions, board: dict[str, int]) -> None:
    cards, total = await _cards(sessions, order="new", category="welfare", limit=10)
    assert total == 2
    assert [c.title for c in cards] == ["e", "b"]
    top, top_total = await _cards(sessions, order="top", category="transport", limit=10)
    assert top_total == 3
    assert [c.title for c in top] == ["c", "a", "d"]
    none, none_total = await _cards(sessions, category="housing")
    assert (none, none_total) == ([], 0)


async def test_pagination_keeps_the_total(sessions: Sessions, board: dict[str, int]) -> None:
    pages = []
    for offset in (0, 2, 4, 6):
        cards, total = await _cards(sessions, order="new", offset=offset, limit=2)
        assert total == 5
        pages.append([c.title for c in cards])
    assert pages == [["e", "d"], ["c", "b"], ["a"], []]
    top_pages = [[c.title for c in (await _cards(sessions, order="top", offset=o, limit=2))[0]] for o in (0, 2, 4)]
    assert top_pages == [["e", "c"], ["a", "d"], ["b"]]


async def test_hidden_and_withdrawn_are_not_listed(sessions: Sessions, board: dict[str, int]) -> None:
    author = (await f.get(sessions, board["a"])).author_id
    moderator = await f.citizen(sessions, "mod")
    await _hide(sessions, board["c"], moderator)
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, await load_actor(s, author), board["d"])
    for order in ("new", "top", "list"):
        cards, total = await _cards(sessions, order=order, limit=10)
        assert sorted(c.title for c in cards) == ["a", "b", "e"], order
        assert total == 3
    cards, total = await _cards(sessions, category="transport", limit=10)
    assert ([c.title for c in cards], total) == (["a"], 1)
    with pytest.raises(NotFound):
        async with sessions() as s:
            await queries.detail(s, board["c"])


async def test_list_shows_only_open_proposals_but_new_shows_all_public_ones(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    open_pid = await f.proposal(sessions, author, title="still open")
    reviewed = await f.under_review(sessions, author, title="under review")
    open_only, total = await _cards(sessions, order="list", limit=10)
    assert ([c.id for c in open_only], total) == ([open_pid], 1)
    everything, total_all = await _cards(sessions, order="new", limit=10)
    assert ([c.id for c in everything], total_all) == ([reviewed, open_pid], 2)
    assert everything[0].status == "under_review" and everything[0].review_deadline is not None


async def test_detail_has_the_description_history_and_latest_review(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "Ana")
    voter, fan = await f.citizen(sessions), await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    pid = await f.under_review(sessions, author, voters=[voter])
    async with sessions() as s, s.begin():
        await proposals.follow(s, fan.actor, pid)

    async with sessions() as s:
        before = await queries.detail(s, pid)
    assert before.review is None
    assert [(e.from_status, e.to_status) for e in before.history] == [(None, "open"), ("open", "under_review")]

    async with sessions() as s, s.begin():
        await review(s, transport.actor, pid,
                     Opinion("reject", reason_code="duplicate", explanation="Same as #1.", budget_krw=None))
    async with sessions() as s:
        d = await queries.detail(s, pid)
    assert d.card.id == pid and d.card.status == "rejected" and d.card.votes == 1
    assert d.description == "Protected bike lanes on every main road."
    assert (d.author_name, d.author_id) == ("Ana", author.id)
    assert d.followers == 3
    assert d.review is not None
    assert (d.review.reason_code, d.review.explanation, d.review.official_id) == \
        ("duplicate", "Same as #1.", transport.id)
    assert [(e.from_status, e.to_status, e.reason_code) for e in d.history] == [
        (None, "open", None), ("open", "under_review", None), ("under_review", "rejected", "duplicate"),
    ]
    assert d.history[-1].reason_text == "Same as #1."
    assert d.history[-1].actor_id == transport.id


async def test_detail_of_a_missing_proposal(sessions: Sessions) -> None:
    with pytest.raises(NotFound) as info:
        async with sessions() as s:
            await queries.detail(s, 987654)
    assert info.value.code == "proposal_not_found"


async def test_my_cards_are_mine_only(sessions: Sessions) -> None:
    me, other = await f.citizen(sessions), await f.citizen(sessions)
    mine_first = await f.proposal(sessions, me, title="first")
    await f.proposal(sessions, other, title="theirs")
    mine_second = await f.proposal(sessions, me, title="second")
    async with sessions() as s, s.begin():
        await proposals.withdraw(s, me.actor, mine_first)
    async with sessions() as s:
        mine = await queries.my_cards(s, me.id)
    # The author still sees their withdrawn proposal, newest first.
    assert [(c.id, c.status) for c in mine] == [(mine_second, "open"), (mine_first, "withdrawn")]


async def test_review_queue_per_department_oldest_deadline_first(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    transport = await f.official(sessions, "transport")
    welfare = await f.official(sessions, "welfare")
    boss = await f.admin(sessions)
    citizen = await f.citizen(sessions)
    late = await f.under_review(sessions, author, title="late", category="transport", review_days=10)
    soon = await f.under_review(sessions, author, title="soon", category="transport", review_days=3)
    middle = await f.under_review(sessions, author, title="middle", category="welfare", review_days=7)
    done = await f.under_review(sessions, author, title="done", category="transport", review_days=1)
    await f.proposal(sessions, author, title="still open", category="transport")
    async with sessions() as s, s.begin():
        await review(s, transport.actor, done, Opinion("forward", necessity="yes"))

    async with sessions() as s:
        assert [c.id for c in await queries.review_queue(s, transport.actor)] == [soon, late]
        assert [c.id for c in await queries.review_queue(s, welfare.actor)] == [middle]
        everything = await queries.review_queue(s, boss.actor)
        assert [c.id for c in everything] == [soon, middle, late]
        deadlines = [c.review_deadline for c in everything]
        assert all(d is not None for d in deadlines)
        assert deadlines == sorted(deadlines)  # type: ignore[type-var]
        assert await queries.review_queue(s, citizen.actor) == []
        assert [c.id for c in await queries.review_queue(s, boss.actor, limit=2)] == [soon, middle]


async def test_review_queue_for_an_official_of_two_departments(sessions: Sessions) -> None:
    author = await f.citizen(sessions)
    both = await f.grant(sessions, await f.official(sessions, "transport"), "official", "welfare")
    a = await f.under_review(sessions, author, category="welfare", review_days=2)
    b = await f.under_review(sessions, author, category="housing", review_days=1)
    c = await f.under_review(sessions, author, category="transport", review_days=5)
    async with sessions() as s:
        assert [card.id for card in await queries.review_queue(s, both.actor)] == [a, c]  # not b (housing)
        assert b not in [card.id for card in await queries.review_queue(s, both.actor)]
