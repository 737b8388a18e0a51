"""Slack adapter: slash commands, DMs, buttons and modals through slack-bolt; the outbox's Slack sender."""

from adapters.slack.blocks import escape, fallback_text, incoming_text, modal_view, rich_text_blocks
from adapters.slack.events import SLACK_PATH, SlackAdapter, make_client
from adapters.slack.sender import SlackSender

__all__ = [
    "SLACK_PATH",
    "SlackAdapter",
    "SlackSender",
    "escape",
    "fallback_text",
    "incoming_text",
    "make_client",
    "modal_view",
    "rich_text_blocks",
]
