"""Four languages in the conversation: a Telegram user's `language_code` picks Korean, English, Japanese or
Chinese; `/lang` overrides it; department and category names follow the reader."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.db import Sessions
from tests.driver import Speaker, said
from tests.integration import factories as f

JAPANESE_HELP = "/propose — 新しい提案を書く"
CHINESE_HELP = "/propose — 撰写新提案"


async def test_a_japanese_telegram_user_is_welcomed_and_helped_in_japanese(
    speaker: Callable[..., Speaker],
) -> None:
    aiko = speaker("aiko", locale="ja")
    welcome = said(await aiko.command("start"))
    assert "千万想像オアシスへようこそ！" in welcome
    assert "提案が3人の賛同を得ると、担当部署は必ず検討し" in welcome  # the threshold, in the plural entry
    assert "/propose で提案を始め" in welcome and "Welcome" not in welcome
    help_text = said(await aiko.command("help"))
    assert JAPANESE_HELP in help_text and "/lang ko|en|ja|zh — 言語" in help_text
    assert "write a new proposal" not in help_text


@pytest.mark.parametrize("language_code", ["zh-hans", "zh-CN", "zh-Hans-CN", "zh", "zh-TW", "zh-hant"])
async def test_a_chinese_telegram_user_is_helped_in_simplified_chinese(
    speaker: Callable[..., Speaker], language_code: str
) -> None:
    # Traditional-Chinese tags read the Simplified catalog too (bots/i18n.py normalize_language says why).
    wei = speaker("wei", locale=language_code)
    assert "欢迎使用千万想象绿洲！" in said(await wei.command("start"))
    help_text = said(await wei.command("help"))
    assert CHINESE_HELP in help_text and "write a new proposal" not in help_text


async def test_lang_ja_and_lang_zh_switch_and_outrank_the_platforms_language(
    speaker: Callable[..., Speaker],
) -> None:
    sam = speaker("sam", locale="en")
    assert said(await sam.command("lang", "ja")) == "言語を設定しました：日本語"
    assert JAPANESE_HELP in said(await sam.command("help"))
    assert said(await sam.command("cancel")) == "キャンセルする操作はありません。"
    assert said(await sam.command("lang", "zh")) == "语言已设置为：中文"
    assert CHINESE_HELP in said(await sam.command("help"))
    assert said(await sam.press("account.language", "ja")) == "言語を設定しました：日本語"
    aiko = speaker("aiko", locale="ja")
    assert said(await aiko.command("lang", "zh")) == "语言已设置为：中文"
    assert CHINESE_HELP in said(await aiko.command("help"))  # the choice, not Telegram's language_code
    assert "请选择语言：/lang ko、/lang en、/lang ja 或 /lang zh。" in said(await aiko.command("lang", "fr"))


async def test_a_proposal_shows_its_status_category_and_department_in_the_readers_language(
    sessions: Sessions, speaker: Callable[..., Speaker]
) -> None:
    pid = await f.proposal(sessions, await f.citizen(sessions, "author"), category="transport")
    japanese = said(await speaker("aiko", locale="ja").command("show", str(pid)))
    assert "分野：交通 · 担当部署：交通政策課" in japanese
    assert "賛同募集中" in japanese and "Transport Policy Division" not in japanese
    chinese = said(await speaker("wei", locale="zh-CN").command("show", str(pid)))
    assert "领域：交通 · 负责部门：交通政策处" in chinese
    assert "征集支持中" in chinese and "Transport Policy Division" not in chinese
    korean = said(await speaker("minji", locale="ko").command("show", str(pid)))
    assert "분야: 교통 · 담당부서: 교통정책과" in korean
    english = said(await speaker("sam", locale="en").command("show", str(pid)))
    assert "Category: Transport · Department: Transport Policy Division" in english


async def test_a_japanese_reader_may_name_a_category_in_japanese(speaker: Callable[..., Speaker]) -> None:
    aiko = speaker("aiko", locale="ja")
    assert "まだ提案はありません" in said(await aiko.command("list", "環境"))
    assert "「宇宙」という分野はありません。" in said(await aiko.command("list", "宇宙"))
