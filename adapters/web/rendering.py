"""What every public page shares: the templates, the reader's language and turning RichText into HTML.

Each page family (proposal pages, the board, statistics, reports, the web chat) is its own class in its
own module, holding a `PageRenderer`; the composition root (bots/app.py) mounts their routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from bots.i18n import LANGUAGES, Translator, normalize_language
from bots.neutral import RichText

TEMPLATES = Path(__file__).with_name("templates")
LANG_COOKIE = "oasis_lang"
LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "ja": "日本語", "zh": "中文"}
LANGUAGE_TAGS = {"ko": "ko", "en": "en", "ja": "ja", "zh": "zh-Hans"}
"""BCP 47 tags for `lang` attributes: the Chinese catalog is Simplified, which lets browsers pick its fonts."""


@dataclass(frozen=True)
class PageConfig:
    public_url: str
    default_language: str
    vote_threshold: int
    timezone: str
    bot_username: Callable[[], str | None]
    """The Telegram bot's @name once known (getMe), for the deep link; None without a bot."""


def rich_html(text: RichText) -> Markup:
    """A RichText as HTML: each span escaped, styles as elements, links only to http(s) addresses."""
    parts: list[str] = []
    for span in text:
        body = str(escape(span.text)).replace("\n", "<br>\n")
        if span.style == "bold":
            body = f"<strong>{body}</strong>"
        elif span.style == "italic":
            body = f"<em>{body}</em>"
        elif span.style == "code":
            body = f"<code>{body}</code>"
        elif span.style == "link" and span.url and span.url.startswith(("https://", "http://")):
            body = f'<a href="{escape(span.url)}">{body}</a>'
        parts.append(body)
    return Markup("".join(parts))


def page_language(request: web.Request, default: str, person: str | None = None) -> str:
    """`?lang=`, then the reader's own `/lang` choice when the page knows who they are (`person`: the web
    chat's person), then the cookie a previous choice left, then the browser's Accept-Language."""
    chosen = (normalize_language(request.query.get("lang")) or normalize_language(person)
              or normalize_language(request.cookies.get(LANG_COOKIE)))
    if chosen:
        return chosen
    for part in request.headers.get("Accept-Language", "").split(","):
        if found := normalize_language(part.split(";")[0].strip()):
            return found
    return default


def with_query(request: web.Request, **changes: str | int | None) -> str:
    """This page's address with some query parameters changed (None removes one): the language switch
    keeps the board's filters, a page link keeps the search."""
    query = {k: v for k, v in request.query.items()}
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    return request.path + ("?" + urlencode(query) if query else "")


class PageRenderer:
    """One Jinja2 environment (autoescaping on) for every page, and the reader's translator."""

    def __init__(self, config: PageConfig) -> None:
        self.config = config
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                                     trim_blocks=True, lstrip_blocks=True)
        self.chosen_language: Callable[[web.Request], Awaitable[str | None]] | None = None
        """Who reads, when a page can tell (the web chat's signed session cookie), and their `/lang` choice:
        set by the composition root when the web chat runs."""

    async def reader(self, request: web.Request) -> Translator:
        """The reader's translator on any page: `?lang=`, then their own `/lang` choice if they are a web
        chat person (linked to a messenger or not), then the cookie, then Accept-Language."""
        person = None
        if self.chosen_language is not None and not normalize_language(request.query.get("lang")):
            person = await self.chosen_language(request)
        return self.translator(request, person)

    def translator(self, request: web.Request, person: str | None = None) -> Translator:
        """`person`: the reader's `/lang` choice, for a page that knows who reads it (the web chat)."""
        return Translator(page_language(request, self.config.default_language, person),
                          timezone=self.config.timezone)

    def html(self, name: str, t: Translator, path: str, values: Mapping[str, object], *,
             query: dict[str, str] | None = None, lang_href: Callable[[str], str] | None = None) -> str:
        """A template rendered for a reader at `path`: a page's body, or a file (`oasis report`)."""
        def translated(message: str, **params: object) -> str:
            return t.tr_plain(message, **params)

        # The templates call it by the extraction keyword, so `make catalogs` finds their messages
        # (pyproject.toml's babel mapping for templates).
        return self.templates.get_template(name).render(
            {"tr_plain": translated}, lang=t.lang, languages=LANGUAGES, language_names=LANGUAGE_NAMES,
            language_tags=LANGUAGE_TAGS, html_lang=LANGUAGE_TAGS.get(t.lang, t.lang), path=path,
            query=query or {}, lang_href=lang_href or (lambda code: f"{path}?lang={code}"), **values)

    def render(self, name: str, t: Translator, request: web.Request, *, status: int = 200,
               **values: object) -> web.Response:
        html = self.html(name, t, request.path, values, query=dict(request.query),
                         lang_href=lambda code: with_query(request, lang=code))
        response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
        if (chosen := normalize_language(request.query.get("lang"))) is not None:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
