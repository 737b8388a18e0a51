"""Replies in the dialogue room, end to end (real PTB and Bolt on the doubles).

Telegram is the only surface where a person answers a given message (Slack threads have no replies, and
`/comment` answers nobody), so a reply is always written in the Telegram topic. What it answers may have
come from Slack: the person replies to the bot's copy. Slack cannot show a reply, so its copy quotes the
answered message in one line above the text. Telegram can: when such a reply is posted into Telegram by
the bot — which happens when a moderator restores it, the only path that mirrors a reply into the surface
it was written on — it must answer (reply_parameters) the Telegram copy of the message it answers.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from core.citizens import grant_role
from core.db import make_engine, make_sessions
from core.models import RoomMessage
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import SlackApiDouble
from tests.doubles.slack_wire import message_text
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import BOT_USER, html_to_plain, message_update
from tests.e2e.slack_harness import (
    AUTHOR,
    World,
    copy_recorded,
    message,
    place_recorded,
    propose_via_modal,
    running,
    scalar,
)

ROOM_CHAT, ROOM_CHANNEL = -1001234567890, "CROOM"
JISOO, MINHO, MODERATOR = 100, 200, 900  # Telegram people
MINA = "UMINA"  # a Slack person
NAMES = {JISOO: "Jisoo", MINHO: "Minho", MODERATOR: "Mod"}
_message_ids = itertools.count(6001)

# Long, on several lines, with spaces in a row: the quote must be one line, cut to its first 80 characters.
SLACK_SAYS = ("The night bus should also stop at the hospital,\n\nnot only at   the station: nurses finish "
              "their shifts at 2 am and walk home")
QUOTED = "The night bus should also stop at the hospital, not only at the station: nurses…"  # 79 + "…"


def room() -> dict[str, Any]:
    return {"telegram_room_chat_id": ROOM_CHAT, "slack_room_channel_id": ROOM_CHANNEL}


async def in_topic(w: World, text: str, person: int, *, topic: int | None = None,
                   answering: dict[str, Any] | None = None, chat: int = ROOM_CHAT) -> int:
    """`person` writes `text` in the room's `topic` (or a private chat, with chat=person), answering the
    message `answering` (as Telegram returned it) if given; returns its Telegram message id."""
    assert w.telegram is not None
    update_id, message_id = w.telegram.next_id(), next(_message_ids)
    update = message_update(update_id, person, text, first_name=NAMES[person], chat_id=chat,
                            chat_type="private" if chat > 0 else "supergroup", thread_id=topic,
                            message_id=message_id, reply_to=answering["message_id"] if answering else None)
    if answering is not None:  # Telegram sends the whole answered message, its author and topic too
        update["message"]["reply_to_message"] = {**answering, "message_thread_id": topic, "is_topic_message": True}
        update["message"]["reply_to_message"].pop("params", None)
    assert await w.telegram.post(update) == 200
    return message_id


def person_message(person: int, message_id: int, text: str, topic: int) -> dict[str, Any]:
    """A person's message in the topic, as Telegram shows it inside a reply to it."""
    return {"message_id": message_id, "date": 1_700_000_000, "text": text,
            "chat": {"id": ROOM_CHAT, "type": "supergroup", "title": "Oasis room", "is_forum": True},
            "from": {"id": person, "is_bot": False, "first_name": NAMES[person]}, "message_thread_id": topic}


async def opened(w: World, slack: SlackApiDouble, tg: TelegramApiDouble, title: str) -> tuple[str, int]:
    """Proposal #1 with its discussion open on both surfaces: (Slack root ts, Telegram topic)."""
    await propose_via_modal(w, slack, AUTHOR, title)
    await in_topic(w, "/room 1", JISOO, chat=JISOO)
    await tg.wait_for(lambda m, p: m == "createForumTopic" and str(p.get("name", "")).startswith(f"#1 {title}"))
    topic = next(t for t, name in tg.topics[ROOM_CHAT].items() if name.startswith(f"#1 {title}"))
    root = await message(slack, ROOM_CHANNEL, f"#1 {title}")
    db_url = w.app.settings.oasis_database_url  # what is written there is ours once Oasis recorded it
    await place_recorded(db_url, "telegram", str(ROOM_CHAT), str(topic))
    await place_recorded(db_url, "slack", ROOM_CHANNEL, str(root["ts"]))
    return str(root["ts"]), topic


async def telegram_copy(tg: TelegramApiDouble, topic: int, needle: str) -> dict[str, Any]:
    """The bot's message in the topic holding `needle`, as Telegram returned it (with its message_id)."""

    def found() -> dict[str, Any] | None:
        return next((m for m in tg.topic_messages(ROOM_CHAT, topic) if needle in html_to_plain(m["params"]["text"])),
                    None)

    await tg.wait_for(lambda _m, _p: found() is not None)
    copy = found()
    assert copy is not None and copy["from"] == BOT_USER
    return copy


async def slack_says_in_thread(w: World, slack: SlackApiDouble, tg: TelegramApiDouble, root: str,
                               topic: int) -> dict[str, Any]:
    """Mina writes SLACK_SAYS in the Slack thread; returns its copy in the Telegram topic, once Oasis has
    recorded it (a reply to the copy sooner could not be traced back to Mina's message)."""
    said = rq.message_channel(MINA, SLACK_SAYS, ROOM_CHANNEL, ts="1700000000.000100", thread_ts=root)
    assert (await w.post(said))[0] == 200
    copy = await telegram_copy(tg, topic, "nurses finish")
    await copy_recorded(w.app.settings.oasis_database_url, "telegram", str(copy["message_id"]))
    return copy


async def room_message_id(db_url: str, body: str) -> int:
    return int(await scalar(db_url, select(RoomMessage.id).where(RoomMessage.body == body)))


async def answered_id(db_url: str, body: str) -> int | None:
    return await scalar(db_url, select(RoomMessage.reply_to_id).where(RoomMessage.body == body))


async def test_a_telegram_reply_to_a_slack_message_is_quoted_in_one_line_in_the_slack_thread(
    sessions, db_url: str
) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(MINA, "mina")
        async with running(db_url, slack, tg, **room()) as w:
            root, topic = await opened(w, slack, tg, "Night buses")
            copy = await slack_says_in_thread(w, slack, tg, root, topic)
            await in_topic(w, "Yes, and at the fire station", JISOO, topic=topic, answering=copy)

            answer = await message(slack, ROOM_CHANNEL, "fire station")
            assert answer["thread_ts"] == root
            said = "Yes, and at the fire station"
            assert message_text(answer["params"]) == f"Jisoo (Telegram): ↪ mina: {QUOTED}\n{said}"
            # Stored as an answer to Mina's message: the bot's copy in Telegram was traced back to it.
            mina = await room_message_id(db_url, SLACK_SAYS)
            assert await answered_id(db_url, "Yes, and at the fire station") == mina
            assert [m["message_id"] for m in tg.topic_messages(ROOM_CHAT, topic)] == [copy["message_id"]]


async def test_a_telegram_reply_to_a_telegram_message_is_stored_as_an_answer_and_quoted_on_slack(
    sessions, db_url: str
) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room()) as w:
            _root, topic = await opened(w, slack, tg, "Bike lanes")
            first = await in_topic(w, "Paint is not protection", JISOO, topic=topic)
            await in_topic(w, "Bollards then?", MINHO, topic=topic,
                           answering=person_message(JISOO, first, "Paint is not protection", topic))
            answer = await message(slack, ROOM_CHANNEL, "Bollards")
            assert message_text(answer["params"]) == ("Minho (Telegram): ↪ Jisoo: Paint is not protection\n"
                                                      "Bollards then?")
            paint = await room_message_id(db_url, "Paint is not protection")
            assert await answered_id(db_url, "Bollards then?") == paint
            # Answering the topic itself (its first message) answers nobody.
            await in_topic(w, "Anyone else?", MINHO, topic=topic)
            plain = await message(slack, ROOM_CHANNEL, "Anyone else?")
            assert message_text(plain["params"]) == "Minho (Telegram): Anyone else?"
            assert await answered_id(db_url, "Anyone else?") is None
            assert tg.in_topic(ROOM_CHAT, topic) == []


async def grant_moderator(db_url: str, user: int) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            await grant_role(session, "telegram", str(user), "moderator", None)
    finally:
        await engine.dispose()


async def test_a_restored_reply_answers_the_telegram_copy_of_what_it_answers(sessions, db_url: str) -> None:
    """Two replies written in Telegram, hidden by a moderator and restored: the bot posts each into the topic
    answering (reply_parameters) the Telegram message it answered — the bot's copy of Mina's Slack message,
    and Jisoo's own message — and Slack's new copies quote it again."""
    await grant_moderator(db_url, MODERATOR)
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(MINA, "mina")
        async with running(db_url, slack, tg, **room()) as w:
            root, topic = await opened(w, slack, tg, "Night buses")
            copy = await slack_says_in_thread(w, slack, tg, root, topic)
            to_mina = await in_topic(w, "Hospitals first", JISOO, topic=topic, answering=copy)
            jisoo = await in_topic(w, "Every 20 minutes", JISOO, topic=topic)
            to_jisoo = await in_topic(w, "Every 15 would be better", MINHO, topic=topic,
                                      answering=person_message(JISOO, jisoo, "Every 20 minutes", topic))
            first_copy = await message(slack, ROOM_CHANNEL, "Hospitals first")
            await message(slack, ROOM_CHANNEL, "Every 15")
            for written, author in ((to_mina, JISOO), (to_jisoo, MINHO)):
                tg.people_messages.add((ROOM_CHAT, written))  # the bot, an admin, may delete them
                await in_topic(w, "/hide off topic", MODERATOR, topic=topic,
                               answering=person_message(author, written, "…", topic))
                await tg.wait_for(lambda m, p, gone=written: m == "deleteMessage" and p.get("message_id") == gone)
            await slack.wait_for(lambda m, p: m == "chat.delete" and p.get("ts") == first_copy["ts"])

            for body in ("Hospitals first", "Every 15 would be better"):
                await in_topic(w, f"/unhide m{await room_message_id(db_url, body)}", MODERATOR, chat=MODERATOR)
            restored_to_mina = await telegram_copy(tg, topic, "Hospitals first")
            restored_to_jisoo = await telegram_copy(tg, topic, "Every 15 would be better")

            assert html_to_plain(restored_to_mina["params"]["text"]) == "Jisoo (Telegram): Hospitals first"
            assert restored_to_mina["params"]["message_thread_id"] == topic
            assert restored_to_mina["params"].get("reply_parameters") == {
                "message_id": copy["message_id"], "allow_sending_without_reply": True}
            assert html_to_plain(restored_to_jisoo["params"]["text"]) == "Minho (Telegram): Every 15 would be better"
            assert (restored_to_jisoo["params"].get("reply_parameters") or {}).get("message_id") == jisoo
            # Slack's new copy quotes Mina's message again, in the thread.
            again = await message(slack, ROOM_CHANNEL, "Hospitals first")
            assert again["ts"] != first_copy["ts"] and again["thread_ts"] == root
            assert message_text(again["params"]) == f"Jisoo (Telegram): ↪ mina: {QUOTED}\nHospitals first"
