"""Every message the code can show has a Korean, Japanese and Chinese translation, with the same
placeholders, commands and proposal numbers, and the extractor finds messages and nothing else.

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

from bots.i18n import CATALOG_LANGUAGES, LANGUAGES, Translator

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
COMMAND_WORD = re.compile(r"(?<![\w/:.<])/[a-z][a-z0-9_]*")  # where bots/i18n.py COMMAND finds one, and its name
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
TRANSLATED = ("ko", "ja", "zh")  # every language but English, whose catalog is the message ids themselves
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


def catalog_file(lang: str) -> Path:
    return ROOT / f"bots/locales/{lang}/LC_MESSAGES/messages.po"


def forms(msgid: MessageId, translated: object) -> list[str]:
    """The translated strings of one entry: one for a message, every plural form for a plural one."""
    if isinstance(msgid, str):
        return [str(translated or "")]
    assert isinstance(translated, tuple | list), msgid
    return [str(form or "") for form in translated]


def problems(msgid: MessageId, translated: object) -> list[str]:
    """What is wrong with one translation: a missing form, a placeholder, command or `#{id}` that is not
    exactly the English one's, a line break more or less, or English text left untranslated."""
    sources = [msgid] if isinstance(msgid, str) else list(msgid)
    placeholders = {name for source in sources for name in PLACEHOLDER.findall(source)}
    commands = sorted(COMMAND_WORD.findall(sources[-1]))
    found = []
    for target in forms(msgid, translated):
        if not target:
            found.append("untranslated")
            continue
        if set(PLACEHOLDER.findall(target)) != placeholders:
            found.append(f"placeholders {sorted(PLACEHOLDER.findall(target))} ≠ {sorted(placeholders)}")
        if sorted(COMMAND_WORD.findall(target)) != commands:
            found.append(f"commands {sorted(COMMAND_WORD.findall(target))} ≠ {commands}")
        if sources[-1].count("#{id}") != target.count("#{id}"):
            found.append("#{id} must stay as it is")
        if sources[-1].count("\n") != target.count("\n"):
            found.append("line breaks differ")
        words = re.sub(r"[a-z]?<[^>]*>|m\{id\}", "", COMMAND_WORD.sub("", PLACEHOLDER.sub("", sources[-1])))
        if re.search(r"[A-Za-z]{3,}", words) and not CJK.search(target):
            found.append("still English")
    return found


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_keeping_placeholders_commands_and_proposal_numbers(
    extracted: dict[MessageId, object], lang: str
) -> None:
    translated = message_ids(catalog_file(lang), locale=lang)
    wrong = {str(m): found for m in extracted if (found := problems(m, translated.get(m)))}
    assert not wrong, f"{len(wrong)} {lang} messages need work: {list(wrong.items())[:10]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_catalog_has_one_plural_form_per_its_languages_rule_and_no_fuzzy_guess(lang: str) -> None:
    with catalog_file(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    assert catalog.num_plurals == 1 and catalog.plural_expr == "0"  # Korean, Japanese, Chinese: one form
    plural = [m for m in catalog if m.id and not isinstance(m.id, str)]
    assert plural and all(len(m.string) == 1 for m in plural), lang
    assert not [m.id for m in catalog if m.id and m.fuzzy], lang


def test_every_offered_language_has_a_catalog_that_make_catalogs_updates() -> None:
    assert set(CATALOG_LANGUAGES) == set(LANGUAGES)
    line = next(row for row in (ROOT / "Makefile").read_text().splitlines() if row.startswith("CATALOG_LANGUAGES"))
    assert set(line.split(":=")[1].split()) == set(LANGUAGES)
    assert all(catalog_file(lang).is_file() for lang in LANGUAGES)


@pytest.mark.parametrize(("lang", "cancelled", "needed"), [
    ("ko", "취소했어요.", "검토까지 공감 3명이 더 필요해요."),
    ("ja", "キャンセルしました。", "部署検討まで、あと3人の賛同が必要です。"),
    ("zh", "已取消。", "还需 3 人支持即可进入审查。"),
    ("en", "Cancelled.", "3 more supporters are needed for review."),
])
def test_the_translator_reads_each_catalog_with_plurals_and_command_prefixes(
    lang: str, cancelled: str, needed: str
) -> None:
    t = Translator(lang)
    assert t.tr_plain("Cancelled.") == cancelled
    more = t.tr_plural("{n} more supporter is needed for review.", "{n} more supporters are needed for review.", 3)
    assert "".join(span.text for span in more) == needed
    slack = Translator(lang, "/oasis ").tr_plain("/propose — write a new proposal")
    assert slack.startswith("/oasis propose ")  # the surface's prefix replaces the slash, in every language


def test_the_translation_check_finds_what_it_is_for() -> None:
    assert problems("Cancelled.", "キャンセルしました。") == []
    assert problems("Cancelled.", "Cancelled.") == ["still English"]
    assert problems("Cancelled.", "") == ["untranslated"]
    assert problems("#{id} adopted", "#{id} 採択") == []
    assert problems("#{id} adopted", "{id} 採択") == ["#{id} must stay as it is"]
    assert problems("Hello {name}", "你好 {名字}") == ["placeholders ['名字'] ≠ ['name']"]
    assert problems("Send /help to see.", "ヘルプは/help を送ってください。") == ["commands [] ≠ ['/help']"]
    assert problems("Send /help to see.", "请发送 /帮助。") == ["commands [] ≠ ['/help']"]
    assert problems("Send /help to see.", "请发送 /help。") == []
    assert problems("a\nb line", "甲乙") == ["line breaks differ"]
    assert problems(("{n} day", "{n} days"), ("{n}日",)) == []
    assert problems(("{n} day", "{n} days"), ("",)) == ["untranslated"]


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
