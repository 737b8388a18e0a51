"""Departments and categories: loaded from a TOML file into the database, read back for routing."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from core.models import Category, Department


@dataclass(frozen=True)
class Directory:
    departments: list[dict[str, Any]]
    categories: list[dict[str, Any]]


def load_directory(path: str | None = None) -> Directory:
    """Read the shipped file, or an operator's; refuse a category that names no department."""
    if path:
        raw = Path(path).read_bytes()
    else:
        raw = resources.files("core").joinpath("data/departments.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    departments = list(data.get("departments", []))
    categories = list(data.get("categories", []))
    for entry in (*departments, *categories):
        remember_other_names(entry)
    codes = {d["code"] for d in departments}
    for dep in departments:
        channel_of(dep)  # refuse a department with two channels now, not at the first card
    for cat in categories:
        if cat["department"] not in codes:
            raise ValueError(f"category {cat['code']!r} names unknown department {cat['department']!r}")
    return Directory(departments, categories)


OTHER_LANGUAGES = ("ja", "zh")
"""Languages whose names (`name_ja`, `name_zh`) live in the directory file only: the database keeps Korean
and English, and a display name is not worth a migration."""
_other_names: dict[tuple[str, str], dict[str, str]] = {}


def remember_other_names(entry: dict[str, Any]) -> None:
    """Keep a file entry's names in the other languages, found later by its Korean and English names."""
    names = {lang: str(entry[f"name_{lang}"]) for lang in OTHER_LANGUAGES if entry.get(f"name_{lang}")}
    if names and "name_ko" in entry and "name_en" in entry:
        _other_names[(str(entry["name_ko"]), str(entry["name_en"]))] = names


def other_names(name_ko: str, name_en: str) -> dict[str, str]:
    """{lang: name} of a department or category for the languages beyond Korean and English, from the files
    this process read (the shipped one at least); empty where a file gives none (readers get English)."""
    if not _other_names:
        load_directory()
    return _other_names.get((name_ko, name_en), {})


CHANNEL_KEY_SUFFIX = "_channel"


def channel_of(department: dict[str, Any]) -> tuple[str | None, str | None]:
    """`<platform>_channel = "id"` in the file (the operator writes `slack_channel = "C…"`) → (platform, id).
    Core knows no platform by name: whichever surface has that name delivers the department's cards."""
    found = [(key.removesuffix(CHANNEL_KEY_SUFFIX), str(value)) for key, value in department.items()
             if key.endswith(CHANNEL_KEY_SUFFIX) and value]
    if len(found) > 1:
        raise ValueError(f"department {department['code']!r} names more than one channel: {found}")
    return found[0] if found else (None, None)


async def sync_directory(session: AsyncSession, directory: Directory) -> None:
    """Upsert by code; never delete, since proposals refer to old codes."""
    for dep in directory.departments:
        row = await session.get(Department, dep["code"])
        if row is None:
            row = Department(code=dep["code"])
            session.add(row)
        row.name_ko = dep["name_ko"]
        row.name_en = dep["name_en"]
        row.channel_platform, row.channel_id = channel_of(dep)
        row.keywords = [str(w) for w in (*dep.get("keywords_ko", ()), *dep.get("keywords_en", ()))] or None
    await session.flush()
    for position, cat in enumerate(directory.categories):
        crow = await session.get(Category, cat["code"])
        if crow is None:
            crow = Category(code=cat["code"])
            session.add(crow)
        crow.name_ko = cat["name_ko"]
        crow.name_en = cat["name_en"]
        crow.department_code = cat["department"]
        crow.position = position


async def get_category(session: AsyncSession, code: str) -> Category:
    cat = await session.get(Category, code)
    if cat is None:
        raise Invalid("unknown_category", category=code)
    return cat


async def department_names(session: AsyncSession, code: str) -> dict[str, str]:
    """Its names (Korean, English, and Japanese and Chinese where the file has them), for messages rendered
    later in each reader's language."""
    dep = await session.get(Department, code)
    return {"ko": dep.name_ko, "en": dep.name_en, **other_names(dep.name_ko, dep.name_en)} if dep else {}


async def get_department(session: AsyncSession, code: str) -> Department:
    dep = await session.get(Department, code)
    if dep is None:
        raise Invalid("unknown_department", department=code)
    return dep


def mentioned(keywords: list[str], text: str) -> list[str]:
    """The keywords the text mentions: a Latin word as a whole word (plural too: "buses" is "bus"), a
    Korean one anywhere (particles attach to it: 버스가, 버스를)."""
    found = []
    lowered = text.lower()
    for word in keywords:
        key = word.strip().lower()
        if not key:
            continue
        if key.isascii():
            if re.search(rf"\b{re.escape(key)}(?:s|es)?\b", lowered):
                found.append(word)
        elif key in lowered:
            found.append(word)
    return found


async def route_for(session: AsyncSession, category: Category, title: str, description: str) -> tuple[str, list[str]]:
    """(department, the words that sent it there): the category's department with no words, unless another
    department's keywords match more of the text."""
    text = f"{title}\n{description}"
    departments = (await session.scalars(select(Department).order_by(Department.code))).all()
    matched = {d.code: mentioned(list(d.keywords or ()), text) for d in departments}
    home = category.department_code
    best = max(matched, key=lambda code: (len(matched[code]), code == home), default=home)
    if len(matched.get(best, ())) > len(matched.get(home, ())):
        return best, matched[best]
    return home, []
