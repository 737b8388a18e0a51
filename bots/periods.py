"""A report's period as people read it ("October 2026", "2026년 10월", "Year 2026"): shared by the report's
renderers and the notice that announces it, so both name a period the same way."""

from __future__ import annotations

from bots.i18n import N_, Translator

MONTH_NAMES = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
               N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))


def period_label(key: str, t: Translator) -> str:
    """"2026-10" → "October 2026"; "2026" → "Year 2026"; anything else as it is."""
    year, _, month = key.partition("-")
    if not year.isdigit():
        return key
    if not month:
        return t.tr_plain("Year {year}", year=year)
    if not month.isdigit() or not 1 <= int(month) <= 12:
        return key
    return t.tr_plain("{month} {year}", month=t.tr_plain(MONTH_NAMES[int(month) - 1]), year=year)
