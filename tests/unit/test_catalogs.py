"""Every message the code can show has a Korean translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "text": None, "s": None, "plural": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def extracted() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for folder in ("bots", "adapters"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / folder), method_map=[("**.py", "python")], keywords=KEYWORDS,
        ):
            found.add(message if isinstance(message, str) else tuple(message))  # type: ignore[arg-type]
    return found


def korean() -> dict[object, object]:
    with (ROOT / "bots/locales/ko/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    return {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalog if m.id}


def test_every_message_has_a_korean_translation_with_matching_placeholders() -> None:
    messages = extracted()
    assert len(messages) > 100  # the extractor really found the conversation's strings
    ko = korean()
    missing = sorted(str(m) for m in messages if not ko.get(m))
    assert not missing, f"{len(missing)} messages lack Korean: {missing[:10]}"
    for msgid in messages:
        source = msgid if isinstance(msgid, str) else msgid[1]
        translated = ko[msgid]
        target = translated if isinstance(translated, str) else translated[0]  # type: ignore[index]
        assert set(PLACEHOLDER.findall(str(target))) <= set(PLACEHOLDER.findall(source)) | {"n"}, msgid
        assert "#{id}" not in source or "#{id}" in str(target), f"#<id> must stay in: {msgid}"
