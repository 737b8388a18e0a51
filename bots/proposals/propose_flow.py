"""/propose: title → description → category (buttons) → themed call, when one is open (buttons) → preview
with Submit / Cancel. /calls' "Propose to this call" starts it with the call chosen."""

from __future__ import annotations

from typing import Any

from bots import flows
from bots.context import Ctx
from bots.errors import error_text
from bots.i18n import N_, join
from bots.names import categories_in_order, category_names, resolve_category
from bots.neutral import Button, Span
from bots.proposals.propose_form import propose_form
from bots.proposals.submission import submit_and_confirm
from bots.router import Router
from core import calls, proposals
from core.errors import OasisError
from core.rules import DESCRIPTION_MAX, TITLE_MAX

router = Router("propose flow")
# Buttons already in people's chats carry the names of before issue 8.
router.alias(pcat="propose.category", psubmit="propose.submit", pcancel="propose.cancel")

FLOW = "propose"
EXPIRED = N_("This proposal form has expired. Send /propose to start again.")


@router.command("propose")
async def propose(ctx: Ctx, args: str) -> None:
    if ctx.inbound.forms and not args.strip():
        ctx.open_form(await propose_form(ctx))
        return
    await begin(ctx, args)


async def begin(ctx: Ctx, title: str = "") -> None:
    if title.strip():
        await _on_title(ctx, {}, title)
        return
    await flows.start(ctx, FLOW, "title")
    ctx.reply(ctx.t.tr(
        "Let's write your proposal. First, its title (at most {limit} characters). Send /cancel to stop.",
        limit=TITLE_MAX))


@router.flow(FLOW)
async def on_text(ctx: Ctx, step: str, data: dict[str, Any], text: str) -> None:
    if step == "title":
        await _on_title(ctx, data, text)
    elif step == "description":
        await _on_description(ctx, data, text)
    elif step == "category":
        code = await resolve_category(ctx, text)
        if code is None:
            await _ask_category(ctx, ctx.t.tr("Please choose one of the categories below."))
        else:
            await _after_category(ctx, {**data, "category": code})
    elif step == "call":
        await _ask_call(ctx, data)
    else:
        await _preview(ctx, data)


async def _on_title(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    try:
        title = proposals.validate_title(text)
    except OasisError as error:
        await flows.advance(ctx, FLOW, "title", data)
        ctx.reply(error_text(error, ctx.t))
        return
    await flows.advance(ctx, FLOW, "description", {**data, "title": title})
    ctx.reply(ctx.t.tr(
        "Now describe the problem and your idea (at most {limit} characters).", limit=DESCRIPTION_MAX))


async def _on_description(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    try:
        description = proposals.validate_description(text)
    except OasisError as error:
        ctx.reply(error_text(error, ctx.t))
        return
    await flows.advance(ctx, FLOW, "category", {**data, "description": description})
    await _ask_category(ctx, ctx.t.tr("Which field is it about?"))


async def _ask_category(ctx: Ctx, prompt: tuple[Span, ...]) -> None:
    cats = await categories_in_order(ctx)
    rows = tuple(
        tuple(Button("propose.category", code, name) for code, name in cats[i:i + 2]) for i in range(0, len(cats), 2)
    )
    ctx.reply(prompt, rows)


async def _after_category(ctx: Ctx, data: dict[str, Any]) -> None:
    if "call" not in data and await calls.open_calls(ctx.session):
        await _ask_call(ctx, data)
    else:
        await _preview(ctx, data)


async def _ask_call(ctx: Ctx, data: dict[str, Any]) -> None:
    await flows.advance(ctx, FLOW, "call", data)
    found = await calls.open_calls(ctx.session)
    rows = tuple((Button("propose.callpick", str(c.id), c.title[:60]),) for c in found)
    ctx.reply(ctx.t.tr("Is it for one of the open themed calls? /calls describes them."),
              (*rows, (Button("propose.callpick", "0", ctx.t.tr_plain("No themed call")),)))


async def _preview(ctx: Ctx, data: dict[str, Any]) -> None:
    await flows.advance(ctx, FLOW, "preview", data)
    names = await category_names(ctx)
    lines = [
        ctx.t.tr("Please check your proposal:"),
        (Span(data["title"], "bold"),),
        (Span(data["description"]),),
        ctx.t.tr("Category: {category}", category=names.get(data["category"], data["category"])),
    ]
    if data.get("call"):
        chosen = await calls.open_call(ctx.session, int(data["call"]))
        lines.append(ctx.t.tr("Themed call: {title}", title=chosen.title))
    text = join(*lines)
    buttons = ((Button("propose.submit", "1", ctx.t.tr_plain("✅ Submit")),
                Button("propose.cancel", "1", ctx.t.tr_plain("✖ Cancel"))),)
    ctx.reply(text, buttons)


@router.step_button("propose.category", flow=FLOW, steps=("category", "preview"), expired=EXPIRED)
async def on_category(ctx: Ctx, value: str, data: dict[str, Any]) -> None:
    code = await resolve_category(ctx, value)
    if code is None:
        await _ask_category(ctx, ctx.t.tr("Please choose one of the categories below."))
        return
    ctx.notice(ctx.t.tr_plain("Category chosen."))
    await _after_category(ctx, {**data, "category": code})


@router.step_button("propose.callpick", flow=FLOW, steps=("call",), expired=EXPIRED)
async def on_call(ctx: Ctx, value: str, data: dict[str, Any]) -> None:
    call_id = int(value) if value.isdecimal() else 0
    if call_id:
        await calls.open_call(ctx.session, call_id)
    await _preview(ctx, {**data, "call": call_id})


@router.button("propose.call")
async def propose_to_call(ctx: Ctx, value: str) -> None:
    """From /calls: a proposal to that call, step by step (the call is chosen already)."""
    call_id = int(value) if value.isdecimal() else 0
    chosen = await calls.open_call(ctx.session, call_id)
    await flows.start(ctx, FLOW, "title", {"call": chosen.id})
    ctx.reply(ctx.t.tr("A proposal to the themed call {title}. First, its title (at most {limit} characters). "
                       "Send /cancel to stop.", title=Span(chosen.title, "bold"), limit=TITLE_MAX))


@router.step_button("propose.submit", flow=FLOW, steps=("preview",), expired=EXPIRED)
async def on_submit(ctx: Ctx, _value: str, data: dict[str, Any]) -> None:
    await flows.leave(ctx)
    await submit_and_confirm(ctx, data["title"], data["description"], data["category"], data.get("call") or None)


@router.button("propose.cancel")
async def on_cancel(ctx: Ctx, _value: str) -> None:
    await flows.leave(ctx)
    ctx.notice(ctx.t.tr_plain("Cancelled."))
    ctx.reply(ctx.t.tr("Cancelled. Nothing was submitted."))
