"""Bar charts as inline SVG, drawn on the server: a page with charts reads without JavaScript, and the
SVG carries its own text alternative.

Each chart is `role="img"` with a <title> and a <desc> (named by aria-labelledby / aria-describedby) that
states every value, so a screen reader hears the data, not "image"; the page's tables hold the same
figures. Colours meet WCAG 2.1 AA on white: text at least 4.5:1, bars at least 3:1 (non-text contrast),
and each bar is labelled with its value, so colour carries no meaning alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BLUE = "#0b57d0"  # 6.6:1 on white
GREEN = "#146c2e"  # 6.5:1 on white
TEXT = "#1a1a1a"
AXIS = "#4a4a4a"  # 8.9:1 on white


@dataclass(frozen=True)
class Bar:
    label: str
    """Under the bar (a year, a category)."""
    value: float
    text: str
    """The value as the reader reads it ("1,234", "2.25"), above the bar and in the description."""


def _opening(chart_id: str, title: str, summary: str, bars: Sequence[Bar], width: int, height: int) -> list[str]:
    """The <svg> element with its accessible name (<title>) and description (<desc>, every value)."""
    described = summary + (" " + "; ".join(f"{b.label}: {b.text}" for b in bars) + "." if bars else "")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{escape(chart_id)}-title" aria-describedby="{escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(described)}</desc>',
    ]


def bar_chart(*, chart_id: str, title: str, summary: str, bars: Sequence[Bar], colour: str = BLUE,
              width: int = 640, height: int = 240) -> Markup:
    """Vertical bars, one per item, scaled to the largest value (an empty or all-zero chart draws only its
    axis). `chart_id` must be unique in the page; `summary` opens the description, the values follow."""
    top, bottom, side = 28, 32, 8
    plot = height - top - bottom
    slot = (width - 2 * side) / max(len(bars), 1)
    bar_width = min(slot * 0.6, 72.0)
    largest = max((b.value for b in bars), default=0.0)
    parts = _opening(chart_id, title, summary, bars, width, height)
    baseline = top + plot
    for index, bar in enumerate(bars):
        centre = side + slot * index + slot / 2
        tall = plot * bar.value / largest if largest > 0 else 0.0
        if tall > 0:
            parts.append(f'<rect x="{centre - bar_width / 2:.1f}" y="{baseline - tall:.1f}" '
                         f'width="{bar_width:.1f}" height="{tall:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{centre:.1f}" y="{baseline - tall - 6:.1f}" text-anchor="middle" '
                     f'font-size="13" fill="{TEXT}">{escape(bar.text)}</text>')
        parts.append(f'<text x="{centre:.1f}" y="{baseline + 20:.1f}" text-anchor="middle" '
                     f'font-size="13" fill="{TEXT}">{escape(bar.label)}</text>')
    parts.append(f'<line x1="{side}" y1="{baseline}" x2="{width - side}" y2="{baseline}" '
                 f'stroke="{AXIS}" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("\n".join(parts))


def row_chart(*, chart_id: str, title: str, summary: str, bars: Sequence[Bar], colour: str = BLUE,
              width: int = 640, row: int = 26, label_width: int = 250) -> Markup:
    """Horizontal bars, one row per item with its name on the left (categories, departments: names too long
    to stand under a bar), scaled to the largest value."""
    height = max(row * len(bars), row) + 8
    plot = width - label_width - 70  # room for the value after the longest bar
    largest = max((b.value for b in bars), default=0.0)
    parts = _opening(chart_id, title, summary, bars, width, height)
    for index, bar in enumerate(bars):
        middle = 4 + row * index + row / 2
        long = plot * bar.value / largest if largest > 0 else 0.0
        parts.append(f'<text x="{label_width - 8}" y="{middle + 5:.1f}" text-anchor="end" font-size="13" '
                     f'fill="{TEXT}">{escape(bar.label)}</text>')
        if long > 0:
            parts.append(f'<rect x="{label_width}" y="{middle - row * 0.35:.1f}" width="{long:.1f}" '
                         f'height="{row * 0.7:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{label_width + long + 6:.1f}" y="{middle + 5:.1f}" font-size="13" '
                     f'fill="{TEXT}">{escape(bar.text)}</text>')
    parts.append(f'<line x1="{label_width}" y1="4" x2="{label_width}" y2="{height - 4}" stroke="{AXIS}" '
                 f'stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("\n".join(parts))
