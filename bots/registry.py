"""A small routing table: command names and button actions to handler functions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bots.context import Ctx

CommandHandler = Callable[[Ctx, str], Awaitable[None]]
ButtonHandler = Callable[[Ctx, str], Awaitable[None]]
BatchHandler = Callable[[list[tuple[Ctx, str]]], Awaitable[None]]


@dataclass
class Registry:
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    forms: dict[str, Callable[[Ctx, dict[str, str]], Awaitable[None]]] = field(default_factory=dict)
    batch_buttons: dict[str, BatchHandler] = field(default_factory=dict)
    """Presses of these buttons may be applied many at once (one session), e.g. a storm of Support."""

    def command(self, *names: str) -> Callable[[CommandHandler], CommandHandler]:
        def register(fn: CommandHandler) -> CommandHandler:
            for name in names:
                self.commands[name] = fn
            return fn

        return register

    def batch_button(self, action: str) -> Callable[[BatchHandler], BatchHandler]:
        def register(fn: BatchHandler) -> BatchHandler:
            self.batch_buttons[action] = fn
            return fn

        return register

    def button(self, *actions: str) -> Callable[[ButtonHandler], ButtonHandler]:
        def register(fn: ButtonHandler) -> ButtonHandler:
            for action in actions:
                self.buttons[action] = fn
            return fn

        return register


registry = Registry()
