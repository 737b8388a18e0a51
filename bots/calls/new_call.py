"""/call new: an official opens a themed call for their department, step by step (title, description,
opening and closing times in OASIS_TIMEZONE), then confirms it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bots import flows
from bots.context import Ctx
from bots.errors import error_text
from bots.i18n import N_, join
from bots.names import department_name
from bots.neutral import Button, Span
from bots.router import Router
from bots.time import local_day
from core import calls
from core.citizens import require_staff
from core.errors import Invalid, OasisError

router = Router("new call")

FLOW = "call"
EXPIRED = N_("This call form has expired. Send /call new to start again.")


def parse_moment(text: str, timezone: str) -> datetime:
    """ISO 8601 (2026-12-01 or 2026-12-01T09:00, with or without an offset) → naive UTC; a time without an
    offset is read in `timezone`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise Invalid("bad_moment", value=text.strip()) from error
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))
    return aware.astimezone(UTC).replace(tzinfo=None)


@router.command("call")
async def call(ctx: Ctx, args: str) -> None:
    require_staff(ctx.actor)
    if args.strip().lower() != "new":
        raise Invalid("need_call_new")
    department = ctx.actor.departments()[0] if ctx.actor.departments() else None
    await flows.start(ctx, FLOW, "title" if department else "department", {"department": department})
    if department is None:
        ctx.reply(ctx.t.tr("Which department opens the call? Write its code, for example transport."))
    else:
        ctx.reply(ctx.t.tr("A new themed call for {department}. Its title? Send /cancel to stop.",
                           department=await department_name(ctx, department)))


@router.flow(FLOW)
async def on_text(ctx: Ctx, step: str, data: dict[str, Any], text: str) -> None:
    try:
        await _step(ctx, step, data, text.strip())
    except OasisError as error:
        ctx.reply(error_text(error, ctx.t))


async def _step(ctx: Ctx, step: str, data: dict[str, Any], text: str) -> None:
    if step == "department":
        await flows.advance(ctx, FLOW, "title", {**data, "department": text.lower()})
        ctx.reply(ctx.t.tr("Its title?"))
    elif step == "title":
        if not text:
            raise Invalid("call_title_empty")
        await flows.advance(ctx, FLOW, "description", {**data, "title": text})
        ctx.reply(ctx.t.tr("What is it about? (or - for no description)"))
    elif step == "description":
        await flows.advance(ctx, FLOW, "opens", {**data, "description": "" if text == "-" else text})
        ctx.reply(ctx.t.tr("When does it open? For example 2026-12-01T09:00, or now."))
    elif step == "opens":
        opens = datetime.now(UTC).replace(tzinfo=None) if text.lower() == "now" else parse_moment(text, ctx.t.timezone)
        await flows.advance(ctx, FLOW, "closes", {**data, "opens": opens.isoformat()})
        ctx.reply(ctx.t.tr("When does it close? For example 2026-12-31T18:00."))
    elif step == "closes":
        closes = parse_moment(text, ctx.t.timezone)
        data = {**data, "closes": closes.isoformat()}
        await flows.advance(ctx, FLOW, "confirm", data)
        ctx.reply(join(
            ctx.t.tr("Themed call: {title}", title=Span(data["title"], "bold")),
            ctx.t.tr("From {opens} to {closes}, by {department}.",
                     opens=local_day(datetime.fromisoformat(data["opens"]), ctx.t.timezone),
                     closes=local_day(closes, ctx.t.timezone),
                     department=await department_name(ctx, data["department"])),
        ), ((Button("call.create", "1", ctx.t.tr_plain("✅ Open the call")),
             Button("call.cancel", "1", ctx.t.tr_plain("✖ Cancel"))),))


@router.step_button("call.create", flow=FLOW, steps=("confirm",), expired=EXPIRED)
async def on_create(ctx: Ctx, _value: str, data: dict[str, Any]) -> None:
    await flows.leave(ctx)
    made = await calls.create(ctx.session, ctx.actor, department=data["department"], title=data["title"],
                              description=data.get("description", ""),
                              opens_at=datetime.fromisoformat(data["opens"]),
                              closes_at=datetime.fromisoformat(data["closes"]))
    ctx.reply(ctx.t.tr("Themed call {id} is set: subscribers hear of it when it opens.", id=made.id))


@router.button("call.cancel")
async def on_cancel(ctx: Ctx, _value: str) -> None:
    await flows.leave(ctx)
    ctx.reply(ctx.t.tr("Cancelled. No call was made."))
