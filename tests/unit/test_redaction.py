"""Secrets are masked in log messages, their arguments, tracebacks and URL-quoted forms."""

from __future__ import annotations

import logging

from bots.redaction import MASK, RedactingFormatter, Redactor, database_password, secrets_of
from bots.settings import Settings

TOKEN = "123456:AAH-secret-token"


def test_message_arguments_and_traceback_are_masked() -> None:
    formatter = RedactingFormatter(Redactor([TOKEN, None, "", "short"]), "%(message)s")
    try:
        raise RuntimeError(f"POST https://api.example/bot{TOKEN}/sendMessage failed")
    except RuntimeError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling %s", (f"/bot{TOKEN}/x",),
                                   (type(exc), exc, exc.__traceback__))
    out = formatter.format(record)
    assert TOKEN not in out and out.count(MASK) == 2 and "RuntimeError" in out


def test_url_quoted_secret_is_masked_and_short_values_are_left_alone() -> None:
    redact = Redactor(["p@ss/word!", "short"])
    assert redact("postgresql://u:p%40ss%2Fword%21@h/db and p@ss/word! short") == \
        f"postgresql://u:{MASK}@h/db and {MASK} short"


def test_secrets_of_settings_include_the_database_password() -> None:
    settings = Settings(_env_file=None, oasis_database_url="postgresql+asyncpg://u:hunter2-long@h/db",  # type: ignore[call-arg]
                        telegram_bot_token=TOKEN, slack_signing_secret="signing-secret")
    assert {TOKEN, "hunter2-long", "signing-secret"} <= {s for s in secrets_of(settings) if s}
    assert database_password("sqlite+aiosqlite:///oasis.db") is None
