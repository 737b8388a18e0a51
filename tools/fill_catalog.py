"""Fill a language's catalog from a JSON object {msgid: msgstr} (plural entries: {msgid: [forms...]}).

`make catalogs` adds new English ids with empty translations; this writes the translations in, clears
the fuzzy guess pybabel may have made, and keeps the file's layout (width 76, sorted), so that merging
work from several branches is `make catalogs` then one fill per language.

    python -m tools.fill_catalog ko translations.json
    python -m tools.fill_catalog ko --missing      # list what is still untranslated, as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "bots" / "locales"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lang")
    parser.add_argument("translations", nargs="?", help="JSON file of {msgid: msgstr}")
    parser.add_argument("--missing", action="store_true", help="print the untranslated ids as JSON")
    args = parser.parse_args(argv)
    path = LOCALES / args.lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=args.lang)
    if args.missing:
        missing = {}
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                missing[key] = list(message.id) if isinstance(message.id, tuple) else ""
        json.dump(missing, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    if not args.translations:
        parser.error("give a JSON file of translations, or --missing")
    given = json.loads(Path(args.translations).read_text(encoding="utf-8"))
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key not in given:
            continue
        value = given[key]
        message.string = tuple(value) if isinstance(message.id, tuple) else value
        message.flags.discard("fuzzy")
        filled += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, width=76, sort_output=True)
    print(f"{filled} messages filled in {path.relative_to(LOCALES.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
