"""`oasis demo`: a handful of realistic proposals so a newcomer sees lists, votes and a review at once."""

from __future__ import annotations

from sqlalchemy import func, select

from bots.settings import Settings
from core import proposals, room, votes
from core.citizens import ensure_identity, load_actor
from core.db import make_engine, make_sessions
from core.mileage import INFO_KEY
from core.models import Proposal
from core.rules import Rules

SAMPLES = [
    ("transport", "심야버스 노선을 외곽 주거지까지 연장해 주세요",
     "자정 이후 외곽 주거지로 가는 심야버스가 없어 택시비 부담이 큽니다. "
     "주요 환승역에서 외곽까지 노선을 연장해 주세요."),
    ("environment", "Shade trees on every school route",
     "Many walking routes to primary schools have no shade. Plant street trees along them and water them in summer."),
    ("welfare", "어르신 디지털 교육을 동 주민센터에서",
     "키오스크와 모바일 민원 사용법을 가까운 주민센터에서 배울 수 있게 해 주세요."),
    ("safety", "Brighter lights in underpasses",
     "Several pedestrian underpasses are dark at night. Replace the lamps with brighter LEDs and add emergency bells."),
    ("culture", "공원 야외 작은 도서관",
     "주말에 공원에서 책을 빌려 읽을 수 있는 작은 이동도서관을 운영해 주세요."),
]


async def load_demo(settings: Settings, *, force: bool = False) -> str:
    from bots.app import mileage_from  # the server's whole composition: only when the demo runs

    engine = make_engine(settings.oasis_database_url)
    rules = Rules(settings.oasis_vote_threshold, settings.oasis_review_days, settings.oasis_support_days)
    sessions = make_sessions(engine, info={INFO_KEY: mileage_from(settings)})
    try:
        async with sessions() as session, session.begin():
            existing = int(await session.scalar(select(func.count()).select_from(Proposal)) or 0)
            if existing and not force:
                return f"{existing} proposals already exist; use --force to add the samples anyway"
            people = []
            for index in range(1, rules.vote_threshold + 2):
                ident = await ensure_identity(session, "console", f"demo-{index}", display_name=f"Demo {index}")
                people.append(await load_actor(session, ident.citizen_id))
            ids = []
            for number, (category, title, description) in enumerate(SAMPLES):
                author = people[number % len(people)]
                proposal = await proposals.submit(session, author, title=title, description=description,
                                                  category=category)
                ids.append(proposal.id)
                for voter in people[1: 1 + (len(SAMPLES) - number)]:
                    await votes.vote(session, voter, proposal.id, rules)
            await room.comment(session, people[1], ids[0], "저도 매일 겪는 문제입니다. 꼭 필요해요!",
                               platform="console")
        moved = 0
        for pid in ids:
            async with sessions() as session, session.begin():
                moved += await votes.start_review_if_due(session, pid, rules)
        return f"added {len(ids)} sample proposals (#{ids[0]}–#{ids[-1]}); {moved} went to department review"
    finally:
        await engine.dispose()
