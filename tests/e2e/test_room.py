"""The dialogue room end to end: a Telegram forum and a Slack channel hold one discussion per proposal,
each message stored once and mirrored to the other surface once (real PTB and Bolt, on the doubles)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from core.citizens import grant_role
from core.db import make_engine, make_sessions
from core.models import ModerationAct, RoomCopy, RoomMessage, RoomReport
from tests.doubles import slack_requests as rq
from tests.doubles.slack_api import ADMIN_TOKEN, SlackApiDouble
from tests.doubles.slack_wire import message_text
from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import edited_update, html_to_plain, message_update
from tests.e2e.slack_harness import (
    AUTHOR,
    World,
    command,
    copy_recorded,
    dm,
    message,
    opened_view,
    place_recorded,
    propose_via_modal,
    running,
    scalar,
)

ROOM_CHAT, ROOM_CHANNEL = -1001234567890, "CROOM"
TG_PERSON, TG_OTHER, TG_MODERATOR, SLACK_PERSON = 100, 200, 900, "UMINA"


def room_settings() -> dict[str, Any]:
    return {"telegram_room_chat_id": ROOM_CHAT, "slack_room_channel_id": ROOM_CHANNEL}


async def telegram_says(w: World, text: str, *, user: int = TG_PERSON, chat: int | None = None,
                        thread: int | None = None, reply_to: int | None = None) -> int:
    """A Telegram update of `user` writing `text` (in a topic of the room, when `chat` is the room)."""
    assert w.telegram is not None
    update_id = w.telegram.next_id()
    message_id = 5000 + update_id
    update = message_update(update_id, user, text, first_name="Jisoo", chat_id=chat,
                            chat_type="supergroup" if chat is not None else "private", thread_id=thread,
                            message_id=message_id, reply_to=reply_to)
    assert await w.telegram.post(update) == 200
    return message_id


async def topic_of(tg: TelegramApiDouble, title_start: str, db_url: str) -> int:
    """The forum topic the bot opened, once Oasis has recorded it (so a message written in it is ours)."""
    await tg.wait_for(lambda m, p: m == "createForumTopic" and str(p.get("name", "")).startswith(title_start))
    topic = next(t for t, name in tg.topics[ROOM_CHAT].items() if name.startswith(title_start))
    await place_recorded(db_url, "telegram", str(ROOM_CHAT), str(topic))
    return topic


async def in_topic(tg: TelegramApiDouble, thread: int | None, needle: str, wait: float = 5.0) -> str:
    """The text of the first message Telegram accepted in that topic of the room that holds `needle`."""
    def accepted() -> dict[str, Any] | None:
        return next((p for p in tg.in_topic(ROOM_CHAT, thread) if needle in html_to_plain(p["text"])), None)

    await tg.wait_for(lambda _method, _params: accepted() is not None, wait)
    found = accepted()
    assert found is not None
    return str(found["text"])


async def slack_root(slack: SlackApiDouble, title_start: str, db_url: str) -> str:
    """The thread's root message the bot posted, once Oasis has recorded it."""
    root = await message(slack, ROOM_CHANNEL, title_start)
    assert root.get("thread_ts") is None
    await place_recorded(db_url, "slack", ROOM_CHANNEL, str(root["ts"]))
    return str(root["ts"])


async def test_a_comment_from_a_private_chat_opens_the_discussion_on_both_surfaces(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            await propose_via_modal(w, slack, AUTHOR, "Night buses")
            await telegram_says(w, "/comment 1 Yes, <b>please</b> @all & thanks")
            topic = await topic_of(tg, "#1 Night buses", db_url)
            shown = await in_topic(tg, topic, "please")
            assert html_to_plain(shown) == "Jisoo (Telegram): Yes, <b>please</b> @\u2060all & thanks"
            assert shown.startswith("<b>Jisoo</b>")
            root = await slack_root(slack, "#1 Night buses", db_url)
            reply = await message(slack, ROOM_CHANNEL, "please")
            assert reply["thread_ts"] == root
            assert "Yes, <b>please</b> @\u2060all & thanks" in message_text(reply["params"])
            assert await scalar(db_url, select(func.count()).select_from(RoomMessage)) == 1
            # Each surface got one copy, remembered with the id the platform gave it.
            copies = await scalar(db_url, select(func.count()).select_from(RoomCopy)
                                  .where(RoomCopy.platform_message_id.is_not(None)))
            assert copies == 2


async def test_a_slack_thread_post_reaches_the_telegram_topic_once(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(SLACK_PERSON, "mina")
        async with running(db_url, slack, tg, **room_settings()) as w:
            await propose_via_modal(w, slack, AUTHOR, "Shade trees")
            await telegram_says(w, "/room 1")
            root = await slack_root(slack, "#1 Shade trees", db_url)
            topic = await topic_of(tg, "#1 Shade trees", db_url)
            # Slack sends typed markup escaped and a typed @here as <!here>: the first shows literally, the
            # second as a mention that pings nobody.
            text = "More shade &lt;!here&gt; <!here> *now* &amp;"
            said = rq.message_channel(SLACK_PERSON, text, ROOM_CHANNEL, ts="1700000000.000100", thread_ts=root)
            assert (await w.post(said))[0] == 200
            shown = await in_topic(tg, topic, "More shade")
            assert html_to_plain(shown) == "mina (Slack): More shade <!here> @\u2060here *now* &"
            # Slack delivers it again under a new event id, and echoes our own post: neither is relayed.
            again = rq.message_channel(SLACK_PERSON, text, ROOM_CHANNEL, ts="1700000000.000100", thread_ts=root)
            assert (await w.post(again))[0] == 200
            echo = rq.message_channel("UBOT", "Jisoo (Telegram): hi", ROOM_CHANNEL, thread_ts=root, bot_id="BBOT")
            assert (await w.post(echo))[0] == 200
            await telegram_says(w, "Agreed", chat=ROOM_CHAT, thread=topic)
            await message(slack, ROOM_CHANNEL, "Agreed")
            assert len([p for p in tg.in_topic(ROOM_CHAT, topic) if "More shade" in p["text"]]) == 1
            assert await scalar(db_url, select(func.count()).select_from(RoomMessage)) == 2


async def test_a_telegram_topic_post_becomes_one_slack_thread_reply_in_order(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            await propose_via_modal(w, slack, AUTHOR, "Bike lanes")
            await telegram_says(w, "/room 1")
            root = await slack_root(slack, "#1 Bike lanes", db_url)
            topic = await topic_of(tg, "#1 Bike lanes", db_url)
            first = await telegram_says(w, "first", chat=ROOM_CHAT, thread=topic)
            await telegram_says(w, "second, answering the first", chat=ROOM_CHAT, thread=topic, reply_to=first)
            await telegram_says(w, "third", chat=ROOM_CHAT, thread=topic)
            await message(slack, ROOM_CHANNEL, "third")
            thread = [message_text(m["params"]) for m in slack.in_thread(ROOM_CHANNEL, root)]
            assert thread == ["Jisoo (Telegram): first",
                              "Jisoo (Telegram): ↪ Jisoo: first\nsecond, answering the first",  # Slack quotes it
                              "Jisoo (Telegram): third"]
            assert tg.in_topic(ROOM_CHAT, topic) == []  # nothing mirrored back to where it was written
            with_replies = await scalar(db_url, select(func.count()).select_from(RoomMessage)
                                 .where(RoomMessage.reply_to_id.is_not(None)))
            assert with_replies == 1


async def test_the_lobby_is_the_general_topic_and_the_channel_top_level(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(SLACK_PERSON, "mina")
        async with running(db_url, slack, tg, **room_settings()) as w:
            await telegram_says(w, "Hello everyone", chat=ROOM_CHAT)
            lobby = await message(slack, ROOM_CHANNEL, "Hello everyone")
            assert lobby.get("thread_ts") is None
            assert (await w.post(rq.message_channel(SLACK_PERSON, "Hi from Slack", ROOM_CHANNEL)))[0] == 200
            assert html_to_plain(await in_topic(tg, None, "Hi from Slack")) == "mina (Slack): Hi from Slack"
            # A chat that is not the room is none of the room's business.
            await telegram_says(w, "elsewhere", chat=-1009999)
            assert await scalar(db_url, select(func.count()).select_from(RoomMessage)) == 2


async def opened(w: World, slack: SlackApiDouble, tg: TelegramApiDouble, title: str) -> tuple[str, int]:
    """A proposal with its discussion opened on both surfaces: (Slack root ts, Telegram topic)."""
    await propose_via_modal(w, slack, AUTHOR, title)
    await telegram_says(w, "/room 1")
    db_url = w.app.settings.oasis_database_url
    return await slack_root(slack, f"#1 {title}", db_url), await topic_of(tg, f"#1 {title}", db_url)


async def test_edits_reach_the_other_copy_once_and_an_unfurl_is_no_edit(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(SLACK_PERSON, "mina")
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Parks")
            written = await telegram_says(w, "Parks need shade", chat=ROOM_CHAT, thread=topic)
            copy = await message(slack, ROOM_CHANNEL, "Parks need shade")
            assert w.telegram is not None
            edit = edited_update(w.telegram.next_id(), TG_PERSON, "Parks need more shade", chat_id=ROOM_CHAT,
                                 message_id=written, thread_id=topic)
            assert await w.telegram.post(edit) == 200
            await slack.wait_for(lambda m, p: m == "chat.update" and p.get("ts") == copy["ts"])
            assert "Parks need more shade" in message_text(slack.messages[(ROOM_CHANNEL, copy["ts"])])
            assert slack.in_thread(ROOM_CHANNEL, root)[-1]["ts"] == copy["ts"]  # edited, not posted anew

            ts = "1700000000.000200"
            assert (await w.post(rq.message_channel(SLACK_PERSON, "Benches too", ROOM_CHANNEL, ts=ts,
                                                    thread_ts=root)))[0] == 200
            await in_topic(tg, topic, "Benches too")
            unfurl = rq.message_changed(SLACK_PERSON, "Benches too", ROOM_CHANNEL, ts, previous="Benches too",
                                        thread_ts=root)
            changed = rq.message_changed(SLACK_PERSON, "Benches and tables", ROOM_CHANNEL, ts,
                                         previous="Benches too", thread_ts=root)
            for request in (unfurl, changed):
                assert (await w.post(request))[0] == 200
            _, params = await tg.wait_for(lambda m, p: m == "editMessageText" and "tables" in p["text"])
            assert html_to_plain(params["text"]) == "mina (Slack): Benches and tables"
            assert tg.methods().count("editMessageText") == 1

            assert (await w.post(rq.message_deleted(SLACK_PERSON, ROOM_CHANNEL, ts, thread_ts=root)))[0] == 200
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") == params["message_id"])
            gone = await scalar(db_url, select(RoomMessage.deleted_at).where(RoomMessage.body == "Benches and tables"))
            assert gone is not None


async def test_delete_by_reply_removes_every_copy_and_only_for_its_author(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            _root, topic = await opened(w, slack, tg, "Libraries")
            written = await telegram_says(w, "Open on Sundays", chat=ROOM_CHAT, thread=topic)
            tg.people_messages.add((ROOM_CHAT, written))
            copy = await message(slack, ROOM_CHANNEL, "Open on Sundays")
            await telegram_says(w, "/delete", user=TG_OTHER, chat=ROOM_CHAT, thread=topic, reply_to=written)
            await in_topic(tg, topic, "Only its author can delete")
            assert (ROOM_CHANNEL, copy["ts"]) in slack.messages
            await telegram_says(w, "/delete", chat=ROOM_CHAT, thread=topic, reply_to=written)
            await slack.wait_for(lambda m, p: m == "chat.delete" and p.get("ts") == copy["ts"])
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") == written)
            assert (ROOM_CHANNEL, copy["ts"]) not in slack.messages
            assert "Deleted everywhere" in await in_topic(tg, topic, "Deleted everywhere")


async def grant(db_url: str, platform: str, user: str, role: str) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            await grant_role(session, platform, user, role, None)
    finally:
        await engine.dispose()


async def test_a_moderator_hides_a_message_everywhere_and_restores_it(sessions, db_url: str) -> None:
    await grant(db_url, "telegram", str(TG_MODERATOR), "moderator")
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Markets")
            written = await telegram_says(w, "Buy my stuff at spam.example", chat=ROOM_CHAT, thread=topic)
            tg.people_messages.add((ROOM_CHAT, written))
            copy = await message(slack, ROOM_CHANNEL, "Buy my stuff")
            await telegram_says(w, "/hide advertising", user=TG_OTHER, chat=ROOM_CHAT, thread=topic,
                                reply_to=written)
            await in_topic(tg, topic, "Only moderators can do that.")
            await telegram_says(w, "/hide advertising", user=TG_MODERATOR, chat=ROOM_CHAT, thread=topic,
                                reply_to=written)
            await slack.wait_for(lambda m, p: m == "chat.delete" and p.get("ts") == copy["ts"])
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") == written)
            _, told = await tg.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == TG_PERSON
                                        and "hid your message" in p["text"])
            assert "advertising" in html_to_plain(told["text"])
            acts = await scalar(db_url, select(func.count()).select_from(ModerationAct))
            assert acts == 1
            await telegram_says(w, "/unhide m1", user=TG_MODERATOR)
            await slack.wait_for(lambda m, p: m == "chat.postMessage" and "Buy my stuff" in message_text(p)
                                 and p.get("thread_ts") == root and p is not copy["params"])


async def test_three_distinct_reports_hide_a_message_and_the_moderators_decide(sessions, db_url: str) -> None:
    await grant(db_url, "telegram", str(TG_MODERATOR), "moderator")
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            _root, topic = await opened(w, slack, tg, "Noise")
            written = await telegram_says(w, "You are all idiots", chat=ROOM_CHAT, thread=topic)
            copy = await message(slack, ROOM_CHANNEL, "idiots")
            await telegram_says(w, "/report rude", chat=ROOM_CHAT, thread=topic, reply_to=written)  # the author
            await in_topic(tg, topic, "cannot report your own message")
            for reporter in (301, 302, 302):  # the same person twice counts once
                await telegram_says(w, "/report rude", user=reporter, chat=ROOM_CHAT, thread=topic,
                                    reply_to=written)
            await in_topic(tg, topic, "You reported m1 already.")
            assert (ROOM_CHANNEL, copy["ts"]) in slack.messages  # two people so far
            await telegram_says(w, "/report m1 insults", user=303)
            await slack.wait_for(lambda m, p: m == "chat.delete" and p.get("ts") == copy["ts"])
            _, notice = await tg.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == TG_MODERATOR
                                          and "reported by 3 people" in p["text"])
            buttons = [b["callback_data"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
            assert buttons == ["room.hide:m1", "room.restore:m1"]
            hidden = await scalar(db_url, select(RoomMessage.hidden_reason).where(RoomMessage.id == 1))
            assert hidden == "reports"


async def test_a_withdrawn_proposals_topic_is_closed_and_a_deleted_topic_is_opened_anew(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Fountains")
            del tg.topics[ROOM_CHAT][topic]  # someone deleted the topic in Telegram
            await telegram_says(w, "/comment 1 Still here?")
            await tg.wait_for(lambda m, p: m == "sendMessage" and "Still here?" in p["text"]
                              and p.get("message_thread_id") != topic)
            [again] = [t for t, name in tg.topics[ROOM_CHAT].items() if name.startswith("#1 Fountains")]
            assert "Still here?" in html_to_plain(tg.in_topic(ROOM_CHAT, again)[-1]["text"])

            await command(w, AUTHOR, "withdraw 1")
            await tg.wait_for(lambda m, p: m == "closeForumTopic" and p.get("message_thread_id") == again)
            note = await message(slack, ROOM_CHANNEL, "This discussion is closed")
            assert note["thread_ts"] == root and "#1 is withdrawn" in message_text(note["params"])
            await telegram_says(w, "But wait", chat=ROOM_CHAT, thread=again)
            assert "it takes no more comments" in await in_topic(tg, again, "no more comments")


async def test_a_burst_reaches_the_forum_complete_in_order_within_the_group_limit(sessions, db_url: str) -> None:
    """60 messages from 15 people (each within the flood limit) with Telegram's group limit scaled to 20
    per 4 s: all arrive in order, never over the limit, while private replies and Slack go on. (The forum
    drains in about 12 s: time enough for the private reply to show it was not queued behind the burst,
    even on a loaded machine where posting the 60 webhooks alone takes seconds.)"""
    limit = (20, 4.0)
    async with SlackApiDouble() as slack, TelegramApiDouble(group_limit=limit) as tg:
        slack.add_channel(ROOM_CHANNEL)
        people = [f"UP{n:02d}" for n in range(15)]
        for person in people:
            slack.add_user(person, person.lower())
        async with running(db_url, slack, tg, telegram_group_limit="20/4s", **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Festival")
            for n in range(60):
                said = rq.message_channel(people[n % 15], f"burst {n:02d}", ROOM_CHANNEL,
                                          ts=f"1700000100.{n:06d}", thread_ts=root)
                assert (await w.post(said))[0] == 200
            # While the forum drains at its pace, a private reply and the other surface are not held up.
            await telegram_says(w, "/show 1")
            await tg.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == TG_PERSON
                              and "Festival" in p["text"])
            await telegram_says(w, "from the topic", chat=ROOM_CHAT, thread=topic)
            await message(slack, ROOM_CHANNEL, "from the topic")
            assert len([p for p in tg.in_topic(ROOM_CHAT, topic) if "burst" in p["text"]]) < 60
            await in_topic(tg, topic, "burst 59", wait=30)  # the rest of the 12 s drain
            shown = [html_to_plain(p["text"]).split(": ", 1)[1] for p in tg.in_topic(ROOM_CHAT, topic)
                     if "burst" in p["text"]]
            assert shown == [f"burst {n:02d}" for n in range(60)]
            assert tg.over_group_limit == 0


async def test_a_429_pauses_only_that_destination(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Trams")
            tg.fail_next("sendMessage", status=429, retry_after=2, chat_id=ROOM_CHAT)
            started = asyncio.get_running_loop().time()
            await telegram_says(w, "/comment 1 Trams again")
            copy = await message(slack, ROOM_CHANNEL, "Trams again")
            assert copy["thread_ts"] == root
            assert asyncio.get_running_loop().time() - started < 1.5  # Slack did not wait for Telegram
            await in_topic(tg, topic, "Trams again")  # Telegram got it after its pause, not dropped
            assert asyncio.get_running_loop().time() - started >= 1.9


async def test_a_missing_right_turns_off_only_that_surfaces_room_with_one_line(
    sessions, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        tg.bot_rights = {"status": "administrator", "can_manage_topics": False, "can_delete_messages": True}
        with caplog.at_level(logging.WARNING, logger="bots.app"):
            async with running(db_url, slack, tg, **room_settings()) as w:
                await propose_via_modal(w, slack, AUTHOR, "Lamps")
                await telegram_says(w, "/comment 1 Brighter please")
                await message(slack, ROOM_CHANNEL, "Brighter please")  # Slack's room holds
                assert "createForumTopic" not in tg.methods()
        lines = [r.getMessage() for r in caplog.records if "dialogue room off" in r.getMessage()]
        assert lines == [f"dialogue room off on telegram: the bot's admin rights in group {ROOM_CHAT} lack: "
                         "Manage topics"]

        slack.scopes.discard("channels:history")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bots.app"):
            async with running(db_url, slack, tg, **room_settings()):
                pass
        assert any("dialogue room off on slack: the app lacks the scopes channels:history" in r.getMessage()
                   for r in caplog.records)


async def test_our_own_slack_post_coming_back_before_its_answer_is_not_relayed(sessions, db_url: str) -> None:
    """Slack may deliver the event of our post before chat.postMessage answers, so its ts is not known
    yet: the bot id, our bot user and the metadata marker on every post each recognise it."""
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Echoes")
            slack.hold("chat.postMessage")
            await telegram_says(w, "Hello from the topic", chat=ROOM_CHAT, thread=topic)
            await slack.wait_for(lambda m, p: m == "chat.postMessage" and "Hello from the topic" in message_text(p))
            [held] = slack.held
            assert held["metadata"]["event_type"] == "oasis_post"
            echoes = [{"bot_id": "BBOT", "metadata": held["metadata"]},  # as Slack sends it
                      {},  # only our bot user
                      {"metadata": held["metadata"]}]  # only the marker
            for n, extra in enumerate(echoes):
                user = "UOTHERAPP" if "metadata" in extra and "bot_id" not in extra else "UBOT"
                echo = rq.message_channel(user, message_text(held), ROOM_CHANNEL, ts=f"1700000300.{n:06d}",
                                          thread_ts=root, **extra)
                assert (await w.post(echo))[0] == 200
            slack.release("chat.postMessage")
            await message(slack, ROOM_CHANNEL, "Hello from the topic")
            await telegram_says(w, "/room 1")  # a later message: the echoes would have gone before it
            await tg.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == TG_PERSON)
            assert not [p for p in tg.in_topic(ROOM_CHAT, topic) if "Hello from the topic" in p["text"]]
            assert await scalar(db_url, select(func.count()).select_from(RoomMessage)) == 1


async def test_slack_shows_a_mirror_under_its_authors_name_where_the_app_may(sessions, db_url: str) -> None:
    await grant(db_url, "telegram", str(TG_MODERATOR), "moderator")
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.scopes.add("chat:write.customize")
        async with running(db_url, slack, tg, **room_settings()) as w:
            _root, topic = await opened(w, slack, tg, "Names")
            await telegram_says(w, "Signed by my name @here", chat=ROOM_CHAT, thread=topic)
            copy = await message(slack, ROOM_CHANNEL, "Signed by my name")
            assert copy["params"]["username"] == "Jisoo (Telegram)"
            assert message_text(copy["params"]) == "Signed by my name @\u2060here"  # not signed twice
            # Badges come from our roles only.
            await telegram_says(w, "Please keep it civil", user=TG_MODERATOR, chat=ROOM_CHAT, thread=topic)
            civil = await message(slack, ROOM_CHANNEL, "keep it civil")
            assert civil["params"]["username"] == "Jisoo (Telegram · moderator)"


def slack_escaped(text: str) -> str:
    """How Slack sends what a person typed: &, < and > as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def test_a_long_hostile_message_shows_literally_in_parts_that_follow_edits_and_deletes(
    sessions, db_url: str
) -> None:
    hostile = ("<b>bold?</b> _*[]()~ &amp; <!here> @all ")
    body = (hostile * (5000 // len(hostile) + 1))[:4999] + "!"
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(SLACK_PERSON, "mina")
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Long reads")
            ts = "1700000400.000100"
            said = rq.message_channel(SLACK_PERSON, slack_escaped(body), ROOM_CHANNEL, ts=ts, thread_ts=root)
            assert (await w.post(said))[0] == 200
            expected = "mina (Slack): " + body.replace("@", "@\u2060")

            def shown() -> str:
                return "".join(html_to_plain(p["text"]) for p in tg.in_topic(ROOM_CHAT, topic))

            await tg.wait_for(lambda _m, _p: shown() == expected)
            parts, ids = tg.in_topic(ROOM_CHAT, topic), tg.ids_in_topic(ROOM_CHAT, topic)
            assert len(parts) > 1 and all(len(html_to_plain(p["text"])) <= 4096 for p in parts)
            for part_id in ids:  # recorded just after Telegram showed each part
                await copy_recorded(db_url, "telegram", str(part_id))
            stored = await scalar(db_url, select(func.count()).select_from(RoomCopy).where(
                RoomCopy.platform == "telegram", RoomCopy.platform_message_id.in_([str(i) for i in ids])))
            assert stored == len(ids)  # every part maps to the one room message


            shorter = rq.message_changed(SLACK_PERSON, "Shorter now", ROOM_CHANNEL, ts,
                                         previous=slack_escaped(body), thread_ts=root)
            assert (await w.post(shorter))[0] == 200
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") == ids[-1])
            edits = [p for m, p in tg.calls if m == "editMessageText"]
            assert [(p["message_id"], html_to_plain(p["text"])) for p in edits] == [
                (ids[0], "mina (Slack): Shorter now")]
            assert tg.ids_in_topic(ROOM_CHAT, topic) == ids[:1]
            assert (await w.post(rq.message_deleted(SLACK_PERSON, ROOM_CHANNEL, ts, thread_ts=root)))[0] == 200
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") == ids[0])

            # A comment as long, from a private chat, shows literally on Slack too.
            await command(w, SLACK_PERSON, f"comment 1 {slack_escaped(body)}")
            copy = await message(slack, ROOM_CHANNEL, "bold?", "mina (Slack)")
            assert message_text(copy["params"]).replace("\n", "") == "mina (Slack): " + body.replace("@", "@\u2060")


async def test_a_hidden_slack_original_the_bot_may_not_delete_stays_with_a_notice(sessions, db_url: str) -> None:
    await grant(db_url, "telegram", str(TG_MODERATOR), "moderator")
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(SLACK_PERSON, "mina")
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Spam")
            ts = "1700000500.000100"
            said = rq.message_channel(SLACK_PERSON, "Cheap pills", ROOM_CHANNEL, ts=ts, thread_ts=root)
            assert (await w.post(said))[0] == 200
            await in_topic(tg, topic, "Cheap pills")
            [copy] = [i for i, p in zip(tg.ids_in_topic(ROOM_CHAT, topic), tg.in_topic(ROOM_CHAT, topic),
                                        strict=True) if "Cheap pills" in p["text"]]
            await copy_recorded(db_url, "telegram", str(copy))  # the reply below names the copy
            await telegram_says(w, "/hide spam", user=TG_MODERATOR, chat=ROOM_CHAT, thread=topic, reply_to=copy)
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") == copy)
            notice = await message(slack, ROOM_CHANNEL, "may not delete it here")
            assert notice["thread_ts"] == root and "m1" in message_text(notice["params"])
            assert ("chat.delete", ts) in [(m, p.get("ts")) for m, p in slack.calls]  # tried, refused
            _, told = await tg.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == TG_MODERATOR
                                        and "may not delete the original" in p["text"])
            assert "Slack" in html_to_plain(told["text"])
            await telegram_says(w, "/unhide m1", user=TG_MODERATOR)
            await tg.wait_for(lambda _m, _p: len([p for p in tg.in_topic(ROOM_CHAT, topic)
                                                  if "Cheap pills" in p["text"]]) == 1)
            posts = [p for m, p in slack.calls if m == "chat.postMessage" and "Cheap pills" in message_text(p)]
            assert posts == []  # the original never left Slack: no copy of it there


async def test_an_admin_token_lets_a_hide_delete_a_persons_slack_message(sessions, db_url: str) -> None:
    await grant(db_url, "telegram", str(TG_MODERATOR), "moderator")
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(SLACK_PERSON, "mina")
        slack.admin_token = ADMIN_TOKEN
        async with running(db_url, slack, tg, slack_admin_user_token=ADMIN_TOKEN, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Spam")
            ts = "1700000600.000100"
            said = rq.message_channel(SLACK_PERSON, "Cheap pills", ROOM_CHANNEL, ts=ts, thread_ts=root)
            assert (await w.post(said))[0] == 200
            await in_topic(tg, topic, "Cheap pills")
            await telegram_says(w, "/hide m1 spam", user=TG_MODERATOR)
            await tg.wait_for(lambda m, p: m == "deleteMessage")
            await slack.wait_for(lambda _m, _p: (ROOM_CHANNEL, ts) in slack.deleted_by_admin)
            await telegram_says(w, "/room 1")
            await tg.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == TG_PERSON)
            assert not [p for m, p in slack.calls if m == "chat.postMessage" and "may not delete" in message_text(p)]


async def test_slack_message_shortcuts_report_hide_and_delete(sessions, db_url: str) -> None:
    """A slash command cannot point at a message, so in Slack Report, Hide and Delete are shortcuts on it;
    Report and Hide ask the reason in a modal."""
    moderator, other = "UMOD", "UOTHER"
    await grant(db_url, "slack", moderator, "moderator")
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        slack.add_user(SLACK_PERSON, "mina")
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Shortcuts")
            mine = {"ts": "1700000700.000100", "user": SLACK_PERSON, "text": "Rude words", "thread_ts": root}
            said = rq.message_channel(SLACK_PERSON, "Rude words", ROOM_CHANNEL, ts=mine["ts"], thread_ts=root)
            assert (await w.post(said))[0] == 200
            await in_topic(tg, topic, "Rude words")

            assert (await w.post(rq.message_shortcut(other, "room_delete", ROOM_CHANNEL, mine)))[0] == 200
            await slack.wait_for(lambda m, p: m == "chat.postEphemeral" and p["user"] == other
                                 and "Only its author can delete" in message_text(p))
            assert (await w.post(rq.message_shortcut(other, "room_report", ROOM_CHANNEL, mine)))[0] == 200
            view = await opened_view(slack, "room.report", 1)
            assert (await w.post(rq.view_submission(other, view, {"reason": "insults"})))[0] == 200
            await message(slack, dm(other), "m1 is reported")
            reason = await scalar(db_url, select(RoomReport.reason).where(RoomReport.message_id == 1))
            assert reason == "insults"

            assert (await w.post(rq.message_shortcut(other, "room_hide", ROOM_CHANNEL, mine)))[0] == 200
            await slack.wait_for(lambda m, p: m == "chat.postEphemeral" and p["user"] == other
                                 and "Only moderators" in message_text(p))
            written = await telegram_says(w, "Spam from Telegram", chat=ROOM_CHAT, thread=topic)
            tg.people_messages.add((ROOM_CHAT, written))
            copy = await message(slack, ROOM_CHANNEL, "Spam from Telegram")
            await copy_recorded(db_url, "slack", str(copy["ts"]))
            theirs = {"ts": copy["ts"], "user": "UBOT", "bot_id": "BBOT", "text": "Spam", "thread_ts": root}
            assert (await w.post(rq.message_shortcut(moderator, "room_hide", ROOM_CHANNEL, theirs)))[0] == 200
            view = await opened_view(slack, "room.hide", 1)
            refused = await w.post(rq.view_submission(moderator, view, {"reason": ""}))
            assert json.loads(refused[1])["response_action"] == "errors"
            assert (await w.post(rq.view_submission(moderator, view, {"reason": "spam"})))[0] == 200
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") == written)
            await slack.wait_for(lambda m, p: m == "chat.delete" and p.get("ts") == copy["ts"])

            # The author deletes her own: gone from Telegram; Slack keeps her original, so she is told.
            assert (await w.post(rq.message_shortcut(SLACK_PERSON, "room_delete", ROOM_CHANNEL, mine)))[0] == 200
            await slack.wait_for(lambda m, p: m == "chat.postEphemeral" and p["user"] == SLACK_PERSON
                                 and "Deleted everywhere: m1" in message_text(p))
            await tg.wait_for(lambda m, p: m == "deleteMessage" and p.get("message_id") != written)
            await message(slack, dm(SLACK_PERSON), "please delete it there yourself")


async def test_a_flooding_person_the_bot_may_not_write_to_is_told_in_the_thread(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, oasis_room_flood="2/30s", **room_settings()) as w:
            _root, topic = await opened(w, slack, tg, "Floods")  # TG_PERSON wrote privately (/room 1)
            written = {(user, n): await telegram_says(w, f"flood {user} {n}", user=user, chat=ROOM_CHAT, thread=topic)
                       for user in (TG_OTHER, TG_PERSON) for n in range(4)}
            await message(slack, ROOM_CHANNEL, f"flood {TG_PERSON} 1")
            _, notice = await tg.wait_for(lambda m, p: m == "sendMessage" and "faster than the dialogue room"
                                          in p["text"] and p.get("chat_id") == ROOM_CHAT)
            assert notice["message_thread_id"] == topic
            assert notice["reply_parameters"]["message_id"] == written[(TG_OTHER, 2)]  # the first held one
            await tg.wait_for(lambda m, p: m == "sendMessage" and p.get("chat_id") == TG_PERSON
                              and "faster than the dialogue room" in p["text"])
            notices = [p for m, p in tg.calls if m == "sendMessage" and "faster than" in p["text"]]
            assert len(notices) == 2  # one each, not one per held message
            assert not [p for m, p in slack.calls if m == "chat.postMessage" and f"{TG_OTHER} 2" in message_text(p)]


async def test_a_retried_copy_is_not_overtaken_by_a_later_one(sessions, db_url: str) -> None:
    async with SlackApiDouble() as slack, TelegramApiDouble() as tg:
        slack.add_channel(ROOM_CHANNEL)
        async with running(db_url, slack, tg, **room_settings()) as w:
            root, topic = await opened(w, slack, tg, "Order")
            slack.fail_next("chat.postMessage", status=500)
            await telegram_says(w, "first", chat=ROOM_CHAT, thread=topic)
            await slack.wait_for(lambda m, p: m == "chat.postMessage" and "first" in message_text(p))
            await telegram_says(w, "second", chat=ROOM_CHAT, thread=topic)  # written while the first waits
            await message(slack, ROOM_CHANNEL, "second")
            thread = [message_text(m["params"]) for m in slack.in_thread(ROOM_CHANNEL, root)]
            assert thread == ["Jisoo (Telegram): first", "Jisoo (Telegram): second"]
