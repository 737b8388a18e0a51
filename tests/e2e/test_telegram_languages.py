"""A Japanese and a Chinese Telegram user through the real server and python-telegram-bot: Telegram's
`language_code` picks the catalog, `/lang` changes it for the next messages."""

from __future__ import annotations

from tests.doubles.telegram_api import TelegramApiDouble
from tests.doubles.telegram_updates import message_update
from tests.e2e.harness import Client, running

AIKO, WEI = 310, 320


async def say(client: Client, user: int, text: str, language_code: str) -> None:
    assert await client.post(message_update(client.next_id(), user, text, language_code=language_code)) == 200


async def answer(api: TelegramApiDouble, chat: int, *words: str) -> str:
    call = await api.wait_for(lambda m, p: m == "sendMessage" and str(p.get("chat_id")) == str(chat)
                              and all(w in str(p.get("text", "")) for w in words))
    return str(call[1]["text"])


async def test_japanese_and_chinese_telegram_users_get_their_language(sessions, db_url: str) -> None:
    async with TelegramApiDouble() as api, running(db_url, api, migrate=False) as client:
        await say(client, AIKO, "/help", "ja")
        help_text = await answer(api, AIKO, "/propose — ")
        assert "/vote &lt;id&gt;、/unvote &lt;id&gt; — 提案に賛同する／賛同を取り消す" in help_text  # Telegram HTML
        await say(client, WEI, "/start", "zh-hans")
        assert "欢迎使用<b>千万想象绿洲</b>！" in await answer(api, WEI, "/propose", "欢迎使用")
        await say(client, WEI, "/help", "zh-CN")
        await answer(api, WEI, "/propose — 撰写新提案")
        await say(client, AIKO, "/lang zh", "ja")
        await answer(api, AIKO, "语言已设置为：中文")
        await say(client, AIKO, "/cancel", "ja")
        await answer(api, AIKO, "没有可取消的操作。")  # the choice outranks Telegram's language_code
        await say(client, WEI, "/lang ja", "zh-CN")
        await answer(api, WEI, "言語を設定しました：日本語")
        await say(client, WEI, "/cancel", "zh-CN")
        await answer(api, WEI, "キャンセルする操作はありません。")
