"""Domain errors carry a stable code and parameters; the conversation layer translates them."""

from __future__ import annotations

from typing import Any


class OasisError(Exception):
    """A failure a user can cause. `code` is a catalog key, `params` fill its placeholders."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


class NotFound(OasisError):
    pass


class Forbidden(OasisError):
    pass


class InvalidState(OasisError):
    pass


class Invalid(OasisError):
    pass
