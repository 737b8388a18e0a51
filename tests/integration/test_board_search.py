"""Search of the board (core/search.py through core/board.py) on SQLite and PostgreSQL alike: two-syllable
Korean words, English words and their prefixes, AND of terms, nothing for a missing word, never a hidden
proposal; and the terms written for a new proposal and by the migration's backfill."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import board, search
from core.db import Sessions
from core.models import SearchTerm
from core.proposals import get_proposal, record_transition
from core.statuses import Status
from tests.integration import factories as f


async def found(sessions: Sessions, q: str, **choices: object) -> list[int]:
    async with sessions() as s:
        page = await board.board(s, board.BoardFilter(q=q, **choices))  # type: ignore[arg-type]
    return [item.id for item in page.items]


async def test_korean_two_syllable_words_english_words_and_and(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    night = await f.proposal(sessions, author, title="심야버스 노선 확대", description="밤 12시 이후에도 다니게.")
    park = await f.proposal(sessions, author, title="공원 산책로 정비", description="걷기 좋은 길로.",
                            category="environment")
    english = await f.proposal(sessions, author, title="More night buses", description="Every 20 minutes.")
    await f.proposal(sessions, author, title="Bike lanes", description="Protected ones.")
    assert await found(sessions, "버스") == [night]
    assert await found(sessions, "공원") == [park]
    assert await found(sessions, "산책로") == [park]
    assert await found(sessions, "심야버스") == [night]
    assert await found(sessions, "bus") == [english]  # a prefix: "bus" finds "buses"
    assert await found(sessions, "NIGHT Buses") == [english]
    assert await found(sessions, "night 버스") == []  # every term must match
    assert await found(sessions, "지하철") == [] and await found(sessions, "tram") == []
    assert await found(sessions, "노선", category="environment") == []
    assert await found(sessions, "  ") == [english + 1, english, park, night]  # blank: no search


async def test_a_hidden_proposal_is_never_found(sessions: Sessions) -> None:
    author = await f.citizen(sessions, "author")
    pid = await f.proposal(sessions, author, title="버스 정류장 광고", description="spam buses")
    moderator = await f.admin(sessions)
    async with sessions() as s, s.begin():
        await record_transition(s, await get_proposal(s, pid), Status.HIDDEN, actor_id=moderator.id,
                                reason_text="advertising")
    assert await found(sessions, "버스") == [] and await found(sessions, "spam") == []
    assert await found(sessions, "") == []
    async with sessions() as s:
        page = await board.board(s, board.BoardFilter(status="hidden"))
        assert page.items == [] and page.total == 0


async def test_new_proposals_get_their_terms_and_reindexing_replaces_them(sessions: Sessions) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"), title="공원 Bench", description="새 벤치")
    async with sessions() as s:
        stored = set((await s.scalars(select(SearchTerm.term).where(SearchTerm.proposal_id == pid))).all())
    assert stored == {"공원", "bench", "벤치", "새"}
    async with sessions() as s, s.begin():
        await search.index_proposal(s, pid, "도서관", "")
    assert await found(sessions, "공원") == [] and await found(sessions, "도서관") == [pid]


async def test_a_search_with_more_matches_than_it_counts_says_so_and_still_pages_in_order(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = await f.citizen(sessions, "author")
    made = [await f.proposal(sessions, author, title=f"버스 정류장 {n}", description="그늘막") for n in range(7)]
    official = await f.official(sessions, "transport")
    async with sessions() as s, s.begin():
        for pid in (made[4], made[1]):  # decided in this order: made[1] last
            p = await get_proposal(s, pid)
            await record_transition(s, p, Status.UNDER_REVIEW, actor_id=None)
            await record_transition(s, p, Status.REJECTED, actor_id=official.id, reason_code="budget")
    for limit in (100, 3):  # all matches counted (sorted from one read), then more than the count
        monkeypatch.setattr(board, "COUNT_LIMIT", limit)
        async with sessions() as s:
            first = await board.board(s, board.BoardFilter(q="버스", per_page=2))
            third = await board.board(s, board.BoardFilter(q="버스", per_page=2, page=3))
            decided = await board.board(s, board.BoardFilter(q="버스", sort="decided"))
        assert [i.id for i in first.items] == made[::-1][:2] and first.has_next
        assert [i.id for i in third.items] == made[::-1][4:6] and third.has_next
        assert (first.total, first.total_exact) == ((7, True) if limit == 100 else (3, False))
        assert [i.id for i in decided.items] == [made[1], made[4]]
