"""Department and category names in the reader's language (the seed's own words in Korean)."""

from __future__ import annotations

from sqlalchemy import select

from bots.context import Ctx
from core.directory import other_names
from core.models import Category, Department


def in_language(lang: str, ko: str, en: str) -> str:
    """A name the directory holds in Korean and English, for a reader of `lang`: Japanese and Chinese come
    from the directory file (core/directory.py `other_names`), English where it has none."""
    if lang == "ko":
        return ko
    return other_names(ko, en).get(lang) or en


async def category_names(ctx: Ctx) -> dict[str, str]:
    rows = await ctx.session.execute(select(Category.code, Category.name_ko, Category.name_en))
    return {code: in_language(ctx.t.lang, ko, en) for code, ko, en in rows.all()}


async def department_name(ctx: Ctx, code: str) -> str:
    dep = await ctx.session.get(Department, code)
    return in_language(ctx.t.lang, dep.name_ko, dep.name_en) if dep else code


async def categories_in_order(ctx: Ctx) -> list[tuple[str, str]]:
    rows = await ctx.session.execute(
        select(Category.code, Category.name_ko, Category.name_en).order_by(Category.position)
    )
    return [(code, in_language(ctx.t.lang, ko, en)) for code, ko, en in rows.all()]


async def resolve_category(ctx: Ctx, text: str) -> str | None:
    """A category from what someone typed: its code or its name in any language."""
    wanted = text.strip().lower()
    rows = await ctx.session.execute(select(Category.code, Category.name_ko, Category.name_en))
    for code, ko, en in rows.all():
        if wanted in (code.lower(), ko.lower(), en.lower(), *other_names(ko, en).values()):
            return str(code)
    return None
