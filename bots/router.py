"""Routers: each capability declares its commands, buttons, forms and guided flows on a `Router` of its
own; the root (bots/routes.py) includes them explicitly, like aiogram's `include_router`.

A name attached twice, on one router or across included ones, raises at start-up: a second
`button("review")` can no longer silently replace the first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bots.context import Ctx
from core.dialogs import get_state

CommandHandler = Callable[[Ctx, str], Awaitable[None]]
ButtonHandler = Callable[[Ctx, str], Awaitable[None]]
BatchHandler = Callable[[list[tuple[Ctx, str]]], Awaitable[None]]
FormHandler = Callable[[Ctx, dict[str, str]], Awaitable[None]]
StepHandler = Callable[[Ctx, str, dict[str, Any], str], Awaitable[None]]
"""A guided flow's handler for free text: (ctx, step, data, text)."""
GroupHandler = Callable[[Ctx, str], Awaitable[None]]
"""What people do in a group chat (not with the bot in private), e.g. in the dialogue room: write ("text"),
change ("edit", the new text) or delete ("delete", no text) a message."""
GROUP_EVENTS = ("text", "edit", "delete")
StepButtonHandler = Callable[[Ctx, str, dict[str, Any]], Awaitable[None]]
"""A guided flow's button, called only at the steps it belongs to: (ctx, value, the flow's data)."""
Guard = Callable[[Ctx], None]
"""Raises (an OasisError the person is told) when the handler is not for them, e.g. staff only."""
H = TypeVar("H")


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, CommandHandler] = {}
        self.buttons: dict[str, ButtonHandler] = {}
        self.batch_buttons: dict[str, BatchHandler] = {}
        """Presses of these buttons may be applied many at once (one session), e.g. a storm of Support."""
        self.forms: dict[str, FormHandler] = {}
        self.flows: dict[str, StepHandler] = {}
        self.in_groups: dict[str, GroupHandler] = {}
        """At most one handler of each kind: a second capability that wants it raises at start-up."""
        self.aliases: dict[str, str] = {}
        """Old button action names (still on buttons in people's chats) → today's namespaced ones."""
        self._owner: dict[tuple[str, str], str] = {}  # (table, name) → the router that attached it

    def command(self, *names: str, guard: Guard | None = None) -> Callable[[CommandHandler], CommandHandler]:
        """`guard` runs before the handler (declared here, not called by hand in each handler)."""
        attach = self._attach("commands", self.commands, names)
        if guard is None:
            return attach

        def register(handler: CommandHandler) -> CommandHandler:
            async def guarded(ctx: Ctx, args: str) -> None:
                guard(ctx)
                await handler(ctx, args)

            attach(guarded)
            return handler

        return register

    def button(self, *actions: str) -> Callable[[ButtonHandler], ButtonHandler]:
        return self._attach("buttons", self.buttons, actions)

    def batch_button(self, action: str) -> Callable[[BatchHandler], BatchHandler]:
        return self._attach("batch_buttons", self.batch_buttons, (action,))

    def form(self, name: str) -> Callable[[FormHandler], FormHandler]:
        return self._attach("forms", self.forms, (name,))

    def flow(self, name: str) -> Callable[[StepHandler], StepHandler]:
        return self._attach("flows", self.flows, (name,))

    def in_group(self, kind: str) -> Callable[[GroupHandler], GroupHandler]:
        if kind not in GROUP_EVENTS:
            raise ValueError(f"unknown group event {kind!r}: one of {GROUP_EVENTS}")
        return self._attach("in_groups", self.in_groups, (kind,))

    def step_button(self, action: str, *, flow: str, steps: tuple[str, ...],
                    expired: str) -> Callable[[StepButtonHandler], StepButtonHandler]:
        """A button of a guided flow. The router checks once that the person is in `flow` at one of
        `steps` (an old button pressed later is answered with the translated `expired` toast)."""

        def register(handler: StepButtonHandler) -> StepButtonHandler:
            async def at_step(ctx: Ctx, value: str) -> None:
                state = await get_state(ctx.session, *ctx.user_key)
                if state is None or state.flow != flow or state.step not in steps:
                    ctx.notice(ctx.t.tr_plain(expired))
                    return
                await handler(ctx, value, dict(state.data))

            self._attach("buttons", self.buttons, (action,))(at_step)
            return handler

        return register

    def alias(self, **old_to_new: str) -> None:
        """Buttons already sent carry the old names (`pcat=...`): they keep working under the new ones."""
        for old, new in old_to_new.items():
            self._claim("aliases", old, self.name)
            self.aliases[old] = new

    def include_router(self, *routers: Router) -> Router:
        """Take in what the routers attached; a name attached by two of them raises."""
        for router in routers:
            for table in ("commands", "buttons", "batch_buttons", "forms", "flows", "in_groups", "aliases"):
                mine: dict[str, Any] = getattr(self, table)
                for name, handler in getattr(router, table).items():
                    self._claim(table, name, router._owner.get((table, name), router.name))
                    mine[name] = handler
        return self

    def _attach(self, table: str, handlers: dict[str, H], names: tuple[str, ...]) -> Callable[[H], H]:
        def register(handler: H) -> H:
            for name in names:
                self._claim(table, name, self.name)
                handlers[name] = handler
            return handler

        return register

    def _claim(self, table: str, name: str, owner: str) -> None:
        if (table, name) in self._owner:
            raise ValueError(f"{table[:-1].replace('_', ' ')} {name!r} is attached twice: by router "
                             f"{self._owner[(table, name)]!r} and by {owner!r}")
        self._owner[(table, name)] = owner
