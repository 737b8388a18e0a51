"""How people write a proposal's number: '12', '#12' or 'p12' (a deep link's `start=p12`)."""

from __future__ import annotations

from core.errors import Invalid


def parse_id(text: str) -> int:
    """'12', '#12' or 'p12' → 12; a clear error for anything else."""
    token = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    digits = token.lstrip("#pP")
    if not digits.isdecimal() or len(digits) > 12:
        raise Invalid("need_id", given=token)
    return int(digits)
