"""Secrets never reach a log line, a traceback or a stored error: every configured secret is replaced.

The bot token travels in every Bot API URL, so any library that logs or raises with a URL would
otherwise leak it; the database password can sit in a connection error. Redaction works on the
finished text (message, arguments, traceback alike), so no code path has to remember it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bots.settings import Settings

MASK = "[secret]"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words; no real secret is that short
# Libraries whose INFO lines carry request URLs (and so the bot token) or nothing an operator needs.
CHATTY_LOGGERS = ("httpx", "httpcore", "telegram", "slack_sdk", "slack_bolt", "apscheduler", "alembic")


class Redactor:
    """Replaces each secret (and its URL-quoted form) by MASK."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        forms = values | {_quoted(s) for s in values}
        self._pattern = re.compile("|".join(re.escape(v) for v in sorted(forms, key=len, reverse=True))) \
            if forms else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None else text


def secrets_of(settings: Settings) -> list[str | None]:
    """Every configured value that must stay private."""
    return [settings.telegram_bot_token, settings.telegram_webhook_secret, settings.slack_bot_token,
            settings.slack_admin_user_token,
            settings.slack_signing_secret, settings.oasis_secret_key, database_password(settings.oasis_database_url)]


def database_password(url: str) -> str | None:
    try:
        return make_url(url).password
    except ArgumentError:
        return None


class RedactingFormatter(logging.Formatter):
    def __init__(self, redact: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def install(redact: Redactor, fmt: str) -> None:
    """Every root handler formats through the redactor; chatty libraries speak from WARNING up."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(redact, fmt))
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _quoted(value: str) -> str:
    return quote(value, safe="")
