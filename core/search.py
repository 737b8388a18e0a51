"""Text search of proposals that works the same on SQLite and PostgreSQL, for Korean and English.

SQLite's FTS5 (trigram or unicode61) misses two-syllable Korean words such as 버스 or 공원, and
PostgreSQL's full-text search knows no Korean; so both databases keep an ordinary term table
(`search_terms`, migration 0012) filled here from a proposal's title and description:
- a run of CJK characters (Hangul syllables, Han, Kana) gives its character bigrams ("심야버스" → 심야,
  야버, 버스), and the character itself when the run is one character long;
- any other run of letters and digits gives one lower-case word ("Buses" → buses), cut to TERM_MAX.

A query is cut the same way and every one of its terms must match (AND), each as a prefix of a stored
term: "bus" finds "buses" (and "business"), a single syllable "버" finds every bigram that begins with it,
and a bigram matches only itself. The prefix is a range over the term index, which compares bytes on both
databases (the column is COLLATE "C" on PostgreSQL; SQLite's default is binary), so results agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, distinct, func, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import SearchTerm

TERM_MAX = 40
"""Characters of a stored word: a longer one is cut, and so is a query's, so that they still match."""
QUERY_TERMS_MAX = 8
"""Terms of a query that count: the rest are ignored, so a pasted paragraph cannot cost a scan per word."""
TOP = "\U0010ffff"  # sorts after every character: "bus" <= term < "bus" + TOP is "begins with bus"

_CJK = "\uac00-\ud7a3\u3131-\u318e\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def terms(text: str) -> list[str]:
    """The distinct search terms of `text`, in order of first appearance."""
    found: dict[str, None] = {}
    for run in _RUN.findall(text):
        if _IS_CJK.match(run):
            if len(run) == 1:
                found[run] = None
            for i in range(len(run) - 1):
                found[run[i:i + 2]] = None
        else:
            found[run.casefold()[:TERM_MAX]] = None
    return list(found)


def query_terms(query: str) -> list[str]:
    """The terms a search for `query` must all match, at most QUERY_TERMS_MAX: a CJK run's bigrams that
    cover it without overlap (심야버스 → 심야, 버스: a text holding both holds 야버 almost always, and
    each term costs a read of its list), less any term that begins another (the longer one implies it)."""
    wanted: dict[str, None] = {}
    for run in _RUN.findall(query):
        cut = terms(run)
        if _IS_CJK.match(run) and len(run) > 2:
            cut = [run[i:i + 2] for i in range(0, len(run) - 1, 2)]
            if len(run) % 2:
                cut.append(run[-2:])
        wanted.update(dict.fromkeys(cut))
    kept = [term for term in wanted if not any(other != term and other.startswith(term) for other in wanted)]
    return kept[:QUERY_TERMS_MAX]


def begins_with(term: str) -> ColumnElement[bool]:
    """A stored term that begins with `term` (a range, so the term index serves it)."""
    return and_(SearchTerm.term >= term, SearchTerm.term < term + TOP)


def matching_ids(query_words: Sequence[str]) -> Any:
    """A select of the ids of the proposals whose text holds every one of `query_words` (from
    `query_terms`), hidden ones included (the caller filters on the status).

    Each term's index range is read once, tagged with the term's number, and the ids found under every
    number are kept: a cost that grows with the matches of each term, on both databases. (Side-by-side
    `IN`s let PostgreSQL, which cannot estimate a prefix range's rows, re-read one list per row of another.)
    """
    if len(query_words) == 1:
        return select(SearchTerm.proposal_id).where(begins_with(query_words[0]))
    tagged = union_all(*(select(SearchTerm.proposal_id, literal(number).label("k")).where(begins_with(term))
                         for number, term in enumerate(query_words))).subquery()
    return (select(tagged.c.proposal_id).group_by(tagged.c.proposal_id)
            .having(func.count(distinct(tagged.c.k)) == len(query_words)))


async def index_proposal(session: AsyncSession, proposal_id: int, title: str, description: str) -> None:
    """(Re)write a proposal's terms: after it is created, and after its text changes."""
    await session.execute(delete(SearchTerm).where(SearchTerm.proposal_id == proposal_id))
    rows = term_rows(proposal_id, title, description)
    if rows:
        await session.execute(insert(SearchTerm), rows)


def term_rows(proposal_id: int, title: str, description: str) -> list[dict[str, Any]]:
    return [{"proposal_id": proposal_id, "term": term} for term in terms(f"{title}\n{description}")]


def term_pairs(proposals: Iterable[tuple[int, str, str]]) -> Iterable[tuple[int, str]]:
    """(proposal id, term) of many proposals at once (a migration's backfill, a benchmark's seed)."""
    for pid, title, description in proposals:
        for term in terms(f"{title}\n{description}"):
            yield pid, term
