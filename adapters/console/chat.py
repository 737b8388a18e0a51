"""`oasis chat`: the same conversation in a terminal, buttons shown as numbered options."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Callable
from typing import TextIO

from bots.i18n import Translator, normalize_language
from bots.neutral import (
    Button,
    ButtonPress,
    Command,
    Inbound,
    Message,
    OpenForm,
    RefuseForm,
    Reply,
    Text,
    Toast,
    Where,
    Who,
)
from bots.ports import InboundHandler

PLATFORM = "console"


def render(reply: Reply, numbered: list[Button]) -> str:
    """Plain text; each button gets the next number, which the person types to press it. A toast is shown
    in parentheses; the terminal has no forms (the conversation offers them only where `Inbound.forms`)."""
    match reply:
        case Toast():
            return f"({reply.text})" if reply.text else ""
        case OpenForm() | RefuseForm():
            return ""
        case Message():
            pass
    lines = ["".join(span.text if span.style != "link" else (span.url or span.text) for span in reply.text)]
    for row in reply.buttons:
        options = []
        for button in row:
            numbered.append(button)
            options.append(f"[{len(numbered)}] {button.label}")
        lines.append("  ".join(options))
    return "\n".join(line for line in lines if line)


class ConsoleChat:
    def __init__(self, handler: InboundHandler, name: str, locale: str | None,
                 out: TextIO = sys.stdout) -> None:
        self.handler = handler
        self.who = Who(PLATFORM, name, name, locale)
        self.where = Where(chat_id=name, direct=True)
        self.out = out
        self.buttons: list[Button] = []
        self._ids: Callable[[], int] = itertools.count(1).__next__
        self._session = f"{asyncio.get_running_loop().time():.6f}"

    def to_inbound(self, line: str) -> Inbound | None:
        text = line.strip()
        event_id = f"{self.who.user_id}:{self._session}:{self._ids()}"
        if text.isdigit() and 0 < int(text) <= len(self.buttons):
            button = self.buttons[int(text) - 1]
            return Inbound(PLATFORM, event_id, self.who, self.where, ButtonPress(button.action, button.value))
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            return Inbound(PLATFORM, event_id, self.who, self.where, Command(name.lower(), args.strip()))
        return Inbound(PLATFORM, event_id, self.who, self.where, Text(line.rstrip("\n")))

    async def say(self, line: str) -> None:
        inbound = self.to_inbound(line)
        if inbound is None:
            return
        replies = await self.handler(inbound) or []
        self.buttons = []
        for message in replies:
            text = render(message, self.buttons)
            if text:
                print(text, file=self.out, flush=True)
                print(file=self.out, flush=True)


class ConsoleSender:
    """Prints notifications for people chatting in this terminal."""

    platform = PLATFORM

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    async def send(self, message: Message) -> str | None:
        print(f"📬 [{message.chat_id}] " + render(message, []), file=self.out, flush=True)
        return None


async def run_console(handler: InboundHandler, name: str, locale: str | None, default_language: str,
                      stdin: TextIO = sys.stdin) -> None:
    chat = ConsoleChat(handler, name, locale)
    t = Translator(normalize_language(locale) or default_language)
    print(t.tr_plain("Oasis — chatting as {name}. Type /help, a number to press a button, or Ctrl-D to leave.",
              name=name), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        print("> ", end="", flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        if line.strip():
            await chat.say(line)
