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


async def leave(ctx: Ctx) -> bool:
    return await clear_state(ctx.session, *ctx.user_key)


async def current(ctx: Ctx, name: str) -> tuple[str, dict[str, Any]] | None:
    state = await get_state(ctx.session, *ctx.user_key)
    if state is None or state.flow != name:
        return None
    return state.step, dict(state.data)


async def at_step(ctx: Ctx, name: str, steps: tuple[str, ...], expired: str) -> dict[str, Any] | None:
    """The flow's data if the person is at one of these steps; else tell them the button has expired."""
    state = await current(ctx, name)
    if state is None or state[0] not in steps:
        ctx.notice(expired)
        return None
    return state[1]


async def continue_flow(ctx: Ctx, text: str, flows: Mapping[str, StepHandler]) -> bool:
    """Hand free text to the person's guided conversation (a flow attached to the root router), if any."""
    state = await get_state(ctx.session, *ctx.user_key)
    if state is None or state.flow not in flows:
        return False
    await flows[state.flow](ctx, state.step, dict(state.data), text)
    return True
