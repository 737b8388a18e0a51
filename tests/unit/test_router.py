"""Routers: a name attached twice raises, on one router or across included ones; the root holds every
capability's commands, buttons, forms and flows."""

from __future__ import annotations

import pytest

from bots.context import Ctx
from bots.router import Router
from bots.routes import root_router


async def handler(ctx: Ctx, args: str) -> None:
    """A handler that is never called."""


def test_attaching_a_command_or_button_twice_raises() -> None:
    router = Router("a")
    router.command("vote")(handler)
    with pytest.raises(ValueError, match="'vote' is attached twice: by router 'a' and by 'a'"):
        router.command("vote")(handler)
    router.button("review")(handler)
    with pytest.raises(ValueError, match="button 'review'"):
        router.button("review")(handler)


def test_including_two_routers_that_attach_the_same_name_raises_naming_both() -> None:
    first, second = Router("citizen"), Router("staff")
    first.button("review")(handler)
    second.button("review")(handler)
    second.command("queue")(handler)
    with pytest.raises(ValueError, match="by router 'citizen' and by 'staff'"):
        Router("root").include_router(first, second)
    # The same names in different tables do not collide: a command and a button may share a word.
    third = Router("other")
    third.command("review")(handler)
    assert "review" in Router("root").include_router(first, third).commands


def test_the_root_holds_every_capability() -> None:
    root = root_router()
    assert {"start", "help", "propose", "vote", "unvote", "show", "review", "queue", "link", "notify",
            "lang", "mine", "comment", "follow", "withdraw", "cancel", "new", "top", "list"} <= set(root.commands)
    assert {"proposal.vote", "review.open", "propose.category", "propose.submit", "review.recommendation",
            "review.reason"} <= set(root.buttons)
    assert set(root.forms) == {"propose", "review", "evaluate", "room.hide", "room.report"}
    assert set(root.flows) == {"propose", "review", "evaluate", "call"}
    assert set(root.batch_buttons) == {"proposal.vote"}


def test_button_names_are_namespaced_fit_telegram_and_old_names_still_work() -> None:
    root = root_router()
    assert all("." in action for action in root.buttons), sorted(root.buttons)
    # callback data is "action:value" and Telegram takes at most 64 bytes; values are ids or short codes
    assert all(len(f"{action}:list:transport:1000000".encode()) <= 64 for action in root.buttons)
    assert {"vote", "pcat", "psubmit", "pcancel", "rrec", "rcode", "rsubmit", "rcancel", "review", "page", "show",
            "follow", "lang"} <= set(root.aliases)
    assert all(new in root.buttons for new in root.aliases.values())


async def test_a_guard_declared_on_the_command_runs_before_its_handler() -> None:
    called: list[str] = []

    def staff_only(ctx: Ctx) -> None:
        raise PermissionError("staff only")

    async def queue(ctx: Ctx, args: str) -> None:
        called.append(args)

    router = Router("staff")
    router.command("queue", guard=staff_only)(queue)
    with pytest.raises(PermissionError):
        await router.commands["queue"](None, "x")  # type: ignore[arg-type]
    assert called == []
