"""Every message the code can show has a Korean translation, with the same placeholders, and the extractor
finds messages and nothing else.

Extraction runs the real `pybabel extract` with the settings `make catalogs` uses (`[tool.babel.*]` in
pyproject.toml), so the test and the catalogs cannot drift apart.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
MessageId = str | tuple[str, ...]


def babel_config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        config: dict[str, object] = tomllib.load(handle)["tool"]["babel"]["extract_messages"]
    return config


def keyword_names() -> set[str]:
    """'tr tr_plain tr_plural:1,2 N_' → the function names, without argument specs."""
    return {word.split(":")[0] for word in str(babel_config()["keywords"]).split()}


def source_files() -> list[Path]:
    paths = babel_config()["input_paths"]
    assert isinstance(paths, list)
    return sorted(file for folder in paths for file in (ROOT / folder).rglob("*.py"))


def message_ids(po_file: Path, locale: str | None = None) -> dict[MessageId, object]:
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[MessageId, object]:
    out = tmp_path_factory.mktemp("catalogs") / "messages.pot"
    mp = pytest.MonkeyPatch()
    try:
        mp.chdir(ROOT)  # the configuration's paths are relative to the project
        mp.setenv("BABEL_PYPROJECT_TOML", str(ROOT / "pyproject.toml"))  # a broken config fails loudly
        CommandLineInterface().run(["pybabel", "--quiet", "extract", "-o", str(out)])
    finally:
        mp.undo()
    return message_ids(out)


def test_every_message_has_a_korean_translation_with_matching_placeholders(
    extracted: dict[MessageId, object],
) -> None:
    assert len(extracted) > 100  # the extractor really found the conversation's strings
    ko = message_ids(ROOT / "bots/locales/ko/LC_MESSAGES/messages.po", locale="ko")
    missing = sorted(str(m) for m in extracted if not ko.get(m))
    assert not missing, f"{len(missing)} messages lack Korean: {missing[:10]}"
    for msgid in extracted:
        source = msgid if isinstance(msgid, str) else msgid[1]
        translated = ko[msgid]
        target = translated if isinstance(translated, str) else translated[0]  # type: ignore[index]
        assert set(PLACEHOLDER.findall(str(target))) <= set(PLACEHOLDER.findall(source)) | {"n"}, msgid
        assert "#{id}" not in source or "#{id}" in str(target), f"#<id> must stay in: {msgid}"


def test_the_committed_template_is_what_the_code_holds(extracted: dict[MessageId, object]) -> None:
    committed = set(message_ids(ROOT / "bots/locales/messages.pot"))
    assert committed == set(extracted), "run `make catalogs` and translate what is new"


def keyword_misuses(files: Iterable[Path], keywords: set[str]) -> list[str]:
    """Every place where a keyword name is something other than a call (`t.tr(...)`, `N_(...)`), an import of
    it, or its definition in bots/i18n.py: as a variable, parameter, attribute or argument name the
    extractor may take the code around it for a message."""
    found = []
    for file in files:
        source = file.read_text("utf-8")
        tree = ast.parse(source)
        called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        defines = file == ROOT / "bots/i18n.py"
        for node in ast.walk(tree):
            name: str | None = None
            if isinstance(node, ast.Name | ast.Attribute) and id(node) not in called:
                name = node.id if isinstance(node, ast.Name) else node.attr
            elif isinstance(node, ast.arg | ast.keyword):
                name = node.arg
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not defines:
                name = node.name
            elif isinstance(node, ast.alias) and node.asname != node.name:
                name = node.asname
            if name in keywords:
                where = f"{file.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
                found.append(f"{where}: {ast.get_source_segment(source, node) or name}")
    return found


def test_no_name_in_the_code_collides_with_an_extraction_keyword() -> None:
    misuses = keyword_misuses(source_files(), keyword_names())
    assert not misuses, "these names are catalog keywords; rename the variable:\n" + "\n".join(misuses)


def test_the_collision_check_catches_a_parameter_named_like_a_keyword() -> None:
    # The old keywords (`_ text s plural`) let Babel 2.19 read `_clip(text, ...)` in the Slack blocks as a
    # message; with those keywords this check points at it.
    misuses = keyword_misuses([ROOT / "adapters/slack/blocks.py"], {"_", "text", "s", "plural"})
    assert "adapters/slack/blocks.py:54: text: str" in misuses, misuses
