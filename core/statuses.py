"""Proposal statuses and the transitions PRODUCT.md §2 allows."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    PANEL_REVIEW = "panel_review"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    IMPLEMENTING = "implementing"
    IMPLEMENTED = "implemented"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    HIDDEN = "hidden"


ALLOWED: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset(
        {Status.UNDER_REVIEW, Status.WITHDRAWN, Status.CLOSED, Status.HIDDEN}
    ),
    Status.UNDER_REVIEW: frozenset({Status.PANEL_REVIEW, Status.REJECTED, Status.HIDDEN}),
    Status.PANEL_REVIEW: frozenset({Status.ADOPTED, Status.REJECTED, Status.HIDDEN}),
    Status.ADOPTED: frozenset({Status.IMPLEMENTING, Status.IMPLEMENTED}),
    Status.IMPLEMENTING: frozenset({Status.IMPLEMENTED}),
}


def can_move(current: Status, target: Status) -> bool:
    return target in ALLOWED.get(current, frozenset())


class ReasonCode(StrEnum):
    LAW = "law"
    BUDGET = "budget"
    DUPLICATE = "duplicate"
    ALREADY_DONE = "already_done"
    NOT_CITY = "not_city"
    INFEASIBLE = "infeasible"
    OTHER = "other"


class Role(StrEnum):
    CITIZEN = "citizen"
    MODERATOR = "moderator"
    OFFICIAL = "official"
    PANEL_INTERNAL = "panel_internal"
    PANEL_EXTERNAL = "panel_external"
    ADMIN = "admin"
