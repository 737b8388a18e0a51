"""One settings object, read once in the composition root and passed down (PRODUCT.md §8)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.rules import parse_days, parse_flood


class Settings(BaseSettings):
    """Every operator-facing knob; names match `.env.example` exactly."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    oasis_database_url: str = "sqlite+aiosqlite:///oasis.db"
    oasis_host: str = "127.0.0.1"
    oasis_port: int = 8080
    oasis_public_url: str = "http://127.0.0.1:8080"
    oasis_vote_threshold: int = Field(default=5, ge=1)
    oasis_review_days: int = Field(default=14, ge=1)
    oasis_panel_days: int = Field(default=14, ge=1)
    oasis_panel_quorum: int = Field(default=1, ge=1)
    oasis_reminder_days: str = "3,1"
    oasis_mileage_proposal: int = Field(default=10, ge=0)
    oasis_mileage_vote: int = Field(default=1, ge=0)
    oasis_mileage_comment: int = Field(default=2, ge=0)
    oasis_mileage_review: int = Field(default=20, ge=0)
    oasis_mileage_adopted: int = Field(default=100, ge=0)
    oasis_mileage_implemented: int = Field(default=50, ge=0)

    @field_validator("oasis_reminder_days")
    @classmethod
    def _reminder_days(cls, value: str) -> str:
        parse_days(value)
        return value
    oasis_support_days: int = Field(default=0, ge=0)
    oasis_default_language: str = "ko"
    oasis_timezone: str = "Asia/Seoul"
    oasis_departments_file: str | None = None
    oasis_outbox_give_up_hours: float = Field(default=24.0, gt=0)
    oasis_outbox_lease_seconds: float = Field(default=60.0, ge=5)
    oasis_inbox_days: int = Field(default=30, ge=1)
    oasis_reports_to_hide: int = Field(default=3, ge=1)
    oasis_room_flood: str = "5/30s,20/600s"

    oasis_secret_key: str | None = None
    """Signs web chat sessions; unset, one is generated on first run and kept in the database."""
    oasis_web_session_limit: str = "20/60s,300/1h"
    oasis_web_address_limit: str = "60/60s,1000/1h"
    oasis_web_new_sessions: str = "20/1h"

    @field_validator("oasis_room_flood", "oasis_web_session_limit", "oasis_web_address_limit",
                     "oasis_web_new_sessions")
    @classmethod
    def _flood_limits(cls, value: str) -> str:
        parse_flood(value)  # refuse a malformed value at start-up, with what is wrong
        return value

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_room_chat_id: int | None = None
    telegram_max_messages_per_second: float = Field(default=30.0, gt=0)
    telegram_group_limit: str = "20/60s"

    @field_validator("telegram_group_limit")
    @classmethod
    def _group_limit(cls, value: str) -> str:
        if len(parse_flood(value)) != 1:
            raise ValueError("one <count>/<window> pair, like 20/60s")
        return value

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_room_channel_id: str | None = None
    slack_admin_user_token: str | None = None
