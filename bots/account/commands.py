"""A person's own settings: `/lang`, `/link` to join accounts across messengers, `/notify via` for where news
arrives."""

from __future__ import annotations

from bots.context import Ctx
from bots.i18n import LANGUAGES, Translator, join
from bots.neutral import Button, Span
from bots.platforms import PLATFORMS
from bots.router import Router
from core import linking
from core.citizens import set_language
from core.errors import Invalid
from core.linking import CODE_LIFETIME

router = Router("account settings")
# Buttons already in people's chats carry the names of before issue 8.
router.alias(lang="account.language")

LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "ja": "日本語", "zh": "中文"}


@router.command("link")
async def link(ctx: Ctx, args: str) -> None:
    code = args.strip()
    if not code:
        issued = await linking.issue_code(ctx.session, ctx.actor, ctx.inbound.platform)
        minutes = int(CODE_LIFETIME.total_seconds() // 60)
        ctx.reply(join(
            ctx.t.tr("Your link code: {code}", code=Span(issued, "code")),
            ctx.t.tr_plural("On your other messenger, send /link {code} within {n} minute. The code works once.",
                         "On your other messenger, send /link {code} within {n} minutes. The code works once.",
                         minutes, code=issued),
        ))
        return
    result = await linking.redeem_code(ctx.session, ctx.actor, code)
    if result is None:
        ctx.reply(ctx.t.tr("That code is wrong, used or expired. Send /link on your other messenger for a new one."))
        return
    ctx.reply(join(
        ctx.t.tr("Your accounts are now linked: you are one citizen on every messenger you linked."),
        ctx.t.tr_plural("{n} vote was counted twice and now counts once.",
                     "{n} votes were counted twice and now count once.", result.votes_dropped)
        if result.votes_dropped else (),
    ))


@router.command("notify")
async def notify(ctx: Ctx, args: str) -> None:
    words = args.split()
    if len(words) == 2 and words[0].lower() == "via":
        platform = words[1].lower()
        if platform not in PLATFORMS:
            raise Invalid("notify_no_account", platform=platform)
        await linking.set_notify_platform(ctx.session, ctx.actor, platform)
        ctx.reply(ctx.t.tr("News about proposals will reach you on {platform}.",
                             platform=PLATFORMS[platform].label))
        return
    ctx.reply(ctx.t.tr("Send /notify via telegram or /notify via slack to choose where news reaches you. "
                         "Without a choice it goes to the messenger you used last."))


@router.command("lang")
@router.button("account.language")
async def lang(ctx: Ctx, args: str) -> None:
    code = args.strip().lower()
    if code not in LANGUAGES:
        buttons = (tuple(Button("account.language", c, name) for c, name in LANGUAGE_NAMES.items()),)
        ctx.reply(ctx.t.tr("Choose a language: /lang ko, /lang en, /lang ja or /lang zh."), buttons)
        return
    await set_language(ctx.session, ctx.actor.citizen_id, code)
    ctx.t = Translator(code, ctx.t.command_prefix, timezone=ctx.t.timezone)
    ctx.say(ctx.t.tr("Language set: {name}", name=LANGUAGE_NAMES[code]))
