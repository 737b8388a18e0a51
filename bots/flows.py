"""Guided conversations: each is a few steps whose state lives in the database (core.dialogs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.context import Ctx
from bots.router import StepHandler
from core.dialogs import clear_state, get_state, set_state


async def start(ctx: Ctx, name: str, step: str, data: dict[str, Any] | None = None) -> None:
    await set_state(ctx.session, *ctx.user_key, flow=name, step=step, data=data or {})


async def advance(ctx: Ctx, name: str, step: str, data: dict[str, Any]) -> None:
    await set_state(ctx.session, *ctx.user_key, flow=name, step=step, data=data)


async def current_step(ctx: Ctx) -> str | None:
    state = await get_state(ctx.session, *ctx.user_key)
    return state.step if state is not None else None


async def leave(ctx: Ctx) -> bool:
    return await clear_state(ctx.session, *ctx.user_key)


async def continue_flow(ctx: Ctx, text: str, flows: Mapping[str, StepHandler]) -> bool:
    """Hand free text to the person's guided conversation (a flow attached to the root router), if any."""
    state = await get_state(ctx.session, *ctx.user_key)
    if state is None or state.flow not in flows:
        return False
    await flows[state.flow](ctx, state.step, dict(state.data), text)
    return True
