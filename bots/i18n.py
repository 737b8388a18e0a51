"""Message catalogs (gettext .po files under bots/locales/, read with Babel) and rich-text formatting.

Message ids are English; `en` has an empty catalog and falls back to them; `ko`, `ja` and `zh` (Simplified
Chinese) are complete catalogs (tests/unit/test_catalogs.py holds them to it). Placeholders use
`{name}`; a parameter given as a `Span` keeps its style (a bold title, a link), anything else is plain
text. User text is never formatted here: each adapter escapes spans for its own markup.
"""

from __future__ import annotations

import io
import re
from functools import cache, lru_cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bots.neutral import RichText, Span

LANGUAGES = ("ko", "en", "ja", "zh")
CATALOG_LANGUAGES = LANGUAGES
PLACEHOLDER = re.compile(r"\{(\w+)\}")
COMMAND = re.compile(r"(?<![\w/:.<])/(?=[a-z])")  # "/propose" in a message, not "a/b" or a URL


@cache
def catalog(lang: str) -> NullTranslations:
    if lang not in CATALOG_LANGUAGES:
        return NullTranslations()
    po_path = resources.files("bots").joinpath(f"locales/{lang}/LC_MESSAGES/messages.po")
    if not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as handle:
        messages = read_po(handle, locale=lang)
    # Compile in memory: no build step, and the .po file stays the single source.
    buffer = io.BytesIO()
    write_mo(buffer, messages, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def normalize_language(code: str | None) -> str | None:
    """'en-US' → 'en', 'ko_KR' → 'ko'; None for languages we do not offer.

    Every Chinese tag ('zh-CN', 'zh-Hans', 'zh-SG', and also 'zh-TW', 'zh-Hant', 'zh-HK') is 'zh', our
    Simplified Chinese catalog: a reader of Traditional characters reads Simplified far more easily than
    the English or Korean they would otherwise get, and there is no Traditional catalog to prefer.
    """
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def format_rich(template: str, params: dict[str, object], command_prefix: str = "/") -> RichText:
    """Fill `{name}` placeholders; commands in the template itself are written as this surface types them
    (never in the parameters: user text is left as it was written)."""
    spans: list[Span] = []
    for literal, name in _pieces(template, command_prefix):
        if literal:
            spans.append(literal)
        if name is not None:
            value = params.get(name, f"{{{name}}}")
            spans.append(value if isinstance(value, Span) else Span(str(value)))
    return tuple(spans)


@lru_cache(maxsize=4096)
def _pieces(template: str, command_prefix: str) -> tuple[tuple[Span | None, str | None], ...]:
    """A template cut once into (literal text, placeholder name) pairs: every answer reuses the cut."""
    if command_prefix != "/":
        template = COMMAND.sub(command_prefix, template)
    pieces: list[tuple[Span | None, str | None]] = []
    pos = 0
    for match in PLACEHOLDER.finditer(template):
        pieces.append((Span(template[pos:match.start()]) if match.start() > pos else None, match.group(1)))
        pos = match.end()
    if pos < len(template):
        pieces.append((Span(template[pos:]), None))
    return tuple(pieces)


class Translator:
    """Everything a reply needs to speak one person's language.

    The method names `tr`, `tr_plain` and `tr_plural` (and the marker `N_` below) are the catalog
    extraction keywords (`[tool.babel.extract_messages]` in pyproject.toml): no variable, parameter or
    attribute may take these names, or the extractor would read ordinary code as messages
    (tests/unit/test_catalogs.py enforces it).
    """

    def __init__(self, lang: str, command_prefix: str = "/", *, timezone: str = "Asia/Seoul") -> None:
        self.lang = lang
        self.command_prefix = command_prefix
        self.timezone = timezone
        """Where the reader's dates are shown (OASIS_TIMEZONE): bots/time.py."""
        self._catalog = catalog(lang)

    def tr(self, msgid: str, **params: object) -> RichText:
        return format_rich(self._catalog.gettext(msgid), params, self.command_prefix)

    def tr_plural(self, singular: str, plural_form: str, n: int, **params: object) -> RichText:
        return format_rich(self._catalog.ngettext(singular, plural_form, n), {"n": n, **params},
                           self.command_prefix)

    def tr_plain(self, msgid: str, **params: object) -> str:
        """Plain string (button labels, toasts)."""
        return "".join(span.text for span in self.tr(msgid, **params))


def join(*parts: RichText, sep: str = "\n") -> RichText:
    out: list[Span] = []
    for index, part in enumerate(p for p in parts if p):
        if index:
            out.append(Span(sep))
        out.extend(part)
    return tuple(out)


def N_(msgid: str) -> str:
    """Marks a message id for extraction where it is defined apart from where it is translated."""
    return msgid
